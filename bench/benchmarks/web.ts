/**
 * web: the dashboards as a person sees them, on the BI query bench's synthetic year (50 stores x
 * 2,000 skus, bench/benchmarks/bi-query.ts builds and caches it), read through the SQL endpoint's
 * executor as a chain analyst, in headless Chromium (Debian's chromium through playwright-core).
 *
 * - page_p95_ms: navigation to a dashboard until every chart of it is drawn (the page marks
 *   `body[data-drawn]` after its last chart), over the four dashboards in turn, measured while the
 *   velocity processor consumes 10k events/s (sales produced live at that rate) and the read API
 *   answers 200 requests/s (the at-risk route of the 50 stores, open loop, the same engine);
 * - api_p99_ms: those read API requests, each timed from when it was due;
 * - where the load comes from: the sales producer (bench/live-sales-producer.ts), the read API's
 *   client (bench/read-api-load.ts) and the browser's driver (bench/page-load.ts) run in child
 *   processes, as the tills, store systems and browsers are other machines: the bench's process
 *   then only serves, as `run all` does (web app, read API, SQL executor, the velocity processor).
 *   The same three generators also run in the bench's own process, the way the bench measured
 *   before (page_p95_in_process_ms, api_p99_in_process_ms): loaded phases alternate child,
 *   in-process, child, in-process, SHAPE.phaseSeconds each, every phase preceded by the same
 *   untimed warm-up (a round of the dashboards; one API request per store, which fills the API's
 *   cache the first time and compiles the client each time) and followed by the processor catching
 *   up, so no phase inherits a backlog. The web app process's event-loop delay (p99, max) of each;
 * - the processor's yielding (STREAM_YIELD_AFTER_MS): a third phase in each round, generators in
 *   child processes, with a second velocity processor at the other setting (alt_yield_after_ms:
 *   SHAPE.yieldAfterMs when the configured one is 0, else 0): *_alt_yield_ms beside the figures;
 * - page_uncached_p95_ms: the same four pages with the page cache off (WEB_CACHE_TTL_MS=0), idle:
 *   what a load costs when new data arrived since the last one (every load, under live sales);
 * - the baselines, in the same run: the same page loads and the same API load (its generators in
 *   child processes, warmed up the same way) with the processor idle and nothing else running
 *   (page_idle_p95_ms, api_idle_p99_ms), and their ratios;
 * - the charting library: the bundle each candidate ships and the time it takes to draw a year of
 *   two daily series in this Chromium (median of 20 draws): uPlot (chosen) against Chart.js.
 */
import { fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kafka, Producer } from 'kafkajs';
import type { Page } from 'playwright-core';
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
import { executorReader, startWebService } from '../../services/web';
import { startProcessor } from '../../streams/runtime/runner';
import { velocityProcessor } from '../../streams/velocity/velocity';
import { percentile, profilePhase, type Benchmark } from '../harness';
import { produceLiveSales } from '../live-sales-producer';
import { childLoad, inProcessLoad, type LoadHandle, type PrepareLoad } from '../load-child';
import { launchBrowser, preparePageLoad, signIn, type PageLoadArgs } from '../page-load';
import { prepareReadApiLoad, type ReadApiLoadArgs } from '../read-api-load';
import { BI_YEAR_DATABASE, biYearFolder, ensureYear } from './bi-query';

const SHAPE = {
  eventsPerS: 10_000, // the processors' input rate the issue asks for
  apiRatePerS: 200,
  phaseSeconds: 15, // of each loaded phase
  loadedRounds: 2, // of the alternating loaded phases (generators in child processes, then in this one): 30 s of each
  maxProduceSeconds: 600, // a bound on a phase's producer, which its phase stops long before
  idleRounds: 1, // page loads of each dashboard with nothing else running
  idleApiSeconds: 10, // of the read API's baseline
  warmupRounds: 1, // rounds of the dashboards before a generator's pages are timed
  chartDraws: 20,
  yieldAfterMs: 5, // the processor's yielding the alternate phase tries when STREAM_YIELD_AFTER_MS is 0
} as const;

