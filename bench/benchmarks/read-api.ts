/**
 * The read API's latency under a steady load: the at-risk route of one store, 200 requests/s
 * for 20 s, open loop (each request is timed from when it was due, so a slow answer delays
 * the clock of the ones behind it instead of hiding them), through the API as configured
 * (READ_API_CACHE_MS: `cache_ms` in the line). The baseline, in the same run: the same query
 * straight through the ClickHouse client, one at a time (no HTTP, no keys, no response cache).
 * At 200/s uncached queries queue without bound on embedded ClickHouse, which runs one query at
 * a time and takes 9-16 ms for this one on a loaded 2-core machine (p99 71 s measured before
 * the response cache, bench/results.jsonl 2026-12-06).
 * Data: 50 stores x 2,000 skus of stock-out risk and reorder advice on embedded ClickHouse (or
 * CLICKHOUSE_URL), a fresh database dropped at the end.
 *
 * The load generator runs in the API's own process, so its CPU counts against the API's
 * figure: the p99 is an upper bound. `make bench BENCH=web` (issue 16) will measure it while
 * the processors consume 10k events/s.
 *
 *   make build && node dist/bench/benchmarks/read-api.js     (BENCH line, then bench/results.jsonl)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, get as httpGet } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { migrate } from '../../clickhouse/migrate';
import { createClickHouse } from '../../lib/clients/clickhouse';
import { generateApiKey, writeKeysFile } from '../../services/ingest/api-keys';
import { startReadApiService } from '../../services/read-api';
import { createReadQueries } from '../../services/read-api/queries';
import { percentile, runStandalone, type BenchContext, type BenchMetrics, type Benchmark } from '../harness';
import { openLoop, serverAppMs, splitTail } from '../read-api-load';

const SHAPE = {
  stores: 50,
  skusPerStore: 2_000,
  ratePerS: 200, // requests per second, the target load
  seconds: 20, // of each phase
  warmupRequests: 50, // before each phase: first queries compile and fill caches
  baselineQueries: 400, // direct queries, one at a time
} as const;

/** The open loop's stop condition after `total` requests (it asks once before each request). */
function after(total: number): () => boolean {
  let sent = 0;
  return () => sent++ >= total;
}

