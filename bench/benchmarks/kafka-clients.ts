/**
 * kafka-clients: raw produce and raw consume rates of kafkajs (our client) beside
 * @platformatic/kafka (a newer pure-TypeScript client), same machine, same run, same records.
 *
 * RECORDS pre-built records (key = a store id `S000`..`S049`, value = 140 random bytes, the
 * size of our Avro events) are produced in sends of BATCH, each awaited (one request in flight,
 * as our idempotent producers run), acks=all, idempotent, Java murmur2 partitioning:
 * kafkajs through lib/clients/kafka's createProducer, @platformatic/kafka with
 * `idempotent: true` and its `compatibilityPartitioner` (its *default* partitioner is not
 * Java-compatible: see the placement check below). Each client produces into its own fresh
 * 6-partition topic; both topics must end with identical per-partition record counts.
 * Consumption: a fresh group per client reads one of those topics from the beginning doing no
 * work (kafkajs eachBatch counting messages; @platformatic/kafka's stream 'data' counting
 * messages), timed from the group join to the last record.
 *
 * REPS repetitions, the order of the clients alternating; metrics are the median (and min) of
 * the repetitions, ratios are platformatic / kafkajs of the medians.
 *
 * Each repetition uses fresh producers, warmed on the check topic (connection, metadata,
 * InitProducerId) before the clock starts, and closed before that repetition's topics are
 * deleted: a kafkajs client keeps every topic it has touched in its metadata refreshes, and
 * fails once one of them is gone.
 *
 * Placement check, before timing (doubles as warm-up): each store key sent alone by kafkajs,
 * by @platformatic/kafka with its default partitioner and with compatibilityPartitioner; the
 * partitions the brokers report are compared (`*_partition_mismatches`, out of STORES keys).
 *
 * @platformatic/kafka is an ES module: it is loaded with import() (this project compiles to
 * CommonJS) and its types are imported with resolution-mode 'import'.
 */
import { randomBytes } from 'node:crypto';
import type { Admin, Kafka } from 'kafkajs';
import type {
  Consumer as PltConsumer,
  MessageToProduce,
  Partitioner,
  Producer as PltProducer,
} from '@platformatic/kafka' with { 'resolution-mode': 'import' };
import { createKafka, createProducer, platformaticClientOptions, type IdempotentProducer } from '../../lib/clients/kafka';

type PltClientOptions = ReturnType<typeof platformaticClientOptions>;
import type { Benchmark } from '../harness';

type Platformatic = typeof import('@platformatic/kafka', { with: { 'resolution-mode': 'import' } });
type KafkajsMessage = { key: Buffer; value: Buffer };
type PltMessage = MessageToProduce<Buffer, Buffer, Buffer, Buffer>;

const RECORDS = 600_000;
const BATCH = 2_000;
const VALUE_BYTES = 140;
const STORES = 50;
const PARTITIONS = 6;
const REPS = 3;
const CONSUME_TIMEOUT_MS = 60_000;
// Fetch sizes as in streams/runtime/runner.ts, the same for both consumers.
const MAX_BYTES = 16 * 1_048_576;
const MAX_BYTES_PER_PARTITION = 4 * 1_048_576;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** A promise the caller resolves when the last record arrived; it rejects by itself after CONSUME_TIMEOUT_MS. */
function completion(label: string): { promise: Promise<void>; resolve: () => void; reject: (error: Error) => void; clear: () => void } {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const timer = setTimeout(() => reject(new Error(`${label}: not all ${RECORDS} records consumed within ${CONSUME_TIMEOUT_MS} ms`)), CONSUME_TIMEOUT_MS);
  return { promise, resolve, reject, clear: () => clearTimeout(timer) };
}

async function produceKafkajs(producer: IdempotentProducer, topic: string, batches: readonly KafkajsMessage[][]): Promise<number> {
  const started = performance.now();
  for (const messages of batches) await producer.send({ topic, acks: -1, messages });
  return RECORDS / ((performance.now() - started) / 1000);
}

async function producePlatformatic(producer: PltProducer, batches: readonly PltMessage[][]): Promise<number> {
  const started = performance.now();
  for (const messages of batches) await producer.send({ messages });
  return RECORDS / ((performance.now() - started) / 1000);
}

async function consumeKafkajs(kafka: Kafka, topic: string, groupId: string): Promise<number> {
  const consumer = kafka.consumer({ groupId, maxBytes: MAX_BYTES, maxBytesPerPartition: MAX_BYTES_PER_PARTITION });
  const done = completion('kafkajs consumer');
  let joinedAt = 0;
  let lastAt = 0;
  let count = 0;
  consumer.on(consumer.events.GROUP_JOIN, () => {
    if (joinedAt === 0) joinedAt = performance.now();
  });
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        count += batch.messages.length;
        if (count >= RECORDS && lastAt === 0) {
          lastAt = performance.now();
          done.resolve();
        }
      },
    });
    await done.promise;
  } finally {
    done.clear();
    await consumer.disconnect();
  }
  if (count !== RECORDS) throw new Error(`kafkajs consumer read ${count} records, expected ${RECORDS}`);
  return RECORDS / ((lastAt - joinedAt) / 1000);
}

