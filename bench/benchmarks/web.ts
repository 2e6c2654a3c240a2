/**
 * web: the dashboards as a person sees them, on the BI query bench's synthetic year (50 stores x
 * 2,000 skus, bench/benchmarks/bi-query.ts builds and caches it), read through the SQL endpoint's
 * executor as a chain analyst, in headless Chromium (Debian's chromium through playwright-core).
 *
 * - page_p95_ms: navigation to a dashboard until every chart of it is drawn (the page marks
 *   `body[data-drawn]` after its last chart), over the four dashboards in turn, measured while the
 *   velocity processor consumes 10k events/s (sales produced live at that rate) and the read API
 *   answers 200 requests/s (the at-risk route, open loop, the same engine);
 * - api_p99_ms: those read API requests, each timed from when it was due;
 * - page_uncached_p95_ms: the same four pages with the page cache off (WEB_CACHE_TTL_MS=0), idle:
 *   what a load costs when new data arrived since the last one (every load, under live sales);
 * - the baselines, in the same run: the same page loads and the same API load with the processor
 *   idle and nothing else running (page_idle_p95_ms, api_idle_p99_ms), and their ratios;
 * - the charting library: the bundle each candidate ships and the time it takes to draw a year of
 *   two daily series in this Chromium (median of 20 draws): uPlot (chosen) against Chart.js.
 *
 * The load generators (Chromium aside) run in the web app's own process, so their CPU counts
 * against the figures: both are upper bounds.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { Agent, get as httpGet } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium, type Page } from 'playwright-core';
import { fillCalendar } from '../../clickhouse/calendar';
import { refreshExchangeRates } from '../../clickhouse/exchange-rate-refresh';
import { migrate } from '../../clickhouse/migrate';
import { applyReportingCurrency } from '../../clickhouse/reporting-currency';
import { createClickHouse, type ClickHouseClient } from '../../lib/clients/clickhouse';
import { ENGINE_LANES } from '../../lib/engine-lanes';
import { createKafka, createProducer } from '../../lib/clients/kafka';
import { createSchemaRegistry } from '../../lib/clients/registry';
import type { Config } from '../../lib/config';
import { EventCodec } from '../../lib/events/codec';
import type { Logger } from '../../lib/logger';
import { createMetrics } from '../../lib/metrics';
import { REPO_ROOT } from '../../lib/paths';
import { loadCatalog } from '../../schemas/catalog';
import { createTopicsWithLeaders } from '../../services/bootstrap/topics';
import { ANY_STORE, generateApiKey, writeKeysFile } from '../../services/ingest/api-keys';
import { startReadApiService } from '../../services/read-api';
import { EMPTY_USERS, withUser, writeBiUsers } from '../../services/sql/bi-users';
import { createSqlExecutor } from '../../services/sql/executor';
import { hashPassword } from '../../services/sql/passwords';
import { DASHBOARDS } from '../../services/web/dashboards';
import { executorReader, startWebService } from '../../services/web';
import { startProcessor } from '../../streams/runtime/runner';
import { velocityProcessor } from '../../streams/velocity/velocity';
import { chromiumPath } from '../../tests/harness/chromium';
import { benchSale, percentile, type Benchmark } from '../harness';
import { BI_YEAR_DATABASE, biYearFolder, ensureYear } from './bi-query';

const SHAPE = {
  eventsPerS: 10_000, // the processors' input rate the issue asks for
  apiRatePerS: 200,
  loadedSeconds: 30, // of the loaded phase
  idleRounds: 1, // page loads of each dashboard with nothing else running
  warmupRounds: 1, // first reads of each table, before anything is timed
  chartDraws: 20,
} as const;

const ANALYST = 'bench_web_analyst';

/** What the year lacks for the executive page: the calendar, the reporting currency and an EUR rate (all its stores sell in EUR). */
export async function ensureRates(client: ClickHouseClient): Promise<void> {
  await fillCalendar(client, BI_YEAR_DATABASE, '2025-01-01', '2027-12-31');
  await applyReportingCurrency(client, BI_YEAR_DATABASE, 'EUR');
  const [row] = await (await client.query({ query: `SELECT count() AS n FROM ${BI_YEAR_DATABASE}.dim_exchange_rate`, format: 'JSONEachRow' })).json<{ n: string }>();
  if (Number(row?.n) === 0) {
    await client.insert({
      table: `${BI_YEAR_DATABASE}.dim_exchange_rate`,
      values: [{ currency: 'EUR', base_currency: 'EUR', rate_date: '2025-01-01', rate: 1, source: 'bench', updated_at: '2025-01-01 00:00:00.000' }],
      format: 'JSONEachRow',
    });
    // Written as the warehouse writes rates, so shown at once as it shows them (migration 0049).
    await refreshExchangeRates(client, BI_YEAR_DATABASE);
  }
}

