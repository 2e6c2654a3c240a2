/**
 * web-priority: what the read API and the dashboards cost each other on the one embedded engine,
 * before and after issue 16's changes, measured alternately in one process on the BI query bench's
 * synthetic year (50 stores x 2,000 skus; bench/benchmarks/bi-query.ts builds and caches it).
 *
 * - Lanes. Dashboards refreshed back to back (what the page cache's refreshes do when entries
 *   expire) while store systems ask the read API for their at-risk list at 200/s over the 50 stores
 *   (the real routes, response cache and keys, through Fastify's inject, open loop, each request
 *   timed from when it was due): `before` hands every panel of a page to the engine at once and
 *   sends the API's queries straight, `after` runs both through lib/engine-lanes.ts (panels one at
 *   a time, API misses first, cache refreshes after them). Phases alternate before, after, before,
 *   after, each with a fresh API (its cache warmed by one request per store). api_p99_ms_before/
 *   after and their ratio; pages refreshed in each, so the lanes' price for the pages shows too.
 * - Renice. With the lanes, what was left of the p99 were event-loop stalls (100-700 ms) with no
 *   JS running: the main thread descheduled while the panel queries' engine threads held the
 *   cores. A third phase, `reniced`, runs the lanes with the panel queries' threads at nice 19
 *   (SQL_THREAD_NICE); `before` and `after` run them at 0. api_p99_ms_reniced, its ratio to
 *   `after`, and the event-loop delay (p99 and max) of both. The nice applies only where the
 *   process may renice (CAP_SYS_NICE): elsewhere the two phases measure the same thing.
 * - Tables. The executive's category panel as it read bi_sales_daily (the query text as it was,
 *   kept here as the baseline) against store_category_sales_daily (0043), alternately, on the
 *   year's last 28 days: median ms of each and their ratio.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClickHouse } from '../../lib/clients/clickhouse';
import { createEngineLanes, type EngineLanes } from '../../lib/engine-lanes';
import { generateApiKey, ANY_STORE, watchKeysFile, writeKeysFile } from '../../services/ingest/api-keys';
import { buildReadApiDocument } from '../../services/read-api/openapi';
import { createReadQueries } from '../../services/read-api/queries';
import { buildReadApiServer } from '../../services/read-api/server';
import { EMPTY_USERS, withUser, writeBiUsers } from '../../services/sql/bi-users';
import { createSqlExecutor } from '../../services/sql/executor';
import { hashPassword } from '../../services/sql/passwords';
import { prioritizedReader, executorReader, type BiReader } from '../../services/web/bi-reader';
import { runDashboard } from '../../services/web/dashboard-data';
import { DASHBOARDS } from '../../services/web/dashboards';
import { storeWhere, categoryWhere } from '../../services/web/dashboards/where';
import { percentile, type Benchmark } from '../harness';
import { BI_YEAR_DATABASE, biYearFolder, ensureYear } from './bi-query';
import { ensureRates } from './web';

const SHAPE = {
  phaseSeconds: 20, // each of the four alternating phases
  apiRatePerS: 200, // the read API rate
  apiCacheMs: 1_000, // READ_API_CACHE_MS's default
  tableRounds: 5, // alternating runs of each category query
  renice: 19, // SQL_THREAD_NICE's default
} as const;

const ANALYST = 'bench_web_priority_analyst';

/** The category panel as it was before 0043: a year of per-product days summed per sku, then per category. */
const CATEGORY_SALES_BEFORE = `
  SELECT if(p.category = '', '(unknown)', p.category) AS category, round(sum(s.amount), 2) AS revenue, sum(s.units) AS units
  FROM (
    SELECT d.sku AS sku, sum(d.net_sales_reporting) AS amount, sum(d.units_sold) AS units
    FROM \${database}.bi_sales_daily AS d
    WHERE d.business_date BETWEEN {from:Date} AND {to:Date} AND ${storeWhere('d.store_id')} AND ${categoryWhere('d.sku')}
    GROUP BY d.sku) AS s
  LEFT JOIN (SELECT sku, category FROM \${database}.bi_dim_product) AS p ON p.sku = s.sku
  GROUP BY category ORDER BY revenue DESC, category LIMIT 5`;

