/**
 * The runtime's record paths against real Kafka and ClickHouse: the warehouse writes facts and
 * dimensions exactly (a replay under a new group changes nothing), undecodable and
 * contract-violating records go to the dead-letter topic with the reason in headers, and
 * velocity counts events within the allowed lateness while later ones are sidelined and counted,
 * and judges only the fields it reads (a wrong total is counted, a zero quantity dead-lettered).
 * The archive, which reads the bytes itself, keeps a contract-breaking record as published and
 * dead-letters only bytes that are not a record.
 */
import { randomUUID } from 'node:crypto';
import type { KafkaMessage } from 'kafkajs';
import { migrate } from '../../clickhouse/migrate';
import { createKafka, createProducer } from '../../lib/clients/kafka';
import { createSchemaRegistry } from '../../lib/clients/registry';
import { EventCodec } from '../../lib/events/codec';
import { createMetrics } from '../../lib/metrics';
import { loadCatalog } from '../../schemas/catalog';
import type { SaleCompleted } from '../../schemas/generated/events';
import { velocityProcessor } from '../../streams/velocity/velocity';
import { WAREHOUSE_INPUTS, warehouseProcessor } from '../../streams/warehouse/warehouse';
import { buildArchiveProcessor, openArchiveStore } from '../../streams/archive';
import { topicPrefix } from '../../streams/archive/layout';
import { readArchive } from '../../streams/archive/replay';
import { createTestTopic, registerCleanup, testAdmin, testClickHouse, testConfig, testLogger, uniqueName, waitFor } from '../harness/fixtures';
import { runInProcess } from '../harness/processor-run';

const config = testConfig();
const T0 = Date.UTC(2026, 10, 20, 9, 0, 0);

function sale(at: number, store: string, lines: [string, number, number][]): SaleCompleted {
  const ls = lines.map(([sku, quantity, unit_price], i) => ({ line_number: i + 1, sku, quantity, unit_price, discount: 0, promotion_id: null }));
  const subtotal = ls.reduce((s, l) => s + l.quantity * l.unit_price, 0);
  return { event_id: randomUUID(), occurred_at: at, store_id: store, terminal_id: 'T1', transaction_id: randomUUID(), cashier_id: 'C1', payment_method: 'CASH', currency: 'EUR', lines: ls, subtotal, discount_total: 0, tax_total: 0, total: subtotal };
}

async function readAll(topic: string, count: number): Promise<KafkaMessage[]> {
  const consumer = createKafka(config.kafka, testLogger(), 'test').consumer({ groupId: uniqueName('read') });
  await consumer.connect();
  registerCleanup(() => consumer.disconnect());
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen: KafkaMessage[] = [];
  await consumer.run({ eachMessage: async ({ message }) => void seen.push(message) });
  return waitFor(() => seen.length >= count && seen, { what: `${count} records on ${topic}`, timeoutMs: 30_000 });
}