/** Where a phase's load generators run: their own processes (as store systems and browsers do), or the web app's. */
type Placement = 'child' | 'in-process';

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

/** The velocity processor on a fresh topic, reading what the loaded phases produce into it. */
interface LiveVelocity {
  readonly topic: string;
  /** Records it has read so far. */
  read(): Promise<number>;
  /** Waits until it has read everything produced to its topic, so a phase does not inherit the last one's backlog. */
  drained(timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

async function startVelocity(config: Config, logger: Logger, client: ClickHouseClient, kafka: Kafka, codec: EventCodec, yieldAfterMs: number): Promise<LiveVelocity> {
  const topic = `bench.web.${Date.now()}.yield-${yieldAfterMs}`;
  const admin = kafka.admin();
  await admin.connect();
  await createTopicsWithLeaders(admin, [{ topic, numPartitions: config.topics.partitions, replicationFactor: 1 }]);
  const database = `bench_web_velocity_${Date.now()}_yield_${yieldAfterMs}`;
  await client.command({ query: `CREATE DATABASE ${database}` });
  await migrate(client, database);
  const metrics = createMetrics(`bench-web-${yieldAfterMs}`, { collectDefaults: false });
  const eventsIn = metrics.counter('events_in_total', 'records read by a processor', ['processor', 'topic']);
  const processor = await startProcessor(velocityProcessor({ maxOutOfOrderMs: 5_000, allowedLatenessMs: 60_000, salesTopic: topic }), { kafka, codec, clickhouse: client, logger, metrics }, { ...config.streams, yieldAfterMs, database, groupId: `${topic}.pipeline` });
  const read = async (): Promise<number> => (await eventsIn.get()).values.reduce((s, v) => s + v.value, 0);
  return {
    topic,
    read,
    async drained(timeoutMs) {
      const produced = (await admin.fetchTopicOffsets(topic)).reduce((s, p) => s + Number(p.high), 0);
      const deadline = performance.now() + timeoutMs;
      while ((await read()) < produced) {
        if (performance.now() > deadline) throw new Error(`velocity read ${await read()} of ${produced} sales in ${timeoutMs} ms`);
        await sleep(100);
      }
    },
    async stop() {
      await processor.stop();
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
      await client.command({ query: `DROP DATABASE IF EXISTS ${database} SYNC` });
    },
  };
}

/** Sales at SHAPE.eventsPerS into `topic` (bench/live-sales-producer.ts) from a child process or this one, until stop(), which answers the rate sent. */
async function startSales(placement: Placement, topic: string, producer: Producer, codec: EventCodec): Promise<{ stop(): Promise<number> }> {
  if (placement === 'in-process') {
    let stopped = false;
    const sent = produceLiveSales(producer, codec, topic, SHAPE.eventsPerS, SHAPE.maxProduceSeconds, () => stopped);
    return {
      stop: () => {
        stopped = true;
        return sent;
      },
    };
  }
  const child = fork(join(__dirname, '..', 'live-sales-producer.js'), [topic, String(SHAPE.eventsPerS), String(SHAPE.maxProduceSeconds)], { env: process.env, stdio: 'inherit' });
  const sent = new Promise<number>((resolve, reject) => {
    child.once('message', (m: { rate: number }) => resolve(m.rate));
    child.once('exit', (code) => reject(new Error(`the live producer exited (${code}) before answering`)));
  });
  sent.catch(() => undefined); // observed by stop()
  return {
    stop: () => {
      if (child.connected) child.send({ stop: true });
      return sent;
    },
  };
}

const load = <A>(placement: Placement, file: string, prepare: PrepareLoad<A>, args: A): Promise<LoadHandle> =>
  placement === 'child' ? childLoad(join(__dirname, '..', file), args) : inProcessLoad(prepare, args);

interface LoadedPhase {
  readonly pages: number[];
  readonly api: number[];
  readonly eventsPerS: number;
  /** The web app process's event-loop delay over the phase (ms). */
  readonly loopP99Ms: number;
  readonly loopMaxMs: number;
}

/**
 * The processor reading sales at 10k/s, the read API at 200/s and the dashboards opened in turn,
 * together for SHAPE.phaseSeconds, with the three generators in child processes or in this one.
 */
async function loadedPhase(placement: Placement, velocity: LiveVelocity, producer: Producer, codec: EventCodec, api: ReadApiLoadArgs, pages: PageLoadArgs): Promise<LoadedPhase> {
  const apiLoad = await load(placement, 'read-api-load.js', prepareReadApiLoad, api);
  let pageLoad: LoadHandle | undefined;
  let sales: { stop(): Promise<number> } | undefined;
  let ended = false;
  let salesStopped = false;
  try {
    pageLoad = await load(placement, 'page-load.js', preparePageLoad, pages);
    sales = await startSales(placement, velocity.topic, producer, codec);
    const before = await velocity.read();
    const deadline = performance.now() + 60_000;
    while ((await velocity.read()) === before) {
      if (performance.now() > deadline) throw new Error('the velocity processor read nothing of the live sales in 60 s');
      await sleep(50);
    }
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const stopProfile = await profilePhase(`web-${placement}`);
    const read0 = await velocity.read();
    const t0 = performance.now();
    apiLoad.start();
    pageLoad.start();
    await sleep(SHAPE.phaseSeconds * 1000); // the phase's length: every generator runs open for it
    ended = true;
    const [apiTimes, pageTimes] = await Promise.all([apiLoad.stop(), pageLoad.stop()]);
    const eventsPerS = ((await velocity.read()) - read0) / ((performance.now() - t0) / 1000);
    loop.disable();
    await stopProfile();
    salesStopped = true;
    await sales.stop();
    await velocity.drained(120_000);
    return { pages: pageTimes, api: apiTimes, eventsPerS, loopP99Ms: loop.percentile(99) / 1e6, loopMaxMs: loop.max / 1e6 };
  } finally {
    if (!ended) await Promise.allSettled([apiLoad.stop(), pageLoad?.stop()]);
    if (!salesStopped) await sales?.stop().catch(() => undefined);
  }
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
      const apiArgs: ReadApiLoadArgs = { url: readApi.url, key: key.key, ratePerS: SHAPE.apiRatePerS };
      const pageArgs: PageLoadArgs = { url: web.url, user: ANALYST, password, warmupRounds: SHAPE.warmupRounds, rounds: 0 };

      // The charts of a page and the charting libraries, in a browser of this process, closed before anything is timed.
      const browser = await launchBrowser();
      let charts: number;
      let libraries: Record<string, number>;
      try {
        const page = await signIn(browser, web.url, ANALYST, password);
        charts = Number(await page.$eval('body', (b) => (b as unknown as { dataset: { charts: string } }).dataset.charts));
        libraries = await compareChartLibraries(await browser.newPage());
      } finally {
        await browser.close();
      }

      // Baselines, with nothing else running (the generators in child processes, as in the loaded phases).
      const idlePageLoad = await childLoad(join(__dirname, '..', 'page-load.js'), { ...pageArgs, rounds: SHAPE.idleRounds });
      idlePageLoad.start();
      const idlePages = await idlePageLoad.done();
      const uncachedLoad = await childLoad(join(__dirname, '..', 'page-load.js'), { ...pageArgs, url: uncachedWeb.url, warmupRounds: 0, rounds: SHAPE.idleRounds });
      uncachedLoad.start();
      const uncachedPages = await uncachedLoad.done();
      const idleApiLoad = await childLoad(join(__dirname, '..', 'read-api-load.js'), apiArgs);
      idleApiLoad.start();
      await sleep(SHAPE.idleApiSeconds * 1000); // the phase's length
      const idleApi = await idleApiLoad.stop();

      // Loaded: the processor at 10k events/s, the API at 200/s and the pages together, the
      // generators in child processes and in this one, alternately.
      const kafka = createKafka(config.kafka, logger, 'bench');
      const codec = await EventCodec.create(createSchemaRegistry(config.registry), config.registry, loadCatalog());
      const producer = createProducer(kafka);
      await producer.connect();
      closers.push(() => producer.disconnect());
      const velocity = await startVelocity(config, logger, client, kafka, codec, config.streams.yieldAfterMs);
      closers.push(() => velocity.stop());
      // The processor with the other yielding setting: in one go when the configured one yields, else yielding.
      const altYieldAfterMs = config.streams.yieldAfterMs > 0 ? 0 : SHAPE.yieldAfterMs;
      const altYield = await startVelocity(config, logger, client, kafka, codec, altYieldAfterMs);
      closers.push(() => altYield.stop());
      const phases = { child: [] as LoadedPhase[], 'in-process': [] as LoadedPhase[], altYield: [] as LoadedPhase[] };
      for (let round = 0; round < SHAPE.loadedRounds; round++) {
        phases.child.push(await loadedPhase('child', velocity, producer, codec, apiArgs, pageArgs));
        phases['in-process'].push(await loadedPhase('in-process', velocity, producer, codec, apiArgs, pageArgs));
        phases.altYield.push(await loadedPhase('child', altYield, producer, codec, apiArgs, pageArgs));
      }
      const merged = (phase: keyof typeof phases) => {
        const runs = phases[phase];
        return {
          pages: runs.flatMap((r) => r.pages),
          api: runs.flatMap((r) => r.api),
          eventsPerS: runs.reduce((s, r) => s + r.eventsPerS, 0) / runs.length,
          loopP99Ms: Math.max(...runs.map((r) => r.loopP99Ms)),
          loopMaxMs: Math.max(...runs.map((r) => r.loopMaxMs)),
        };
      };
      const out = merged('child');
      const inProcess = merged('in-process');
      const altYieldRuns = merged('altYield');

      const pageP95 = percentile(out.pages, 95);
      const apiP99 = percentile(out.api, 99);
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
        page_p95_in_process_ms: Math.round(percentile(inProcess.pages, 95)),
        api_p99_in_process_ms: Math.round(percentile(inProcess.api, 99) * 10) / 10,
        api_p50_ms: Math.round(percentile(out.api, 50) * 10) / 10,
        api_p50_in_process_ms: Math.round(percentile(inProcess.api, 50) * 10) / 10,
        event_loop_p99_ms: Math.round(out.loopP99Ms),
        event_loop_max_ms: Math.round(out.loopMaxMs),
        event_loop_p99_in_process_ms: Math.round(inProcess.loopP99Ms),
        event_loop_max_in_process_ms: Math.round(inProcess.loopMaxMs),
        yield_after_ms: config.streams.yieldAfterMs,
        alt_yield_after_ms: altYieldAfterMs,
        api_p99_alt_yield_ms: Math.round(percentile(altYieldRuns.api, 99) * 10) / 10,
        api_p50_alt_yield_ms: Math.round(percentile(altYieldRuns.api, 50) * 10) / 10,
        page_p95_alt_yield_ms: Math.round(percentile(altYieldRuns.pages, 95)),
        event_loop_p99_alt_yield_ms: Math.round(altYieldRuns.loopP99Ms),
        event_loop_max_alt_yield_ms: Math.round(altYieldRuns.loopMaxMs),
        processor_events_per_s_alt_yield: Math.round(altYieldRuns.eventsPerS),
        page_loads: out.pages.length,
        api_requests: out.api.length,
        page_loads_in_process: inProcess.pages.length,
        api_requests_in_process: inProcess.api.length,
        processor_events_per_s: Math.round(out.eventsPerS),
        processor_events_per_s_in_process: Math.round(inProcess.eventsPerS),
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