export const webPriorityBench: Benchmark = {
  name: 'web-priority',
  description: 'read API queries under dashboard refreshes without and with the engine lanes, and the category panel before and after its per-category table, alternately on the synthetic year',
  async run({ config, logger }) {
    if (config.clickhouse.mode !== 'embedded') throw new Error('web-priority measures the embedded engine (unset CLICKHOUSE_URL)');
    const folder = biYearFolder(config);
    mkdirSync(folder, { recursive: true });
    const client = createClickHouse({ ...config.clickhouse, dataDir: folder, database: BI_YEAR_DATABASE });
    const workDir = mkdtempSync(join(tmpdir(), 'bench-web-priority-'));
    let executor: ReturnType<typeof createSqlExecutor> | undefined;
    let renicedExecutor: ReturnType<typeof createSqlExecutor> | undefined;
    let closeKeys = (): void => undefined;
    try {
      await ensureYear(client, logger);
      await ensureRates(client);
      const usersFile = join(workDir, 'bi-users.json');
      const password = `bench-${Date.now()}`;
      const now = new Date().toISOString();
      writeBiUsers(usersFile, withUser(EMPTY_USERS, { name: ANALYST, password: await hashPassword(password), regions: [], stores: [], limits: {}, createdAt: now, passwordChangedAt: now }));
      const executorConfig = { ...config.sqlExecutor, usersFile, adminTokenFile: join(workDir, 'admin-token') };
      executor = createSqlExecutor({ config: { ...executorConfig, threadNice: 0 }, dataDir: folder, database: BI_YEAR_DATABASE, logger });
      renicedExecutor = createSqlExecutor({ config: { ...executorConfig, threadNice: SHAPE.renice }, dataDir: folder, database: BI_YEAR_DATABASE, logger });
      const who = { user: ANALYST, password };
      const raw = executorReader(executor, BI_YEAR_DATABASE);
      const reniced = executorReader(renicedExecutor, BI_YEAR_DATABASE);

      const [latest] = await raw.select<{ day: string }>(who, `SELECT toString(max(business_date)) AS day FROM \${database}.sales_daily_store`, {});
      const to = latest!.day;
      const from = new Date(Date.parse(`${to}T00:00:00Z`) - 27 * 86_400_000).toISOString().slice(0, 10);
      const range = { from, to };

      // Tables: old and new category query, alternately.
      const categoryAfter = DASHBOARDS.find((d) => d.name === 'executive')!.panels.find((p) => p.id === 'top_categories')!.sql;
      const params = { region: '', store: '', category: '', sku: '', ...range };
      const timed = async (sql: string): Promise<number> => {
        const t = performance.now();
        await raw.select(who, sql, params);
        return performance.now() - t;
      };
      await timed(CATEGORY_SALES_BEFORE);
      await timed(categoryAfter);
      const before: number[] = [];
      const after: number[] = [];
      for (let i = 0; i < SHAPE.tableRounds; i++) {
        before.push(await timed(CATEGORY_SALES_BEFORE));
        after.push(await timed(categoryAfter));
      }

      // Lanes: refreshes and API queries together, without and with them, alternately.
      const storeIds = Array.from({ length: 50 }, (_, i) => `S${String(i + 1).padStart(3, '0')}`);
      const keysFile = join(workDir, 'api-keys.json');
      const key = generateApiKey(ANY_STORE, 'bench', new Date(), 'back-office');
      writeKeysFile(keysFile, [key.record]);
      const keys = watchKeysFile(keysFile, { onReload: () => undefined, onError: () => undefined });
      closeKeys = () => keys.close();
      const phase = async (lanes: EngineLanes | undefined, panels: BiReader = raw): Promise<{ api: number[]; pages: number; loopP99: number; loopMax: number }> => {
        const reader: BiReader = lanes ? prioritizedReader(panels, lanes, 'refresh') : panels;
        const api = buildReadApiServer(
          {
            keys,
            queries: createReadQueries(client, BI_YEAR_DATABASE, Date.now, lanes, 'interactive'),
            refreshQueries: createReadQueries(client, BI_YEAR_DATABASE, Date.now, lanes, 'page'),
            logger,
          },
          { maxPageSize: config.readApi.maxPageSize, cacheMs: SHAPE.apiCacheMs, openApi: buildReadApiDocument({ maxPageSize: config.readApi.maxPageSize, version: 'bench' }) },
        );
        const call = async (store: string): Promise<void> => {
          const response = await api.inject({ method: 'GET', url: `/v1/stores/${store}/at-risk?limit=50`, headers: { authorization: `Bearer ${key.key}` } });
          if (response.statusCode !== 200) throw new Error(`read API answered ${response.statusCode}: ${response.body}`);
        };
        for (const store of storeIds) await call(store);
        let done = false;
        const stop = setTimeout(() => (done = true), SHAPE.phaseSeconds * 1000);
        let pages = 0;
        const loop = monitorEventLoopDelay({ resolution: 10 });
        loop.enable();
        const refreshing = (async () => {
          for (let i = 0; !done; i++) {
            await runDashboard(reader, who, DASHBOARDS[i % DASHBOARDS.length]!, range, () => undefined);
            pages++;
          }
        })();
        const latencies: number[] = [];
        const inFlight: Promise<void>[] = [];
        const start = performance.now();
        for (let i = 0; !done; i++) {
          const due = start + (i * 1000) / SHAPE.apiRatePerS;
          const wait = due - performance.now();
          if (wait > 0) await sleep(wait);
          inFlight.push(call(storeIds[i % storeIds.length]!).then(() => void latencies.push(performance.now() - due)));
        }
        clearTimeout(stop);
        await Promise.all([refreshing, ...inFlight]);
        loop.disable();
        await api.close();
        return { api: latencies, pages, loopP99: loop.percentile(99) / 1e6, loopMax: loop.max / 1e6 };
      };
      // Every panel's DESCRIBE and first read, before anything is timed.
      for (const d of DASHBOARDS) await runDashboard(raw, who, d, range, () => undefined);
      const runs = { before: [] as number[], after: [] as number[], reniced: [] as number[], pagesBefore: 0, pagesAfter: 0, pagesReniced: 0 };
      const loops = { after: [] as number[], reniced: [] as number[], afterMax: 0, renicedMax: 0 };
      for (let round = 0; round < 2; round++) {
        const b = await phase(undefined);
        runs.before.push(...b.api);
        runs.pagesBefore += b.pages;
        const a = await phase(createEngineLanes());
        runs.after.push(...a.api);
        runs.pagesAfter += a.pages;
        loops.after.push(a.loopP99);
        loops.afterMax = Math.max(loops.afterMax, a.loopMax);
        const r = await phase(createEngineLanes(), reniced);
        runs.reniced.push(...r.api);
        runs.pagesReniced += r.pages;
        loops.reniced.push(r.loopP99);
        loops.renicedMax = Math.max(loops.renicedMax, r.loopMax);
      }
      const p99Reniced = percentile(runs.reniced, 99);
      const p99Before = percentile(runs.before, 99);
      const p99After = percentile(runs.after, 99);
      return {
        api_p99_ms_before: Math.round(p99Before),
        api_p99_ms_after: Math.round(p99After),
        api_p99_ratio: p99After / p99Before,
        api_p50_ms_before: Math.round(percentile(runs.before, 50)),
        api_p50_ms_after: Math.round(percentile(runs.after, 50)),
        api_p99_ms_reniced: Math.round(p99Reniced),
        api_p99_reniced_ratio: p99Reniced / p99After,
        event_loop_p99_ms_after: Math.round(Math.max(...loops.after)),
        event_loop_p99_ms_reniced: Math.round(Math.max(...loops.reniced)),
        event_loop_max_ms_after: Math.round(loops.afterMax),
        event_loop_max_ms_reniced: Math.round(loops.renicedMax),
        api_queries: runs.before.length + runs.after.length + runs.reniced.length,
        pages_refreshed_before: runs.pagesBefore,
        pages_refreshed_after: runs.pagesAfter,
        pages_refreshed_reniced: runs.pagesReniced,
        category_panel_ms_before: Math.round(percentile(before, 50)),
        category_panel_ms_after: Math.round(percentile(after, 50)),
        category_panel_ratio: percentile(after, 50) / percentile(before, 50),
        year_synthetic: 1,
      };
    } finally {
      closeKeys();
      await executor?.close().catch(() => undefined);
      await renicedExecutor?.close().catch(() => undefined);
      await client.close();
      rmSync(workDir, { recursive: true, force: true });
    }
  },
};
