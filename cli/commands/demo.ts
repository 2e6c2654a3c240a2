/**
 * `shelfstream demo`: the whole pipeline on one machine. Initialises, backfills the history the
 * forecast needs (demo-forecast.ts) with the POS simulator, then runs the simulator in real time
 * (at a speed factor) through every processor in this process, with HTTP ingest, the read API,
 * the SQL endpoint and the web app, and prints their URLs with a demo BI user and terminal key
 * (demo-access.ts). Once the warehouse has written the backfill, the forecast is trained and
 * predicted once. It prints a live summary (events in, rows per table, dead letters, late events,
 * lag). With --duration it stops by itself and prints totals; otherwise Ctrl-C.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createClickHouse, type ClickHouseClient } from '../../lib/clients/clickhouse';
import { createKafka } from '../../lib/clients/kafka';
import { startOpsEndpoint } from '../../lib/health';
import { createMetrics, metricTotal } from '../../lib/metrics';
import { SIMULATION_DEFAULTS } from '../../simulators/pos/options';
import { defaultWorkers, floorHour, PIPELINE_DEFAULTS, runBackfill, runRealtime } from '../../simulators/pos/run';
import { REBUILDABLE_NAMES, buildProcessor } from '../../streams/processors';
import { startProcessorsInThread } from '../../streams/runtime/processor-thread';
import type { RunningProcessor } from '../../streams/runtime/runner';
import { startIngestService } from '../../services/ingest';
import { consumerGroupOf } from '../../streams/runtime/processor';
import { startAlertsAlongside } from './alerts-serve';
import { createDemoAccess, describeDemoAccess } from './demo-access';
import { topicEnds, trainAndPredictOnce, waitForCommits } from './demo-forecast';
import type { CliContext } from '../context';
import { runInit } from './init';
import { serveSqlEndpoint } from './sql';
import { startReadApi } from './serve';
import { startWeb } from './web';

export interface DemoOptions {
  readonly duration?: number;
  readonly backfillDays: number;
  readonly stores: number;
  readonly skus: number;
  readonly speed: number;
  readonly seed: number;
}

/** The simulated terminal whose key the demo prints (the simulator names stores S001.. and terminals T01..). */
const DEMO_STORE = 'S001';
const DEMO_TERMINAL = 'T01';

const TABLES = ['fact_sale_lines', 'fact_return_lines', 'fact_voids', 'fact_inventory_movements', 'fact_replenishment_orders', 'dim_store', 'dim_product', 'sales_velocity_1m'] as const;

async function rowCounts(client: ClickHouseClient, database: string): Promise<Record<string, number>> {
  // system.parts, not count(): the summary must stay cheap while the pipeline writes. Parts not
  // merged yet may still hold re-written rows, so these are rows stored, an upper bound.
  const rows = await (
    await client.query({
      query: 'SELECT table, sum(rows) AS n FROM system.parts WHERE database = {db:String} AND active GROUP BY table',
      query_params: { db: database },
      format: 'JSONEachRow',
    })
  ).json<{ table: string; n: string }>();
  return Object.fromEntries(TABLES.map((t) => [t, Number(rows.find((r) => r.table === t)?.n ?? 0)]));
}