/** Sales produced live at `eventsPerS` to a fresh topic, consumed by the velocity processor; stop() answers the rate it read at. */
async function liveVelocity(config: Config, logger: Logger, client: ClickHouseClient): Promise<{ stop(): Promise<number> }> {
  const kafka = createKafka(config.kafka, logger, 'bench');
  const topic = `bench.web.${Date.now()}`;
  const admin = kafka.admin();
  await admin.connect();
  await createTopicsWithLeaders(admin, [{ topic, numPartitions: config.topics.partitions, replicationFactor: 1 }]);
  const codec = await EventCodec.create(createSchemaRegistry(config.registry), config.registry, loadCatalog());
  const database = `bench_web_velocity_${Date.now()}`;
  await client.command({ query: `CREATE DATABASE ${database}` });
  await migrate(client, database);
  const metrics = createMetrics('bench-web', { collectDefaults: false });
  const eventsIn = metrics.counter('events_in_total', 'records read by a processor', ['processor', 'topic']);
  const processor = await startProcessor(velocityProcessor({ maxOutOfOrderMs: 5_000, allowedLatenessMs: 60_000, salesTopic: topic }), { kafka, codec, clickhouse: client, logger, metrics }, { ...config.streams, database, groupId: `${topic}.pipeline` });
  const producer = createProducer(kafka);
  await producer.connect();
  let stopped = false;
  const tickMs = 100;
  const perTick = (SHAPE.eventsPerS * tickMs) / 1000;
  const started = performance.now();
  const producing = (async () => {
    let i = 0;
    for (let tick = 0; !stopped; tick++) {
      const due = started + tick * tickMs;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const messages = [];
      for (let j = 0; j < perTick; j++, i++) {
        const sale = benchSale(i, Date.now());
        messages.push({ key: sale.store_id, value: codec.encode('pos.sales', sale) });
      }
      await producer.send({ topic, acks: -1, messages });
    }
  })();
  const read = async (): Promise<number> => (await eventsIn.get()).values.reduce((s, v) => s + v.value, 0);
  return {
    async stop() {
      const seconds = (performance.now() - started) / 1000;
      const rate = (await read()) / seconds;
      stopped = true;
      await producing;
      await producer.disconnect();
      await processor.stop();
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
      await client.command({ query: `DROP DATABASE IF EXISTS ${database} SYNC` });
      return rate;
    },
  };
}

/** Requests at `ratePerS` until `until()` says stop; each latency in ms from when it was due. */
async function openLoop(call: () => Promise<void>, ratePerS: number, until: () => boolean): Promise<number[]> {
  const intervalMs = 1000 / ratePerS;
  const latencies: number[] = [];
  const start = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; !until(); i++) {
    const due = start + i * intervalMs;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    inFlight.push(call().then(() => void latencies.push(performance.now() - due)));
  }
  await Promise.all(inFlight);
  return latencies;
}

/** Loads each dashboard in turn until `until()` (or `rounds` rounds); each load's ms to all charts drawn. */
async function loadPages(page: Page, baseUrl: string, rounds: number, until: () => boolean = () => false): Promise<number[]> {
  const times: number[] = [];
  for (let r = 0; r < rounds && !until(); r++) {
    for (const d of DASHBOARDS) {
      const t = performance.now();
      await page.goto(`${baseUrl}/${d.name}`);
      await page.waitForSelector('body[data-drawn]', { state: 'attached', timeout: 120_000 });
      times.push(performance.now() - t);
    }
  }
  return times;
}

