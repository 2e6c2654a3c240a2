/**
 * The forecast jobs' ClickHouse side: write 7-day forecasts, reorder advice, the daily history
 * they used (the actuals of bi_forecast_vs_actual) and backtest results (model_run); read the
 * units on order that the advice counts.
 */
import { refreshForecastAccuracy } from './accuracy-rollup';
import type { ClickHouseClient } from '@clickhouse/client';
import { ORDER_TUNING } from '../../streams/stock/replenishment';
import type { Forecaster } from './baselines';
import type { BacktestResult } from './backtest';
import { HORIZON, type Panel, bindLocalDate, isoDay, storeTimeZones } from './features';
import { type ReorderPolicy, type SupplyTerms, casePackOf, reorderAdvice } from './reorder';

/** The lead time here serves only series that never ordered; the others use their orders' own. */
export const REORDER_DEFAULTS: ReorderPolicy = { leadTimeDays: 2, reviewDays: 1, serviceLevel: 0.95 };

/** Days of daily history rewritten into demand_daily by each predict (covers the last 4 weeks of forecasts). */
const DAILY_REFRESH_DAYS = 35;

const ts = (d: Date): string => d.toISOString().replace('T', ' ').replace('Z', '');

/** Orders older than this before the origin are not looked at: received or given up long ago. */
const ON_ORDER_LOOKBACK_DAYS = 60;

/**
 * Units on order per store x sku at the end of local date `to`: replenishment orders placed by
 * then that no RECEIPT named by then, except those overdue by more than the stock processor's
 * give-up delay (an order never received is not on its way any more).
 */
const ON_ORDER_SQL = `
WITH
stores AS (SELECT store_id, argMax(time_zone, updated_at) AS time_zone FROM \${database}.dim_store GROUP BY store_id),
received AS (
    SELECT m.store_id AS store_id, assumeNotNull(m.reference_id) AS order_id
    FROM \${database}.fact_inventory_movements AS m FINAL
    INNER JOIN stores AS s ON s.store_id = m.store_id
    WHERE m.movement_type = 'RECEIPT' AND m.reference_id IS NOT NULL
      AND m.occurred_at >= {from_ts:DateTime64(3)} AND \${local_date(occurred_at)} <= {to:Date}
)
SELECT toString(o.store_id) AS store_id, o.sku AS sku, toFloat64(sum(o.quantity)) AS on_order
FROM \${database}.fact_replenishment_orders AS o FINAL
INNER JOIN stores AS s ON s.store_id = o.store_id
WHERE o.occurred_at >= {from_ts:DateTime64(3)} AND \${local_date(occurred_at)} <= {to:Date}
  AND o.expected_delivery_at >= {given_up_before:DateTime64(3)}
  AND (toString(o.store_id), o.order_id) NOT IN (SELECT toString(store_id), order_id FROM received)
GROUP BY o.store_id, o.sku
`;

/** Units on order at the end of the panel's last observed day, by `${store_id}/${sku}` (absent: none). */
export async function loadOnOrder(client: ClickHouseClient, database: string, panel: Panel): Promise<Map<string, number>> {
  const { query, zoneParams } = bindLocalDate(ON_ORDER_SQL, database, await storeTimeZones(client, database));
  const endOfDay = (panel.lastObservedDay + 1) * 86_400_000;
  const result = await client.query({
    query,
    format: 'JSONEachRow',
    query_params: {
      ...zoneParams,
      to: isoDay(panel.lastObservedDay),
      from_ts: ts(new Date((panel.lastObservedDay - ON_ORDER_LOOKBACK_DAYS) * 86_400_000)),
      given_up_before: ts(new Date(endOfDay - ORDER_TUNING.giveUpMs)),
    },
  });
  return new Map((await result.json<{ store_id: string; sku: string; on_order: number }>()).map((r) => [`${r.store_id}/${r.sku}`, Number(r.on_order)]));
}

/**
 * Per store x sku: the lead time its newest order announced, and every quantity ordered (the
 * case pack is read from those of the sku across the chain: a product property).
 */
const SUPPLY_SQL = `
WITH stores AS (SELECT store_id, argMax(time_zone, updated_at) AS time_zone FROM \${database}.dim_store GROUP BY store_id)
SELECT toString(o.store_id) AS store_id, o.sku AS sku, argMax(o.lead_time_days, o.occurred_at) AS lead_time_days, groupUniqArray(o.quantity) AS quantities
FROM \${database}.fact_replenishment_orders AS o FINAL
INNER JOIN stores AS s ON s.store_id = o.store_id
WHERE o.occurred_at >= {from_ts:DateTime64(3)} AND \${local_date(occurred_at)} <= {to:Date}
GROUP BY o.store_id, o.sku
`;

/** Supply terms by `${store_id}/${sku}` from the orders of the last ON_ORDER_LOOKBACK_DAYS (absent: never ordered). */
export async function loadSupplyTerms(client: ClickHouseClient, database: string, panel: Panel): Promise<Map<string, SupplyTerms>> {
  const { query, zoneParams } = bindLocalDate(SUPPLY_SQL, database, await storeTimeZones(client, database));
  const result = await client.query({
    query,
    format: 'JSONEachRow',
    query_params: { ...zoneParams, to: isoDay(panel.lastObservedDay), from_ts: ts(new Date((panel.lastObservedDay - ON_ORDER_LOOKBACK_DAYS) * 86_400_000)) },
  });
  const rows = await result.json<{ store_id: string; sku: string; lead_time_days: number; quantities: number[] }>();
  const quantitiesOfSku = new Map<string, number[]>();
  for (const r of rows) (quantitiesOfSku.get(r.sku) ?? quantitiesOfSku.set(r.sku, []).get(r.sku)!).push(...r.quantities.map(Number));
  const packs = new Map([...quantitiesOfSku].map(([sku, q]) => [sku, casePackOf(q)]));
  return new Map(rows.map((r) => [`${r.store_id}/${r.sku}`, { leadTimeDays: Number(r.lead_time_days), casePack: packs.get(r.sku)! }]));
}

