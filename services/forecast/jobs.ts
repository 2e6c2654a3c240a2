/**
 * The forecast jobs' ClickHouse side: write 7-day forecasts, reorder advice, the daily history
 * they used (the actuals of bi_forecast_vs_actual) and backtest results (model_run).
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { Forecaster } from './baselines';
import type { BacktestResult } from './backtest';
import { HORIZON, type Panel, isoDay } from './features';
import { type ReorderPolicy, reorderAdvice } from './reorder';

export const REORDER_DEFAULTS: ReorderPolicy = { leadTimeDays: 2, reviewDays: 1, serviceLevel: 0.95 };

/** Days of daily history rewritten into demand_daily by each predict (covers the last 4 weeks of forecasts). */
const DAILY_REFRESH_DAYS = 35;

const ts = (d: Date): string => d.toISOString().replace('T', ' ').replace('Z', '');

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
  panel.series.forEach((s, i) => {
    const at = i * HORIZON;
    for (let h = 1; h <= HORIZON; h++) forecasts.push([s.store_id, s.sku, originDate, isoDay(panel.lastObservedDay + h), h, f.p10[at + h - 1], f.p50[at + h - 1], f.p90[at + h - 1], modelVersion, generatedAt]);
    const onHand = book_on_hand[i * panel.days + origin]!;
    // no books (never counted): no advice rather than advice from an unknown stock level
    if (!Number.isNaN(onHand)) {
      const a = reorderAdvice(f.p10.subarray(at, at + HORIZON), f.p50.subarray(at, at + HORIZON), f.p90.subarray(at, at + HORIZON), onHand, 0, policy);
      reorders.push([s.store_id, s.sku, originDate, Math.round(onHand), 0, policy.leadTimeDays, policy.reviewDays, policy.serviceLevel, a.demand_lead_time_mean, a.reorder_point, a.order_quantity, modelVersion, generatedAt]);
    }
    for (let d = Math.max(0, origin - DAILY_REFRESH_DAYS + 1); d <= origin; d++) daily.push([s.store_id, s.sku, isoDay(panel.firstDay + d), units[i * panel.days + d], stockout[i * panel.days + d]! > 0, generatedAt]);
  });
  const insert = (table: string, columns: string[], values: unknown[][]): Promise<unknown> =>
    client.insert({ table: `${database}.${table}`, columns: columns as [string, ...string[]], values, format: 'JSONCompactEachRow' });
  await insert('demand_forecast', ['store_id', 'sku', 'origin_date', 'forecast_date', 'horizon_days', 'p10', 'p50', 'p90', 'model_version', 'generated_at'], forecasts);
  await insert('reorder_recommendation', ['store_id', 'sku', 'as_of_date', 'on_hand', 'on_order', 'lead_time_days', 'review_days', 'service_level', 'demand_lead_time_mean', 'reorder_point', 'order_quantity', 'model_version', 'generated_at'], reorders);
  await insert('demand_daily', ['store_id', 'sku', 'sales_date', 'units', 'stockout', 'refreshed_at'], daily);
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