async function consumePlatformatic(plt: Platformatic, client: PltClientOptions, topic: string, groupId: string): Promise<number> {
  const consumer: PltConsumer = new plt.Consumer({
    ...client,
    groupId,
    maxBytes: MAX_BYTES,
    maxBytesPerPartition: MAX_BYTES_PER_PARTITION,
    autocommit: false,
  });
  const done = completion('@platformatic/kafka consumer');
  let joinedAt = 0;
  let lastAt = 0;
  let count = 0;
  consumer.on('consumer:group:join', () => {
    if (joinedAt === 0) joinedAt = performance.now();
  });
  try {
    const stream = await consumer.consume({ topics: [topic], mode: plt.MessagesStreamModes.EARLIEST, autocommit: false });
    stream.on('error', (error) => done.reject(error));
    stream.on('data', () => {
      if (++count === RECORDS) {
        lastAt = performance.now();
        done.resolve();
      }
    });
    await done.promise;
    await stream.close();
  } finally {
    done.clear();
    await consumer.close(true);
  }
  if (count !== RECORDS) throw new Error(`@platformatic/kafka consumer read ${count} records, expected ${RECORDS}`);
  return RECORDS / ((lastAt - joinedAt) / 1000);
}

async function partitionCounts(admin: Admin, topic: string): Promise<number[]> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.sort((a, b) => a.partition - b.partition).map((o) => Number(o.high) - Number(o.low));
}

