/**
 * How a backfill splits the chain over worker threads (one producer each) so that every Kafka
 * partition receives its records in event-time order.
 *
 * Event topics are keyed by store_id, so a partition holds several stores. A stream processor
 * keeps one watermark per partition (streams/velocity: 5 s out of order, 60 s lateness), so a
 * partition whose records jump back in time loses them as late events. Real terminals publish
 * as they sell, so a partition is in near event-time order; the backfill keeps it exactly in
 * order by sending all stores of a partition through one producer (this file) and publishing
 * each hour merged across its stores by occurred_at (PosSimulator.nextHour).
 */
import { loadPlatformaticKafka } from '../../lib/clients/kafka';

/**
 * The partition a store's records go to among `partitions`: the Java-compatible murmur2
 * partitioner that createFastProducer configures, modulo the partition count as the producer
 * applies it.
 */
export function partitionOf(storeId: string, partitions: number): number {
  const key = Buffer.from(storeId);
  return loadPlatformaticKafka().compatibilityPartitioner({ topic: '', key }, key) % partitions;
}

/**
 * Groups store indices that share a partition of any event topic. Event topics normally share
 * one partition count (TOPIC_PARTITIONS); with several counts, stores linked through any of
 * them end up in one group. No counts: every store is its own group (one producer anyway).
 */
export function partitionGroups(storeIds: readonly string[], partitionCounts: readonly number[]): number[][] {
  const parent = storeIds.map((_, i) => i);
  const root = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!;
    return i;
  };
  for (const partitions of new Set(partitionCounts)) {
    const firstOn = new Map<number, number>();
    storeIds.forEach((id, i) => {
      const p = partitionOf(id, partitions);
      const other = firstOn.get(p);
      if (other === undefined) firstOn.set(p, i);
      else parent[Math.max(root(i), root(other))] = Math.min(root(i), root(other));
    });
  }
  const groups = new Map<number, number[]>();
  storeIds.forEach((_, i) => {
    const r = root(i);
    const group = groups.get(r) ?? [];
    if (group.length === 0) groups.set(r, group);
    group.push(i);
  });
  return [...groups.values()];
}

/**
 * Deals partition groups to at most `workers` shards, largest group first to the shard with
 * the fewest stores (so shard sizes differ by at most one group). Each shard's store indices
 * are ascending, which fixes the tie order of simultaneous events within a partition whatever
 * the worker count; shards are ordered by their first store.
 */
export function shardStores(storeIds: readonly string[], partitionCounts: readonly number[], workers: number): number[][] {
  const groups = partitionGroups(storeIds, partitionCounts).sort((a, b) => b.length - a.length || a[0]! - b[0]!);
  const shards = Array.from({ length: Math.max(1, Math.min(workers, groups.length)) }, () => [] as number[]);
  for (const group of groups) {
    let smallest = shards[0]!;
    for (const shard of shards) if (shard.length < smallest.length) smallest = shard;
    smallest.push(...group);
  }
  for (const shard of shards) shard.sort((a, b) => a - b);
  return shards.filter((s) => s.length > 0).sort((a, b) => a[0]! - b[0]!);
}
