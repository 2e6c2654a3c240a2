/**
 * bi-query: dashboard queries over one year of a chain of 50 stores x 2,000 SKUs, in the tables
 * the bi_* views read, beside the velocity processor sharing the same embedded engine.
 *
 * The year is SYNTHETIC, generated in ClickHouse SQL (the line says `year_synthetic=1`): the
 * simulator loads about 5k store x sku days a second into chDB, and a year of this chain is 36.5M
 * of them. What is synthesised is what the views read once the days are closed: the final per
 * store x sku x business day and per store x day aggregates of migration 0010 with their closed
 * and touched marks, the open day's sale lines (the views read it from the facts), the stores'
 * UTC offsets, stock-out risk per store x sku, 35 days of demand actuals and a week of 7-day
 * forecasts. The hourly aggregate is not synthesised (no dashboard query here reads it). The
 * database is loaded once into a chDB folder under the cache (~/.cache/shelfstream/bench) and read
 * back by later runs.
 *
 * Queries: revenue by region and business day over the year (in the reporting currency), the top SKUs of a store over 28
 * days, the stock-out risk list of a store, forecast vs actual of a store over 14 days.
 * Phases, in one run: (1) one client, each query ONE_CLIENT_PASSES (60) times: direct p95; (2) the
 * velocity processor alone on its own topic (the rate measured as bench/benchmarks/velocity.ts
 * does: first record read to the last flushed); (3) 8 BI clients each issuing one dashboard query
 * every 2 s (open loop: a query is sent on schedule whether or not the last one answered) for
 * 20 s, with the same processor run started 5 s in. (2) and (3) run ROUNDS (3) times, alternately,
 * and are pooled: p95 per query kind and overall (p95_ms), overlap_p95_ms over the queries issued
 * while the processor ran (it reads 200k events in a second or two), and processor_rate_ratio =
 * mean of (3) / mean of (2). Up to 2026-12-07 the line came from 15 passes and one round.
 * A fourth phase compared ClickHouse `priority` for BI queries below the processor's inserts
 * against none (lane_* figures up to 2026-12-06 in results.jsonl): on a quiet machine it made the
 * loaded p95 1.37x worse and the processor 0.70x as fast, so the option and the phase are gone.
 * Through the SQL endpoint: the same queries sent by `@clickhouse/client` in HTTP mode, as a BI
 * tool would, to `startSqlEndpoint` over the executor `run all` builds (`createSqlExecutor` on
 * the same data folder, its pool and limits from the configuration), as a chain analyst (a BI
 * user of the users module, read-only, scope: every store). In (1) each query is timed through
 * the endpoint right after its direct run (overhead_ratio = endpoint p95 / direct p95 - 1); the
 * 8 clients of (3) query through the endpoint (p95_ms), and a direct client of the same kind is
 * not run beside them, so the engine serves only the load the line states.
 * Where the loaded time goes: each endpoint answer carries the engine's own time for the
 * statement (X-ClickHouse-Summary elapsed_ns, from the start of the engine call to its end; since
 * 2026-12-06 that call also applies the connection's set-up, about 0.5 ms of it), so
 * the line splits the 8 clients' time into loaded_engine_p95_ms and the rest
 * (loaded_outside_engine_p95_ms: the wait for a pool slot, the executor, HTTP, the event loop),
 * with the endpoint's event loop delay over the window, and the machine's load average at start and end (other work on the machine).
 *
 * The processor runs as `run all` runs it: in a worker thread of the process that owns the engine
 * and serves the endpoint (streams/runtime/processor-thread.ts), its engine calls crossing to the
 * owner as messages. Up to 2026-12-07 (results.jsonl lines up to 09:41 UTC that day) it ran on the
 * owner's own event loop, as `run all` did then: the queries issued during its one-second
 * catch-up waited behind stalls of up to 450-590 ms (kafkajs decoding a 4-16 MiB fetch in one go,
 * a batch's record loop, a flush), and they were the pooled p95's slowest dozen (p95 103-163 ms
 * in six runs; every query over 100 ms was one of them). overlap_engine_* is the engine's share
 * of those queries (the owner's measure, from the engine call to its answer on the owner's loop),
 * over_100_ms_* counts the queries that decide whether p95_ms is under 100 ms. In the thread,
 * four runs on 2026-12-07 gave 83, 85, 91 and 118 ms with loop stalls of 37-60 ms: what limits
 * now is the engine time of the queries issued during the catch-up (two cores shared with the
 * processor's thread and its inserts), which crossed 100 ms when the engine ran slower (direct
 * p95 76-80 ms against 62-64). A nice of 10 on the processors' thread, tried once in that state,
 * gave 106 ms: not a clear lever.
 * The BI queries' engine threads at nice -10 (SQL_ENDPOINT_THREAD_NICE, the default since
 * 2026-12-07 where CAP_SYS_NICE allows it) go ahead of the processor's thread for the cores. In
 * one series that day, alternately, the machine otherwise quiet: 75, 76 and 76 ms at -10 against
 * 82, 82 and 86 at 0, processor_rate_ratio 0.84-1.08 against 0.94-1.00; two runs of the default
 * after it (with its budget, below) 86 and 85 ms with the engine slower (direct p95 66-72 against
 * 57-68). Beside another session's simulation (load 2-4) the same series gave 118 and 88 at -10,
 * 103 and 119 at 0: other work on the two cores moves p95_ms more than the nice value does.
 * loaded_engine_query_s_per_s is what the raised priority's budget (SQL_ENDPOINT_PRIORITY_SHARE,
 * 0.5 query-seconds per second over 10 s) counts, the engine's part of it: 0.17 here, so every
 * query ran raised; endpoint_thread_nice_applied is 0 where the process may not renice.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClickHouseLogLevel, createClient, type ClickHouseClient as HttpClient } from '@clickhouse/client';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fillCalendar } from '../../clickhouse/calendar';
import { refreshExchangeRates } from '../../clickhouse/exchange-rate-refresh';
import { migrate } from '../../clickhouse/migrate';
import { applyReportingCurrency } from '../../clickhouse/reporting-currency';
import { createClickHouse, type ClickHouseClient } from '../../lib/clients/clickhouse';
import { createKafka } from '../../lib/clients/kafka';
import type { Config } from '../../lib/config';
import type { Logger } from '../../lib/logger';
import { createMetrics, metricTotal } from '../../lib/metrics';
import { startSqlEndpoint } from '../../services/sql';
import { EMPTY_USERS, withUser, writeBiUsers } from '../../services/sql/bi-users';
import { createSqlExecutor } from '../../services/sql/executor';
import { hashPassword } from '../../services/sql/passwords';
import { hasSysNiceCapability } from '../../lib/thread-priority';
import { startProcessorsInThread } from '../../streams/runtime/processor-thread';
import { percentile, publishBenchSales, type Benchmark } from '../harness';

export const BI_YEAR_STORES = 50;
const STORES = BI_YEAR_STORES;
const SKUS = 2_000;
const DAYS = 365;
const LAST_CLOSED = '2026-11-29'; // the open day is the next one
const OPEN_DAY = '2026-11-30';
export const BI_YEAR_DATABASE = 'bi_year_v2';
const DATABASE = BI_YEAR_DATABASE; // v2: v1 was loaded before a later edit of 0010, so migrations cannot be applied to it
const CLIENTS = 8;
const PERIOD_MS = 2_000; // one query per client every 2 s
const SALES = 200_000; // through the velocity processor, per phase
const LOADED_WINDOW_MS = 20_000; // the 8 clients query this long; the processor runs inside it
const PROCESSOR_START_MS = 5_000; // into the window: the clients' schedule is steady by then
/**
 * Passes of one client over the four queries, direct then through the endpoint. The overhead is
 * a ratio of two p95s, each of the slowest query's tail: over 15 passes (60 queries a side, the
 * figure up to 2026-12-07) it moved from 0.06 to 0.28 between runs minutes apart on a quiet
 * machine, and four blocks of 15 passes in one run of 60 gave 0.125, 0.069, 0.056 and 0.078
 * (0.061 pooled): the estimate, not the endpoint, moved.
 */