export const readApiBench: Benchmark = {
  name: 'read-api',
  description: `read API at-risk route, ${SHAPE.ratePerS} requests/s for ${SHAPE.seconds} s, against the same query without HTTP`,
  async run({ config, logger }: BenchContext): Promise<BenchMetrics> {
    const clickhouse = createClickHouse(config.clickhouse);
    const database = `bench_read_api_${randomBytes(3).toString('hex')}`;
    const folder = mkdtempSync(join(tmpdir(), 'read-api-bench-'));
    try {
      await clickhouse.command({ query: `CREATE DATABASE ${database}` });
      await migrate(clickhouse, database);
      const stores = Array.from({ length: SHAPE.stores }, (_, s) => `S${String(s).padStart(3, '0')}`);
      await clickhouse.insert({
        table: `${database}.dim_store`,
        values: stores.map((store_id) => ({ store_id, name: store_id, region: 'North', time_zone: 'UTC', size_class: 'MEDIUM', currency: 'EUR', opened_on: '2020-01-01', updated_at: '2026-03-01 00:00:00.000' })),
        format: 'JSONEachRow',
      });
      for (const store_id of stores) {
        const skus = Array.from({ length: SHAPE.skusPerStore }, (_, k) => `SKU-${String(k).padStart(5, '0')}`);
        await clickhouse.insert({
          table: `${database}.stockout_risk`,
          values: skus.map((sku, k) => ({
            store_id, sku, on_hand: k % 40, on_hand_known: true, last_count_at: null, sales_rate_per_day: 1 + (k % 9), hours_to_stockout: (k % 40) * 6,
            next_delivery_expected_at: '2026-03-16 06:00:00.000', last_receipt_at: null, expected_units_to_delivery: 5, risk: ((k * 7919) % 1000) / 1000,
            risk_alert_open: false, out_of_stock: false, updated_at: '2026-03-14 18:00:00.000', version: 1,
          })), // prettier-ignore
          format: 'JSONEachRow',
        });
        await clickhouse.insert({
          table: `${database}.reorder_recommendation`,
          values: skus.map((sku, k) => ({
            store_id, sku, as_of_date: '2026-03-14', on_hand: k % 40, on_order: 0, lead_time_days: 2, review_days: 1, service_level: 0.95,
            demand_lead_time_mean: 10, reorder_point: 12, order_quantity: Math.max(0, 12 - (k % 40)), model_version: 'bench', generated_at: '2026-03-14 03:00:00.000',
          })), // prettier-ignore
          format: 'JSONEachRow',
        });
      }

      const keysFile = join(folder, 'api-keys.json');
      const key = generateApiKey(stores[7]!, 'bench');
      writeKeysFile(keysFile, [key.record]);
      const benchConfig = { ...config, clickhouse: { ...config.clickhouse, database }, ingest: { ...config.ingest, apiKeysFile: keysFile }, readApi: { ...config.readApi, host: '127.0.0.1', port: 0 } };
      const service = await startReadApiService({ config: benchConfig, logger, clickhouse });
      const agent = new Agent({ keepAlive: true, maxSockets: 64 });
      try {
        const queries = createReadQueries(clickhouse, database);
        const direct = async (): Promise<void> => void (await queries.atRisk(stores[7]!, { minRisk: 0 }, 50, undefined));
        const url = `${service.url}/v1/stores/${stores[7]!}/at-risk`;
        const headers = { authorization: `Bearer ${key.key}` };
        // node:http with keep-alive rather than fetch: the generator shares the API's process and
        // CPU, and undici's fetch costs several times more per request than the API itself.
        // Answers the server's part of the request (its Server-Timing), which splits the tail.
        const viaApi = (): Promise<number> =>
          new Promise((resolve, reject) => {
            httpGet(url, { agent, headers }, (response) => {
              const appMs = serverAppMs(response.headers['server-timing']);
              const chunks: Buffer[] = [];
              response.on('data', (c: Buffer) => chunks.push(c));
              response.on('end', () => {
                const text = Buffer.concat(chunks).toString('utf8');
                if (response.statusCode !== 200) return reject(new Error(`read API answered ${response.statusCode}: ${text}`));
                const rows = (JSON.parse(text) as { items: unknown[] }).items.length;
                if (rows !== 50) return reject(new Error(`expected a page of 50 rows, got ${rows}`));
                resolve(appMs);
              });
              response.on('error', reject);
            }).on('error', reject);
          });
        // The baseline: the same query through the ClickHouse client, one at a time (its service
        // time; at 200/s it would queue, since embedded ClickHouse runs one query at a time).
        const serial = async (call: () => Promise<unknown>, n: number): Promise<number[]> => {
          const times: number[] = [];
          for (let i = 0; i < n; i++) {
            const t = performance.now();
            await call();
            times.push(performance.now() - t);
          }
          return times;
        };
        await serial(direct, SHAPE.warmupRequests);
        const baseline = await serial(direct, SHAPE.baselineQueries);
        await serial(viaApi, SHAPE.warmupRequests);
        // The web bench's open loop (bench/read-api-load.ts): each request timed from when it was due.
        const timings = await openLoop(viaApi, SHAPE.ratePerS, after(SHAPE.ratePerS * SHAPE.seconds));
        const api = timings.map((t) => t.latencyMs);
        const p99 = percentile(api, 99);
        const directP99 = percentile(baseline, 99);
        return {
          requests: api.length,
          rate_per_s: SHAPE.ratePerS,
          cache_ms: config.readApi.cacheMs,
          p50_ms: percentile(api, 50),
          p99_ms: p99,
          max_ms: Math.max(...api),
          direct_p50_ms: percentile(baseline, 50),
          direct_p99_ms: directP99,
          ratio: p99 / directP99,
          ...splitTail(timings),
          rows_in_table: SHAPE.stores * SHAPE.skusPerStore,
        };
      } finally {
        agent.destroy();
        await service.close();
      }
    } finally {
      await clickhouse.command({ query: `DROP DATABASE IF EXISTS ${database} SYNC` }).catch(() => undefined);
      await clickhouse.close();
      rmSync(folder, { recursive: true, force: true });
    }
  },
};

if (require.main === module) runStandalone(readApiBench);