describe('stream runtime', () => {
  let codec: EventCodec;
  beforeAll(async () => {
    codec = await EventCodec.create(createSchemaRegistry(config.registry), config.registry, loadCatalog());
  });

  it('warehouse: exact facts and dimensions, bad records dead-lettered with the reason, replay changes nothing', async () => {
    const { client, database } = await testClickHouse(config);
    await migrate(client, database);
    const admin = await testAdmin(config);
    const topics = Object.fromEntries(await Promise.all(WAREHOUSE_INPUTS.map(async (t) => [t, await createTestTopic(admin, { partitions: 3, prefix: `wh-${t.replace('.', '-')}` })] as const)));
    const deadLetterTopic = await createTestTopic(admin, { prefix: 'wh-dlq' });
    const producer = createProducer(createKafka(config.kafka, testLogger(), 'test'));
    await producer.connect();
    registerCleanup(() => producer.disconnect());

    const sales = Array.from({ length: 300 }, (_, i) => sale(T0 + i * 1_000, `WH${i % 4}`, [['A', 1 + (i % 3), 250], ['B', 2, 99]]));
    const broken = { ...sale(T0, 'WH0', [['A', 1, 100]]), total: 5 }; // Avro-valid, breaks the contract
    await producer.send({
      topic: topics['pos.sales']!,
      acks: -1,
      messages: [
        ...sales.map((s) => ({ key: s.store_id, value: codec.encode('pos.sales', s) })),
        { key: 'WH0', value: codec.encode('pos.sales', broken) },
        { key: 'WH1', value: Buffer.from('not avro at all') },
      ],
    });
    await producer.send({
      topic: topics['md.stores']!,
      acks: -1,
      messages: [
        { key: 'WH0', value: codec.encode('md.stores', { store_id: 'WH0', name: 'Old', region: 'North', time_zone: 'Europe/Paris', opening_hours: [], size_class: 'SMALL', currency: 'EUR', opened_on: 19_000, updated_at: T0 }) },
        { key: 'WH0', value: codec.encode('md.stores', { store_id: 'WH0', name: 'New', region: 'North', time_zone: 'Europe/Paris', opening_hours: [], size_class: 'SMALL', currency: 'EUR', opened_on: 19_000, updated_at: T0 + 1 }) },
      ],
    });
    await producer.send({
      topic: topics['inventory.counts']!,
      acks: -1,
      messages: [{ key: 'WH0', value: codec.encode('inventory.counts', { event_id: randomUUID(), occurred_at: T0, store_id: 'WH0', sku: 'A', on_hand: 42, counted_by: 'E1' }) }],
    });

    const run = (groupId: string): Promise<void> => runInProcess(warehouseProcessor({ topics }), { config, codec, clickhouse: client, database, deadLetterTopic, groupId });
    const totals = async () =>
      (
        await (
          await client.query({
            query: `SELECT count() AS lines, sum(quantity) AS units, sum(net_amount) AS amount FROM ${database}.fact_sale_lines FINAL`,
            format: 'JSONEachRow',
          })
        ).json<{ lines: string; units: string; amount: string }>()
      ).map((r) => ({ lines: Number(r.lines), units: Number(r.units), amount: Number(r.amount) }))[0];

    await run(uniqueName('test.warehouse'));
    const expected = {
      lines: sales.length * 2,
      units: sales.reduce((s, x) => s + x.lines.reduce((u, l) => u + l.quantity, 0), 0),
      amount: sales.reduce((s, x) => s + x.total, 0),
    };
    expect(await totals()).toEqual(expected);
    const store = await (await client.query({ query: `SELECT name FROM ${database}.dim_store FINAL WHERE store_id = 'WH0'`, format: 'JSONEachRow' })).json();
    expect(store).toEqual([{ name: 'New' }]);
    const counted = await (await client.query({ query: `SELECT counted_on_hand FROM ${database}.fact_inventory_movements FINAL`, format: 'JSONEachRow' })).json();
    expect(counted).toEqual([{ counted_on_hand: 42 }]);

    const dead = await readAll(deadLetterTopic, 2);
    const byCode = Object.fromEntries(dead.map((m) => [m.headers?.['x-shelfstream-error-code']?.toString(), m]));
    expect(Object.keys(byCode).sort()).toEqual(['CONTRACT_VIOLATION', 'DECODE_FAILED']);
    expect(byCode.CONTRACT_VIOLATION!.headers?.['x-shelfstream-reason']?.toString()).toContain('total: must equal subtotal - discount_total (100), got 5');
    expect(byCode.DECODE_FAILED!.value?.toString()).toBe('not avro at all'); // byte for byte
    expect(byCode.DECODE_FAILED!.headers?.['x-shelfstream-source-topic']?.toString()).toBe(topics['pos.sales']);

    // A second group reads everything again into the same tables: nothing is counted twice.
    await run(uniqueName('test.warehouse-replay'));
    expect(await totals()).toEqual(expected);
  });

  it('velocity: counts events within the allowed lateness, sidelines and counts later ones, judges only the fields it reads', async () => {
    const { client, database } = await testClickHouse(config);
    await migrate(client, database);
    const admin = await testAdmin(config);
    const topic = await createTestTopic(admin, { prefix: 'late-sales' });
    const deadLetterTopic = await createTestTopic(admin, { prefix: 'late-dlq' });
    const producer = createProducer(createKafka(config.kafka, testLogger(), 'test'));
    await producer.connect();
    registerCleanup(() => producer.disconnect());
    // Out-of-order bound 5 s, lateness 30 s: minute 09:00 closes when the watermark reaches
    // 09:01:30, i.e. after an event at 09:01:35.
    const events = [
      sale(T0 + 10_000, 'L1', [['A', 1, 100]]),
      sale(T0 + 95_000, 'L1', [['A', 2, 100]]), // 09:01:35 closes 09:00 for anything after it
      sale(T0 + 20_000, 'L1', [['A', 4, 100]]), // too late for 09:00
      sale(T0 + 70_000, 'L1', [['A', 8, 100]]), // 09:01: still open (closes at 09:02:30)
      // Velocity judges only what it reads: a wrong total is not its concern, a zero quantity is.
      { ...sale(T0 + 75_000, 'L1', [['A', 16, 100]]), total: 5 },
      sale(T0 + 80_000, 'L1', [['A', 0, 100]]),
    ];
    await producer.send({ topic, acks: -1, messages: events.map((s) => ({ key: 'L1', value: codec.encode('pos.sales', s) })) });
    const metrics = createMetrics('test', { collectDefaults: false });
    await runInProcess(velocityProcessor({ maxOutOfOrderMs: 5_000, allowedLatenessMs: 30_000, salesTopic: topic }), { config, codec, clickhouse: client, database, deadLetterTopic, metrics });

    const rows = await (await client.query({ query: `SELECT formatDateTime(window_start, '%H:%i') AS minute, units FROM ${database}.sales_velocity_1m FINAL ORDER BY minute`, format: 'JSONEachRow' })).json<{ minute: string; units: string }>();
    expect(rows.map((r) => [r.minute, Number(r.units)])).toEqual([
      ['09:00', 1],
      ['09:01', 2 + 8 + 16],
    ]);
    const late = (await metrics.registry.getSingleMetric('shelfstream_late_events_total')!.get()).values.reduce((s, v) => s + v.value, 0);
    expect(late).toBe(1);
    const dead = await readAll(deadLetterTopic, 2);
    const byCode = Object.fromEntries(dead.map((m) => [m.headers?.['x-shelfstream-error-code']?.toString(), m]));
    expect(Object.keys(byCode).sort()).toEqual(['CONTRACT_VIOLATION', 'LATE_EVENT']);
    expect(byCode.CONTRACT_VIOLATION!.headers?.['x-shelfstream-reason']?.toString()).toBe('lines[0].quantity: must be between 1 and 10000, got 0');
  });

  it('archive: keeps a contract-breaking record as published, dead-letters bytes that are not a record (DECODE_FAILED)', async () => {
    const admin = await testAdmin(config);
    const topic = await createTestTopic(admin, { partitions: 2, prefix: 'archive-sales' });
    const deadLetterTopic = await createTestTopic(admin, { prefix: 'archive-dlq' });
    const producer = createProducer(createKafka(config.kafka, testLogger(), 'test'));
    await producer.connect();
    registerCleanup(() => producer.disconnect());
    const store = await openArchiveStore(config);
    registerCleanup(async () => store.remove((await store.list(topicPrefix(topic))).map((o) => o.name)));

    const sales = Array.from({ length: 20 }, (_, i) => sale(T0 + i * 1_000, `AR${i % 2}`, [['A', 1 + i, 100]]));
    const broken = { ...sale(T0 + 30_000, 'AR0', [['A', 1, 100]]), total: 5 }; // breaks the contract, not Avro
    const framed = codec.encode('pos.sales', sale(T0 + 31_000, 'AR0', [['A', 1, 100]]));
    const truncated = Buffer.from(framed.subarray(0, framed.length - 6)); // the registry's schema id, a body cut short
    const published = [...sales, broken].map((s) => ({ key: s.store_id, value: Buffer.from(codec.encode('pos.sales', s)) }));
    await producer.send({
      topic,
      acks: -1,
      messages: [
        ...published,
        { key: 'AR0', value: truncated },
        { key: 'AR1', value: Buffer.from('not avro at all') },
      ],
    });
    await runInProcess(buildArchiveProcessor(config, loadCatalog(), store, { 'pos.sales': topic }, 0), { config, codec, clickhouse: (await testClickHouse(config)).client, database: 'default', deadLetterTopic });

    const archived = [];
    for await (const batch of readArchive(store, { topics: [topic], from: T0, to: T0 + 3_600_000 })) archived.push(...batch);
    // Every record as published, byte for byte, the contract-breaking one (total 5) included.
    expect(archived.map((r) => r.value?.toString('hex')).sort()).toEqual(published.map((m) => m.value.toString('hex')).sort());
    const dead = await readAll(deadLetterTopic, 2);
    expect(dead.map((m) => m.headers?.['x-shelfstream-error-code']?.toString())).toEqual(['DECODE_FAILED', 'DECODE_FAILED']);
    expect(dead.map((m) => m.value!.toString('hex')).sort()).toEqual([truncated.toString('hex'), Buffer.from('not avro at all').toString('hex')].sort());
    expect(dead.map((m) => m.headers?.['x-shelfstream-reason']?.toString()).join(' | ')).toMatch(/truncated|ends before/);
  });
});