const ONE_CLIENT_PASSES = 60;
/**
 * Rounds of phases (2) and (3), pooled: one loaded window holds 80 queries, and its p95 (the
 * 4th slowest) is whichever few the processor's run overlapped; nine single-round runs on
 * 2026-12-07 gave 80 to 141 ms. Every round has the same window, clients and processor run, so
 * the pool measures the same load three times over.
 */
const ROUNDS = 3;

export interface DashboardQuery {
  readonly name: string;
  sql(store: string): string;
}

export const QUERIES: readonly DashboardQuery[] = [
  {
    name: 'revenue_by_region_day',
    // In the reporting currency: a region's stores may sell in several (migration 0019).
    sql: () => `SELECT s.region AS region, d.business_date AS business_date, sum(d.net_sales_reporting) AS net_sales
      FROM ${DATABASE}.bi_store_sales_daily AS d INNER JOIN ${DATABASE}.bi_dim_store AS s ON s.store_id = d.store_id
      WHERE d.business_date > toDate('${LAST_CLOSED}') - ${DAYS} GROUP BY region, business_date ORDER BY region, business_date`,
  },
  {
    name: 'top_skus_of_store',
    sql: (store) => `SELECT sku, sum(units_sold) AS units, sum(net_sales) AS net_sales FROM ${DATABASE}.bi_sales_daily
      WHERE store_id = '${store}' AND business_date > toDate('${OPEN_DAY}') - 28 GROUP BY sku ORDER BY units DESC LIMIT 20`,
  },
  {
    name: 'stockout_risk_of_store',
    sql: (store) => `SELECT sku, units_on_hand, hours_to_stockout, stockout_risk FROM ${DATABASE}.bi_stockout_risk
      WHERE store_id = '${store}' AND stockout_risk > 0.2 ORDER BY stockout_risk DESC LIMIT 50`,
  },
  {
    name: 'forecast_vs_actual_of_store',
    sql: (store) => `SELECT forecast_date, sum(units_forecast) AS forecast, sum(units_sold) AS actual, avg(within_p10_p90) AS coverage
      FROM ${DATABASE}.bi_forecast_vs_actual WHERE store_id = '${store}' AND forecast_date > toDate('${LAST_CLOSED}') - 14 GROUP BY forecast_date ORDER BY forecast_date`,
  },
];

