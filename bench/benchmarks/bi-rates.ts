/**
 * bi-rates: what reading exchange_rate_daily from the table of a refreshable materialized view
 * (migration 0049) instead of computing it in every query (0030's view) saves bi-query's four
 * dashboard queries, on bi-query's synthetic year, and what the refresh costs.
 *
 * Old and new alternate in one process on the same data (the machine's load hits both alike):
 * before each timed query, exchange_rate_daily is redefined over exchange_rate_daily_computed
 * (0030's body) or over exchange_rate_daily_rows (0049), which side goes first alternating by
 * round, after one untimed warm-up of each. The bi_* views that join it are not redefined, so the
 * queries are the dashboard's own. 0049's definition is restored at the end, also on a failure.
 *
 * The refresh's cost, which the 10 s period of 0049 was chosen from: process CPU over REFRESHES
 * refreshes asked for and waited on in a row, less the process's idle CPU over as long just
 * before, per refresh (refresh_cpu_ms), on the year (one currency, its calendar) and on the shape
 * of a chain at the defaults (the 2024-2030 calendar, 8 currencies with three years of daily
 * rates) in a scratch database; the CPU a second at 10 s is refresh_cpu_ms / 10.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fillCalendar } from '../../clickhouse/calendar';
import { refreshExchangeRates } from '../../clickhouse/exchange-rate-refresh';
import { migrate } from '../../clickhouse/migrate';
import { applyReportingCurrency } from '../../clickhouse/reporting-currency';
import { bindDatabase, splitStatements } from '../../clickhouse/sql';
import { createClickHouse, type ClickHouseClient } from '../../lib/clients/clickhouse';
import { MIGRATIONS_DIR } from '../../lib/paths';
import { percentile, type Benchmark } from '../harness';
import { BI_YEAR_DATABASE, QUERIES, biYearFolder, ensureYear } from './bi-query';

const ROUNDS = 20; // timed queries of each kind, per definition
const REFRESHES = 20;
const CHAIN_CURRENCIES = ['EUR', 'GBP', 'USD', 'AED', 'TRY', 'MAD', 'CHF', 'SEK'];
const COLUMNS = 'currency, business_date, rate, rate_date, days_carried, base_currency, reporting_currency, to_reporting';
// The two definitions compared, without comments (the BI views read the same columns either way);
// 0049's own statement, with its comments, is restored at the end.
const COMPUTED_VIEW = `CREATE OR REPLACE VIEW \${database}.exchange_rate_daily AS SELECT ${COLUMNS} FROM \${database}.exchange_rate_daily_computed`;
const TABLE_VIEW = `CREATE OR REPLACE VIEW \${database}.exchange_rate_daily AS SELECT ${COLUMNS} FROM \${database}.exchange_rate_daily_rows`;

/** 0049's definition of exchange_rate_daily, with its comments: restored at the end. */
const RESTORE_0049 = (() => {
  const sql = readFileSync(join(MIGRATIONS_DIR, '0049_exchange_rate_daily_refreshed.sql'), 'utf8');
  const statement = splitStatements(sql).find((s) => s.startsWith('CREATE OR REPLACE VIEW ${database}.exchange_rate_daily\n'));
  if (statement === undefined) throw new Error('0049 no longer defines exchange_rate_daily: bi-rates compares against that definition');
  return statement;
})();

const round1 = (x: number): number => Math.round(x * 10) / 10;
const ratio = (now: number, old: number): number => Math.round((now / old) * 1000) / 1000;

/** Process CPU ms per refresh of `database`'s exchange_rate_daily_rows, idle CPU removed. */
async function refreshCpuMs(client: ClickHouseClient, database: string): Promise<{ cpuMs: number; wallP50Ms: number }> {
  await refreshExchangeRates(client, database);
  const walls: number[] = [];
  const startedAt = performance.now();
  const before = process.cpuUsage();
  for (let i = 0; i < REFRESHES; i++) {
    const started = performance.now();
    await refreshExchangeRates(client, database);
    walls.push(performance.now() - started);
  }
  const busy = process.cpuUsage(before);
  const elapsed = performance.now() - startedAt;
  // The engine's background work (merges, other views' schedules) over as long, doing nothing.
  const idleBefore = process.cpuUsage();
  await sleep(elapsed);
  const idle = process.cpuUsage(idleBefore);
  const ms = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1000;
  return { cpuMs: Math.max(0, ms(busy) - ms(idle)) / REFRESHES, wallP50Ms: percentile(walls, 50) };
}

