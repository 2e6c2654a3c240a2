/**
 * Sharding a backfill by Kafka partition: a store lands where the producer puts its records
 * (checked against kafkajs' DefaultPartitioner, Java's, not against the code under test), all
 * stores of a partition share one shard, and shards stay balanced.
 */
import { Partitioners, type PartitionMetadata } from 'kafkajs';
import { partitionGroups, partitionOf, shardStores } from './shards';

const kafkajs = Partitioners.DefaultPartitioner();
const storeIds = (n: number): string[] => Array.from({ length: n }, (_, i) => `S${String(i + 1).padStart(3, '0')}`);

function kafkajsPartition(key: string, partitions: number): number {
  const partitionMetadata: PartitionMetadata[] = Array.from({ length: partitions }, (_, partitionId) => ({ partitionId, leader: 1, replicas: [1], isr: [1], partitionErrorCode: 0, offlineReplicas: [] }));
  return kafkajs({ topic: 't', partitionMetadata, message: { key, value: null } });
}

describe('partitionOf', () => {
  it.each([1, 3, 6, 12])('puts every store id where a Java-compatible producer does, %i partitions', (partitions) => {
    for (const id of storeIds(999)) expect(partitionOf(id, partitions)).toBe(kafkajsPartition(id, partitions));
  });
});

describe('shardStores', () => {
  it.each([
    [40, 6, 2],
    [40, 6, 4],
    [10, 6, 4],
    [3, 6, 4],
    [200, 12, 3],
  ])('%i stores, %i partitions, %i workers: each store once, each partition in one shard, balanced', (stores, partitions, workers) => {
    const ids = storeIds(stores);
    const shards = shardStores(ids, [partitions], workers);
    expect(shards.flat().sort((a, b) => a - b)).toEqual(ids.map((_, i) => i));
    const shardOfPartition = new Map<number, number>();
    shards.forEach((shard, s) => {
      expect(shard).toEqual([...shard].sort((a, b) => a - b));
      for (const i of shard) {
        const p = kafkajsPartition(ids[i]!, partitions);
        expect(shardOfPartition.get(p) ?? s).toBe(s);
        shardOfPartition.set(p, s);
      }
    });
    const used = shardOfPartition.size;
    expect(shards.length).toBe(Math.min(workers, used));
    // Largest group first to the emptiest shard: sizes differ by at most the largest group.
    const perPartition = [...shardOfPartition.keys()].map((p) => ids.filter((id) => kafkajsPartition(id, partitions) === p).length);
    const sizes = shards.map((s) => s.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(Math.max(...perPartition));
  });

  it('keeps stores linked through topics of different partition counts together', () => {
    const ids = storeIds(30);
    for (const group of partitionGroups(ids, [6, 4])) {
      for (const partitions of [6, 4]) {
        const inGroup = new Set(group.map((i) => kafkajsPartition(ids[i]!, partitions)));
        for (let i = 0; i < ids.length; i++) if (!group.includes(i)) expect(inGroup.has(kafkajsPartition(ids[i]!, partitions))).toBe(false);
      }
    }
  });

  it('gives one shard to one worker, and one group per store without partition counts', () => {
    expect(shardStores(storeIds(5), [6], 1)).toEqual([[0, 1, 2, 3, 4]]);
    expect(partitionGroups(storeIds(3), [])).toEqual([[0], [1], [2]]);
    expect(shardStores(storeIds(2), [], 4)).toEqual([[0], [1]]);
  });
});
