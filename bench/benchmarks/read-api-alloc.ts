/**
 * What one request costs the read API's worker thread in garbage: the bytes it allocates on its
 * JS heap per request (lib/thread-stats.ts `heapAllocatedBytes`), for the web bench's mix (each
 * of 50 stores' at-risk page, 50 rows, every answer from the response cache after one request per
 * store). In the web bench that thread's p99 is its own GC pauses (62-239 ms at 200 requests/s):
 * the garbage per request is what makes them, and unlike the pauses it does not depend on the
 * machine's load, so it compares across runs of a shared machine.
 *
 * The read API runs in its worker thread as `run all` starts it (services/read-api/worker-host.ts);
 * the client here is this thread (the web bench's open loop, bench/read-api-load.ts), whose garbage
 * is its own heap's, not the worker's. Also in the line: the worker's collections per 1,000
 * requests, their time and longest pause, its CPU per request, the p99 (those are load-sensitive:
 * give the load average with them).
 * Data: 50 stores x 100 skus of stock-out risk on embedded ClickHouse (or CLICKHOUSE_URL), a fresh
 * database dropped at the end.
 *
 *   make build && node dist/bench/benchmarks/read-api-alloc.js     (BENCH line, then bench/results.jsonl)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, get as httpGet } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { migrate } from '../../clickhouse/migrate';
import { createClickHouse } from '../../lib/clients/clickhouse';
import { ANY_STORE, generateApiKey, writeKeysFile } from '../../services/ingest/api-keys';
import { startReadApiWorker } from '../../services/read-api';
import { percentile, runStandalone, type BenchContext, type BenchMetrics, type Benchmark } from '../harness';
import { openLoop } from '../read-api-load';

const SHAPE = {
  stores: 50, // the synthetic year's, as the web bench asks them (bench/read-api-load.ts)
  skusPerStore: 100, // more than a page: every answer is a full page of 50 rows
  ratePerS: 200, // the web bench's: with READ_API_CACHE_MS a store's answer is refreshed once a second, so the
  // rate sets how many requests share a refresh (here 4), and a refresh's garbage counts in the figure
  requests: 3_000, // measured (15 s), after one per store
  maxSockets: 64, // as the web bench's generator
} as const;

/** The open loop's stop condition after `total` requests (it asks once before each request). */
function after(total: number): () => boolean {
  let sent = 0;
  return () => sent++ >= total;
}

export const readApiAllocBench: Benchmark = {
  name: 'read-api-alloc',
  description: `bytes the read API worker allocates per request: the web bench's mix, ${SHAPE.stores} stores' at-risk pages at ${SHAPE.ratePerS}/s, ${SHAPE.requests} requests`,
  async run({ config, logger }: BenchContext): Promise<BenchMetrics> {
    const clickhouse = createClickHouse(config.clickhouse);
    const database = `bench_read_api_alloc_${randomBytes(3).toString('hex')}`;
    const folder = mkdtempSync(join(tmpdir(), 'read-api-alloc-bench-'));
    try {
      await clickhouse.command({ query: `CREATE DATABASE ${database}` });
      await migrate(clickhouse, database);
      const stores = Array.from({ length: SHAPE.stores }, (_, s) => `S${String(s + 1).padStart(3, '0')}`);
      await clickhouse.insert({
        table: `${database}.dim_store`,
        values: stores.map((store_id) => ({ store_id, name: store_id, region: 'North', time_zone: 'UTC', size_class: 'MEDIUM', currency: 'EUR', opened_on: '2020-01-01', updated_at: '2026-03-01 00:00:00.000' })),
        format: 'JSONEachRow',
      });
      await clickhouse.insert({
        table: `${database}.stockout_risk`,
        values: stores.flatMap((store_id) =>
          Array.from({ length: SHAPE.skusPerStore }, (_, k) => ({
            store_id, sku: `SKU-${String(k).padStart(5, '0')}`, on_hand: k % 40, on_hand_known: true, last_count_at: null, sales_rate_per_day: 1 + (k % 9), hours_to_stockout: (k % 40) * 6,
            next_delivery_expected_at: '2026-03-16 06:00:00.000', last_receipt_at: null, expected_units_to_delivery: 5, risk: ((k * 7919) % 1000) / 1000,
            risk_alert_open: false, out_of_stock: false, updated_at: '2026-03-14 18:00:00.000', version: 1,
          })), // prettier-ignore
        ),
        format: 'JSONEachRow',
      });

      const keysFile = join(folder, 'api-keys.json');
      const key = generateApiKey(ANY_STORE, 'bench', new Date(), 'back-office');
      writeKeysFile(keysFile, [key.record]);
      const apiConfig = { ...config, clickhouse: { ...config.clickhouse, database }, ingest: { ...config.ingest, apiKeysFile: keysFile }, readApi: { ...config.readApi, host: '127.0.0.1', port: 0 } };
      const api = await startReadApiWorker({ config: apiConfig, logger, clickhouse });
      const agent = new Agent({ keepAlive: true, maxSockets: SHAPE.maxSockets });
      const headers = { authorization: `Bearer ${key.key}` };
      let answerBytes = 0;
      const atRisk = (store: string): Promise<number> =>
        new Promise((resolve, reject) => {
          httpGet(`${api.url}/v1/stores/${store}/at-risk?limit=50`, { agent, headers }, (response) => {
            let bytes = 0;
            response.on('data', (chunk: Buffer) => void (bytes += chunk.length));
            response.on('end', () => {
              answerBytes = bytes;
              return response.statusCode === 200 ? resolve(0) : reject(new Error(`read API answered ${response.statusCode} for ${store}`));
            });
            response.on('error', reject);
          }).on('error', reject);
        });
      try {
        // Every store's answer cached, and the worker's code compiled, before anything is counted.
        for (const store of stores) await atRisk(store);
        for (let i = 0; i < 1_000; i++) await atRisk(stores[i % stores.length]!);
        await api.threadStats(); // starts watching the worker
        let next = 0;
        const load1m = loadavg()[0]!;
        const timings = await openLoop(() => atRisk(stores[next++ % stores.length]!), SHAPE.ratePerS, after(SHAPE.requests));
        const worker = await api.threadStats();
        const latencies = timings.map((t) => t.latencyMs);
        return {
          bytes_per_request: worker.heapAllocatedBytes / SHAPE.requests,
          requests: SHAPE.requests,
          rate_per_s: SHAPE.ratePerS,
          cache_ms: config.readApi.cacheMs,
          answer_bytes: answerBytes,
          worker_gc_per_1000_requests: (worker.gcCount / SHAPE.requests) * 1000,
          worker_gc_ms_per_1000_requests: (worker.gcTotalMs / SHAPE.requests) * 1000,
          worker_gc_max_ms: worker.gcMaxMs,
          worker_cpu_us_per_request: (worker.cpuMs / SHAPE.requests) * 1000,
          worker_gc_ms_per_s: (worker.gcTotalMs / worker.wallMs) * 1000,
          worker_loop_max_ms: worker.loopMaxMs,
          p99_ms: percentile(latencies, 99),
          load_1m_start: load1m,
          load_1m_end: loadavg()[0]!,
        };
      } finally {
        agent.destroy();
        await api.close();
      }
    } finally {
      await clickhouse.command({ query: `DROP DATABASE IF EXISTS ${database} SYNC` }).catch(() => undefined);
      await clickhouse.close();
      rmSync(folder, { recursive: true, force: true });
    }
  },
};

if (require.main === module) runStandalone(readApiAllocBench);
