/**
 * Features, computed in ClickHouse and read back as Arrow: one row per store x sku x local
 * business date over [from, to + horizon], dense (a day without sales is a row with 0 units),
 * ordered by store, sku, date, so row (series s, day d) is at s x days + d.
 *
 * Stock-out flag. Sales on a day the shelf ran empty understate demand (censored demand): the
 * day must be neither learned nor scored as demand. The platform cannot see the shelf, only
 * the books, so the flag is the honest book view: every stock event of a series (sale, restocked
 * return, receipt, shrink, transfer, count correction) is a delta, and a cycle count at t sets
 * the level to the units counted as of t, covering every change at or before t, its own
 * correction included (the rule of streams/stock/ledger.ts and bi_inventory_history, migration
 * 0022; bi_sales_rolling, 0028, reads the same books): the simulator stamps a correction with its
 * count's instant, so a count sorts after every delta of its instant. Before the first count the
 * level is that count less the deltas between. A day is flagged when the book reached 0 units in
 * it, or started at 0 with no event at all that day. Theft and phantom stock are
 * invisible in the books, so those stock-outs stay unflagged (the anomaly processor's job). A
 * series never counted has no anchor and is never flagged.
 *
 * Book on hand. A series never counted in the window still has books for the reorder advice: the
 * fewest units consistent with its deltas (the start level that keeps the running level at or
 * above 0), a lower bound that turns exact at its first real stock-out. Without it such a series
 * got no advice and was never reordered: in the closed loop (tuning seed 9) a store closed on
 * Sundays whose count day of a sku always fell on a Sunday never counted 11 of its 50 skus, and
 * lost nearly all their demand under the advice (the store's own rule keeps books of its own).
 *
 * Rows for dates after `to` carry the calendar (weekday, month, holidays) of the days being
 * forecast and NaN units. Lags and rolling statistics on the row of date d use days before d
 * only (lags 1, 7, 14, 28; windows of 7 and 28 days), over uncensored days, so the row of the
 * first forecast day holds exactly what is known at the origin.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { type Table, tableFromIPC } from 'apache-arrow';
import { bindDatabase } from '../../clickhouse/sql';
import { DAY_MS } from '../../lib/domain/time';

export const HORIZON = 7;

/** The columns the query answers besides the keys, all Float64 with NaN for "unknown". */
export const FEATURE_COLUMNS = [
  'units',
  'stockout',
  'lag_1',
  'lag_7',
  'lag_14',
  'lag_28',
  'mean_7',
  'mean_28',
  'std_7',
  'std_28',
  'zero_share_28',
  'day_of_week',
  'month',
  'holiday_factor',
  'store_closed',
  'is_ramadan',
  'is_eid',
  'discount_share',
  'price_ratio',
  'book_on_hand',
] as const;
export type FeatureColumn = (typeof FEATURE_COLUMNS)[number];

/**
 * The query. `${local_date(x)}` becomes a multiIf over the stores' time zones, each passed as a
 * query parameter (toDate needs a constant zone), so no value is pasted into the SQL text.
 */
