/**
 * Co-partitioning depends on every producer placing a key on the same partition. The fast
 * producer (@platformatic/kafka with its compatibilityPartitioner, as createFastProducer builds
 * it) must agree with kafkajs' DefaultPartitioner, which is Java's: partition =
 * (murmur2(key) & 0x7fffffff) % partitions.
 */
import { randomBytes } from 'node:crypto';
import { Partitioners, type PartitionMetadata } from 'kafkajs';
import { fastProducerOptions, loadPlatformaticKafka } from './kafka';

const plt = loadPlatformaticKafka();
const kafkajs = Partitioners.DefaultPartitioner();

function metadata(partitions: number): PartitionMetadata[] {
  return Array.from({ length: partitions }, (_, partitionId) => ({ partitionId, leader: 1, replicas: [1], isr: [1], partitionErrorCode: 0, offlineReplicas: [] }));
}

/** Where @platformatic/kafka puts a key: the partitioner's number modulo the partition count (producer.js #performSend). */
function platformaticPartition(key: Buffer, partitions: number): number {
  const raw = plt.compatibilityPartitioner({ topic: 't', key, value: Buffer.alloc(0) }, key);
  return raw % partitions;
}

function kafkajsPartition(key: Buffer, partitions: number): number {
  return kafkajs({ topic: 't', partitionMetadata: metadata(partitions), message: { key, value: null } });
}

// Store ids as the simulator and ingest write them, products' skus, and arbitrary bytes
// (odd lengths exercise murmur2's tail; high bytes its sign handling).
const keys: Buffer[] = [
  ...Array.from({ length: 2_000 }, (_, i) => Buffer.from(`S${String(i).padStart(3, '0')}`)),
  ...Array.from({ length: 2_000 }, (_, i) => Buffer.from(`SKU-${String(i).padStart(6, '0')}`)),
  ...Array.from({ length: 4_000 }, (_, i) => randomBytes(1 + (i % 37))),
  Buffer.from('ÉPICERIE-Zürich-東京'),
];

describe('fast producer partitioning', () => {
  it.each([1, 2, 3, 6, 7, 12, 24, 100])('places every key where kafkajs does with %i partitions', (partitions) => {
    const mismatches = keys.filter((key) => platformaticPartition(key, partitions) !== kafkajsPartition(key, partitions));
    expect(mismatches.map((k) => k.toString('hex'))).toEqual([]);
  });

  it("matches Java's murmur2 on the vectors of Kafka's own UtilsTest", () => {
    // org.apache.kafka.common.utils.UtilsTest#testMurmur2; positive(h) = h & 0x7fffffff.
    const java: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [key, hash] of java) expect(platformaticPartition(Buffer.from(key), 2 ** 31 - 1)).toBe((hash & 0x7fffffff) % (2 ** 31 - 1));
  });

  it("differs from the library's default partitioner, which is why createFastProducer sets it", () => {
    const differing = keys.filter((key) => plt.defaultPartitioner({ topic: 't', key }, key) % 6 !== kafkajsPartition(key, 6));
    expect(differing.length).toBeGreaterThan(0);
  });

  it('is the partitioner the fast producer is built with, idempotent with acks=all', () => {
    const options = fastProducerOptions({ brokers: ['127.0.0.1:9092'], clientId: 'partitioner-test', connectTimeoutMs: 100, securityProtocol: 'PLAINTEXT', tls: undefined, sasl: undefined }, 'test');
    expect(options.partitioner).toBe(plt.compatibilityPartitioner);
    expect(options.idempotent).toBe(true);
    expect(options.acks).toBe(-1);
  });
});