/** The candidates' bundles, and the median time each takes to draw 365 days x 2 series in Chromium. */
async function compareChartLibraries(page: Page): Promise<Record<string, number>> {
  // A blank page of its own: the app's pages allow no inline script (their CSP), which addScriptTag uses.
  const uplotFile = join(REPO_ROOT, 'node_modules', 'uplot', 'dist', 'uPlot.iife.min.js');
  const chartjsFile = join(REPO_ROOT, 'node_modules', 'chart.js', 'dist', 'chart.umd.min.js');
  await page.setContent('<!doctype html><html><body><div id="target" style="width:800px;height:300px"></div></body></html>');
  await page.addScriptTag({ path: uplotFile });
  await page.addScriptTag({ path: chartjsFile });
  const times = await page.evaluate((draws: number) => {
    /* eslint-disable @typescript-eslint/no-explicit-any -- runs in the page, where the libraries are globals */
    const w = globalThis as any;
    const days = Array.from({ length: 365 }, (_, i) => 1_700_000_000 + i * 86_400);
    const a = days.map((_, i) => 1000 + 300 * Math.sin(i / 7));
    const b = days.map((_, i) => 950 + 280 * Math.sin((i - 7) / 7));
    const target = w.document.getElementById('target');
    const uplot: number[] = [];
    const chartjs: number[] = [];
    for (let i = 0; i < draws; i++) {
      target.replaceChildren();
      let t = performance.now();
      const u = new w.uPlot({ width: 800, height: 300, series: [{}, { stroke: 'blue' }, { stroke: 'orange' }] }, [days, a, b], target);
      uplot.push(performance.now() - t);
      u.destroy();
      target.replaceChildren();
      const canvas = w.document.createElement('canvas');
      canvas.width = 800;
      canvas.height = 300;
      target.append(canvas);
      t = performance.now();
      const c = new w.Chart(canvas, { type: 'line', data: { labels: days, datasets: [{ data: a }, { data: b }] }, options: { animation: false, responsive: false } });
      chartjs.push(performance.now() - t);
      c.destroy();
    }
    const median = (xs: number[]): number => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
    return { uplot: median(uplot), chartjs: median(chartjs) };
  }, SHAPE.chartDraws);
  return {
    uplot_bundle_bytes: statSync(uplotFile).size,
    chartjs_bundle_bytes: statSync(chartjsFile).size,
    uplot_draw_ms: Math.round(times.uplot * 100) / 100,
    chartjs_draw_ms: Math.round(times.chartjs * 100) / 100,
  };
}

