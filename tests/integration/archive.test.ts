/**
 * The archive end to end: sales and inventory movements produced to stand-in topics, the
 * archiver run as a separate process killed with SIGKILL at random points at least ten times
 * (small rolls, so kills land mid-roll, mid-upload and between upload and commit), then run to
 * completion. The objects in MinIO are then read by two readers that share no code with the
 * writer: DuckDB (files downloaded) and ClickHouse's s3() table function (straight from MinIO).
 * Each must see every produced event exactly once, with the right types and values.
 * Finally a replay of one hour re-publishes exactly that hour's records, byte for byte.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { createKafka, createProducer } from '../../lib/clients/kafka';
import { createObjectStore } from '../../lib/clients/objectstore';
import { createSchemaRegistry } from '../../lib/clients/registry';
import { EventCodec } from '../../lib/events/codec';
import { loadCatalog } from '../../schemas/catalog';
import type { InventoryMovement, SaleCompleted } from '../../schemas/generated/events';
import { Rng } from '../../simulators/pos/random';
import { type CliRun, runCli, startCli } from '../harness/cli';
import { createTestTopic, registerCleanup, testAdmin, testClickHouse, testConfig, testLogger, uniqueName, waitFor } from '../harness/fixtures';

const STORES = 8;
const SALES = 12_000;
const MOVEMENTS = 3_000;
const KILLS = 10;
/** Three UTC hours of events, so objects land in several hour folders. */
const START = Date.UTC(2026, 10, 20, 9, 20, 0);
const SPAN_MS = 3 * 3_600_000;

function generate(seed: number): { sales: SaleCompleted[]; movements: InventoryMovement[] } {
  const rng = new Rng(seed);
  const r = (): number => rng.next();
  const sales: SaleCompleted[] = [];
  for (let i = 0; i < SALES; i++) {
    const lines = Array.from({ length: 1 + Math.floor(r() * 3) }, (_, j) => {
      const quantity = 1 + Math.floor(r() * 4);
      const unit_price = 50 + Math.floor(r() * 2_000);
      return { line_number: j + 1, sku: `SKU-${Math.floor(r() * 50)}`, quantity, unit_price, discount: 0, promotion_id: r() < 0.1 ? 'PROMO-1' : null };
    });
    const subtotal = lines.reduce((s, l) => s + l.quantity * l.unit_price, 0);
    sales.push({
      event_id: randomUUID(),
      occurred_at: START + Math.floor((i / SALES) * SPAN_MS),
      store_id: `ARCH-S${i % STORES}`,
      terminal_id: 'T1',
      transaction_id: `TX${i}`,
      cashier_id: 'C1',
      payment_method: 'CARD',
      currency: 'EUR',
      lines,
      subtotal,
      discount_total: 0,
      tax_total: 0,
      total: subtotal,
    });
  }
  const movements: InventoryMovement[] = [];
  for (let i = 0; i < MOVEMENTS; i++) {
    movements.push({
      event_id: randomUUID(),
      occurred_at: START + Math.floor((i / MOVEMENTS) * SPAN_MS),
      store_id: `ARCH-S${i % STORES}`,
      sku: `SKU-${i % 50}`,
      movement_type: 'RECEIPT',
      quantity_delta: 1 + (i % 24),
      reason: 'supplier delivery',
      reference_id: `PO-${i}`,
      unit_cost: 100 + (i % 7),
    });
  }
  return { sales, movements };
}