export interface PredictSummary {
  readonly series: number;
  readonly forecasts: number;
  readonly reorders: number;
  readonly origin: string;
}

/** Forecasts days 1..7 after the panel's last observed day and writes forecasts, advice and the daily history. */
export async function predictAndWrite(client: ClickHouseClient, database: string, panel: Panel, forecaster: Forecaster, modelVersion: string, policy: ReorderPolicy = REORDER_DEFAULTS, now = new Date()): Promise<PredictSummary> {
  const origin = panel.lastObservedDay - panel.firstDay;
  const f = await forecaster.predict(panel, origin);
  const generatedAt = ts(now);
  const originDate = isoDay(panel.lastObservedDay);
  const forecasts: unknown[][] = [];
  const reorders: unknown[][] = [];
  const daily: unknown[][] = [];
  const { units, stockout, book_on_hand } = panel.columns;
  const onOrder = await loadOnOrder(client, database, panel);
  const supply = await loadSupplyTerms(client, database, panel);
  panel.series.forEach((s, i) => {
    const at = i * HORIZON;
    for (let h = 1; h <= HORIZON; h++) forecasts.push([s.store_id, s.sku, originDate, isoDay(panel.lastObservedDay + h), h, f.p10[at + h - 1], f.p50[at + h - 1], f.p90[at + h - 1], modelVersion, generatedAt]);
    const onHand = book_on_hand[i * panel.days + origin]!;
    // no books (no stock event in the panel's window): no advice rather than advice from an unknown stock level
    if (!Number.isNaN(onHand)) {
      const key = `${s.store_id}/${s.sku}`;
      const ordered = onOrder.get(key) ?? 0;
      const a = reorderAdvice(f.p10.subarray(at, at + HORIZON), f.p50.subarray(at, at + HORIZON), f.p90.subarray(at, at + HORIZON), onHand, ordered, policy, supply.get(key));
      reorders.push([s.store_id, s.sku, originDate, Math.round(onHand), ordered, a.lead_time_days, policy.reviewDays, policy.serviceLevel, a.demand_lead_time_mean, a.reorder_point, a.order_quantity, modelVersion, generatedAt]);
    }
    for (let d = Math.max(0, origin - DAILY_REFRESH_DAYS + 1); d <= origin; d++) daily.push([s.store_id, s.sku, isoDay(panel.firstDay + d), units[i * panel.days + d], stockout[i * panel.days + d]! > 0, generatedAt]);
  });
  const insert = (table: string, columns: string[], values: unknown[][]): Promise<unknown> =>
    client.insert({ table: `${database}.${table}`, columns: columns as [string, ...string[]], values, format: 'JSONCompactEachRow' });
  await insert('demand_forecast', ['store_id', 'sku', 'origin_date', 'forecast_date', 'horizon_days', 'p10', 'p50', 'p90', 'model_version', 'generated_at'], forecasts);
  await insert('reorder_recommendation', ['store_id', 'sku', 'as_of_date', 'on_hand', 'on_order', 'lead_time_days', 'review_days', 'service_level', 'demand_lead_time_mean', 'reorder_point', 'order_quantity', 'model_version', 'generated_at'], reorders);
  await insert('demand_daily', ['store_id', 'sku', 'sales_date', 'units', 'stockout', 'refreshed_at'], daily);
  // After both inserts: the accuracy of every day whose actuals were just rewritten (migration 0043).
  await refreshForecastAccuracy(client, database, isoDay(panel.firstDay + Math.max(0, origin - DAILY_REFRESH_DAYS + 1)), originDate, generatedAt);
  return { series: panel.series.length, forecasts: forecasts.length, reorders: reorders.length, origin: originDate };
}

export interface RunInfo {
  readonly runId: string;
  readonly runType: 'TRAIN' | 'BACKTEST';
  readonly modelVersion: string;
  readonly accepted: boolean;
  readonly dataFrom: string;
  readonly dataTo: string;
  readonly startedAt: Date;
}

/** One model_run row per forecaster x segment of a backtest. */
export async function writeModelRun(client: ClickHouseClient, database: string, result: BacktestResult, run: RunInfo, now = new Date()): Promise<number> {
  const values = result.rows.map((r) => [
    run.runId, run.runType, r.forecaster === 'global_mlp' ? run.modelVersion : '', r.forecaster, r.segment,
    r.metrics.wape, r.metrics.mase, r.metrics.bias, r.metrics.pinball, r.metrics.coverage_p10_p90, r.metrics.points, result.origins.length,
    r.forecaster === 'global_mlp' && run.accepted, run.dataFrom, run.dataTo, ts(run.startedAt), ts(now),
  ]);
  await client.insert({
    table: `${database}.model_run`,
    columns: ['run_id', 'run_type', 'model_version', 'forecaster', 'segment', 'wape', 'mase', 'bias', 'pinball', 'coverage_p10_p90', 'points', 'origins', 'accepted', 'data_from', 'data_to', 'started_at', 'finished_at'],
    values,
    format: 'JSONCompactEachRow',
  });
  return values.length;
}