const FEATURE_SQL = `
WITH
stores AS (SELECT store_id, argMax(time_zone, updated_at) AS time_zone, argMax(region, updated_at) AS region FROM \${database}.dim_store GROUP BY store_id),
products AS (SELECT sku, argMax(category, updated_at) AS category FROM \${database}.dim_product GROUP BY sku),
stock_events AS (
    SELECT store_id, sku, occurred_at, 1 AS kind, -toInt64(sum(quantity)) AS delta, toInt64(sum(quantity)) AS sold,
           toFloat64(sum(quantity * unit_price)) AS gross, toFloat64(sum(discount)) AS discount, CAST(NULL AS Nullable(Int64)) AS counted, toString(event_id) AS event_key
    FROM \${database}.fact_sale_lines FINAL
    WHERE occurred_at >= {from_ts:DateTime64(3)} AND occurred_at < {until_ts:DateTime64(3)}
    GROUP BY store_id, sku, event_id, occurred_at
    UNION ALL
    SELECT store_id, sku, occurred_at, 1, toInt64(quantity), 0, 0, 0, NULL, concat(toString(event_id), '/', toString(line_number))
    FROM \${database}.fact_return_lines FINAL
    WHERE restockable AND occurred_at >= {from_ts:DateTime64(3)} AND occurred_at < {until_ts:DateTime64(3)}
    UNION ALL
    -- kind 2: a count sorts after every delta of its instant (its correction included), which it covers
    SELECT store_id, sku, occurred_at, if(movement_type = 'COUNT', 2, 1), toInt64(ifNull(quantity_delta, 0)), 0, 0, 0,
           if(movement_type = 'COUNT', toNullable(toInt64(counted_on_hand)), NULL), toString(event_id)
    FROM \${database}.fact_inventory_movements FINAL
    WHERE occurred_at >= {from_ts:DateTime64(3)} AND occurred_at < {until_ts:DateTime64(3)}
),
booked AS (
    SELECT e.store_id AS store_id, e.sku AS sku, s.time_zone AS time_zone, occurred_at, kind, delta, sold, gross, discount, counted, event_key,
           sum(delta) OVER (PARTITION BY e.store_id, e.sku ORDER BY occurred_at, kind, delta DESC, event_key ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum
    FROM stock_events AS e INNER JOIN stores AS s ON s.store_id = e.store_id
),
counted AS (
    -- anyLast skips NULLs: the latest count at or before the event, and the running sum it was taken at
    SELECT *, anyLast(counted) OVER upto AS last_counted, anyLast(if(counted IS NULL, NULL, toNullable(cum))) OVER upto AS cum_at_last_count
    FROM booked
    WINDOW upto AS (PARTITION BY store_id, sku ORDER BY occurred_at, kind, delta DESC, event_key ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
),
anchored AS (
    SELECT *,
           argMinIf(toNullable(counted - cum), (occurred_at, kind, -delta, event_key), counted IS NOT NULL) OVER (PARTITION BY store_id, sku) AS first_anchor,
           -- never counted: the fewest units the series can have started with, its stock never below zero
           -least(min(cum) OVER (PARTITION BY store_id, sku), 0) AS floor_anchor,
           if(last_counted IS NULL, coalesce(first_anchor, floor_anchor) + cum, last_counted + cum - cum_at_last_count) AS level
    FROM counted
),
daily AS (
    SELECT store_id, sku, \${local_date(occurred_at)} AS sales_date,
           sum(sold) AS units, sum(gross) AS gross, sum(discount) AS discount,
           min(level) AS min_book, argMax(level, (occurred_at, kind, -delta, event_key)) AS end_book, any(first_anchor IS NOT NULL) AS anchored
    FROM anchored
    GROUP BY store_id, sku, sales_date
),
series AS (SELECT DISTINCT store_id, sku FROM daily),
grid AS (
    SELECT g.store_id AS store_id, g.sku AS sku, g.sales_date AS sales_date, s.region AS region, p.category AS category,
           d.units AS units, d.gross AS gross, d.discount AS discount, d.min_book AS min_book, d.anchored AS anchored,
           anyLast(d.end_book) OVER (PARTITION BY g.store_id, g.sku ORDER BY g.sales_date ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_book,
           anyLast(d.end_book) OVER (PARTITION BY g.store_id, g.sku ORDER BY g.sales_date ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS book_now,
           max(d.anchored) OVER (PARTITION BY g.store_id, g.sku) AS series_anchored
    FROM (SELECT store_id, sku, toDate({from:Date} + number) AS sales_date FROM series ARRAY JOIN range(toUInt64(dateDiff('day', {from:Date}, {horizon_end:Date}) + 1)) AS number) AS g
    LEFT JOIN daily AS d ON d.store_id = g.store_id AND d.sku = g.sku AND d.sales_date = g.sales_date
    LEFT JOIN stores AS s ON s.store_id = g.store_id
    LEFT JOIN products AS p ON p.sku = g.sku
),
flagged AS (
    SELECT *,
           sales_date <= {to:Date} AND ifNull(series_anchored, false) AND ifNull(coalesce(min_book, prev_book), 1) <= 0 AS stockout_day,
           if(sales_date <= {to:Date} AND NOT stockout_day, toFloat64(ifNull(units, 0)), NULL) AS clean
    FROM grid
),
holidays AS (
    SELECT date, region, exp(sum(log(demand_factor))) AS factor, max(store_closed) AS closed,
           max(holiday_name = 'Ramadan') AS ramadan, max(holiday_name LIKE '%Eid%') AS eid
    FROM \${database}.dim_holiday
    WHERE date BETWEEN {from:Date} AND {horizon_end:Date}
    GROUP BY date, region
)
SELECT
    f.store_id AS store_id, f.sku AS sku, ifNull(f.category, '') AS category, ifNull(f.region, '') AS region, f.sales_date AS sales_date,
    if(f.sales_date <= {to:Date}, toFloat64(ifNull(f.units, 0)), nan) AS units,
    toFloat64(f.stockout_day) AS stockout,
    ifNull(lagInFrame(f.clean, 1) OVER w, nan) AS lag_1,
    ifNull(lagInFrame(f.clean, 7) OVER w, nan) AS lag_7,
    ifNull(lagInFrame(f.clean, 14) OVER w, nan) AS lag_14,
    ifNull(lagInFrame(f.clean, 28) OVER w, nan) AS lag_28,
    ifNull(avg(f.clean) OVER (w ROWS BETWEEN 7 PRECEDING AND 1 PRECEDING), nan) AS mean_7,
    ifNull(avg(f.clean) OVER (w ROWS BETWEEN 28 PRECEDING AND 1 PRECEDING), nan) AS mean_28,
    ifNull(stddevPop(f.clean) OVER (w ROWS BETWEEN 7 PRECEDING AND 1 PRECEDING), nan) AS std_7,
    ifNull(stddevPop(f.clean) OVER (w ROWS BETWEEN 28 PRECEDING AND 1 PRECEDING), nan) AS std_28,
    ifNull(avg(f.clean = 0) OVER (w ROWS BETWEEN 28 PRECEDING AND 1 PRECEDING), nan) AS zero_share_28,
    toFloat64(toDayOfWeek(f.sales_date)) AS day_of_week,
    toFloat64(toMonth(f.sales_date)) AS month,
    ifNull(h.factor, 1) AS holiday_factor,
    toFloat64(ifNull(h.closed, false)) AS store_closed,
    toFloat64(ifNull(h.ramadan, false)) AS is_ramadan,
    toFloat64(ifNull(h.eid, false)) AS is_eid,
    -- price and promotion as seen at the till: share of the gross taken off, and the day's
    -- average price against the series' average over the previous 28 days
    if(ifNull(f.gross, 0) > 0, f.discount / f.gross, nan) AS discount_share,
    ifNull((f.gross / nullIf(f.units, 0)) / nullIf(avg(f.gross / nullIf(f.units, 0)) OVER (w ROWS BETWEEN 28 PRECEDING AND 1 PRECEDING), 0), nan) AS price_ratio,
    toFloat64(ifNull(f.book_now, nan)) AS book_on_hand
FROM flagged AS f
LEFT JOIN holidays AS h ON h.date = f.sales_date AND h.region = f.region
WINDOW w AS (PARTITION BY f.store_id, f.sku ORDER BY f.sales_date)
ORDER BY store_id, sku, sales_date
SETTINGS join_use_nulls = 1, output_format_arrow_compression_method = 'none'
`;

