/**
 * web: the dashboards as a person sees them, on the BI query bench's synthetic year (50 stores x
 * 2,000 skus, bench/benchmarks/bi-query.ts builds and caches it), read through the SQL endpoint's
 * executor as a chain analyst, in headless Chromium (Debian's chromium through playwright-core).
 *
 * - page_p95_ms: navigation to a dashboard until every chart of it is drawn (the page marks
 *   `body[data-drawn]` after its last chart), over the four dashboards in turn, measured while the
 *   velocity processor consumes 10k events/s (sales produced live at that rate) and the read API
 *   answers 200 requests/s (the at-risk route of the 50 stores, open loop, the same engine);
 * - api_p99_ms: those read API requests, each timed from when it was due, served as `run all`
 *   serves them: from a worker thread (services/read-api/worker-host.ts), queries run by this
 *   thread, which owns chDB and runs the processor and the web app;
 * - the previous path in the same run (api_p99_main_thread_ms): the same read API served on this
 *   thread, sharing its event loop with the processor. Loaded phases alternate main thread,
 *   worker, worker at the other nice (below), twice, SHAPE.phaseSeconds each, every phase preceded by the same untimed
 *   warm-up (a round of the dashboards; one API request per store, which fills the API's cache the
 *   first time and compiles the client each time) and followed by the processor catching up, so
 *   no phase inherits a backlog. The load generators (bench/live-sales-producer.ts,
 *   bench/read-api-load.ts, bench/page-load.ts) run in child processes, as the tills, store
 *   systems and browsers are other machines. Per phase: this thread's event-loop delay (p99, max)
 *   and utilisation, and the CPU this process took (process_cores: 2 is the whole machine), by
 *   thread group (cores_*: the main thread; the other Node threads, the read API's worker among
 *   them; the engine's threads);
 * - the read API thread's scheduling (READ_API_THREAD_RT_PRIORITY): a third phase in each round,
 *   served from a second worker under the other scheduling (alt_thread_rt_priority:
 *   SHAPE.altRtPriority when the configured one is 0, else 0, the ordinary scheduler at
 *   READ_API_THREAD_NICE): *_alt figures beside the worker's, the tail's split and the worker
 *   thread's wait for a core included. (Nice -10 against 0 was measured this way before: 63
 *   against 255 ms, results.jsonl of 2026-12-07T03:26.) The load generator asks for the same
 *   real-time priority in every phase (SHAPE.generatorRtPriority): it stands for other machines;
 * - where the slowest read API requests' time goes (the worker's, api_tail_*): the slowest 1%
 *   split by the generator into sent late (its own loop or process held up), the server's part
 *   (its Server-Timing `app`: a cache miss waiting on the engine shows here) and the rest (kernel,
 *   the worker not reading its socket, the generator not reading the answer); beside it the
 *   worker thread's loop delay, GC pauses, CPU and wait for a core (worker_*, lib/thread-stats.ts),
 *   the generator's own (generator_*), and every thread group's wait for a core (run_queue_wait_*);
 * - hit_object_us, hit_text_us: one cached at-risk answer (50 rows) served by Fastify (inject,
 *   no socket) as the object the cache used to keep, and as the JSON text it keeps now, alternately
 *   in blocks, median per request;
 * - page_uncached_p95_ms: the same four pages with the page cache off (WEB_CACHE_TTL_MS=0), idle:
 *   what a load costs when new data arrived since the last one (every load, under live sales);
 * - the baselines, in the same run: the same page loads and the same API load (through the worker,
 *   warmed up the same way) with the processor idle and nothing else running (page_idle_p95_ms,
 *   api_idle_p99_ms), and their ratios;
 * - the charting library: the bundle each candidate ships and the time it takes to draw a year of
 *   two daily series in this Chromium (median of 20 draws): uPlot (chosen) against Chart.js.
 */
import { fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import Fastify from 'fastify';
import type { Kafka } from 'kafkajs';
import type { Page } from 'playwright-core';
import { fillCalendar } from '../../clickhouse/calendar';
import { refreshExchangeRates } from '../../clickhouse/exchange-rate-refresh';
import { migrate } from '../../clickhouse/migrate';
import { applyReportingCurrency } from '../../clickhouse/reporting-currency';
import { createClickHouse, type ClickHouseClient } from '../../lib/clients/clickhouse';
import { ENGINE_LANES } from '../../lib/engine-lanes';
import { createKafka } from '../../lib/clients/kafka';
import { createSchemaRegistry } from '../../lib/clients/registry';
import type { Config } from '../../lib/config';
import { EventCodec } from '../../lib/events/codec';
import type { Logger } from '../../lib/logger';
import { createMetrics } from '../../lib/metrics';
import { REPO_ROOT } from '../../lib/paths';
import { parseSchedstat, type ThreadStats } from '../../lib/thread-stats';
import { loadCatalog } from '../../schemas/catalog';
import { createTopicsWithLeaders } from '../../services/bootstrap/topics';
import { ANY_STORE, generateApiKey, writeKeysFile } from '../../services/ingest/api-keys';
import { startReadApiService, startReadApiWorker, type ReadApiWorkerService } from '../../services/read-api';
import { EMPTY_USERS, withUser, writeBiUsers } from '../../services/sql/bi-users';
import { createSqlExecutor } from '../../services/sql/executor';
import { hashPassword } from '../../services/sql/passwords';
import { executorReader, startWebService } from '../../services/web';
import { startProcessor } from '../../streams/runtime/runner';
import { velocityProcessor } from '../../streams/velocity/velocity';
import { percentile, profilePhase, type Benchmark } from '../harness';
import { childLoad, type LoadHandle } from '../load-child';
import { launchBrowser, signIn, type PageLoadArgs } from '../page-load';
import type { ReadApiLoadArgs } from '../read-api-load';
import { BI_YEAR_DATABASE, biYearFolder, ensureYear } from './bi-query';

const SHAPE = {
  eventsPerS: 10_000, // the processors' input rate the issue asks for
  apiRatePerS: 200,
  phaseSeconds: 15, // of each loaded phase
  loadedRounds: 2, // of the alternating loaded phases (read API on this thread, in its worker, in a worker at the other nice): 30 s of each
  maxProduceSeconds: 600, // a bound on a phase's producer, which its phase stops long before
  idleRounds: 1, // page loads of each dashboard with nothing else running
  idleApiSeconds: 10, // of the read API's baseline
  warmupRounds: 1, // rounds of the dashboards before a generator's pages are timed
  chartDraws: 20,
  hitBlocks: 10, // alternating blocks of the cache-hit comparison
  hitsPerBlock: 500,
  altRtPriority: 1, // the read API thread's real-time priority the alternate phase tries when READ_API_THREAD_RT_PRIORITY is 0
  generatorNice: -10, // the read API load generator's (bench/read-api-load.ts): store systems are other machines
  generatorRtPriority: 1, // and its real-time priority (SCHED_RR), for the same reason: nice alone is defeated by the session autogroups
} as const;

/**
 * Where a phase's read API is served: this thread (the processor's), a worker thread as `run all`
 * serves it (READ_API_THREAD_NICE, READ_API_THREAD_RT_PRIORITY), or a worker thread under the
 * other scheduling (real time at SHAPE.altRtPriority when the configured priority is 0, else the
 * ordinary scheduler).
 */
type Serving = 'main-thread' | 'worker' | 'worker-alt';

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

/** Sales at SHAPE.eventsPerS into `topic` (bench/live-sales-producer.ts) from a child process, until stop(), which answers the rate sent. */
async function startSales(topic: string): Promise<{ stop(): Promise<number> }> {
  const child = fork(join(__dirname, '..', 'live-sales-producer.js'), [topic, String(SHAPE.eventsPerS), String(SHAPE.maxProduceSeconds)], { env: process.env, stdio: 'inherit' });
  const sent = new Promise<number>((resolve, reject) => {
    child.once('message', (m: { rate: number }) => resolve(m.rate));
    // 'close', not 'exit': the channel has delivered every message by then (under load 35 'exit'
    // came first once and failed a run whose producer had answered).
    child.once('close', (code) => reject(new Error(`the live producer exited (${code}) before answering`)));
  });
  sent.catch(() => undefined); // observed by stop()
  return {
    stop: () => {
      if (child.connected) child.send({ stop: true });
      return sent;
    },
  };
}

const load = <A>(file: string, args: A, execArgv: readonly string[] = []): Promise<LoadHandle> => childLoad(join(__dirname, '..', file), args, execArgv);

/**
 * The read API generator's V8 flags: its garbage collected on its own thread only. With V8's
 * helper threads (ordinary scheduling, behind the busy machine's threads) a collection of the
 * real-time generator waited for them: GC pauses of 270 ms and requests sent 219 ms late (the
 * slowest 1%) at load 25, though the generator's thread itself waited 1 ms/s for a core. A store
 * system on another machine would not wait for this machine's cores.
 */
const API_LOAD_EXEC_ARGV = ['--single-threaded-gc'];

/** Who takes this process's CPU: its main thread (processor, web app, SQL executor), its other Node threads (the read API's worker, V8's and libuv's helpers) and the engine's (chDB names its threads). */
type ThreadGroup = 'main' | 'node_other' | 'engine';

/**
 * CPU seconds so far per thread group, from /proc/self/task/<tid>/stat (utime + stime, in clock
 * ticks of 10 ms), and the seconds its threads waited runnable for a core (schedstat's second
 * field, ns): zeros off Linux.
 */
function cpuByThreadGroup(): Record<ThreadGroup | `${ThreadGroup}_wait`, number> {
  const total: Record<ThreadGroup | `${ThreadGroup}_wait`, number> = { main: 0, node_other: 0, engine: 0, main_wait: 0, node_other_wait: 0, engine_wait: 0 };
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return total;
  }
  for (const tid of tids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended meanwhile
    }
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const seconds = (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime; USER_HZ is 100 on Linux
    const group: ThreadGroup = Number(tid) === process.pid ? 'main' : comm === 'node' ? 'node_other' : 'engine';
    total[group] += seconds;
    try {
      total[`${group}_wait`] += parseSchedstat(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8')).waitNs / 1e9;
    } catch {
      // the thread ended meanwhile, or no schedstat
    }
  }
  return total;
}

interface LoadedPhase {
  readonly pages: number[];
  readonly api: number[];
  readonly eventsPerS: number;
  /** The web app process's event-loop delay over the phase (ms). */
  readonly loopP99Ms: number;
  readonly loopMaxMs: number;
  /** This thread's event-loop utilisation over the phase (0-1). */
  readonly loopUtilization: number;
  /** CPU time of this process (every thread, chDB's included) per second of the phase: cores. */
  readonly processCores: number;
  /** The same, per thread group; `*_wait`: seconds its threads waited runnable for a core, per second. */
  readonly threadCores: Record<ThreadGroup | `${ThreadGroup}_wait`, number>;
  /** The read API load generator's split of its slowest requests and its own thread (bench/read-api-load.ts). */
  readonly apiReport: Record<string, number>;
  /** The read API worker thread over the phase (phases served from a worker). */
  readonly worker?: ThreadStats;
  /** The machine's 1-minute load average at the phase's end (every engineer's work on it). */
  readonly load1m: number;
}

/**
 * The processor reading sales at 10k/s, the read API at 200/s and the dashboards opened in turn,
 * together for SHAPE.phaseSeconds, the read API served from `serving` (its URL in `api`).
 */
async function loadedPhase(serving: Serving, velocity: LiveVelocity, api: ReadApiLoadArgs, pages: PageLoadArgs, worker: ReadApiWorkerService | undefined): Promise<LoadedPhase> {
  const apiLoad = await load('read-api-load.js', api, API_LOAD_EXEC_ARGV);
  let pageLoad: LoadHandle | undefined;
  let sales: { stop(): Promise<number> } | undefined;
  let ended = false;
  let salesStopped = false;
  try {
    pageLoad = await load('page-load.js', pages);
    sales = await startSales(velocity.topic);
    const before = await velocity.read();
    const deadline = performance.now() + 60_000;
    while ((await velocity.read()) === before) {
      if (performance.now() > deadline) throw new Error('the velocity processor read nothing of the live sales in 60 s');
      await sleep(50);
    }
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const stopProfile = await profilePhase(`web-${serving}`);
    const read0 = await velocity.read();
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const threads0 = cpuByThreadGroup();
    const elu0 = performance.eventLoopUtilization();
    await worker?.threadStats(); // from here
    apiLoad.start();
    pageLoad.start();
    await sleep(SHAPE.phaseSeconds * 1000); // the phase's length: every generator runs open for it
    ended = true;
    const [apiTimes, pageTimes] = await Promise.all([apiLoad.stop(), pageLoad.stop()]);
    const workerStats = await worker?.threadStats();
    const apiReport = await apiLoad.report();
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const threads1 = cpuByThreadGroup();
    const threadCores = Object.fromEntries((Object.keys(threads1) as (keyof typeof threads1)[]).map((g) => [g, (threads1[g] - threads0[g]) / seconds])) as LoadedPhase['threadCores'];
    const loopUtilization = performance.eventLoopUtilization(elu0).utilization;
    const eventsPerS = ((await velocity.read()) - read0) / seconds;
    loop.disable();
    await stopProfile();
    salesStopped = true;
    await sales.stop();
    await velocity.drained(120_000);
    return {
      pages: pageTimes,
      api: apiTimes,
      eventsPerS,
      loopP99Ms: loop.percentile(99) / 1e6,
      loopMaxMs: loop.max / 1e6,
      loopUtilization,
      processCores: (cpu.user + cpu.system) / 1e6 / seconds,
      threadCores,
      apiReport,
      ...(workerStats ? { worker: workerStats } : {}),
      load1m: loadavg()[0]!,
    };
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

/**
 * What a cache hit costs the read API's thread: one at-risk answer served by Fastify as the object
 * the cache used to keep (serialized on every request) and as the JSON text it keeps now,
 * alternately in blocks; the median over blocks of the time per request (us).
 */
async function compareCacheHits(url: string, key: string): Promise<Record<string, number>> {
  const response = await fetch(url, { headers: { authorization: `Bearer ${key}` } });
  if (response.status !== 200) throw new Error(`read API answered ${response.status} for ${url}`);
  const text = await response.text();
  const answer = JSON.parse(text) as object;
  const app = Fastify();
  app.get('/object', async () => answer);
  app.get('/text', (_request, reply) => reply.type('application/json; charset=utf-8').send(text));
  await app.ready();
  const perRequestUs = async (path: string): Promise<number> => {
    const t0 = performance.now();
    for (let i = 0; i < SHAPE.hitsPerBlock; i++) await app.inject({ method: 'GET', url: path });
    return ((performance.now() - t0) * 1000) / SHAPE.hitsPerBlock;
  };
  const object: number[] = [];
  const textUs: number[] = [];
  await perRequestUs('/object'); // compiles both paths before anything is timed
  await perRequestUs('/text');
  for (let block = 0; block < SHAPE.hitBlocks; block++) {
    object.push(await perRequestUs('/object'));
    textUs.push(await perRequestUs('/text'));
  }
  await app.close();
  const objectUs = percentile(object, 50);
  const hitTextUs = percentile(textUs, 50);
  return { hit_object_us: Math.round(objectUs), hit_text_us: Math.round(hitTextUs), hit_text_ratio: Math.round((hitTextUs / objectUs) * 100) / 100, hit_answer_bytes: Buffer.byteLength(text) };
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
    const loadStart = loadavg()[0]!;
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
      const apiConfig: Config = { ...config, clickhouse: { ...config.clickhouse, dataDir: folder, database: BI_YEAR_DATABASE }, ingest: { ...config.ingest, apiKeysFile: keysFile }, readApi: { ...config.readApi, host: '127.0.0.1', port: 0 } };
      // The previous path: on this thread, beside the processor. Then as `run all` serves it.
      const mainThreadApi = await startReadApiService({ config: apiConfig, logger, clickhouse: client });
      closers.push(() => mainThreadApi.close());
      const workerApi = await startReadApiWorker({ config: apiConfig, logger, clickhouse: client });
      closers.push(() => workerApi.close());
      const altRtPriority = config.readApi.threadRtPriority === 0 ? SHAPE.altRtPriority : 0;
      const altApi = await startReadApiWorker({ config: { ...apiConfig, readApi: { ...apiConfig.readApi, threadRtPriority: altRtPriority } }, logger, clickhouse: client });
      closers.push(() => altApi.close());
      const servers = { 'main-thread': mainThreadApi, worker: workerApi, 'worker-alt': altApi };
      const apiArgsOf = (serving: Serving): ReadApiLoadArgs => ({ url: servers[serving].url, key: key.key, ratePerS: SHAPE.apiRatePerS, nice: SHAPE.generatorNice, rtPriority: SHAPE.generatorRtPriority });
      const apiArgs = apiArgsOf('worker');
      const pageArgs: PageLoadArgs = { url: web.url, user: ANALYST, password, warmupRounds: SHAPE.warmupRounds, rounds: 0 };
      const hits = await compareCacheHits(`${workerApi.url}/v1/stores/S001/at-risk?limit=50`, key.key);

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
      const idleApiLoad = await childLoad(join(__dirname, '..', 'read-api-load.js'), apiArgs, API_LOAD_EXEC_ARGV);
      idleApiLoad.start();
      await sleep(SHAPE.idleApiSeconds * 1000); // the phase's length
      const idleApi = await idleApiLoad.stop();

      // Loaded: the processor at 10k events/s, the API at 200/s and the pages together, the read
      // API served on this thread and from its worker, alternately.
      const kafka = createKafka(config.kafka, logger, 'bench');
      const codec = await EventCodec.create(createSchemaRegistry(config.registry), config.registry, loadCatalog());
      const velocity = await startVelocity(config, logger, client, kafka, codec, config.streams.yieldAfterMs);
      closers.push(() => velocity.stop());
      const phases: Record<Serving, LoadedPhase[]> = { 'main-thread': [], worker: [], 'worker-alt': [] };
      for (let round = 0; round < SHAPE.loadedRounds; round++) {
        for (const serving of ['main-thread', 'worker', 'worker-alt'] as const) {
          phases[serving].push(await loadedPhase(serving, velocity, apiArgsOf(serving), pageArgs, serving === 'main-thread' ? undefined : servers[serving]));
        }
      }
      const merged = (serving: Serving) => {
        const runs = phases[serving];
        const mean = (f: (r: LoadedPhase) => number): number => runs.reduce((sum, r) => sum + f(r), 0) / runs.length;
        return {
          pages: runs.flatMap((r) => r.pages),
          api: runs.flatMap((r) => r.api),
          eventsPerS: mean((r) => r.eventsPerS),
          loopP99Ms: Math.max(...runs.map((r) => r.loopP99Ms)),
          loopMaxMs: Math.max(...runs.map((r) => r.loopMaxMs)),
          loopUtilization: mean((r) => r.loopUtilization),
          processCores: mean((r) => r.processCores),
          mainCores: mean((r) => r.threadCores.main),
          nodeOtherCores: mean((r) => r.threadCores.node_other),
          engineCores: mean((r) => r.threadCores.engine),
          // Where the slowest requests' time went (mean over phases) and how the threads fared.
          tail: (key: string) => mean((r) => r.apiReport[key] ?? NaN),
          waitMain: mean((r) => r.threadCores.main_wait),
          waitNodeOther: mean((r) => r.threadCores.node_other_wait),
          waitEngine: mean((r) => r.threadCores.engine_wait),
          worker: (f: (w: ThreadStats) => number) => (runs.every((r) => r.worker) ? mean((r) => f(r.worker!)) : NaN),
          workerMax: (f: (w: ThreadStats) => number) => (runs.every((r) => r.worker) ? Math.max(...runs.map((r) => f(r.worker!))) : NaN),
          load1m: mean((r) => r.load1m),
        };
      };
      const out = merged('worker');
      const main = merged('main-thread');
      const alt = merged('worker-alt');

      const pageP95 = percentile(out.pages, 95);
      const apiP99 = percentile(out.api, 99);
      const pageIdleP95 = percentile(idlePages, 95);
      const apiIdleP99 = percentile(idleApi, 99);
      const round1 = (x: number): number => Math.round(x * 10) / 10;
      const round2 = (x: number): number => Math.round(x * 100) / 100;
      return {
        page_p95_ms: Math.round(pageP95),
        api_p99_ms: round1(apiP99),
        api_p50_ms: round1(percentile(out.api, 50)),
        api_p99_main_thread_ms: round1(percentile(main.api, 99)),
        api_p50_main_thread_ms: round1(percentile(main.api, 50)),
        api_p99_worker_ratio: round2(apiP99 / percentile(main.api, 99)),
        page_p95_main_thread_ms: Math.round(percentile(main.pages, 95)),
        thread_nice: config.readApi.threadNice,
        thread_rt_priority: config.readApi.threadRtPriority,
        alt_thread_rt_priority: altRtPriority,
        api_p99_alt_ms: round1(percentile(alt.api, 99)),
        api_p50_alt_ms: round1(percentile(alt.api, 50)),
        page_p95_alt_ms: Math.round(percentile(alt.pages, 95)),
        processor_events_per_s_alt: Math.round(alt.eventsPerS),
        process_cores_alt: round2(alt.processCores),
        api_tail_alt_ms: round1(alt.tail('tail_latency_ms')),
        api_tail_late_alt_ms: round1(alt.tail('tail_late_ms')),
        api_tail_app_alt_ms: round2(alt.tail('tail_app_ms')),
        api_tail_transit_alt_ms: round1(alt.tail('tail_transit_ms')),
        worker_run_queue_wait_ms_per_s_alt: round1(alt.worker((w) => (w.runQueueWaitMs / w.wallMs) * 1000)),
        worker_loop_max_ms_alt: round1(alt.workerMax((w) => w.loopMaxMs)),
        worker_gc_max_ms_alt: round1(alt.workerMax((w) => w.gcMaxMs)),
        load_1m_mean: round1(out.load1m),
        load_1m_mean_alt: round1(alt.load1m),
        load_1m_mean_main_thread: round1(main.load1m),
        page_idle_p95_ms: Math.round(pageIdleP95),
        page_uncached_p95_ms: Math.round(percentile(uncachedPages, 95)),
        api_idle_p99_ms: round1(apiIdleP99),
        page_ratio: round2(pageP95 / pageIdleP95),
        api_ratio: round2(apiP99 / apiIdleP99),
        event_loop_p99_ms: Math.round(out.loopP99Ms),
        event_loop_max_ms: Math.round(out.loopMaxMs),
        event_loop_p99_main_thread_ms: Math.round(main.loopP99Ms),
        event_loop_max_main_thread_ms: Math.round(main.loopMaxMs),
        main_loop_utilization: round2(out.loopUtilization),
        main_loop_utilization_main_thread: round2(main.loopUtilization),
        process_cores: round2(out.processCores),
        process_cores_main_thread: round2(main.processCores),
        cores_main_thread: round2(out.mainCores),
        cores_node_other_threads: round2(out.nodeOtherCores),
        cores_engine_threads: round2(out.engineCores),
        cores_main_thread_when_api_on_it: round2(main.mainCores),
        cores_node_other_threads_when_api_on_main: round2(main.nodeOtherCores),
        cores_engine_threads_when_api_on_main: round2(main.engineCores),
        // The tail's split (bench/read-api-load.ts splitTail): the slowest 1% of the worker's requests.
        api_tail_ms: round1(out.tail('tail_latency_ms')),
        api_tail_late_ms: round1(out.tail('tail_late_ms')),
        api_tail_app_ms: round2(out.tail('tail_app_ms')),
        api_tail_transit_ms: round1(out.tail('tail_transit_ms')),
        api_tail_transit_main_thread_ms: round1(main.tail('tail_transit_ms')),
        api_tail_app_main_thread_ms: round2(main.tail('tail_app_ms')),
        generator_nice: out.tail('generator_nice'),
        generator_rt_priority: out.tail('generator_rt_priority'),
        generator_run_queue_wait_ms_per_s: round1(out.tail('generator_run_queue_wait_ms_per_s')),
        generator_cpu_ms_per_s: round1(out.tail('generator_cpu_ms_per_s')),
        generator_loop_max_ms: round1(out.tail('generator_loop_max_ms')),
        generator_gc_max_ms: round1(out.tail('generator_gc_max_ms')),
        // The read API's worker thread: its loop, its GC, its CPU and its wait for a core (per second of the phase).
        worker_loop_p99_ms: round1(out.workerMax((w) => w.loopP99Ms)),
        worker_loop_max_ms: round1(out.workerMax((w) => w.loopMaxMs)),
        worker_gc_max_ms: round1(out.workerMax((w) => w.gcMaxMs)),
        worker_gc_ms_per_s: round1(out.worker((w) => (w.gcTotalMs / w.wallMs) * 1000)),
        worker_cpu_ms_per_s: round1(out.worker((w) => (w.cpuMs / w.wallMs) * 1000)),
        // Its garbage, what its GC pauses are made of, per request at the generator's fixed rate (bench read-api-alloc measures it alone).
        worker_heap_bytes_per_request: Math.round(out.worker((w) => ((w.heapAllocatedBytes / w.wallMs) * 1000) / SHAPE.apiRatePerS)),
        worker_run_queue_wait_ms_per_s: round1(out.worker((w) => (w.runQueueWaitMs / w.wallMs) * 1000)),
        worker_wait_per_wakeup_ms: round2(out.worker((w) => w.runQueueWaitMs / w.timeslices)),
        run_queue_wait_main_ms_per_s: round1(out.waitMain * 1000),
        run_queue_wait_node_other_ms_per_s: round1(out.waitNodeOther * 1000),
        run_queue_wait_engine_ms_per_s: round1(out.waitEngine * 1000),
        load_1m_start: round1(loadStart),
        ...hits,
        yield_after_ms: config.streams.yieldAfterMs,
        page_loads: out.pages.length,
        api_requests: out.api.length,
        page_loads_main_thread: main.pages.length,
        api_requests_main_thread: main.api.length,
        processor_events_per_s: Math.round(out.eventsPerS),
        processor_events_per_s_main_thread: Math.round(main.eventsPerS),
        target_events_per_s: SHAPE.eventsPerS,
        charts_on_executive: charts,
        ...libraries,
        year_synthetic: 1,
        load_1m_end: round1(loadavg()[0]!),
      };
    } finally {
      for (const close of closers.reverse()) await close().catch(() => undefined);
      await client.close();
      rmSync(workDir, { recursive: true, force: true });
    }
  },
};
