/**
 * The read API's queries: fixed SQL with bound parameters ({name:Type}, sent apart from the
 * text by the ClickHouse client), never input spliced into SQL. The database name is the one
 * value put into the text, checked as a bare identifier by bindDatabase (embedded ClickHouse
 * ignores the client's database setting, so every table is qualified, as in the migrations).
 *
 * Each list query reads one page plus one row: the extra row says whether a next page exists.
 * Pages follow the sort key (keyset): `(key...) > (cursor...)` in the sort order.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { bindDatabase } from '../../clickhouse/sql';
import type { EngineLanes, EnginePriority } from '../../lib/engine-lanes';
import { rememberKnownStores } from './known-stores';
import type { CursorKey } from './params';

export interface Page<T> {
  readonly rows: readonly T[];
  /** The sort key of the last row, when more rows follow. */
  readonly nextKey: CursorKey | undefined;
}

export interface ForecastRow {
  readonly sku: string;
  readonly forecast_date: string;
  readonly origin_date: string;
  readonly horizon_days: number;
  readonly p10: number;
  readonly p50: number;
  readonly p90: number;
  readonly model_version: string;
}

export interface ReorderRow {
  readonly sku: string;
  readonly as_of_date: string;
  readonly on_hand: number;
  readonly on_order: number;
  readonly reorder_point: number;
  readonly order_quantity: number;
  readonly lead_time_days: number;
  readonly service_level: number;
  readonly expected_demand_lead_time: number;
  readonly model_version: string;
}

export interface AtRiskRow {
  readonly sku: string;
  readonly risk: number;
  readonly hours_to_stockout: number | null;
  readonly on_hand: number;
  readonly on_hand_known: boolean;
  readonly sales_rate_per_day: number;
  readonly next_delivery_expected_at: string;
  readonly out_of_stock: boolean;
  readonly reorder_advice: { readonly order_quantity: number; readonly reorder_point: number; readonly as_of_date: string } | null;
  readonly as_of: string;
}

export interface AlertRow {
  readonly alert_id: string;
  readonly alert_type: string;
  readonly severity: string;
  readonly sku: string | null;
  readonly terminal_id: string | null;
  readonly score: number;
  readonly reason: string;
  readonly state: 'open' | 'resolved';
  readonly raised_at: string;
  readonly resolved_at: string | null;
}

export type AlertState = 'open' | 'resolved' | 'all';

/** Units sold per sku over the last 7 days to `as_of` and the 7 before. */
export interface MoverFigures {
  readonly sku: string;
  readonly units_last_7d: number;
  readonly units_prior_7d: number;
}

export interface WeekdayFigures {
  /** ISO weekday, 1 = Monday. */
  readonly weekday: number;
  readonly units: number;
}

export interface InsightFigures {
  /** The last day with sales (UTC), or null when the store has none. */
  readonly asOf: string | null;
  readonly movers: readonly MoverFigures[];
  /** Units per weekday over the 28 days to as_of. */
  readonly weekdays: readonly WeekdayFigures[];
  readonly week: { readonly units_last_7d: number; readonly units_prior_7d: number; readonly net_minor_last_7d: number; readonly net_minor_prior_7d: number; readonly alerts_last_7d: number; readonly alerts_prior_7d: number };
}

// Sentinels for the first page: below every real key.
const FIRST_DATE = '1970-01-01';
const LAST_DATE = '2149-06-06'; // the last value of ClickHouse's Date