export const webBench: Benchmark = {
  name: 'web',
  description: 'dashboards in headless Chromium on the synthetic year: page load to all charts drawn and the read API at 200/s, while the velocity processor consumes 10k events/s',
  async run({ config, logger }) {
    if (config.clickhouse.mode !== 'embedded') throw new Error('web measures the embedded engine (unset CLICKHOUSE_URL)');
    const folder = biYearFolder(config);
    mkdirSync(folder, { recursive: true });
    const client = createClickHouse({ ...config.clickhouse, dataDir: folder, database: BI_YEAR_DATABASE });
    const workDir = mkdtempSync(join(tmpdir(), 'bench-web-'));
    const closers: (() => Promise<unknown>)[] = [];
    try {
      await ensureYear(client, logger);
      await ensureRates(client);
      const usersFile = join(workDir, 'bi-users.json');
      const password = `bench-${Date.now()}`;
      const now = new Date().toISOString();
      writeBiUsers(usersFile, withUser(EMPTY_USERS, { name: ANALYST, password: await hashPassword(password), regions: [], stores: [], limits: {}, createdAt: now, passwordChangedAt: now }));
      const executor = createSqlExecutor({ config: { ...config.sqlExecutor, usersFile, adminTokenFile: join(workDir, 'admin-token') }, dataDir: folder, database: BI_YEAR_DATABASE, logger });
      closers.push(() => executor.close());
      const web = await startWebService({ config: { web: { ...config.web, host: '127.0.0.1', port: 0 }, clickhouseModel: config.clickhouseModel }, logger, reader: executorReader(executor, BI_YEAR_DATABASE), lanes: ENGINE_LANES });
      closers.push(() => web.close());
      // The same pages computed on every load: the page cache's miss path.
      const uncachedWeb = await startWebService({ config: { web: { ...config.web, host: '127.0.0.1', port: 0, cacheTtlMs: 0 }, clickhouseModel: config.clickhouseModel }, logger, reader: executorReader(executor, BI_YEAR_DATABASE), lanes: ENGINE_LANES });
      closers.push(() => uncachedWeb.close());

      const keysFile = join(workDir, 'api-keys.json');
      const key = generateApiKey(ANY_STORE, 'bench', new Date(), 'back-office');
      writeKeysFile(keysFile, [key.record]);
      const readApi = await startReadApiService({
        config: { ...config, clickhouse: { ...config.clickhouse, dataDir: folder, database: BI_YEAR_DATABASE }, ingest: { ...config.ingest, apiKeysFile: keysFile }, readApi: { ...config.readApi, host: '127.0.0.1', port: 0 } },
        logger,
        clickhouse: client,
      });
      closers.push(() => readApi.close());
      const agent = new Agent({ keepAlive: true, maxSockets: 64 });
      closers.push(async () => agent.destroy());
      let apiCall = 0;
      const callApi = (): Promise<void> =>
        new Promise((resolve, reject) => {
          const store = `S${String((apiCall++ % 50) + 1).padStart(3, '0')}`;
          httpGet(`${readApi.url}/v1/stores/${store}/at-risk?limit=50`, { agent, headers: { authorization: `Bearer ${key.key}` } }, (response) => {
            response.resume();
            response.on('end', () => (response.statusCode === 200 ? resolve() : reject(new Error(`read API answered ${response.statusCode}`))));
            response.on('error', reject);
          }).on('error', reject);
        });

      const browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: ['--disable-dev-shm-usage', '--disable-gpu'] });
      closers.push(() => browser.close());
      const page = await (await browser.newContext({ viewport: { width: 1400, height: 1000 } })).newPage();
      await page.goto(`${web.url}/login`);
      await page.fill('#user', ANALYST);
      await page.fill('#password', password);
      await Promise.all([page.waitForURL(`${web.url}/executive`), page.click('#sign-in')]);
      await page.waitForSelector('body[data-drawn]', { state: 'attached', timeout: 120_000 });
      const charts = Number(await page.$eval('body', (b) => (b as unknown as { dataset: { charts: string } }).dataset.charts));
      const libraries = await compareChartLibraries(await browser.newPage());

      // Baselines: nothing else running.
      await loadPages(page, web.url, SHAPE.warmupRounds);
      const idlePages = await loadPages(page, web.url, SHAPE.idleRounds);
      const uncachedPage = await (await browser.newContext({ viewport: { width: 1400, height: 1000 } })).newPage();
      await uncachedPage.goto(`${uncachedWeb.url}/login`);
      await uncachedPage.fill('#user', ANALYST);
      await uncachedPage.fill('#password', password);
      await Promise.all([uncachedPage.waitForURL(`${uncachedWeb.url}/executive`), uncachedPage.click('#sign-in')]);
      await uncachedPage.waitForSelector('body[data-drawn]', { state: 'attached', timeout: 120_000 });
      const uncachedPages = await loadPages(uncachedPage, uncachedWeb.url, SHAPE.idleRounds);
      let idleDone = false;
      const idleStop = setTimeout(() => (idleDone = true), 10_000);
      const idleApi = await openLoop(callApi, SHAPE.apiRatePerS, () => idleDone);
      clearTimeout(idleStop);

      // Loaded: the processor at 10k events/s, the API at 200/s and the pages, together.
      const velocity = await liveVelocity(config, logger, client);
      let rate: number;
      let loadedPages: number[];
      let loadedApi: number[];
      try {
        await sleep(3_000); // the processor's group joined and reading
        let done = false;
        const timer = setTimeout(() => (done = true), SHAPE.loadedSeconds * 1000);
        [loadedPages, loadedApi] = await Promise.all([loadPages(page, web.url, Number.POSITIVE_INFINITY, () => done), openLoop(callApi, SHAPE.apiRatePerS, () => done)]);
        clearTimeout(timer);
      } finally {
        rate = await velocity.stop();
      }

      const pageP95 = percentile(loadedPages, 95);
      const apiP99 = percentile(loadedApi, 99);
      const pageIdleP95 = percentile(idlePages, 95);
      const apiIdleP99 = percentile(idleApi, 99);
      return {
        page_p95_ms: Math.round(pageP95),
        api_p99_ms: Math.round(apiP99 * 10) / 10,
        page_idle_p95_ms: Math.round(pageIdleP95),
        page_uncached_p95_ms: Math.round(percentile(uncachedPages, 95)),
        api_idle_p99_ms: Math.round(apiIdleP99 * 10) / 10,
        page_ratio: pageP95 / pageIdleP95,
        api_ratio: apiP99 / apiIdleP99,
        page_loads: loadedPages.length,
        api_requests: loadedApi.length,
        processor_events_per_s: Math.round(rate),
        target_events_per_s: SHAPE.eventsPerS,
        charts_on_executive: charts,
        ...libraries,
        year_synthetic: 1,
      };
    } finally {
      for (const close of closers.reverse()) await close().catch(() => undefined);
      await client.close();
      rmSync(workDir, { recursive: true, force: true });
    }
  },
};