const storeId = (i: number): string => `S${String(i + 1).padStart(3, '0')}`;

/**
 * The calendar, a daily rate of every currency the stores sell in, and the reporting currency,
 * which the reporting-currency columns convert with (0019); also added to a year cached before
 * them. Idempotent: the same rows replace themselves.
 */
async function loadRates(client: ClickHouseClient): Promise<void> {
  const first = new Date(Date.parse(`${LAST_CLOSED}T00:00:00Z`) - (DAYS + 1) * 86_400_000).toISOString().slice(0, 10);
  await fillCalendar(client, DATABASE, first, OPEN_DAY);
  await applyReportingCurrency(client, DATABASE, 'EUR');
  await client.command({
    query: `INSERT INTO ${DATABASE}.dim_exchange_rate (currency, base_currency, rate_date, rate, source, updated_at)
      SELECT c.currency, 'EUR', toDate('${first}') + d.number, if(c.currency = 'EUR', 1, 0.85 + (d.number % 7) / 1000), 'bench', toDateTime64('2026-01-01 00:00:00', 3, 'UTC')
      FROM (SELECT DISTINCT toString(currency) AS currency FROM ${DATABASE}.dim_store FINAL) AS c CROSS JOIN numbers(${DAYS + 2}) AS d`,
  });
  // Written as the warehouse writes rates, so shown at once as it shows them (migration 0049).
  await refreshExchangeRates(client, DATABASE);
}

