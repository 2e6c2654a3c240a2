/**
 * The read API as `run all` and `demo` serve it: from a worker thread, with the queries run by
 * the thread that owns ClickHouse (this one). What changes against the read API served in the
 * owner's thread (tests/integration/read-api.test.ts covers every route on that path):
 *
 * - a cached answer is served while the owner's thread is blocked: the request is sent by a child
 *   process while this thread waits for it synchronously (execFileSync), so it is answered only if
 *   the worker needs nothing of this thread; the child's own deadline fails the test otherwise;
 * - queries still reach the owner (a first request, an unknown store's 404);
 * - the worker's logs reach the owner's logger;
 * - close() ends the thread: the port no longer answers.
 *
 * Expected rows are written by hand: risk 0.9 before 0.4 (riskiest first).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { migrate } from '../../clickhouse/migrate';
import { createLogger } from '../../lib/logger';
import { generateApiKey, writeKeysFile } from '../../services/ingest/api-keys';
import { startReadApiWorker, type ReadApiWorkerService } from '../../services/read-api';
import { registerCleanup, testClickHouse, testConfig, uniqueName, waitFor } from '../harness/fixtures';

const CHILD_DEADLINE_MS = 20_000; // the child's whole request, while this thread is blocked

describe('read API in a worker thread', () => {
  it('answers a cached request while the owning thread is blocked, queries through the owner, logs through its logger, and stops on close', async () => {
    const { client, database } = await testClickHouse();
    await migrate(client, database);
    const store = uniqueName('RW');
    const folder = mkdtempSync(join(tmpdir(), 'read-api-worker-'));
    registerCleanup(async () => rmSync(folder, { recursive: true, force: true }));
    const keysFile = join(folder, 'api-keys.json');
    const key = generateApiKey(store, 'T1');
    const unknownStore = `${store}-X`; // a key, but no store in the master data
    const unknownKey = generateApiKey(unknownStore, 'T1');
    writeKeysFile(keysFile, [key.record, unknownKey.record]);

    const updated = '2026-03-14 18:00:00.000';
    await client.insert({ table: `${database}.dim_store`, values: [{ store_id: store, name: store, region: 'North', time_zone: 'UTC', size_class: 'SMALL', currency: 'EUR', opened_on: '2020-01-01', updated_at: updated }], format: 'JSONEachRow' });
    const risk = (sku: string, value: number, hours: number) => ({
      store_id: store, sku, on_hand: 3, on_hand_known: true, last_count_at: null, sales_rate_per_day: 6, hours_to_stockout: hours,
      next_delivery_expected_at: '2026-03-16 06:00:00.000', last_receipt_at: null, expected_units_to_delivery: 9, risk: value, risk_alert_open: false,
      out_of_stock: false, updated_at: updated, version: 1,
    }); // prettier-ignore
    await client.insert({ table: `${database}.stockout_risk`, values: [risk('W2', 0.4, 30), risk('W1', 0.9, 5)], format: 'JSONEachRow' });

    const lines: string[] = [];
    const logger = createLogger({ level: 'info', service: 'test', destination: { write: (line: string) => void lines.push(line) } as pino.DestinationStream });
    // A minute of cache: the second request below is a hit whatever the machine's load.
    const config = testConfig({ READ_API_PORT: '0', READ_API_CACHE_MS: '60000', INGEST_API_KEYS_FILE: keysFile });
    let service: ReadApiWorkerService | undefined = await startReadApiWorker({ config: { ...config, clickhouse: { ...config.clickhouse, database } }, logger, clickhouse: client });
    registerCleanup(async () => service?.close());
    const url = `${service.url}/v1/stores/${store}/at-risk`;
    const headers = { authorization: `Bearer ${key.key}` };

    // First request: a miss, answered by a query this thread runs.
    const first = await fetch(url, { headers });
    const firstBody = (await first.json()) as { items: { sku: string; risk: number }[] };
    expect([first.status, first.headers.get('content-type'), firstBody.items.map((r) => [r.sku, r.risk])]).toEqual([200, 'application/json; charset=utf-8', [['W1', 0.9], ['W2', 0.4]]]);

    // The server's part of the time, for a store system to tell a slow server from a slow network.
    expect(first.headers.get('server-timing')).toMatch(/^app;dur=\d+\.\d{2}$/);
    await service.threadStats(); // the worker thread watched from here

    // This thread blocked until a child process has its answer: only the worker can give it.
    const child = `fetch(${JSON.stringify(url)}, { headers: ${JSON.stringify(headers)}, signal: AbortSignal.timeout(${CHILD_DEADLINE_MS}) })
      .then(async (r) => process.stdout.write(JSON.stringify({ status: r.status, body: await r.json() })))
      .catch((e) => { process.stderr.write(String(e)); process.exit(1); });`;
    const blocked = JSON.parse(execFileSync(process.execPath, ['-e', child], { encoding: 'utf8', timeout: CHILD_DEADLINE_MS + 5_000 })) as { status: number; body: unknown };
    expect(blocked).toEqual({ status: 200, body: firstBody });
    // The worker thread answered it: the kernel counted CPU on that thread since the first ask (Linux: schedstat).
    const worker = await service.threadStats();
    if (process.platform === 'linux') expect(worker.cpuMs).toBeGreaterThan(0);
    expect(worker.wallMs).toBeGreaterThan(0);

    // A store not in the master data: a query through this thread, answered 404.
    const unknown = await fetch(`${service.url}/v1/stores/${unknownStore}/at-risk`, { headers: { authorization: `Bearer ${unknownKey.key}` } });
    expect([unknown.status, ((await unknown.json()) as { error: string }).error]).toEqual([404, 'unknown_store']);

    // The worker's logs, through this thread's logger: a keys file it cannot read.
    writeFileSync(keysFile, 'not json');
    const logged = await waitFor(() => lines.find((l) => l.includes('API keys file unreadable')), { what: "the worker's log line in the owner's logger", timeoutMs: 15_000 });
    expect(JSON.parse(logged)).toMatchObject({ level: 'error', service: 'test', component: 'read-api', thread: 'read-api-worker', file: keysFile });

    await service.close();
    service = undefined;
    await expect(fetch(url, { headers })).rejects.toThrow();
  });
});