export const kafkaClients: Benchmark = {
  name: 'kafka-clients',
  description: `kafkajs vs @platformatic/kafka: raw produce (idempotent, acks=all, ${BATCH}/send) and raw consume of ${RECORDS} records, ${PARTITIONS} partitions`,
  async run({ config, logger }) {
    const plt: Platformatic = await import('@platformatic/kafka');
    // Brokers, client id and the security settings, as every client of the project gets them.
    const pltClient = platformaticClientOptions(config.kafka, 'bench-plt');
    const stamp = Date.now();
    const runStarted = performance.now();
    const prefix = `bench.kafka-clients.${stamp}`;
    const topics: string[] = [];
    const groups: string[] = [];

    const kafka = createKafka(config.kafka, logger, 'bench');
    const admin = kafka.admin();
    await admin.connect();
    // Java/kafkajs-compatible placement: murmur2 & 0x7fffffff, like kafkajs' DefaultPartitioner.
    const compat = plt.compatibilityPartitioner as Partitioner<Buffer, Buffer, Buffer, Buffer>;
    const newPltProducer = (): PltProducer =>
      new plt.Producer({ ...pltClient, idempotent: true, acks: plt.ProduceAcks.ALL, partitioner: compat });
    let kjsProducer = createProducer(kafka);
    let pltProducer = newPltProducer();
    // Out of the box: no partitioner option (the library's defaultPartitioner, murmur2 >>> 0).
    const pltDefaultProducer: PltProducer = new plt.Producer({ ...platformaticClientOptions(config.kafka, 'bench-plt-default'), idempotent: true, acks: plt.ProduceAcks.ALL });
    const createTopic = async (topic: string): Promise<void> => {
      topics.push(topic);
      await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }], waitForLeaders: true });
    };
    const deleteTopics = async (names: string[]): Promise<void> => {
      for (const name of names) topics.splice(topics.indexOf(name), 1);
      await admin.deleteTopics({ topics: names });
    };

    try {
      await kjsProducer.connect();
      const storeKeys = Array.from({ length: STORES }, (_, s) => Buffer.from(`S${String(s).padStart(3, '0')}`));
      const slab = randomBytes(RECORDS * VALUE_BYTES);
      const records: KafkajsMessage[] = Array.from({ length: RECORDS }, (_, i) => ({
        key: storeKeys[i % STORES]!,
        value: slab.subarray(i * VALUE_BYTES, (i + 1) * VALUE_BYTES),
      }));
      const kjsBatches = chunk(records, BATCH);

      // Placement check (and warm-up): where does each store key land with each client?
      const check = `${prefix}.check`;
      await createTopic(check);
      let defaultMismatches = 0;
      let compatMismatches = 0;
      for (const key of storeKeys) {
        const value = records[0]!.value;
        const [kjs] = await kjsProducer.send({ topic: check, acks: -1, messages: [{ key, value }] });
        const compatResult = await pltProducer.send({ messages: [{ topic: check, key, value }] });
        const defaultResult = await pltDefaultProducer.send({ messages: [{ topic: check, key, value }] });
        const expected = kjs!.partition;
        if (compatResult.offsets?.[0]?.partition !== expected) compatMismatches++;
        if (defaultResult.offsets?.[0]?.partition !== expected) defaultMismatches++;
      }
      await pltDefaultProducer.close();
      const warmUp = async (batches: number): Promise<void> => {
        for (const messages of kjsBatches.slice(0, batches)) {
          await kjsProducer.send({ topic: check, acks: -1, messages });
          await pltProducer.send({ messages: messages.map((m) => ({ topic: check, key: m.key, value: m.value })) });
        }
      };
      await warmUp(10);

      const kjsProduce: number[] = [];
      const pltProduce: number[] = [];
      const kjsConsume: number[] = [];
      const pltConsume: number[] = [];
      let placementAgrees = 1;
      for (let rep = 0; rep < REPS; rep++) {
        const kjsTopic = `${prefix}.r${rep}.kafkajs`;
        const pltTopic = `${prefix}.r${rep}.platformatic`;
        await createTopic(kjsTopic);
        await createTopic(pltTopic);
        const pltBatches: PltMessage[][] = kjsBatches.map((batch) => batch.map((m) => ({ topic: pltTopic, key: m.key, value: m.value })));
        const kafkajsFirst = rep % 2 === 0;
        if (rep > 0) {
          kjsProducer = createProducer(kafka);
          await kjsProducer.connect();
          pltProducer = newPltProducer();
          await warmUp(1);
        }

        if (kafkajsFirst) {
          kjsProduce.push(await produceKafkajs(kjsProducer, kjsTopic, kjsBatches));
          pltProduce.push(await producePlatformatic(pltProducer, pltBatches));
        } else {
          pltProduce.push(await producePlatformatic(pltProducer, pltBatches));
          kjsProduce.push(await produceKafkajs(kjsProducer, kjsTopic, kjsBatches));
        }
        const kjsCounts = await partitionCounts(admin, kjsTopic);
        const pltCounts = await partitionCounts(admin, pltTopic);
        if (kjsCounts.reduce((a, b) => a + b, 0) !== RECORDS || pltCounts.reduce((a, b) => a + b, 0) !== RECORDS) {
          throw new Error(`topics hold ${kjsCounts.join('/')} and ${pltCounts.join('/')} records per partition, expected ${RECORDS} in all`);
        }
        if (kjsCounts.join() !== pltCounts.join()) placementAgrees = 0;

        // Both consumers read the same topic; which client produced it alternates.
        const readTopic = rep % 2 === 0 ? kjsTopic : pltTopic;
        const kjsGroup = `${readTopic}.consume.kafkajs`;
        const pltGroup = `${readTopic}.consume.platformatic`;
        groups.push(kjsGroup, pltGroup);
        if (kafkajsFirst) {
          kjsConsume.push(await consumeKafkajs(kafka, readTopic, kjsGroup));
          pltConsume.push(await consumePlatformatic(plt, pltClient, readTopic, pltGroup));
        } else {
          pltConsume.push(await consumePlatformatic(plt, pltClient, readTopic, pltGroup));
          kjsConsume.push(await consumeKafkajs(kafka, readTopic, kjsGroup));
        }
        logger.warn(
          {
            rep,
            elapsedS: Math.round((performance.now() - runStarted) / 1000),
            kafkajsFirst,
            kjsProduce: Math.round(kjsProduce[rep]!),
            pltProduce: Math.round(pltProduce[rep]!),
            kjsConsume: Math.round(kjsConsume[rep]!),
            pltConsume: Math.round(pltConsume[rep]!),
            kjsCounts,
            pltCounts,
          },
          'kafka-clients repetition',
        );
        await kjsProducer.disconnect();
        await pltProducer.close();
        await deleteTopics([kjsTopic, pltTopic]);
      }

      const kjsP = median(kjsProduce);
      const pltP = median(pltProduce);
      const kjsC = median(kjsConsume);
      const pltC = median(pltConsume);
      return {
        records: RECORDS,
        reps: REPS,
        kafkajs_produce_per_s: Math.round(kjsP),
        platformatic_produce_per_s: Math.round(pltP),
        produce_ratio: pltP / kjsP,
        kafkajs_consume_per_s: Math.round(kjsC),
        platformatic_consume_per_s: Math.round(pltC),
        consume_ratio: pltC / kjsC,
        kafkajs_produce_min_per_s: Math.round(Math.min(...kjsProduce)),
        platformatic_produce_min_per_s: Math.round(Math.min(...pltProduce)),
        kafkajs_consume_min_per_s: Math.round(Math.min(...kjsConsume)),
        platformatic_consume_min_per_s: Math.round(Math.min(...pltConsume)),
        placement_agrees: placementAgrees,
        compat_partition_mismatches: compatMismatches,
        default_partition_mismatches: defaultMismatches,
      };
    } finally {
      await pltDefaultProducer.close().catch(() => undefined);
      await pltProducer.close().catch(() => undefined);
      await kjsProducer.disconnect().catch(() => undefined);
      if (topics.length > 0) await admin.deleteTopics({ topics }).catch(() => undefined);
      if (groups.length > 0) await admin.deleteGroups(groups).catch(() => undefined);
      await admin.disconnect();
    }
  },
};