/** Loads the synthetic year unless the cached folder already holds it (the web bench reads it too). */
export async function ensureYear(client: ClickHouseClient, logger: Logger): Promise<number> {
  const exists = await (await client.query({ query: `SELECT count() AS n FROM system.tables WHERE database = '${DATABASE}' AND name = 'bench_loaded'`, format: 'JSONEachRow' })).json<{ n: string }>();
  if (Number(exists[0]?.n) > 0) {
    // Migrations added since the year was loaded (views, mostly) apply to the cached copy: the
    // rows the views read are the same, and a rebuild would cost minutes.
    await migrate(client, DATABASE);
    await loadRates(client);
    return 0;
  }
  const started = performance.now();
  await client.command({ query: `DROP DATABASE IF EXISTS ${DATABASE} SYNC` });
  await client.command({ query: `CREATE DATABASE ${DATABASE}` });
  await migrate(client, DATABASE);
  const db = DATABASE;
  const zones = "['Europe/Paris', 'Europe/London', 'America/New_York', 'Asia/Dubai', 'Europe/Istanbul']";
  const offsets = '[3600, 0, -18000, 14400, 10800]'; // their winter offsets: the open day is in winter
  const run = async (query: string): Promise<void> => void (await client.command({ query }));
  await run(`INSERT INTO ${db}.dim_store (store_id, name, region, time_zone, size_class, currency, opened_on, updated_at)
    SELECT concat('S', leftPad(toString(number + 1), 3, '0')), 'bench', ['North', 'South', 'East', 'West', 'Gulf'][number % 5 + 1], ${zones}[number % 5 + 1], 'MEDIUM', 'EUR', '2020-01-01', now64(3) FROM numbers(${STORES})`);
  await run(`INSERT INTO ${db}.dim_product (sku, name, category, brand, unit_cost, price, currency, perishable, shelf_life_days, updated_at)
    SELECT concat('SKU-', leftPad(toString(number + 1), 5, '0')), 'bench', ['Produce', 'Dairy', 'Bakery', 'Pantry'][number % 4 + 1], 'bench', 100, 250, 'EUR', false, NULL, now64(3) FROM numbers(${SKUS})`);
  await run(`INSERT INTO ${db}.dim_store_utc_offset (store_id, valid_from, utc_offset_s, time_zone)
    SELECT concat('S', leftPad(toString(number + 1), 3, '0')), toDateTime('2020-01-01 00:00:00', 'UTC'), ${offsets}[number % 5 + 1], ${zones}[number % 5 + 1] FROM numbers(${STORES})`);
  // Units per store x sku x day ~ a level of 0.2-20 a day x a weekend factor, Normal-rounded.
  await run(`INSERT INTO ${db}.sales_daily_store_sku (business_date, store_id, sku, units_sold, net_sales_minor, discount_minor, sale_lines, transactions, closed_at)
    SELECT business_date, store_id, sku, q, q * 250 - intDiv(q, 5) * 25, intDiv(q, 5) * 25, greatest(1, intDiv(q * 2, 3)), greatest(1, intDiv(q * 2, 3)), now64(3) - INTERVAL 1 HOUR
    FROM (
      SELECT intDiv(number, ${DAYS}) AS s, number % ${DAYS} AS d, toDate('${LAST_CLOSED}') - d AS business_date,
             concat('S', leftPad(toString(intDiv(s, ${SKUS}) + 1), 3, '0')) AS store_id, concat('SKU-', leftPad(toString(s % ${SKUS} + 1), 5, '0')) AS sku,
             (0.2 + (cityHash64(s) % 100) / 5) * if(toDayOfWeek(business_date) >= 6, 1.4, 1) AS lambda,
             toInt64(greatest(0, round(lambda + sqrt(lambda) * sqrt(-2 * log(randCanonical(1) + 1e-12)) * cos(2 * pi() * randCanonical(2))))) AS q
      FROM numbers(${STORES * SKUS * DAYS})
    ) WHERE q > 0`);
  await run(`INSERT INTO ${db}.sales_daily_store (business_date, store_id, units_sold, net_sales_minor, discount_minor, sale_lines, transactions, products_sold, closed_at)
    SELECT business_date, store_id, sum(units_sold), sum(net_sales_minor), sum(discount_minor), sum(sale_lines), sum(transactions), toInt64(count()), max(closed_at)
    FROM ${db}.sales_daily_store_sku GROUP BY business_date, store_id`);
  await run(`INSERT INTO ${db}.days_closed (fact, store_id, business_date, day_start_utc, day_end_utc, closed_at)
    SELECT 'sales', store_id, business_date, toDateTime(business_date, 'UTC') - o.utc_offset_s, toDateTime(business_date + 1, 'UTC') - o.utc_offset_s, now64(3) - INTERVAL 1 HOUR
    FROM (SELECT DISTINCT store_id, business_date FROM ${db}.sales_daily_store) AS d INNER JOIN ${db}.dim_store_utc_offset AS o ON o.store_id = d.store_id`);
  await run(`INSERT INTO ${db}.days_touched (fact, store_id, utc_date, touched_at)
    SELECT 'sales', store_id, business_date, now64(3) - INTERVAL 2 HOUR FROM (SELECT DISTINCT store_id, business_date FROM ${db}.sales_daily_store)`);
  // The open day from the facts: about two lines per store x sku (the materialized view marks it touched).
  await run(`INSERT INTO ${db}.fact_sale_lines (event_id, line_number, occurred_at, store_id, terminal_id, transaction_id, cashier_id, payment_method, currency, sku, quantity, unit_price, discount, net_amount, promotion_id, source_offset)
    SELECT generateUUIDv4(number), 1, toDateTime64('${OPEN_DAY} 08:00:00', 3, 'UTC') + toIntervalSecond(number % 36000), concat('S', leftPad(toString(intDiv(number, ${SKUS * 2}) % ${STORES} + 1), 3, '0')),
           'T1', toString(number), 'C1', 'CARD', 'EUR', concat('SKU-', leftPad(toString(intDiv(number, 2) % ${SKUS} + 1), 5, '0')), 1 + number % 3, 250, 0, (1 + number % 3) * 250, NULL, number
    FROM numbers(${STORES * SKUS * 2})`);
  await run(`INSERT INTO ${db}.stockout_risk (store_id, sku, on_hand, on_hand_known, last_count_at, sales_rate_per_day, hours_to_stockout, next_delivery_expected_at, last_receipt_at, expected_units_to_delivery, risk, risk_alert_open, out_of_stock, updated_at, version)
    SELECT concat('S', leftPad(toString(intDiv(number, ${SKUS}) + 1), 3, '0')), concat('SKU-', leftPad(toString(number % ${SKUS} + 1), 5, '0')), toInt64(cityHash64(number) % 60), true, now64(3),
           (cityHash64(number, 1) % 200) / 10, (cityHash64(number, 2) % 500) / 10, now64(3) + INTERVAL 1 DAY, now64(3), 5, (cityHash64(number, 3) % 1000) / 1000, false, false, now64(3), 1
    FROM numbers(${STORES * SKUS})`);
  await run(`INSERT INTO ${db}.demand_daily (store_id, sku, sales_date, units, stockout, refreshed_at)
    SELECT store_id, sku, business_date, units_sold, false, now64(3) FROM ${db}.sales_daily_store_sku WHERE business_date > toDate('${LAST_CLOSED}') - 35`);
  await run(`INSERT INTO ${db}.demand_forecast (store_id, sku, origin_date, forecast_date, horizon_days, p10, p50, p90, model_version, generated_at)
    SELECT concat('S', leftPad(toString(intDiv(s, ${SKUS}) + 1), 3, '0')), concat('SKU-', leftPad(toString(s % ${SKUS} + 1), 5, '0')), origin, origin + h, h, lambda * 0.5, lambda, lambda * 1.6, 'bench', now64(3)
    FROM (SELECT intDiv(number, 49) AS s, toDate('${LAST_CLOSED}') - 7 - intDiv(number % 49, 7) AS origin, toUInt8(number % 7 + 1) AS h, 0.2 + (cityHash64(s) % 100) / 5 AS lambda FROM numbers(${STORES * SKUS * 49}))`);
  await loadRates(client);
  await run(`CREATE TABLE ${db}.bench_loaded (loaded_at DateTime) ENGINE = TinyLog COMMENT 'bi-query bench: the synthetic year is complete'`);
  await run(`INSERT INTO ${db}.bench_loaded VALUES (now())`);
  const seconds = (performance.now() - started) / 1000;
  logger.warn({ seconds }, 'bi-query: synthetic year loaded');
  return seconds;
}

