/**
 * archive: records/s through decode, Parquet encoding (parquet-wasm, ZSTD) and the upload to
 * MinIO, committed, beside the raw consume rate of the same kafkajs client on the same topic in
 * the same run. Then the replay rate: the archived range read back and re-published byte for
 * byte to a fresh topic.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createKafka, createProducer } from '../../lib/clients/kafka';
import { createSchemaRegistry } from '../../lib/clients/registry';
import { EventCodec } from '../../lib/events/codec';
import { createMetrics } from '../../lib/metrics';
import { createClickHouse } from '../../lib/clients/clickhouse';
import { loadCatalog } from '../../schemas/catalog';
import type { SaleCompleted } from '../../schemas/generated/events';
import { buildArchiveProcessor, openArchiveStore } from '../../streams/archive';
import { topicPrefix } from '../../streams/archive/layout';
import { publishReplay, readArchive } from '../../streams/archive/replay';
import { startProcessor } from '../../streams/runtime/runner';
import { rawConsumeRate, type Benchmark } from '../harness';

const SALES = 300_000;
const START = Date.UTC(2026, 10, 1, 8);
const SPAN_MS = 4 * 3_600_000;

function makeSale(i: number): SaleCompleted {
  const quantity = 1 + (i % 3);
  const unit_price = 100 + (i % 900);
  return {
    event_id: randomUUID(),
    occurred_at: START + Math.floor((i / SALES) * SPAN_MS),
    store_id: `B${i % 50}`,
    terminal_id: 'T1',
    transaction_id: `X${i}`,
    cashier_id: 'C1',
    payment_method: 'CARD',
    currency: 'EUR',
    lines: [
      { line_number: 1, sku: `SKU-${i % 500}`, quantity, unit_price, discount: 0, promotion_id: null },
      { line_number: 2, sku: `SKU-${(i * 7) % 500}`, quantity: 1, unit_price: 250, discount: 25, promotion_id: 'P1' },
    ],
    subtotal: quantity * unit_price + 250,
    discount_total: 25,
    tax_total: 0,
    total: quantity * unit_price + 225,
  };
}

export const archiveBench: Benchmark = {
  name: 'archive',
  description: `${SALES} sales archived as Parquet in MinIO (decode + encode + upload + commit) vs a raw kafkajs consumer; then the replay rate`,
  async run({ config, logger }) {
    const kafka = createKafka(config.kafka, logger, 'bench');
    const admin = kafka.admin();
    await admin.connect();
    const topic = `bench.archive.${Date.now()}`;
    await admin.createTopics({ topics: [{ topic, numPartitions: config.topics.partitions, replicationFactor: 1 }], waitForLeaders: true });
    const catalog = loadCatalog();
    const codec = await EventCodec.create(createSchemaRegistry(config.registry), config.registry, catalog);
    const producer = createProducer(kafka);
    await producer.connect();
    for (let i = 0; i < SALES; i += 10_000) {
      const messages = [];
      for (let j = i; j < Math.min(SALES, i + 10_000); j++) {
        const sale = makeSale(j);
        messages.push({ key: sale.store_id, value: codec.encode('pos.sales', sale) });
      }
      await producer.send({ topic, acks: -1, messages });
    }

    // Baseline: the same client and topic, consuming without work.
    const rawEventsPerS = await rawConsumeRate(kafka, topic, SALES);

    // The archiver, through the streaming runtime, until every record is uploaded and committed.
    const store = await openArchiveStore(config);
    const metrics = createMetrics('bench', { collectDefaults: false });
    const eventsIn = metrics.counter('events_in_total', 'records read by a processor', ['processor', 'topic']);
    const clickhouse = createClickHouse(config.clickhouse); // unused by the archive; the runtime takes one
    const definition = buildArchiveProcessor(config, catalog, store, { 'pos.sales': topic });
    const archiver = await startProcessor(definition, { kafka, codec, clickhouse, logger, metrics }, { ...config.streams, database: config.clickhouse.database, groupId: `${topic}.archive` });
    const readSoFar = async (): Promise<number> => (await eventsIn.get()).values.reduce((s, v) => s + v.value, 0);
    while ((await readSoFar()) === 0) await sleep(5);
    const t0 = performance.now();
    while ((await readSoFar()) < SALES) await sleep(20);
    const readSeconds = (performance.now() - t0) / 1000;
    await archiver.stop(); // closes the open rolls, uploads them and commits
    const archiveSeconds = (performance.now() - t0) / 1000;
    logger.warn({ readSeconds, finalUploadSeconds: archiveSeconds - readSeconds }, 'archive phases');
    const objects = (await store.list(topicPrefix(topic))).filter((o) => o.name.endsWith('.parquet'));
    const bytes = objects.reduce((n, o) => n + o.size, 0);

    // Replay: read the archive back and re-publish to a fresh topic.
    const replayTopic = `${topic}.replay`;
    await admin.createTopics({ topics: [{ topic: replayTopic, numPartitions: config.topics.partitions, replicationFactor: 1 }], waitForLeaders: true });
    const replay = await publishReplay(producer, readArchive(store, { topics: [topic], from: START, to: START + SPAN_MS }), { targets: { [topic]: replayTopic } });
    if (replay.records !== SALES) throw new Error(`replay published ${replay.records} records, archived ${SALES}`);

    await producer.disconnect();
    await store.remove(objects.map((o) => o.name));
    await store.remove((await store.list(topicPrefix(topic))).map((o) => o.name));
    await admin.deleteTopics({ topics: [topic, replayTopic] });
    await admin.disconnect();
    await clickhouse.close();
    const eventsPerS = SALES / archiveSeconds;
    return {
      events: SALES,
      events_per_s: Math.round(eventsPerS),
      raw_events_per_s: Math.round(rawEventsPerS),
      ratio: Number((eventsPerS / rawEventsPerS).toFixed(3)),
      objects: objects.length,
      parquet_bytes_per_event: Number((bytes / SALES).toFixed(1)),
      replay_events_per_s: Math.round(replay.records / replay.seconds),
    };
  },
};