/** A scratch database shaped as a chain at the defaults: the 2024-2030 calendar and 8 currencies' daily rates over 2024-2026. */
async function loadChainShape(client: ClickHouseClient, database: string): Promise<void> {
  await client.command({ query: `CREATE DATABASE ${database}` });
  await migrate(client, database);
  await fillCalendar(client, database, '2024-01-01', '2030-12-31');
  await applyReportingCurrency(client, database, 'EUR');
  await client.command({
    query: `INSERT INTO ${database}.dim_exchange_rate (currency, base_currency, rate_date, rate, source, updated_at)
      SELECT c, 'EUR', toDate('2024-01-01') + d.number, if(c = 'EUR', 1, 1 + (cityHash64(c, d.number) % 100) / 100), 'bench', toDateTime64('2024-01-01 00:00:00', 3, 'UTC')
      FROM (SELECT arrayJoin(['${CHAIN_CURRENCIES.join("', '")}']) AS c) AS currencies CROSS JOIN numbers(1096) AS d`,
  });
  await refreshExchangeRates(client, database);
}

export const biRatesBench: Benchmark = {
  name: 'bi-rates',
  description: 'bi-query dashboard queries with exchange_rate_daily computed per query (0030) against read from its refreshed table (0049), alternately in one run; the refresh CPU cost',
  async run({ config, logger }) {
    if (config.clickhouse.mode !== 'embedded') throw new Error('bi-rates measures the embedded engine (unset CLICKHOUSE_URL)');
    const loadStart = loadavg()[0]!;
    const folder = biYearFolder(config);
    mkdirSync(folder, { recursive: true });
    const client = createClickHouse({ ...config.clickhouse, dataDir: folder, database: BI_YEAR_DATABASE });
    const define = async (statement: string): Promise<void> => void (await client.command({ query: bindDatabase(statement, BI_YEAR_DATABASE) }));
    const timed = async (sql: string): Promise<number> => {
      const started = performance.now();
      await (await client.query({ query: sql, format: 'JSONEachRow' })).json();
      return performance.now() - started;
    };
    const chain = `bench_rates_chain_${Date.now()}`;
    try {
      await ensureYear(client, logger);
      const metrics: Record<string, number> = {};
      const old: number[] = [];
      const now: number[] = [];
      for (const query of QUERIES) {
        const sql = query.sql('S007');
        const times = { computed: [] as number[], table: [] as number[] };
        const order = [['computed', COMPUTED_VIEW], ['table', TABLE_VIEW]] as const;
        for (const [, statement] of order) {
          await define(statement);
          await timed(sql);
        }
        for (let round = 0; round < ROUNDS; round++) {
          // Alternate which goes first, so neither always follows the other's caches.
          for (const [kind, statement] of round % 2 === 0 ? order : [...order].reverse()) {
            await define(statement);
            times[kind].push(await timed(sql));
          }
        }
        old.push(...times.computed);
        now.push(...times.table);
        metrics[`${query.name}_computed_p50_ms`] = round1(percentile(times.computed, 50));
        metrics[`${query.name}_table_p50_ms`] = round1(percentile(times.table, 50));
        metrics[`${query.name}_p50_ratio`] = ratio(percentile(times.table, 50), percentile(times.computed, 50));
        metrics[`${query.name}_p95_ratio`] = ratio(percentile(times.table, 95), percentile(times.computed, 95));
      }
      metrics.all_p50_ratio = ratio(percentile(now, 50), percentile(old, 50));
      metrics.all_p95_ratio = ratio(percentile(now, 95), percentile(old, 95));
      await define(TABLE_VIEW);
      const year = await refreshCpuMs(client, BI_YEAR_DATABASE);
      metrics.refresh_cpu_ms_year = round1(year.cpuMs);
      metrics.refresh_wall_p50_ms_year = round1(year.wallP50Ms);
      await loadChainShape(client, chain);
      const atDefaults = await refreshCpuMs(client, chain);
      metrics.refresh_cpu_ms_chain = round1(atDefaults.cpuMs);
      metrics.refresh_wall_p50_ms_chain = round1(atDefaults.wallP50Ms);
      metrics.rows_chain = Number((await (await client.query({ query: `SELECT count() AS n FROM ${chain}.exchange_rate_daily`, format: 'JSONEachRow' })).json<{ n: string }>())[0]!.n);
      metrics.load_start = round1(loadStart);
      metrics.load_end = round1(loadavg()[0]!);
      return metrics;
    } finally {
      // 0049's own statement (columns and comments), as migrate left it.
      await define(RESTORE_0049);
      await client.command({ query: `DROP DATABASE IF EXISTS ${chain} SYNC` });
      await client.close();
    }
  },
};