interface Timing {
  /** Sent to the last byte read, as the BI tool sees it. */
  readonly ms: number;
  /** The engine's own time for the statement (the endpoint's X-ClickHouse-Summary elapsed_ns); absent straight on the embedded client. */
  readonly engineMs: number | undefined;
}

async function timeQuery(client: ClickHouseClient | HttpClient, sql: string): Promise<Timing> {
  const started = performance.now();
  const result = await client.query({ query: sql, format: 'JSONEachRow' });
  await result.json();
  const ms = performance.now() - started;
  const summary = result.response_headers['x-clickhouse-summary'];
  const elapsedNs = typeof summary === 'string' ? Number((JSON.parse(summary) as { elapsed_ns?: string }).elapsed_ns) : NaN;
  return { ms, engineMs: Number.isFinite(elapsedNs) && elapsedNs > 0 ? elapsedNs / 1e6 : undefined };
}

/**
 * Records/s of the velocity processor over SALES sales on a topic of its own, into its own
 * database in the same engine: from the first record read to the last rows flushed, as the
 * velocity benchmark measures it. The sales are produced first (`prepare`), and `run` consumes
 * them: the BI clients overlap the processor, not this process encoding and sending 200k
 * events, which in production come from other machines and would block the endpoint's event
 * loop here.
 */
