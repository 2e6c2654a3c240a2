/**
 * MinIO stopped for 60 s while the archive runs and sales and inventory movements keep coming:
 * the archive pauses (its process stays up, its group commits nothing it has not uploaded),
 * catches up once MinIO is back, and every record is archived exactly once: the Parquet objects,
 * downloaded and read by DuckDB (which shares no code with the writer), hold each produced
 * event_id once and each (partition, offset) once.
 *
 * The MinIO is this file's own (the native launcher, free ports, a /tmp folder): the harness's
 * MinIO is shared and is never stopped. Kafka and the registry are the harness's.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Admin } from 'kafkajs';
import { createKafka, createProducer } from '../../../lib/clients/kafka';
import { createObjectStore } from '../../../lib/clients/objectstore';
import { createSchemaRegistry } from '../../../lib/clients/registry';
import { EventCodec } from '../../../lib/events/codec';
import { loadCatalog } from '../../../schemas/catalog';
import type { InventoryMovement, SaleCompleted } from '../../../schemas/generated/events';
import { startCli, type CliRun } from '../../harness/cli';
import { describeFault } from '../../harness/fault-tier';
import { createTestTopic, registerCleanup, testAdmin, testConfig, testLogger, uniqueName, waitFor } from '../../harness/fixtures';
import { startOwnMinio } from '../../harness/own-services';

const OUTAGE_MS = 60_000;
const STORES = 6;
/** Events produced per wave, and the wall-clock pause between waves (pacing, not synchronisation). */
const SALES_PER_WAVE = 150;
const MOVEMENTS_PER_WAVE = 30;
const WAVE_PACE_MS = 500;

function sale(i: number, at: number): SaleCompleted {
  const lines = [{ line_number: 1, sku: `SKU-${i % 40}`, quantity: 1 + (i % 4), unit_price: 99 + (i % 13) * 10, discount: 0, promotion_id: null }];
  const subtotal = lines[0]!.quantity * lines[0]!.unit_price;
  return {
    event_id: randomUUID(),
    occurred_at: at,
    store_id: `MINIO-S${i % STORES}`,
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
  };
}

function movement(i: number, at: number): InventoryMovement {
  return { event_id: randomUUID(), occurred_at: at, store_id: `MINIO-S${i % STORES}`, sku: `SKU-${i % 40}`, movement_type: 'RECEIPT', quantity_delta: 1 + (i % 24), reason: 'supplier delivery', reference_id: `PO-${i}`, unit_cost: 100 };
}

async function committedReached(admin: Admin, groupId: string, ends: ReadonlyMap<string, number>): Promise<boolean> {
  const topics = [...new Set([...ends.keys()].map((k) => k.slice(0, k.lastIndexOf(':'))))];
  const committed = new Map<string, number>();
  for (const t of await admin.fetchOffsets({ groupId, topics })) for (const p of t.partitions) committed.set(`${t.topic}:${p.partition}`, Number(p.offset));
  for (const [key, end] of ends) if (end > 0 && (committed.get(key) ?? -1) < end) return false;
  return true;
}

async function endOffsets(admin: Admin, topics: readonly string[]): Promise<Map<string, number>> {
  const ends = new Map<string, number>();
  for (const topic of topics) for (const p of await admin.fetchTopicOffsets(topic)) ends.set(`${topic}:${p.partition}`, Number(p.high));
  return ends;
}

async function committedTotal(admin: Admin, groupId: string, topics: readonly string[]): Promise<number> {
  let total = 0;
  for (const t of await admin.fetchOffsets({ groupId, topics: [...topics] })) for (const p of t.partitions) total += Math.max(0, Number(p.offset));
  return total;
}