/**
 * `sql` with the database and `${local_date(occurred_at)}` bound: the local date of a row's
 * occurred_at in its store's time_zone (a column of the query), for these time zones.
 */
export function bindLocalDate(sql: string, database: string, timeZones: readonly string[]): { query: string; zoneParams: Record<string, string> } {
  const zoneParams: Record<string, string> = {};
  const branches = timeZones.map((tz, i) => {
    zoneParams[`tz${i}`] = tz;
    return `time_zone = {tz${i}:String}, toDate(occurred_at, {tz${i}:String})`;
  });
  const localDate = branches.length === 0 ? 'toDate(occurred_at)' : `multiIf(${branches.join(', ')}, toDate(occurred_at))`;
  return { query: bindDatabase(sql, database).replaceAll('${local_date(occurred_at)}', localDate), zoneParams };
}

/** The feature SQL with the database and the local-date expression for these time zones bound. */
export function featureQuery(database: string, timeZones: readonly string[]): { query: string; zoneParams: Record<string, string> } {
  return bindLocalDate(FEATURE_SQL, database, timeZones);
}

/** The stores' time zones (dim_store), for bindLocalDate. */
export async function storeTimeZones(client: ClickHouseClient, database: string): Promise<string[]> {
  const zones = await client.query({ query: `SELECT DISTINCT time_zone FROM ${database}.dim_store ORDER BY time_zone`, format: 'JSONEachRow' });
  return (await zones.json<{ time_zone: string }>()).map((r) => r.time_zone);
}