async function prepareVelocity(config: Config, logger: Logger, client: ClickHouseClient, label: string): Promise<{ run(): Promise<number> }> {
  const kafka = createKafka(config.kafka, logger, 'bench');
  const topic = await publishBenchSales(kafka, config, `bench.bi-query.${label}`, SALES);
  const admin = kafka.admin();
  await admin.connect();
  const database = `bench_biq_velocity_${label}_${Date.now()}`;
  await client.command({ query: `CREATE DATABASE ${database}` });
  await migrate(client, database);
  const cleanUp = async (): Promise<void> => {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
    await client.command({ query: `DROP DATABASE ${database} SYNC` });
  };
  return {
    async run() {
      try {
        const metrics = createMetrics(`bench-${label}`, { collectDefaults: false });
        // In a worker thread, as `run all` runs its processors beside the SQL endpoint.
        const [processor] = await startProcessorsInThread({ config, logger, clickhouse: client, metrics, service: `bench-${label}` }, [
          { name: 'velocity', topics: { 'pos.sales': topic }, database, groupId: `${topic}.pipeline` },
        ]);
        const readSoFar = (): Promise<number> => metricTotal(metrics, 'events_in_total');
        while ((await readSoFar()) === 0) await sleep(5);
        const first = performance.now();
        while ((await readSoFar()) < SALES) await sleep(20);
        await processor!.flush();
        const rate = SALES / ((performance.now() - first) / 1000);
        await processor!.stop();
        return rate;
      } finally {
        await cleanUp();
      }
    },
  };
}

/** The chDB folder the synthetic year is cached in. */
export function biYearFolder(config: Config): string {
  return join(config.launcher.cacheDir, 'bench', 'bi-query-chdb');
}

const ANALYST = 'bench_chain_analyst';

/**
 * The SQL endpoint as `run all` serves it (cli/commands/sql.ts serveSqlEndpoint) over the data
 * folder, with one BI user, and an HTTP client logged in as that user.
 */
async function openEndpoint(config: Config, logger: Logger, dataDir: string): Promise<{ bi: HttpClient; close(): Promise<void> }> {
  const workDir = mkdtempSync(join(tmpdir(), 'bench-bi-query-'));
  const usersFile = join(workDir, 'bi-users.json');
  const password = `bench-${Date.now()}`;
  const now = new Date().toISOString();
  writeBiUsers(usersFile, withUser(EMPTY_USERS, { name: ANALYST, password: await hashPassword(password), regions: [], stores: [], limits: {}, createdAt: now, passwordChangedAt: now }));
  const executor = createSqlExecutor({ config: { ...config.sqlExecutor, usersFile, adminTokenFile: join(workDir, 'admin-token') }, dataDir, database: DATABASE, logger });
  const endpoint = await startSqlEndpoint({ config: { sqlEndpoint: { ...config.sqlEndpoint, host: '127.0.0.1', port: 0 } }, logger, executor });
  const bi = createClient({ url: endpoint.url, username: ANALYST, password, database: DATABASE, request_timeout: 120_000, log: { level: ClickHouseLogLevel.OFF } });
  return {
    bi,
    async close() {
      await bi.close();
      await endpoint.close();
      await executor.close();
      rmSync(workDir, { recursive: true, force: true });
    },
  };
}

/**
 * Phase (3): 8 open-loop BI clients through the endpoint for LOADED_WINDOW_MS, the velocity
 * processor (on `processorClient`) run PROCESSOR_START_MS into it.
 */
async function loadedPhase(config: Config, logger: Logger, processorClient: ClickHouseClient, bi: HttpClient, stores: readonly string[], label: string, loopDelay: IntervalHistogram) {
  const withBi = await prepareVelocity(config, logger, processorClient, label);
  const loaded = new Map<string, number[]>(QUERIES.map((q) => [q.name, []]));
  const overlapping: number[] = []; // issued while the processor ran
  const overlappingEngine: number[] = []; // their engine's own time
  const quiet: number[] = []; // issued before it started or after it stopped
  const loadedEngine: number[] = []; // the engine's own time of each loaded query
  const loadedOutsideEngine: number[] = []; // the rest: queue for a slot, executor, HTTP, event loop
  let processorFrom = Number.POSITIVE_INFINITY;
  let processorTo = Number.POSITIVE_INFINITY;
  // How long a ready callback (a request, a finished query) waits for the endpoint's event loop
  // over the loaded windows; the processor's batches run on a thread of their own, as in `run all`.
  loopDelay.enable();
  const windowStart = performance.now();
  let stop = false;
  const inFlight: Promise<void>[] = [];
  const clients = Array.from({ length: CLIENTS }, async (_, c) => {
    let next = performance.now() + (c * PERIOD_MS) / CLIENTS;
    for (let n = 0; !stop; n++) {
      const wait = next - performance.now();
      if (wait > 0) await sleep(wait);
      if (stop) break;
      const q = QUERIES[(c + n) % QUERIES.length]!;
      const store = stores[(c * 7 + n) % STORES]!;
      const issued = performance.now();
      inFlight.push(
        timeQuery(bi, q.sql(store)).then(({ ms, engineMs }) => {
          loaded.get(q.name)!.push(ms);
          if (engineMs !== undefined) {
            loadedEngine.push(engineMs);
            loadedOutsideEngine.push(ms - engineMs);
          }
          const overlaps = issued >= processorFrom && issued <= processorTo;
          (overlaps ? overlapping : quiet).push(ms);
          if (overlaps && engineMs !== undefined) overlappingEngine.push(engineMs);
        }),
      );
      next += PERIOD_MS;
    }
  });
  let withRate = 0;
  try {
    await sleep(PROCESSOR_START_MS);
    processorFrom = performance.now();
    withRate = await withBi.run();
    processorTo = performance.now();
    const rest = windowStart + LOADED_WINDOW_MS - performance.now();
    if (rest > 0) await sleep(rest);
  } finally {
    stop = true; // also on failure: no client may query the engine once it is closed
  }
  await Promise.all(clients);
  await Promise.all(inFlight);
  loopDelay.disable();
  return { loaded, overlapping, overlappingEngine, quiet, loadedEngine, loadedOutsideEngine, withRate };
}