export async function demoCommand(ctx: CliContext, options: DemoOptions): Promise<void> {
  const { config, logger } = ctx;
  const init = await runInit(ctx);
  ctx.print(`demo: init ${init.changed ? 'set things up' : 'found everything in place'}`);

  // Perishables in lots, written off when they expire, as a store does: without it the demo's
  // near-expiry panel listed bread 50 days past its date as still on the shelf (the simulator's
  // default leaves it off only to keep the pinned digests of its default runs).
  const simulation = { seed: options.seed, stores: options.stores, skus: options.skus, anomalyRate: SIMULATION_DEFAULTS.anomalyRate, heartbeats: SIMULATION_DEFAULTS.heartbeats, expiryWriteOffs: true };
  const now = Date.now();
  const realtimeSpan = (options.duration ?? 3_600) * options.speed * 1000;
  const realtimeStart = options.duration !== undefined ? now - realtimeSpan : now;
  // Event time only moves forward per partition: history older than what the topics already
  // hold would arrive late and be sidelined. So a second demo on the same stack skips it.
  const admin = createKafka(config.kafka, logger, 'demo').admin();
  await admin.connect();
  const existing = (await admin.fetchTopicOffsets('pos.sales')).reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
  await admin.disconnect();
  if (existing > 0 && options.backfillDays > 0) ctx.print(`demo: pos.sales already holds ${existing} sales; skipping the backfill`);
  if (options.backfillDays > 0 && existing === 0) {
    const lastDay = Math.floor(realtimeStart / 86_400_000) - 1;
    ctx.print(`demo: backfilling ${options.backfillDays} day(s) of ${options.stores} stores x ${options.skus} skus`);
    const backfill = await runBackfill(ctx, {
      simulation: { ...simulation, window: { kind: 'days', startDay: lastDay - options.backfillDays + 1, days: options.backfillDays } },
      outDir: `${config.simulator.outputDir}/demo-backfill`,
      workers: defaultWorkers(),
      batchEvents: PIPELINE_DEFAULTS.batchEvents,
      inFlight: PIPELINE_DEFAULTS.inFlight,
      progress: true,
    });
    ctx.print(`demo: backfilled ${backfill.events.toLocaleString('en-US')} events in ${backfill.seconds.toFixed(1)} s`);
  }

  const metrics = createMetrics('demo');
  const kafka = createKafka(config.kafka, logger, 'demo');
  const clickhouse = createClickHouse(config.clickhouse);
  const ops = await startOpsEndpoint({ host: config.http.host, port: config.http.port, registry: metrics.registry, readiness: [{ name: 'clickhouse', check: async () => void (await clickhouse.ping()) }] });
  ctx.print(`demo: metrics at http://${ops.address().host}:${ops.address().port}/metrics`);
  // Before the read API and ingest start, so they load the demo's key with the rest instead of
  // warning that no key exists yet.
  const access = await createDemoAccess(ctx, DEMO_STORE, DEMO_TERMINAL);
  const readApi = await startReadApi(ctx, clickhouse);
  const processors: RunningProcessor[] = [];
  let ingest: Awaited<ReturnType<typeof startIngestService>> | undefined;
  let forecast: Promise<void> | undefined;
  let sql: Awaited<ReturnType<typeof serveSqlEndpoint>>;
  let web: Awaited<ReturnType<typeof startWeb>> | undefined;
  let alerts: { stop(): Promise<void> } | undefined;
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const started = Date.now();
  try {
    // The ClickHouse processors; the demo does not archive.
    const warehouse = await buildProcessor('warehouse', config);
    // What the forecast waits for: every record in the topics before the live simulation starts.
    const historyEnds = await topicEnds(kafka, warehouse.inputs);
    // In a worker thread, as `run all` runs them: the SQL endpoint and the web app share this thread's event loop.
    processors.push(...(await startProcessorsInThread({ config, logger, clickhouse, metrics, service: 'demo' }, REBUILDABLE_NAMES.map((name) => ({ name })))));
    // Alert delivery on wall-clock time: at 600x a 30 s group wait spans 5 simulated hours of
    // alerts, and a 5 min retry comes 50 simulated hours later (services/alerts/alerts-processor.ts).
    alerts = await startAlertsAlongside(ctx, clickhouse, metrics);
    sql = await serveSqlEndpoint(ctx);
    web = await startWeb(ctx, sql?.executor);
    ingest = await startIngestService({ config, logger, metrics });
    for (const line of describeDemoAccess(access, { web: web.url, sql: sql?.url, readApi: readApi.url, ingest: ingest.url })) ctx.print(line);
    const lastHistoryDay = new Date((Math.floor(realtimeStart / 86_400_000) - 1) * 86_400_000).toISOString().slice(0, 10);
    forecast = (async () => {
      if (!(await waitForCommits(kafka, consumerGroupOf(warehouse), historyEnds, stop.signal))) return;
      ctx.print(`demo: history written; training the forecast on ${options.backfillDays} days up to ${lastHistoryDay}`);
      const f = await trainAndPredictOnce(ctx, clickhouse, lastHistoryDay, options.backfillDays);
      ctx.print(`demo: forecast model ${f.version}${f.accepted ? ' (champion)' : ''}: ${f.forecasts} forecasts for ${f.series} store x sku series in ${f.seconds.toFixed(1)} s`);
    })().catch((error: unknown) => {
      logger.error({ err: error }, 'the demo forecast failed');
      ctx.print(`demo: the forecast failed: ${error instanceof Error ? error.message : String(error)}`);
    });
    // A timer, not AbortSignal.timeout: a timeout signal only referenced through
    // AbortSignal.any can be garbage-collected before it fires.
    const timer = options.duration !== undefined ? setTimeout(() => stop.abort(), options.duration * 1000) : undefined;
    const signal = stop.signal;
    const simulator = runRealtime(ctx, {
      simulation: { ...simulation, window: { kind: 'continuous', start: floorHour(realtimeStart) } },
      outDir: `${config.simulator.outputDir}/demo-realtime`,
      speed: options.speed,
      clockStart: realtimeStart,
      progress: false,
      signal,
    });
    const summarise = async (label: string): Promise<void> => {
      const rows = await rowCounts(clickhouse, config.clickhouse.database);
      const [read, dead, late, lag] = await Promise.all(['events_in_total', 'dead_letters_total', 'late_events_total', 'consumer_lag'].map((n) => metricTotal(metrics, n)));
      ctx.print(
        `${label} ${Math.round((Date.now() - started) / 1000)} s | events in ${read} | lag ${lag} | dead letters ${dead} (late ${late}) | rows ` +
          Object.entries(rows)
            .map(([t, n]) => `${t}=${n}`)
            .join(' '),
      );
    };
    let done = false;
    const finished = simulator.finally(() => (done = true));
    while (!done) {
      await Promise.race([sleep(5_000), finished.catch(() => undefined)]);
      if (!done) await summarise('demo:');
    }
    const summary = await finished;
    clearTimeout(timer);
    ctx.print(`demo: the simulator published ${summary.events.toLocaleString('en-US')} events in real time (speed x${options.speed})`);
    // Let the processors read what was published last, then write everything.
    await sleep(config.streams.flushIntervalMs * 4);
    for (const p of processors) await p.stop();
    await alerts?.stop();
    await summarise('demo: totals after');
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    stop.abort();
    await forecast;
    for (const p of processors) await p.stop();
    await alerts?.stop();
    await ingest?.close();
    await web?.stop();
    await sql?.stop();
    await readApi.close();
    await ops.close();
    await clickhouse.close();
  }
}