const SQL = {
  storeKnown: `SELECT count() AS n FROM \${database}.dim_store WHERE store_id = {store:String}`,

  // The forecasts of each sku's latest origin: the 7 days a store system plans with.
  forecasts: `
    SELECT sku, toString(forecast_date) AS forecast_date, toString(origin_date) AS origin_date, toUInt8(horizon_days) AS horizon_days,
           p10, p50, p90, model_version
    FROM \${database}.demand_forecast FINAL
    WHERE store_id = {store:String}
      AND (sku, origin_date) IN (
            SELECT sku, max(origin_date) FROM \${database}.demand_forecast
            WHERE store_id = {store:String} AND ({sku:String} = '' OR sku = {sku:String}) GROUP BY sku)
      AND ({sku:String} = '' OR sku = {sku:String})
      AND forecast_date BETWEEN {from:Date} AND {to:Date}
      AND (sku, forecast_date) > ({after_sku:String}, {after_date:Date})
    ORDER BY sku, forecast_date
    LIMIT {limit:UInt32}`,

  // Each sku's newest advice.
  reorderAdvice: `
    SELECT sku, toString(as_of_date) AS as_of_date, on_hand, on_order, reorder_point, order_quantity, lead_time_days, service_level,
           demand_lead_time_mean AS expected_demand_lead_time, model_version
    FROM \${database}.reorder_recommendation FINAL
    WHERE store_id = {store:String}
      AND (sku, as_of_date) IN (SELECT sku, max(as_of_date) FROM \${database}.reorder_recommendation WHERE store_id = {store:String} GROUP BY sku)
      AND ({sku:String} = '' OR sku = {sku:String})
      AND sku > {after_sku:String}
    ORDER BY sku
    LIMIT {limit:UInt32}`,

  // Riskiest first. The page key is the risk's IEEE bit pattern: for non-negative doubles it
  // sorts as the number does and compares exactly, where a decimal risk sent back in a cursor
  // could be parsed a last bit off and skip or repeat a row. The page is chosen first and the
  // advice read for its skus only (by the primary key, newest as_of_date and run winning), not
  // for the whole store: 9 ms instead of 14 on 2,000 skus a store (bench/benchmarks/read-api.ts).
  atRisk: `
    WITH page AS (
        SELECT sku, assumeNotNull(risk) AS risk, reinterpretAsUInt64(assumeNotNull(risk)) AS risk_key, hours_to_stockout, on_hand, on_hand_known,
               sales_rate_per_day, next_delivery_expected_at, out_of_stock, updated_at
        FROM \${database}.stockout_risk FINAL
        WHERE store_id = {store:String} AND risk IS NOT NULL AND risk >= {min_risk:Float64}
          AND (reinterpretAsUInt64(assumeNotNull(risk)) < {after_risk:UInt64}
               OR (reinterpretAsUInt64(assumeNotNull(risk)) = {after_risk:UInt64} AND sku > {after_sku:String}))
        ORDER BY risk_key DESC, sku
        LIMIT {limit:UInt32})
    SELECT r.sku AS sku, r.risk AS risk, r.hours_to_stockout AS hours_to_stockout, r.on_hand AS on_hand,
           r.on_hand_known AS on_hand_known, r.sales_rate_per_day AS sales_rate_per_day,
           toString(r.next_delivery_expected_at) AS next_delivery_expected_at, r.out_of_stock AS out_of_stock,
           toString(r.updated_at) AS as_of, toString(r.risk_key) AS risk_key,
           a.sku != '' AS has_advice, a.order_quantity AS order_quantity, a.reorder_point AS reorder_point, toString(a.as_of_date) AS advice_as_of
    FROM page AS r
    LEFT JOIN (
        SELECT sku, argMax(order_quantity, (as_of_date, generated_at)) AS order_quantity, argMax(reorder_point, (as_of_date, generated_at)) AS reorder_point,
               max(as_of_date) AS as_of_date
        FROM \${database}.reorder_recommendation
        WHERE store_id = {store:String} AND sku IN (SELECT sku FROM page)
        GROUP BY sku) AS a ON a.sku = r.sku
    ORDER BY r.risk_key DESC, r.sku
    SETTINGS join_use_nulls = 0`,

  // One row per alert: raised, and resolved once a RESOLVED row exists. Newest raised first.
  alerts: `
    SELECT alert_id, alert_type, severity, sku, terminal_id, score, reason,
           if(resolved, 'resolved', 'open') AS state, toString(raised_at) AS raised_at,
           if(resolved, toString(resolved_at), NULL) AS resolved_at, toString(toUnixTimestamp64Milli(raised_at)) AS raised_ms
    FROM (
        SELECT alert_id,
               any(alert_type) AS alert_type,
               argMinIf(severity, occurred_at, state = 'RAISED') AS severity,
               any(sku) AS sku, any(terminal_id) AS terminal_id,
               argMinIf(score, occurred_at, state = 'RAISED') AS score,
               argMinIf(reason, occurred_at, state = 'RAISED') AS reason,
               minIf(occurred_at, state = 'RAISED') AS raised_at,
               maxIf(occurred_at, state = 'RESOLVED') AS resolved_at,
               countIf(state = 'RESOLVED') > 0 AS resolved
        FROM \${database}.alerts FINAL
        WHERE store_id = {store:String}
        GROUP BY alert_id
        HAVING countIf(state = 'RAISED') > 0)
    WHERE ({state:String} = 'all' OR ({state:String} = 'resolved') = resolved)
      AND (toUnixTimestamp64Milli(raised_at) < {after_ms:Int64} OR (toUnixTimestamp64Milli(raised_at) = {after_ms:Int64} AND alert_id > {after_id:String}))
    ORDER BY raised_at DESC, alert_id
    LIMIT {limit:UInt32}`,

  lastSalesDate: `SELECT toString(max(sales_date)) AS as_of, count() AS n FROM \${database}.bi_sales_daily WHERE store_id = {store:String}`,

  // Units per sku in the 7 days to as_of against the 7 before; the biggest changes in units first.
  movers: `
    SELECT sku,
           sumIf(units_sold, sales_date > {as_of:Date} - 7) AS units_last_7d,
           sumIf(units_sold, sales_date <= {as_of:Date} - 7) AS units_prior_7d
    FROM \${database}.bi_sales_daily
    WHERE store_id = {store:String} AND sales_date BETWEEN {as_of:Date} - 13 AND {as_of:Date}
    GROUP BY sku
    HAVING units_last_7d != units_prior_7d
    ORDER BY abs(units_last_7d - units_prior_7d) DESC, sku
    LIMIT {limit:UInt32}`,

  weekdays: `
    SELECT toDayOfWeek(sales_date) AS weekday, sum(units_sold) AS units
    FROM \${database}.bi_sales_daily
    WHERE store_id = {store:String} AND sales_date BETWEEN {as_of:Date} - 27 AND {as_of:Date}
    GROUP BY weekday ORDER BY weekday`,

  week: `
    SELECT
      (SELECT sumIf(units_sold, sales_date > {as_of:Date} - 7) FROM \${database}.bi_sales_daily WHERE store_id = {store:String} AND sales_date BETWEEN {as_of:Date} - 13 AND {as_of:Date}) AS units_last_7d,
      (SELECT sumIf(units_sold, sales_date <= {as_of:Date} - 7) FROM \${database}.bi_sales_daily WHERE store_id = {store:String} AND sales_date BETWEEN {as_of:Date} - 13 AND {as_of:Date}) AS units_prior_7d,
      (SELECT sumIf(net_sales_minor, sales_date > {as_of:Date} - 7) FROM \${database}.bi_sales_daily WHERE store_id = {store:String} AND sales_date BETWEEN {as_of:Date} - 13 AND {as_of:Date}) AS net_minor_last_7d,
      (SELECT sumIf(net_sales_minor, sales_date <= {as_of:Date} - 7) FROM \${database}.bi_sales_daily WHERE store_id = {store:String} AND sales_date BETWEEN {as_of:Date} - 13 AND {as_of:Date}) AS net_minor_prior_7d,
      (SELECT countIf(toDate(occurred_at) > {as_of:Date} - 7) FROM \${database}.alerts FINAL WHERE store_id = {store:String} AND state = 'RAISED' AND toDate(occurred_at) BETWEEN {as_of:Date} - 13 AND {as_of:Date}) AS alerts_last_7d,
      (SELECT countIf(toDate(occurred_at) <= {as_of:Date} - 7) FROM \${database}.alerts FINAL WHERE store_id = {store:String} AND state = 'RAISED' AND toDate(occurred_at) BETWEEN {as_of:Date} - 13 AND {as_of:Date}) AS alerts_prior_7d`,
} as const;