export const biQueryBench: Benchmark = {
  name: 'bi-query',
  description: `dashboard queries on a synthetic year of ${STORES} stores x ${SKUS} skus: p95 at ${CLIENTS} clients every ${PERIOD_MS / 1000} s, and the velocity processor's rate beside them`,
  async run({ config, logger }) {
    if (config.clickhouse.mode !== 'embedded') throw new Error('bi-query measures the embedded engine (unset CLICKHOUSE_URL)');
    const loadStart = loadavg()[0]!;
    const folder = biYearFolder(config);
    mkdirSync(folder, { recursive: true });
    const client = createClickHouse({ ...config.clickhouse, dataDir: folder, database: DATABASE });
    let endpoint: Awaited<ReturnType<typeof openEndpoint>> | undefined;
    try {
      const loadS = await ensureYear(client, logger);
      endpoint = await openEndpoint(config, logger, folder);
      const { bi } = endpoint;
      const stores = Array.from({ length: STORES }, (_, i) => storeId(i));
      // Warm-up: first reads of each table, on both paths.
      for (const q of QUERIES) {
        await timeQuery(client, q.sql(stores[0]!));
        await timeQuery(bi, q.sql(stores[0]!));
      }

      // (1) one client, straight on the embedded client, then the same query through the endpoint
      const single = new Map<string, number[]>(QUERIES.map((q) => [q.name, []]));
      const singleEndpoint = new Map<string, number[]>(QUERIES.map((q) => [q.name, []]));
      const singleOutsideEngine: number[] = []; // endpoint time minus the engine's own, one client
      for (let i = 0; i < ONE_CLIENT_PASSES; i++) {
        for (const q of QUERIES) {
          single.get(q.name)!.push((await timeQuery(client, q.sql(stores[i % STORES]!))).ms);
          const viaEndpoint = await timeQuery(bi, q.sql(stores[i % STORES]!));
          singleEndpoint.get(q.name)!.push(viaEndpoint.ms);
          if (viaEndpoint.engineMs !== undefined) singleOutsideEngine.push(viaEndpoint.ms - viaEndpoint.engineMs);
        }
      }
      const directAll = [...single.values()].flat();
      const endpointAll = [...singleEndpoint.values()].flat();

      // (2) the processor alone, then (3) the processor with 8 open-loop BI clients, ROUNDS times
      const loaded = new Map<string, number[]>(QUERIES.map((q) => [q.name, []]));
      const overlapping: number[] = [];
      const overlappingEngine: number[] = [];
      const quiet: number[] = [];
      const loadedEngine: number[] = [];
      const loadedOutsideEngine: number[] = [];
      const aloneRates: number[] = [];
      const withRates: number[] = [];
      const roundP95s: number[] = [];
      // One monitor per loaded window (one enabled again counts the time it was off as a delay);
      // the line takes the worst window's p99 and max.
      const loopP99s: number[] = [];
      const loopMaxes: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        aloneRates.push(await (await prepareVelocity(config, logger, client, `alone_${round}`)).run());
        const roundLoop = monitorEventLoopDelay({ resolution: 10 });
        const phase = await loadedPhase(config, logger, client, bi, stores, `with_bi_${round}`, roundLoop);
        loopP99s.push(roundLoop.percentile(99) / 1e6);
        loopMaxes.push(roundLoop.max / 1e6);
        withRates.push(phase.withRate);
        for (const [name, ms] of phase.loaded) loaded.get(name)!.push(...ms);
        overlapping.push(...phase.overlapping);
        overlappingEngine.push(...phase.overlappingEngine);
        quiet.push(...phase.quiet);
        loadedEngine.push(...phase.loadedEngine);
        loadedOutsideEngine.push(...phase.loadedOutsideEngine);
        roundP95s.push(Math.round(percentile([...phase.loaded.values()].flat(), 95)));
      }
      const loadedAll = [...loaded.values()].flat();
      const mean = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0) / values.length;
      const aloneRate = mean(aloneRates);
      const withRate = mean(withRates);


      const perQuery = Object.fromEntries(QUERIES.flatMap((q) => [
        [`${q.name}_direct_p95_ms`, Math.round(percentile(single.get(q.name)!, 95))],
        [`${q.name}_endpoint_p95_ms`, Math.round(percentile(singleEndpoint.get(q.name)!, 95))],
        [`${q.name}_loaded_p95_ms`, Math.round(percentile(loaded.get(q.name)!, 95))],
      ]));
      const directP95 = percentile(directAll, 95);
      const endpointP95 = percentile(endpointAll, 95);
      return {
        p95_ms: Math.round(percentile(loadedAll, 95)), // 8 clients through the endpoint, beside the processor
        direct_p95_ms: Math.round(directP95),
        overhead_ratio: endpointP95 / directP95 - 1, // one client
        processor_rate_ratio: withRate / aloneRate,
        endpoint: 1,
        endpoint_thread_nice: config.sqlExecutor.endpointThreadNice, // SQL_ENDPOINT_THREAD_NICE: 19 made a BI query lose the cores to the processor's threads
        endpoint_thread_nice_applied: hasSysNiceCapability() ? config.sqlExecutor.endpointThreadNice : 0, // the engine ignores it without CAP_SYS_NICE
        endpoint_priority_share: config.sqlExecutor.endpointPriorityShare, // SQL_ENDPOINT_PRIORITY_SHARE: the raised priority's budget
        loaded_engine_query_s_per_s: Number((loadedEngine.reduce((a, b) => a + b, 0) / (ROUNDS * LOADED_WINDOW_MS)).toFixed(3)), // what the budget counts (the engine's part of it): under the share, every query ran raised
        endpoint_one_client_p95_ms: Math.round(endpointP95),
        loaded_queries: loadedAll.length,
        rounds: ROUNDS,
        one_client_queries: directAll.length, // a side
        ...Object.fromEntries(roundP95s.map((p95, i) => [`round_${i + 1}_p95_ms`, p95])), // each round's own p95: the spread the pool averages
        loaded_window_s: LOADED_WINDOW_MS / 1000,
        overlap_p95_ms: Math.round(percentile(overlapping, 95)), // queries issued while the processor ran
        overlap_queries: overlapping.length,
        overlap_engine_p50_ms: Math.round(percentile(overlappingEngine, 50)), // the engine's own time of those queries: CPU shared with the processor
        overlap_engine_p95_ms: Math.round(percentile(overlappingEngine, 95)),
        overlap_p50_ms: Math.round(percentile(overlapping, 50)),
        over_100_ms_queries: loadedAll.filter((ms) => ms > 100).length, // the pooled p95 is over 100 ms when more than 5% are
        over_100_ms_overlap_queries: overlapping.filter((ms) => ms > 100).length,
        quiet_p95_ms: Math.round(percentile(quiet, 95)), // the 8 clients with the processor idle
        loaded_engine_p95_ms: Math.round(percentile(loadedEngine, 95)), // the engine's own time, 8 clients
        loaded_outside_engine_p95_ms: Math.round(percentile(loadedOutsideEngine, 95)), // queue, executor, HTTP, 8 clients
        loaded_event_loop_delay_p99_ms: Math.round(Math.max(...loopP99s)), // the process's event loop over the loaded windows (the worst)
        loaded_event_loop_delay_max_ms: Math.round(Math.max(...loopMaxes)),
        endpoint_outside_engine_p50_ms: Number(percentile(singleOutsideEngine, 50).toFixed(2)), // one client
        load_1m_start: Number(loadStart.toFixed(2)), // the machine's load average (uptime) when the run began
        load_1m_end: Number(loadavg()[0]!.toFixed(2)),
        velocity_alone_events_per_s: Math.round(aloneRate),
        velocity_with_bi_events_per_s: Math.round(withRate),
        ...perQuery,
        year_synthetic: 1,
        stores: STORES,
        skus: SKUS,
        days: DAYS,
        load_s: Math.round(loadS),
      };
    } finally {
      await endpoint?.close();
      await client.close();
    }
  },
};
