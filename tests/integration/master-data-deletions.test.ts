/**
 * Master-data deletions (issue 12 item 4), end to end on stand-in topics: a store and a product
 * are published, sales for them, then tombstones for both. `shelfstream stream warehouse
 * archive` must leave the tombstones in the Parquet archive (null value, same key, under their
 * Kafka timestamp), mark both dimension rows deleted, drop them from the current lists
 * (bi_dim_store, bi_dim_product) and keep the sales with the store's region. Then a replay from
 * the archive into fresh stand-in topics republishes every record byte for byte, the
 * tombstones as tombstones, and a rebuild of the warehouse into a fresh database from the
 * archive alone leaves both deleted. Expected values are the records and sales written here.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { KafkaMessage } from 'kafkajs';
import { migrate } from '../../clickhouse/migrate';
import { createClickHouse } from '../../lib/clients/clickhouse';
import { createKafka, createProducer } from '../../lib/clients/kafka';
import { createSchemaRegistry } from '../../lib/clients/registry';
import { EventCodec } from '../../lib/events/codec';
import { loadCatalog } from '../../schemas/catalog';
import type { Product, SaleCompleted, Store } from '../../schemas/generated/events';
import { openArchiveStore } from '../../streams/archive';
import { topicPrefix } from '../../streams/archive/layout';
import { readArchive } from '../../streams/archive/replay';
import { WAREHOUSE_INPUTS } from '../../streams/warehouse/warehouse';
import { startCli } from '../harness/cli';
import { createTestTopic, registerCleanup, testAdmin, testConfig, testLogger, uniqueName, waitFor } from '../harness/fixtures';

const MINUTE = 60_000;

describe('master-data deletions (tombstones)', () => {
  it('archives them, marks the dimensions deleted, keeps history, and replays them byte for byte into a database that leaves them deleted', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'shelfstream-deletions-'));
    const liveDb = uniqueName('shelfstream_deletions', '_');
    const rebuiltDb = uniqueName('shelfstream_deletions_rebuilt', '_');
    const config = testConfig({ SHELFSTREAM_DATA_DIR: dataDir });
    if (config.clickhouse.mode !== 'embedded') throw new Error('this test hands an embedded ClickHouse folder to the CLI');
    const chConfig = { ...config.clickhouse, dataDir: join(dataDir, 'clickhouse') };
    const env = { ...process.env, SHELFSTREAM_DATA_DIR: dataDir, STREAM_FLUSH_INTERVAL_MS: '300', STREAM_SESSION_TIMEOUT_MS: '6000', SHELFSTREAM_LOG_LEVEL: 'warn' };
    const setup = createClickHouse(chConfig);
    for (const database of [liveDb, rebuiltDb]) await migrate(setup, database);
    await setup.close();

    // An hour ago: within the topics' retention, and no sale is in the future.
    const t0 = Math.floor((Date.now() - 60 * MINUTE) / MINUTE) * MINUTE;
    const deletedAt = t0 + 30 * MINUTE;
    const storeId = uniqueName('DEL', '_').toUpperCase();
    const sku = `${storeId}-SKU`;
    const keep = `${storeId}-KEEP`;
    const store = (id: string, region: string): Store => ({ store_id: id, name: `Store ${id}`, region, time_zone: 'Europe/Paris', opening_hours: [], size_class: 'SMALL', currency: 'EUR', opened_on: 20_000, vat_rate: 0.2, holiday_calendar: null, updated_at: t0 });
    const product: Product = { sku, name: 'Oat milk 1l', category: 'DAIRY', brand: 'Oatly', unit_cost: 90, price: 199, currency: 'EUR', perishable: true, shelf_life_days: 10, updated_at: t0 };
    const sale = (at: number, quantity: number): SaleCompleted => {
      const lines = [{ line_number: 1, sku, quantity, unit_price: 199, discount: 0, promotion_id: null }];
      return { event_id: randomUUID(), occurred_at: at, store_id: storeId, terminal_id: 'T1', transaction_id: randomUUID(), cashier_id: 'C1', payment_method: 'CARD', currency: 'EUR', lines, subtotal: quantity * 199, discount_total: 0, tax_total: 0, total: quantity * 199 };
    };
    const sales = [sale(t0 + 5 * MINUTE, 2), sale(t0 + 10 * MINUTE, 3)];
    const expectedUnits = 5; // 2 + 3, the sales above
    const expectedRevenue = 5 * 199;

    const admin = await testAdmin(config);
    const standIns: Record<string, string> = {};
    for (const t of WAREHOUSE_INPUTS) standIns[t] = await createTestTopic(admin, { prefix: `deletions-${t.replace('.', '-')}` });
    const archive = await openArchiveStore(config);
    for (const t of ['md.stores', 'md.products', 'pos.sales']) registerCleanup(async () => archive.remove((await archive.list(topicPrefix(standIns[t]!))).map((o) => o.name)));
    const group = uniqueName('test.deletions');
    registerCleanup(() => admin.deleteGroups([group]).catch(() => undefined));
    const codec = await EventCodec.create(createSchemaRegistry(config.registry), config.registry, loadCatalog());
    const producer = createProducer(createKafka(config.kafka, testLogger(), 'test'));
    await producer.connect();
    registerCleanup(() => producer.disconnect());
    const ts = (ms: number): string => String(ms);
    const storeMessages = [
      { key: Buffer.from(storeId), value: Buffer.from(codec.encode('md.stores', store(storeId, 'WEST'))), timestamp: ts(t0) },
      { key: Buffer.from(keep), value: Buffer.from(codec.encode('md.stores', store(keep, 'EAST'))), timestamp: ts(t0) },
      { key: Buffer.from(storeId), value: null, timestamp: ts(deletedAt), headers: { reason: Buffer.from('closed') } },
    ];
    const productMessages = [
      { key: Buffer.from(sku), value: Buffer.from(codec.encode('md.products', product)), timestamp: ts(t0) },
      { key: Buffer.from(sku), value: null, timestamp: ts(deletedAt) },
    ];
    await producer.send({ topic: standIns['md.stores']!, acks: -1, messages: storeMessages });
    await producer.send({ topic: standIns['md.products']!, acks: -1, messages: productMessages });
    await producer.send({ topic: standIns['pos.sales']!, acks: -1, messages: sales.map((s) => ({ key: storeId, value: Buffer.from(codec.encode('pos.sales', s)), timestamp: ts(s.occurred_at) })) });
    const topicFlags = WAREHOUSE_INPUTS.flatMap((t) => ['--topic', `${t}=${standIns[t]}`]);

    expect(await startCli(['stream', 'warehouse', 'archive', '--group', group, '--no-metrics', '--stop-when-idle', '3000', ...topicFlags], { env: { ...env, CLICKHOUSE_DATABASE: liveDb } }).exited).toBe(0);

    // The archive holds each tombstone: its key, a null value, filed under its Kafka timestamp.
    const range = { from: t0 - 60 * MINUTE, to: t0 + 120 * MINUTE };
    const archived = [];
    for await (const batch of readArchive(archive, { topics: [standIns['md.stores']!, standIns['md.products']!], ...range })) archived.push(...batch);
    const hex = (b: Buffer | null | undefined): string | null => (b ? b.toString('hex') : null);
    const asPublished = (m: { key: Buffer; value: Buffer | null; timestamp: string }): unknown => ({ key: m.key.toString(), value: hex(m.value), time: Number(m.timestamp) });
    expect(archived.map((r) => ({ key: r.key?.toString(), value: hex(r.value), time: r.kafkaTimestamp })).sort(byJson)).toEqual([...storeMessages, ...productMessages].map(asPublished).sort(byJson));
    expect(archived.filter((r) => r.value === null).map((r) => r.eventTime)).toEqual([deletedAt, deletedAt]);

    const client = createClickHouse(chConfig);
    try {
      const query = async <T>(sql: string): Promise<T[]> => (await client.query({ query: sql, format: 'JSONEachRow', query_params: { store: storeId, keep, sku } })).json<T>();
      const deletions = async (db: string): Promise<unknown[]> => [
        ...(await query(`SELECT store_id AS id, region AS attribute, is_deleted, deleted_at FROM ${db}.dim_store FINAL WHERE store_id IN ({store:String}, {keep:String}) ORDER BY id`)),
        ...(await query(`SELECT sku AS id, category AS attribute, is_deleted, deleted_at FROM ${db}.dim_product FINAL WHERE sku = {sku:String}`)),
      ];
      const deletedAtText = new Date(deletedAt).toISOString().replace('T', ' ').replace('Z', '');
      const expectedDims = [
        { id: storeId, attribute: 'WEST', is_deleted: 1, deleted_at: deletedAtText },
        { id: keep, attribute: 'EAST', is_deleted: 0, deleted_at: null },
        { id: sku, attribute: 'DAIRY', is_deleted: 1, deleted_at: deletedAtText },
      ];
      expect(await deletions(liveDb)).toEqual(expectedDims);
      // The current lists leave the deleted store and product out; the store that exists stays.
      expect(await query(`SELECT store_id FROM ${liveDb}.bi_dim_store WHERE store_id IN ({store:String}, {keep:String})`)).toEqual([{ store_id: keep }]);
      expect(await query(`SELECT sku FROM ${liveDb}.bi_dim_product WHERE sku = {sku:String}`)).toEqual([]);
      // History keeps the sales and the deleted store's region in totals.
      expect(await query(`SELECT s.region AS region, sum(f.units_sold) AS units, sum(f.net_sales_minor) AS revenue FROM ${liveDb}.bi_sales AS f INNER JOIN ${liveDb}.bi_dim_store_history AS s ON s.store_id = f.store_id WHERE f.store_id = {store:String} GROUP BY region`)).toEqual([
        { region: 'WEST', units: expectedUnits, revenue: expectedRevenue },
      ]);
      expect(await query(`SELECT p.category AS category, p.is_deleted AS is_deleted FROM ${liveDb}.bi_dim_product_history AS p WHERE p.sku = {sku:String}`)).toEqual([{ category: 'DAIRY', is_deleted: true }]);

      // A replay from the archive into fresh stand-in topics: every record byte for byte, tombstones as tombstones.
      const prefix = `${uniqueName('fresh')}.`;
      for (const t of ['md.stores', 'md.products']) await admin.createTopics({ topics: [{ topic: `${prefix}${standIns[t]}`, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
      registerCleanup(() => admin.deleteTopics({ topics: ['md.stores', 'md.products'].map((t) => `${prefix}${standIns[t]}`) }));
      const iso = (ms: number): string => new Date(ms).toISOString();
      const replayArgs = ['replay', 'publish', '--from', iso(range.from), '--to', iso(range.to), '--topic', standIns['md.stores']!, standIns['md.products']!, '--to-topic-prefix', prefix];
      expect(await startCli(replayArgs, { env: { ...env, CLICKHOUSE_DATABASE: liveDb } }).exited).toBe(0);
      const republished = [...(await readAll(config, `${prefix}${standIns['md.stores']}`, 3)), ...(await readAll(config, `${prefix}${standIns['md.products']}`, 2))];
      expect(republished.map((m) => ({ key: m.key!.toString(), value: hex(m.value), time: Number(m.timestamp) }))).toEqual([...storeMessages, ...productMessages].map(asPublished));
      expect(republished.filter((m) => m.value === null).map((m) => m.key!.toString())).toEqual([storeId, sku]);
      expect(String(republished[2]!.headers?.['reason'])).toBe('closed');
    } finally {
      await client.close();
    }

    // The warehouse rebuilt from the archive alone into a fresh database: both stay deleted.
    const rebuildArgs = ['replay', 'rebuild', 'warehouse', '--from', new Date(range.from).toISOString(), '--to', new Date(range.to).toISOString(), ...topicFlags];
    expect(await startCli(rebuildArgs, { env: { ...env, CLICKHOUSE_DATABASE: rebuiltDb } }).exited).toBe(0);
    const reopened = createClickHouse(chConfig);
    try {
      const rows = async (sql: string): Promise<unknown[]> => (await reopened.query({ query: sql, format: 'JSONEachRow', query_params: { store: storeId, keep, sku } })).json();
      expect(await rows(`SELECT store_id AS id, region AS attribute, is_deleted FROM ${rebuiltDb}.dim_store FINAL WHERE store_id IN ({store:String}, {keep:String}) ORDER BY id`)).toEqual([
        { id: storeId, attribute: 'WEST', is_deleted: 1 },
        { id: keep, attribute: 'EAST', is_deleted: 0 },
      ]);
      expect(await rows(`SELECT sku, is_deleted FROM ${rebuiltDb}.dim_product FINAL WHERE sku = {sku:String}`)).toEqual([{ sku, is_deleted: 1 }]);
      expect(await rows(`SELECT store_id FROM ${rebuiltDb}.bi_dim_store WHERE store_id IN ({store:String}, {keep:String})`)).toEqual([{ store_id: keep }]);
    } finally {
      await reopened.close();
    }
  });
});

function byJson(a: unknown, b: unknown): number {
  return JSON.stringify(a).localeCompare(JSON.stringify(b));
}

async function readAll(config: ReturnType<typeof testConfig>, topic: string, count: number): Promise<KafkaMessage[]> {
  const consumer = createKafka(config.kafka, testLogger(), 'test').consumer({ groupId: uniqueName('read') });
  await consumer.connect();
  registerCleanup(() => consumer.disconnect());
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen: KafkaMessage[] = [];
  await consumer.run({ eachMessage: async ({ message }) => void seen.push(message) });
  return waitFor(() => seen.length >= count && seen, { what: `${count} records on ${topic}`, timeoutMs: 30_000 });
}