describeFault('MinIO stopped for 60 s', () => {
  it('pauses the archive, catches up, and archives every record exactly once', async () => {
    const testStarted = performance.now();
    const minio = await startOwnMinio();
    const config = testConfig({ MINIO_ENDPOINT: minio.address });
    const bucket = uniqueName('minio-outage');
    const store = createObjectStore(config.objectStore);
    await store.makeBucket(bucket);

    const admin = await testAdmin(config);
    const salesTopic = await createTestTopic(admin, { partitions: 3, prefix: 'minio-outage-sales' });
    const movesTopic = await createTestTopic(admin, { partitions: 3, prefix: 'minio-outage-moves' });
    const topics = [salesTopic, movesTopic];
    const group = uniqueName('test.minio-outage');
    registerCleanup(() => admin.deleteGroups([group]).catch(() => undefined));

    const codec = await EventCodec.create(createSchemaRegistry(config.registry), config.registry, loadCatalog());
    const producer = createProducer(createKafka(config.kafka, testLogger(), 'test'));
    await producer.connect();
    registerCleanup(() => producer.disconnect());
    const produced = { sales: [] as string[], movements: [] as string[] };
    let i = 0;
    const stopProducing = new AbortController();
    registerCleanup(async () => stopProducing.abort());
    const producing = (async () => {
      while (!stopProducing.signal.aborted) {
        const at = Date.now();
        const sales = Array.from({ length: SALES_PER_WAVE }, () => sale(i++, at));
        const movements = Array.from({ length: MOVEMENTS_PER_WAVE }, () => movement(i++, at));
        await producer.send({ topic: salesTopic, acks: -1, messages: sales.map((s) => ({ key: s.store_id, value: codec.encode('pos.sales', s) })) });
        await producer.send({ topic: movesTopic, acks: -1, messages: movements.map((m) => ({ key: m.store_id, value: codec.encode('inventory.movements', m) })) });
        produced.sales.push(...sales.map((s) => s.event_id));
        produced.movements.push(...movements.map((m) => m.event_id));
        await new Promise((resolve) => setTimeout(resolve, WAVE_PACE_MS));
      }
    })();

    const root = mkdtempSync(join(tmpdir(), 'shelfstream-minio-outage-'));
    registerCleanup(async () => rmSync(root, { recursive: true, force: true }));
    const env = {
      ...process.env,
      SHELFSTREAM_DATA_DIR: root,
      MINIO_ENDPOINT: minio.address,
      MINIO_BUCKET: bucket,
      ARCHIVE_MAX_ROLL_ROWS: '1000',
      ARCHIVE_MAX_ROLL_AGE_MS: '1000',
      STREAM_FLUSH_INTERVAL_MS: '200',
      STREAM_SESSION_TIMEOUT_MS: '6000',
      SHELFSTREAM_LOG_LEVEL: 'warn',
    };
    const errorLines: string[] = [];
    const archiver: CliRun = startCli(['archive', 'run', '--group', group, '--topic', `pos.sales=${salesTopic}`, `inventory.movements=${movesTopic}`, '--no-metrics'], {
      env,
      onStderrLine: (line) => errorLines.push(line),
    });

    await waitFor(async () => (await committedTotal(admin, group, topics)) >= 1_000, { what: 'the archive to commit 1,000 records before the outage', timeoutMs: 120_000, intervalMs: 250 });

    const stopBegan = Date.now();
    await minio.stop();
    const stoppedAt = Date.now();
    const committedAtStop = await committedTotal(admin, group, topics);
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
    const committedBeforeRestart = await committedTotal(admin, group, topics);
    const aliveThroughOutage = archiver.child.exitCode === null;
    const restartBegan = Date.now();
    await minio.start();
    const healthyAt = Date.now();
    const atRestart = await endOffsets(admin, topics);
    const lagAtRestart = [...atRestart.values()].reduce((a, b) => a + b, 0) - committedBeforeRestart;
    await waitFor(() => committedReached(admin, group, atRestart), { what: 'the archive to upload what was written up to the restart', timeoutMs: 240_000, intervalMs: 250 });
    const caughtUpMs = Date.now() - healthyAt;

    stopProducing.abort();
    await producing;
    const finalEnds = await endOffsets(admin, topics);
    // The last roll of each partition is closed by the graceful stop (records, not the clock, close a roll).
    const aliveAtEnd = archiver.child.exitCode === null;
    archiver.child.kill('SIGTERM');
    const exitCode = await archiver.exited;
    const uploadedEverything = await committedReached(admin, group, finalEnds);

    // Read back: every object downloaded and read by DuckDB.
    const dir = mkdtempSync(join(tmpdir(), 'shelfstream-minio-outage-read-'));
    registerCleanup(async () => rmSync(dir, { recursive: true, force: true }));
    let objects = 0;
    for (const topic of topics) {
      for await (const o of store.listObjectsV2(bucket, `raw/topic=${topic}/`, true)) {
        const name = (o as { name?: string }).name;
        if (!name?.endsWith('.parquet')) continue;
        mkdirSync(dirname(join(dir, name)), { recursive: true });
        const chunks: Buffer[] = [];
        for await (const chunk of await store.getObject(bucket, name)) chunks.push(chunk as Buffer);
        writeFileSync(join(dir, name), Buffer.concat(chunks));
        objects++;
      }
    }
    const duck = await (await DuckDBInstance.create(':memory:')).connect();
    const read = async (topic: string): Promise<{ n: number; offsets: number; events: number; ids: Set<string> }> => {
      const glob = `read_parquet('${dir}/raw/topic=${topic}/*/*/*.parquet', hive_partitioning = true)`;
      const [counts] = (await duck.runAndReadAll(`SELECT count(*) AS n, count(DISTINCT (partition, "offset")) AS offsets, count(DISTINCT event_id) AS events FROM ${glob}`)).getRowObjectsJS();
      const ids = new Set((await duck.runAndReadAll(`SELECT event_id FROM ${glob}`)).getRowObjectsJS().map((r) => String(r.event_id)));
      return { n: Number(counts!.n), offsets: Number(counts!.offsets), events: Number(counts!.events), ids };
    };
    const sales = await read(salesTopic);
    const moves = await read(movesTopic);

    const seconds = (ms: number): string => (ms / 1000).toFixed(1);
    process.stderr.write(
      `minio-outage: MinIO down ${seconds(healthyAt - stopBegan)} s (stop ${seconds(stoppedAt - stopBegan)} s, restart ${seconds(healthyAt - restartBegan)} s); ` +
        `the archive committed ${committedBeforeRestart - committedAtStop} records while MinIO was down, lag at restart ${lagAtRestart} records, ` +
        `caught up ${seconds(caughtUpMs)} s after MinIO was back; ${produced.sales.length} sales and ${produced.movements.length} movements in ${objects} objects; ` +
        `test ${seconds(performance.now() - testStarted)} s\n`,
    );

    expect({ aliveThroughOutage, aliveAtEnd, exitCode, uploadedEverything }).toEqual({ aliveThroughOutage: true, aliveAtEnd: true, exitCode: 0, uploadedEverything: true });
    expect(lagAtRestart).toBeGreaterThan(0);
    expect({ n: sales.n, offsets: sales.offsets, events: sales.events }).toEqual({ n: produced.sales.length, offsets: produced.sales.length, events: produced.sales.length });
    expect(produced.sales.filter((id) => !sales.ids.has(id))).toEqual([]);
    expect({ n: moves.n, offsets: moves.offsets, events: moves.events }).toEqual({ n: produced.movements.length, offsets: produced.movements.length, events: produced.movements.length });
    expect(produced.movements.filter((id) => !moves.ids.has(id))).toEqual([]);
  }, 900_000);
});