/** The queries, bound to one client and database. */
export interface ReadQueries {
  storeKnown(store: string): Promise<boolean>;
  forecasts(store: string, filter: { sku?: string; from?: string; to?: string }, limit: number, after: CursorKey | undefined): Promise<Page<ForecastRow>>;
  reorderAdvice(store: string, filter: { sku?: string }, limit: number, after: CursorKey | undefined): Promise<Page<ReorderRow>>;
  atRisk(store: string, filter: { minRisk: number }, limit: number, after: CursorKey | undefined): Promise<Page<AtRiskRow>>;
  alerts(store: string, filter: { state: AlertState }, limit: number, after: CursorKey | undefined): Promise<Page<AlertRow>>;
  insightFigures(store: string, topMovers: number): Promise<InsightFigures>;
}

/** JSON output keeps 64-bit integers as strings; these columns are counts that fit a double. */
const num = (v: unknown): number => Number(v);

function page<R, T>(raw: readonly R[], limit: number, toRow: (r: R) => T, keyOf: (r: R) => CursorKey): Page<T> {
  const more = raw.length > limit;
  const kept = more ? raw.slice(0, limit) : raw;
  return { rows: kept.map(toRow), nextKey: more ? keyOf(kept[kept.length - 1]!) : undefined };
}

/**
 * The queries without the memory of known stores (./known-stores.ts): `storeExists` asks every
 * time. What the thread that owns the client answers for a read API served from a worker
 * (./worker-host.ts), which keeps the memory on its side.
 */