describe('archive under SIGKILL, read by DuckDB and ClickHouse', () => {
  it('archives every event exactly once, with types and values intact; replays an hour byte for byte; compaction and retention are idempotent', async () => {
    const seed = Date.now() % 1_000_000;
    const config = testConfig();
    const admin = await testAdmin(config);
    const salesTopic = await createTestTopic(admin, { partitions: 3, prefix: 'arch-sales' });
    const movementsTopic = await createTestTopic(admin, { partitions: 3, prefix: 'arch-moves' });
    const group = uniqueName('test.archive');
    registerCleanup(() => admin.deleteGroups([group]).catch(() => undefined));
    const minio = createObjectStore(config.objectStore);
    const bucket = config.objectStore.bucket;
    registerCleanup(async () => {
      for (const topic of [salesTopic, movementsTopic]) {
        const names: string[] = [];
        for await (const o of minio.listObjectsV2(bucket, `raw/topic=${topic}/`, true)) if ((o as { name?: string }).name) names.push((o as { name: string }).name);
        if (names.length > 0) await minio.removeObjects(bucket, names);
      }
    });

    const codec = await EventCodec.create(createSchemaRegistry(config.registry), config.registry, loadCatalog());
    const { sales, movements } = generate(seed);
    const producer = createProducer(createKafka(config.kafka, testLogger(), 'test'));
    await producer.connect();
    for (let i = 0; i < sales.length; i += 2_000) {
      await producer.send({ topic: salesTopic, acks: -1, messages: sales.slice(i, i + 2_000).map((s) => ({ key: s.store_id, value: codec.encode('pos.sales', s), headers: { origin: 'archive-test' } })) });
    }
    await producer.send({ topic: movementsTopic, acks: -1, messages: movements.map((m) => ({ key: m.store_id, value: codec.encode('inventory.movements', m) })) });
    await producer.disconnect();

    const env = {
      ...process.env,
      // A data folder of its own: the CLI opens embedded ClickHouse, and opening the default
      // folder changes it (background merges), which is where `make demo` keeps its tables.
      SHELFSTREAM_DATA_DIR: mkdtempSync(join(tmpdir(), 'shelfstream-archive-')),
      ARCHIVE_MAX_ROLL_ROWS: '700',
      ARCHIVE_MAX_ROLL_AGE_MS: '400',
      STREAM_FLUSH_INTERVAL_MS: '150',
      STREAM_SESSION_TIMEOUT_MS: '6000',
      SHELFSTREAM_LOG_LEVEL: 'warn',
    };
    const runArchiver = (stopWhenIdle: boolean): CliRun =>
      startCli(['archive', 'run', '--group', group, '--topic', `pos.sales=${salesTopic}`, `inventory.movements=${movementsTopic}`, '--no-metrics', ...(stopWhenIdle ? ['--stop-when-idle', '3000'] : [])], { env });

    const rng = new Rng(seed + 1);
    let kills = 0;
    while (kills < KILLS) {
      const { child, exited } = runArchiver(false);
      await new Promise((resolve) => setTimeout(resolve, 1_000 + Math.floor(rng.next() * 2_500)));
      if (child.exitCode === null) {
        child.kill('SIGKILL');
        kills++;
      }
      await exited;
    }
    expect(kills).toBeGreaterThanOrEqual(KILLS);
    expect(await runArchiver(true).exited).toBe(0);

    // Reader 1: DuckDB over the objects downloaded as they are (Hive folders included).
    const dir = mkdtempSync(join(tmpdir(), 'shelfstream-archive-'));
    for (const topic of [salesTopic, movementsTopic]) {
      for await (const o of minio.listObjectsV2(bucket, `raw/topic=${topic}/`, true)) {
        const name = (o as { name?: string }).name;
        if (!name?.endsWith('.parquet')) continue;
        mkdirSync(dirname(join(dir, name)), { recursive: true });
        const chunks: Buffer[] = [];
        for await (const chunk of await minio.getObject(bucket, name)) chunks.push(chunk as Buffer);
        writeFileSync(join(dir, name), Buffer.concat(chunks));
      }
    }
    const duck = await (await DuckDBInstance.create(':memory:')).connect();
    const duckRows = async (sql: string): Promise<Record<string, unknown>[]> => (await duck.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
    const salesGlob = `read_parquet('${dir}/raw/topic=${salesTopic}/*/*/*.parquet', hive_partitioning = true)`;
    const movesGlob = `read_parquet('${dir}/raw/topic=${movementsTopic}/*/*/*.parquet', hive_partitioning = true)`;

    const [duckCounts] = await duckRows(`SELECT count(*) AS n, count(DISTINCT (partition, "offset")) AS distinct_offsets, count(DISTINCT event_id) AS events FROM ${salesGlob}`);
    expect(Object.fromEntries(Object.entries(duckCounts!).map(([k, v]) => [k, Number(v)]))).toEqual({ n: SALES, distinct_offsets: SALES, events: SALES });
    const duckEvents = new Set((await duckRows(`SELECT event_id FROM ${salesGlob}`)).map((r) => String(r.event_id)));
    expect(sales.every((s) => duckEvents.has(s.event_id))).toBe(true);
    const duckTypes = Object.fromEntries((await duckRows(`DESCRIBE SELECT occurred_at, lines, total, kafka_timestamp FROM ${salesGlob}`)).map((r) => [r.column_name, r.column_type]));
    expect(duckTypes.occurred_at).toBe('TIMESTAMP WITH TIME ZONE');
    expect(duckTypes.kafka_timestamp).toBe('TIMESTAMP WITH TIME ZONE');
    expect(duckTypes.total).toBe('BIGINT');
    expect(String(duckTypes.lines)).toMatch(/^STRUCT\(.*sku VARCHAR.*quantity INTEGER.*unit_price BIGINT.*\)\[\]$/);
    // Values against the produced events: units and revenue per store, and the hour folders.
    const expectedUnits = new Map<string, number>();
    for (const s of sales) expectedUnits.set(s.store_id, (expectedUnits.get(s.store_id) ?? 0) + s.lines.reduce((n, l) => n + l.quantity, 0));
    const duckUnits = await duckRows(`SELECT store_id, sum(l.quantity)::BIGINT AS units FROM (SELECT store_id, unnest(lines) AS l FROM ${salesGlob}) GROUP BY store_id`);
    expect(new Map(duckUnits.map((r) => [String(r.store_id), Number(r.units)]))).toEqual(expectedUnits);
    const misplaced = await duckRows(`SELECT count(*) AS n FROM ${salesGlob} WHERE strftime(occurred_at AT TIME ZONE 'UTC', '%Y-%m-%d') <> dt::VARCHAR OR hour::INTEGER <> hour(occurred_at AT TIME ZONE 'UTC')`);
    expect(Number(misplaced[0]!.n)).toBe(0);
    const [duckMoves] = await duckRows(`SELECT count(*) AS n, sum(quantity_delta)::BIGINT AS units FROM ${movesGlob}`);
    expect({ n: Number(duckMoves!.n), units: Number(duckMoves!.units) }).toEqual({ n: MOVEMENTS, units: movements.reduce((n, m) => n + m.quantity_delta, 0) });

    // Reader 2: ClickHouse's s3() table function, reading MinIO directly.
    const { client: ch } = await testClickHouse();
    const s3 = (topic: string): string =>
      `s3('${config.objectStore.url}/${bucket}/raw/topic=${topic}/**/*.parquet', '${config.objectStore.accessKey}', '${config.objectStore.secretKey}', 'Parquet')`;
    const chRows = async <T>(sql: string): Promise<T[]> => (await ch.query({ query: sql, format: 'JSONEachRow' })).json<T>();
    const [chCounts] = await chRows<{ n: string; offsets: string; events: string; units: string }>(
      `SELECT count() AS n, uniqExact(partition, offset) AS offsets, uniqExact(event_id) AS events, sum(arraySum(x -> x.quantity, lines)) AS units FROM ${s3(salesTopic)}`,
    );
    expect(Number(chCounts!.n)).toBe(SALES);
    expect(Number(chCounts!.offsets)).toBe(SALES);
    expect(Number(chCounts!.events)).toBe(SALES);
    expect(Number(chCounts!.units)).toBe([...expectedUnits.values()].reduce((a, b) => a + b, 0));
    const chTypes = Object.fromEntries((await chRows<{ name: string; type: string }>(`DESCRIBE TABLE ${s3(salesTopic)}`)).map((r) => [r.name, r.type]));
    expect(chTypes.occurred_at).toMatch(/DateTime64\(3, 'UTC'\)/);
    expect(chTypes.total).toMatch(/Int64/);
    expect(chTypes.lines).toMatch(/^Array\(Tuple\(/);
    const [chMoves] = await chRows<{ n: string }>(`SELECT count() AS n FROM ${s3(movementsTopic)}`);
    expect(Number(chMoves!.n)).toBe(MOVEMENTS);

    // Replay one hour of sales to a fresh topic: exactly that hour's records, bytes unchanged.
    const replayTopic = `replay.${salesTopic}`;
    await admin.createTopics({ topics: [{ topic: replayTopic, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true });
    registerCleanup(() => admin.deleteTopics({ topics: [replayTopic] }));
    const from = START + 3_600_000 - 20 * 60_000; // 10:00 UTC
    const to = from + 3_600_000;
    await runCli(['replay', 'publish', '--from', new Date(from).toISOString(), '--to', new Date(to).toISOString(), '--topic', salesTopic, '--to-topic-prefix', 'replay.'], { env });
    const expectedBytes = new Map(sales.filter((s) => s.occurred_at >= from && s.occurred_at < to).map((s) => [s.event_id, codec.encode('pos.sales', s)]));
    const consumer = createKafka(config.kafka, testLogger(), 'test').consumer({ groupId: uniqueName('test.replay-read') });
    await consumer.connect();
    await consumer.subscribe({ topic: replayTopic, fromBeginning: true });
    const seen = new Map<string, { value: Buffer; origin: string | undefined; replayOf: string | undefined }>();
    await consumer.run({
      eachMessage: async ({ message }) => {
        const decoded = await codec.decode<SaleCompleted>(message.value);
        seen.set(decoded.value.event_id, { value: message.value!, origin: message.headers?.origin?.toString(), replayOf: message.headers?.['x-shelfstream-replay-of']?.toString() });
      },
    });
    registerCleanup(() => consumer.disconnect());
    await waitFor(() => seen.size >= expectedBytes.size, { timeoutMs: 30_000, what: `${expectedBytes.size} replayed sales` });
    expect(seen.size).toBe(expectedBytes.size);
    for (const [eventId, bytes] of expectedBytes) {
      const got = seen.get(eventId);
      expect(got && Buffer.compare(got.value, bytes)).toBe(0);
      expect(got!.origin).toBe('archive-test');
      expect(got!.replayOf).toMatch(new RegExp(`^${salesTopic}/\\d+/\\d+$`));
    }

    // Housekeeping: compaction leaves one object per partition-hour and the same records;
    // a second run changes nothing. Retention then deletes the (old) days, idempotently.
    const cli = (...args: string[]): Promise<string> => runCli(args, { env });
    const objectsPerPartitionHour = async (): Promise<Map<string, number>> => {
      const counts = new Map<string, number>();
      for (const topic of [salesTopic, movementsTopic]) {
        for await (const o of minio.listObjectsV2(bucket, `raw/topic=${topic}/`, true)) {
          const m = /^(.*\/hour=\d{2})\/part-p(\d+)-/.exec((o as { name?: string }).name ?? '');
          if (m) counts.set(`${m[1]}#${m[2]}`, (counts.get(`${m[1]}#${m[2]}`) ?? 0) + 1);
        }
      }
      return counts;
    };
    const before = await objectsPerPartitionHour();
    expect([...before.values()].some((n) => n > 1)).toBe(true); // small rolls: something to merge
    await cli('archive', 'compact', '--topic', salesTopic, movementsTopic, '--older-than-hours', '0');
    const after = await objectsPerPartitionHour();
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    expect([...after.values()].every((n) => n === 1)).toBe(true);
    const [compacted] = await chRows<{ n: string; offsets: string }>(`SELECT count() AS n, uniqExact(partition, offset) AS offsets FROM ${s3(salesTopic)}`);
    expect([Number(compacted!.n), Number(compacted!.offsets)]).toEqual([SALES, SALES]);
    expect(await cli('archive', 'compact', '--topic', salesTopic, movementsTopic, '--older-than-hours', '0')).toMatch(/rows rewritten\)|0 rows/);
    expect(await objectsPerPartitionHour()).toEqual(after);

    expect(await cli('archive', 'retention', '--days', '1', '--topic', salesTopic, movementsTopic)).toMatch(/deleted [1-9]\d* objects/);
    expect((await objectsPerPartitionHour()).size).toBe(0);
    expect(await cli('archive', 'retention', '--days', '1', '--topic', salesTopic, movementsTopic)).toMatch(/deleted 0 objects/);
  }, 300_000);
});