/** Runs a query and reads its answer as an Arrow table (uncompressed: apache-arrow has no codecs). */
export async function queryArrow(client: ClickHouseClient, query: string, params: Record<string, unknown> = {}): Promise<Table> {
  const result = await client.exec({
    query: `${query.trim()}\nFORMAT ArrowStream`,
    query_params: params,
    clickhouse_settings: { output_format_arrow_compression_method: 'none' },
  });
  const chunks: Buffer[] = [];
  for await (const chunk of result.stream) chunks.push(chunk as Buffer);
  return tableFromIPC(Buffer.concat(chunks));
}

export interface SeriesInfo {
  readonly store_id: string;
  readonly sku: string;
  readonly category: string;
  readonly region: string;
}

/**
 * The features as a dense panel: series x days, one Float32Array per column. Day 0 is
 * `firstDay` (days since 1970-01-01); `lastObservedDay` is `to`, the last day with units.
 */
export interface Panel {
  readonly series: readonly SeriesInfo[];
  readonly firstDay: number;
  readonly days: number;
  readonly lastObservedDay: number;
  readonly columns: Readonly<Record<FeatureColumn, Float32Array>>;
}

export function dayNumber(isoDate: string): number {
  return Math.round(Date.parse(`${isoDate}T00:00:00Z`) / DAY_MS);
}

export function isoDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** Turns the feature query's Arrow answer into a panel (checks it is dense). */
export function panelFromArrow(table: Table, firstDay: number, lastObservedDay: number, days: number): Panel {
  const rows = table.numRows;
  if (rows % days !== 0) throw new Error(`feature rows ${rows} are not a whole number of series x ${days} days`);
  const n = rows / days;
  const store = table.getChild('store_id')!;
  const sku = table.getChild('sku')!;
  const category = table.getChild('category')!;
  const region = table.getChild('region')!;
  const series: SeriesInfo[] = [];
  for (let s = 0; s < n; s++) {
    const i = s * days;
    series.push({ store_id: String(store.get(i)), sku: String(sku.get(i)), category: String(category.get(i)), region: String(region.get(i)) });
  }
  const columns = {} as Record<FeatureColumn, Float32Array>;
  for (const name of FEATURE_COLUMNS) {
    const vector = table.getChild(name);
    if (!vector) throw new Error(`feature query answered no column ${name}`);
    columns[name] = Float32Array.from(vector.toArray() as Float64Array);
  }
  return { series, firstDay, days, lastObservedDay, columns };
}

export interface FeatureRange {
  /** First local date of history. */
  readonly from: string;
  /** Last local date of history (the forecast origin). */
  readonly to: string;
  /** Days after `to` whose calendar rows the panel carries. */
  readonly horizon?: number;
}

/** Computes the features in ClickHouse for [from, to] (+ horizon calendar days) as a panel. */
export async function loadPanel(client: ClickHouseClient, database: string, range: FeatureRange): Promise<Panel> {
  const horizon = range.horizon ?? HORIZON;
  const firstDay = dayNumber(range.from);
  const lastObservedDay = dayNumber(range.to);
  const days = lastObservedDay - firstDay + 1 + horizon;
  const { query, zoneParams } = featureQuery(database, await storeTimeZones(client, database));
  // Events are read from a day before `from` to a day after `to` in UTC: every local day of
  // every zone (UTC-12 to UTC+14) is whole; days outside [from, to] fall off the grid.
  const table = await queryArrow(client, query, {
    ...zoneParams,
    from: range.from,
    to: range.to,
    horizon_end: isoDay(lastObservedDay + horizon),
    from_ts: new Date((firstDay - 1) * DAY_MS).toISOString().replace('T', ' ').replace('Z', ''),
    until_ts: new Date((lastObservedDay + 2) * DAY_MS).toISOString().replace('T', ' ').replace('Z', ''),
  });
  return panelFromArrow(table, firstDay, lastObservedDay, days);
}