export type ReadQuerySource = Omit<ReadQueries, 'storeKnown'> & { storeExists(store: string): Promise<boolean> };

/**
 * @param lanes the embedded engine's lanes (lib/engine-lanes.ts); none for a ClickHouse server.
 * @param priority the lane of these queries: `interactive` for a store system waiting (ahead of the
 *   dashboards), `page` for refreshing a cached answer nobody waits on.
 */
export function createReadQueries(client: ClickHouseClient, database: string, now: () => number = Date.now, lanes?: EngineLanes, priority: EnginePriority = 'interactive'): ReadQueries {
  const source = createReadQuerySource(client, database, lanes, priority);
  // A known store's recheck runs behind the people waiting: nobody waits on it.
  const recheck = createReadQuerySource(client, database, lanes, 'page');
  return rememberKnownStores(source, (store) => recheck.storeExists(store), now);
}

export function createReadQuerySource(client: ClickHouseClient, database: string, lanes?: EngineLanes, priority: EnginePriority = 'interactive'): ReadQuerySource {
  const sql = Object.fromEntries(Object.entries(SQL).map(([name, text]) => [name, bindDatabase(text, database)])) as Record<keyof typeof SQL, string>;
  const query = async <T>(text: string, params: Record<string, unknown>): Promise<T[]> =>
    // The answers name columns as the tables do (toString(forecast_date) AS forecast_date), so
    // WHERE and ORDER BY must read the column, not the alias.
    (await client.query({ query: text, query_params: params, format: 'JSONEachRow', clickhouse_settings: { prefer_column_name_to_alias: 1 } })).json<T>();
  const select = <T>(text: string, params: Record<string, unknown>): Promise<T[]> => (lanes ? lanes.run(priority, () => query<T>(text, params)) : query<T>(text, params));

  return {
    async storeExists(store) {
      const [row] = await select<{ n: string }>(sql.storeKnown, { store });
      return num(row?.n) > 0;
    },

    async forecasts(store, filter, limit, after) {
      const raw = await select<ForecastRow>(sql.forecasts, {
        store,
        sku: filter.sku ?? '',
        from: filter.from ?? FIRST_DATE,
        to: filter.to ?? LAST_DATE,
        after_sku: (after?.[0] as string | undefined) ?? '',
        after_date: (after?.[1] as string | undefined) ?? FIRST_DATE,
        limit: limit + 1,
      });
      return page(raw, limit, (r) => ({ ...r, horizon_days: num(r.horizon_days) }), (r) => [r.sku, r.forecast_date]);
    },

    async reorderAdvice(store, filter, limit, after) {
      const raw = await select<ReorderRow>(sql.reorderAdvice, { store, sku: filter.sku ?? '', after_sku: (after?.[0] as string | undefined) ?? '', limit: limit + 1 });
      return page(raw, limit, (r) => ({ ...r, on_hand: num(r.on_hand), on_order: num(r.on_order), order_quantity: num(r.order_quantity), lead_time_days: num(r.lead_time_days) }), (r) => [r.sku]);
    },

    async atRisk(store, filter, limit, after) {
      type Raw = Omit<AtRiskRow, 'reorder_advice'> & { risk_key: string; has_advice: boolean; order_quantity: string; reorder_point: number; advice_as_of: string };
      const raw = await select<Raw>(sql.atRisk, {
        store,
        min_risk: filter.minRisk,
        // The first page starts above every risk's bit pattern (all ones is a NaN, never stored).
        after_risk: (after?.[0] as string | undefined) ?? '18446744073709551615',
        after_sku: (after?.[1] as string | undefined) ?? '',
        limit: limit + 1,
      });
      return page(
        raw,
        limit,
        ({ risk_key: _key, has_advice, order_quantity, reorder_point, advice_as_of, ...r }) => ({
          ...r,
          on_hand: num(r.on_hand),
          reorder_advice: has_advice ? { order_quantity: num(order_quantity), reorder_point, as_of_date: advice_as_of } : null,
        }),
        (r) => [r.risk_key, r.sku],
      );
    },

    async alerts(store, filter, limit, after) {
      const raw = await select<AlertRow & { raised_ms: string }>(sql.alerts, {
        store,
        state: filter.state,
        after_ms: (after?.[0] as string | undefined) ?? '9223372036854775807',
        after_id: (after?.[1] as string | undefined) ?? '',
        limit: limit + 1,
      });
      return page(raw, limit, ({ raised_ms: _ms, ...r }) => r, (r) => [r.raised_ms, r.alert_id]);
    },

    async insightFigures(store, topMovers) {
      const [last] = await select<{ as_of: string; n: string }>(sql.lastSalesDate, { store });
      if (!last || num(last.n) === 0) {
        return { asOf: null, movers: [], weekdays: [], week: { units_last_7d: 0, units_prior_7d: 0, net_minor_last_7d: 0, net_minor_prior_7d: 0, alerts_last_7d: 0, alerts_prior_7d: 0 } };
      }
      const params = { store, as_of: last.as_of };
      const [movers, weekdays, [week]] = await Promise.all([
        select<Record<keyof MoverFigures, string>>(sql.movers, { ...params, limit: topMovers }),
        select<Record<keyof WeekdayFigures, string>>(sql.weekdays, params),
        select<Record<keyof InsightFigures['week'], string>>(sql.week, params),
      ]);
      return {
        asOf: last.as_of,
        movers: movers.map((m) => ({ sku: m.sku, units_last_7d: num(m.units_last_7d), units_prior_7d: num(m.units_prior_7d) })),
        weekdays: weekdays.map((w) => ({ weekday: num(w.weekday), units: num(w.units) })),
        week: Object.fromEntries(Object.entries(week!).map(([k, v]) => [k, num(v)])) as unknown as InsightFigures['week'],
      };
    },
  };
}
