/**
 * sql-endpoint: what the SQL endpoint's HTTP side costs a BI query, at one client. On a fresh
 * embedded ClickHouse folder of its own, a table of SALES_ROWS synthetic sale lines (50 stores,
 * 2,000 SKUs, 90 days) answers two queries:
 * - small: one store's line count (one row out);
 * - medium: units and revenue by store and day (4,500 rows of TabSeparated, ~200 KB).
 * Each is timed, in the same run and interleaved round by round:
 * - direct: @clickhouse/client on the chDB connection, in process (the baseline);
 * - executor: the admin executor alone (chDB sessions of its own, no HTTP);
 * - endpoint: @clickhouse/client over HTTP (keep-alive) to startSqlEndpoint on node:http;
 * - fastify: the same handler mounted in fastify 5, to weigh the framework against node:http.
 * Metrics are p50 / p95 in ms and `overhead_ratio` = endpoint p50 / direct p50 per query.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import Fastify from 'fastify';
import { createClickHouse } from '../../lib/clients/clickhouse';
import { AdminExecutor, startSqlEndpoint } from '../../services/sql';
import { createSqlHttpHandler } from '../../services/sql/http-server';
import { percentile, type Benchmark } from '../harness';

const SALES_ROWS = 2_000_000;
const ROUNDS = { small: 300, medium: 40 } as const;
const DATABASE = 'bench_sql';

const QUERIES = {
  small: `SELECT count() FROM ${DATABASE}.sales WHERE store_id = 'S017'`,
  medium: `SELECT store_id, day, sum(units) AS units, sum(revenue) AS revenue FROM ${DATABASE}.sales GROUP BY store_id, day ORDER BY store_id, day`,
} as const;

type Way = 'direct' | 'executor' | 'endpoint' | 'fastify';

export const sqlEndpointBench: Benchmark = {
  name: 'sql-endpoint',
  description: 'a small and a medium BI query straight on embedded ClickHouse, through the admin executor, and through the SQL endpoint (node:http and fastify), one client',
  async run({ config, logger }) {
    const dir = mkdtempSync(join(tmpdir(), 'shelfstream-bench-sql-'));
    const dataDir = join(dir, 'clickhouse');
    const direct = createClickHouse({ mode: 'embedded', dataDir, database: DATABASE, requestTimeoutMs: 300_000 });
    const executor = new AdminExecutor({ dataDir, defaultDatabase: DATABASE, sessionTimeoutS: 60 });
    const clients: ClickHouseClient[] = [];
    const closers: (() => Promise<unknown>)[] = [];
    try {
      await direct.command({ query: `CREATE DATABASE IF NOT EXISTS ${DATABASE}` });
      await direct.command({
        query: `CREATE TABLE ${DATABASE}.sales (store_id LowCardinality(String), sku String, day Date, units Int32, revenue Decimal(18, 2)) ENGINE = MergeTree ORDER BY (store_id, day, sku)`,
      });
      await direct.command({
        query: `INSERT INTO ${DATABASE}.sales SELECT concat('S', leftPad(toString(number % 50), 3, '0')), concat('SKU', toString(intHash32(number) % 2000)), toDate('2026-01-01') + (intDiv(number, 50) % 90), 1 + number % 5, toDecimal64((number % 997) / 100, 2) FROM numbers(${SALES_ROWS})`,
      });

      const endpoint = await startSqlEndpoint({ config: { sqlEndpoint: { ...config.sqlEndpoint, host: '127.0.0.1', port: 0, tls: undefined } }, logger, executor });
      closers.push(() => endpoint.close());
      const fastify = Fastify();
      const handler = createSqlHttpHandler({ executor, logger, maxBodyBytes: config.sqlEndpoint.maxBodyBytes, maxResultBytes: config.sqlEndpoint.maxResultBytes, maxSessionTimeoutS: 3600, displayName: 'bench' });
      // The body stays unread for the handler, which reads and caps it itself.
      fastify.removeAllContentTypeParsers();
      fastify.addContentTypeParser('*', (_request, _payload, done) => done(null));
      fastify.all('/', (request, reply) => {
        reply.hijack();
        handler(request.raw, reply.raw);
      });
      const fastifyUrl = await fastify.listen({ host: '127.0.0.1', port: 0 });
      closers.push(() => fastify.close());
      const overEndpoint = createClient({ url: endpoint.url });
      const overFastify = createClient({ url: fastifyUrl });
      clients.push(overEndpoint, overFastify);

      const ways: Record<Way, (query: string) => Promise<string>> = {
        direct: async (query) => (await direct.query({ query, format: 'TabSeparated' })).text(),
        executor: async (query) =>
          Buffer.from(
            (
              await executor.execute({
                credentials: { user: 'default', password: '' }, query, defaultFormat: 'TabSeparated', database: undefined, settings: {}, queryParams: {},
                sessionId: undefined, sessionTimeoutS: undefined, queryId: 'bench', readOnlyMethod: false,
              })
            ).body,
          ).toString(),
        endpoint: async (query) => (await overEndpoint.query({ query, format: 'TabSeparated' })).text(),
        fastify: async (query) => (await overFastify.query({ query, format: 'TabSeparated' })).text(),
      };
      const metrics: Record<string, number> = { sales_rows: SALES_ROWS };
      for (const size of ['small', 'medium'] as const) {
        const query = QUERIES[size];
        const expected = await ways.direct(query);
        // Warm-up and a check that every way answers the same bytes.
        for (const way of Object.keys(ways) as Way[]) {
          const got = await ways[way](query);
          if (got !== expected) throw new Error(`${way} answered ${got.length} bytes for the ${size} query, direct ${expected.length}`);
        }
        const times: Record<Way, number[]> = { direct: [], executor: [], endpoint: [], fastify: [] };
        const order = Object.keys(ways) as Way[];
        for (let round = 0; round < ROUNDS[size]; round++) {
          // Rotate the order so no way always runs right after another.
          for (let i = 0; i < order.length; i++) {
            const way = order[(round + i) % order.length]!;
            const started = performance.now();
            await ways[way](query);
            times[way].push(performance.now() - started);
          }
        }
        for (const way of order) {
          metrics[`${size}_${way}_p50_ms`] = percentile(times[way], 50);
          metrics[`${size}_${way}_p95_ms`] = percentile(times[way], 95);
        }
        metrics[`${size}_result_bytes`] = expected.length;
        metrics[`${size}_overhead_ratio`] = percentile(times.endpoint, 50) / percentile(times.direct, 50);
        metrics[`${size}_http_over_executor_ms`] = percentile(times.endpoint, 50) - percentile(times.executor, 50);
        metrics[`${size}_fastify_over_node_http_ms`] = percentile(times.fastify, 50) - percentile(times.endpoint, 50);
      }
      return metrics;
    } finally {
      for (const client of clients) await client.close();
      for (const close of closers.reverse()) await close();
      await executor.close();
      await direct.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
