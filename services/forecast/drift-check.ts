/**
 * The drift check the forecast job runs after each predict (and `shelfstream forecast drift`):
 * reads the one-day-ahead forecasts beside what sold, per store x category x day, from
 * ClickHouse; measures drift per category (drift.ts); raises a MODEL_DRIFT alert on the alerts
 * topic for a category whose errors drifted, and resolves it at the first check that finds them
 * back; writes every measure into model_drift.
 *
 * The alert goes out before the rows are written: the rows record which alert is open, so a
 * check that dies in between raises the same alert again at its next run (same alert_id when it
 * runs for the same day; subscribers deduplicate on alert_id and state), and never forgets to
 * resolve one it raised.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { DriftConfig } from '../../lib/config';
import type { Alert } from '../../schemas/generated/events';
import { type DriftPoint, type DriftRow, type DriftWindows, alertingRows, driftByCategory, driftMeasures, driftReason } from './drift';
import { dayNumber, isoDay } from './features';

/** Fewer store x category x days than this on a side: the check measures but does not judge. */
export const MIN_POINTS = 28;

/**
 * Holiday days (and holiday periods: Christmas shopping, Ramadan) of the store's region are left
 * out of both windows. Their errors differ from ordinary days' by nature, and with less than a
 * year of forecasts there is no earlier holiday to set them against: a window of ordinary days
 * is what the check compares. (Measured: with them in, the year-end flagged 5 of 12 categories of
 * a simulated year that had no change at all; forecast-drift bench.)
 */
const POINTS_SQL = `
WITH products AS (SELECT sku, argMax(category, updated_at) AS category FROM \${database}.dim_product GROUP BY sku),
stores AS (SELECT store_id, argMax(region, updated_at) AS region FROM \${database}.dim_store GROUP BY store_id)
SELECT toString(f.store_id) AS store_id, toString(p.category) AS category, toString(a.sales_date) AS date,
       toFloat64(sum(a.units)) AS units, sum(f.p50) AS p50, toInt32(count()) AS skus, toInt32(countIf(a.units = 0)) AS zero_skus
FROM \${database}.demand_forecast AS f FINAL
INNER JOIN (
    SELECT store_id, sku, sales_date, units, stockout FROM \${database}.demand_daily FINAL
    WHERE sales_date >= {from:Date} AND sales_date <= {to:Date}
) AS a ON a.store_id = f.store_id AND a.sku = f.sku AND a.sales_date = f.forecast_date
INNER JOIN products AS p ON p.sku = f.sku
LEFT JOIN stores AS s ON s.store_id = f.store_id
WHERE f.horizon_days = 1 AND f.forecast_date >= {from:Date} AND f.forecast_date <= {to:Date} AND NOT a.stockout
  AND (toString(s.region), a.sales_date) NOT IN (SELECT toString(region), date FROM \${database}.dim_holiday WHERE date >= {from:Date} AND date <= {to:Date})
GROUP BY f.store_id, p.category, a.sales_date
ORDER BY store_id, category, date
`;

/** The alert each category had open after the last check before `asOf` (empty: none). */
const OPEN_ALERTS_SQL = `
SELECT toString(category) AS category, argMax(alert_id, (as_of_date, computed_at)) AS alert_id
FROM \${database}.model_drift
WHERE measure = 'forecast_error' AND as_of_date < {as_of:Date}
GROUP BY category
`;

export interface DriftCheckDeps {
  readonly client: ClickHouseClient;
  readonly database: string;
  /** Sends alerts to the alerts topic; resolves once Kafka acknowledged them. */
  readonly publishAlerts: (alerts: readonly Alert[]) => Promise<void>;
}

export interface DriftCheckSummary {
  readonly asOf: string;
  readonly windows: DriftWindows;
  readonly rows: readonly DriftRow[];
  readonly raised: readonly string[];
  readonly resolved: readonly string[];
  /** Categories whose forecast errors drifted at this check. */
  readonly drifted: readonly string[];
}

export function driftWindows(asOf: string, config: Pick<DriftConfig, 'recentDays' | 'referenceDays'>): DriftWindows {
  const to = dayNumber(asOf);
  const recentFrom = to - config.recentDays + 1;
  return { referenceFrom: isoDay(recentFrom - config.referenceDays), referenceTo: isoDay(recentFrom - 1), recentFrom: isoDay(recentFrom), recentTo: asOf };
}

/** alert_id of a category's drift: the category and the first check that found it. */
export const driftAlertId = (category: string, asOf: string): string => `forecast:MODEL_DRIFT:${category}:${asOf}`;

const sql = (query: string, database: string): string => query.replaceAll('${database}', database);

export async function loadDriftPoints(client: ClickHouseClient, database: string, windows: DriftWindows): Promise<DriftPoint[]> {
  const result = await client.query({ query: sql(POINTS_SQL, database), format: 'JSONEachRow', query_params: { from: windows.referenceFrom, to: windows.recentTo } });
  return result.json<DriftPoint>();
}

/** Runs the check for the business date `asOf` (the predict origin). */
export async function driftCheck(deps: DriftCheckDeps, asOf: string, config: DriftConfig, now = new Date()): Promise<DriftCheckSummary> {
  const { client, database } = deps;
  const windows = driftWindows(asOf, config);
  const rows = driftByCategory(await loadDriftPoints(client, database, windows), windows, { psiThreshold: config.psiThreshold, minPoints: MIN_POINTS, minStep: config.minStep });
  const open = new Map(
    (await (await client.query({ query: sql(OPEN_ALERTS_SQL, database), format: 'JSONEachRow', query_params: { as_of: asOf } })).json<{ category: string; alert_id: string }>())
      .filter((r) => r.alert_id !== '')
      .map((r) => [r.category, r.alert_id]),
  );
  const versions = await (await client.query({ query: sql(`SELECT argMax(model_version, generated_at) AS v FROM \${database}.demand_forecast WHERE origin_date = {as_of:Date}`, database), format: 'JSONEachRow', query_params: { as_of: asOf } })).json<{ v: string }>();
  const modelVersion = versions[0]?.v ?? '';

  const alerts: Alert[] = [];
  const openAfter = new Map<string, string>();
  const raised: string[] = [];
  const resolved: string[] = [];
  const occurredAt = (dayNumber(asOf) + 1) * 86_400_000; // the end of the business date checked
  const alertOf = (row: DriftRow, id: string, state: Alert['state']): Alert => ({
    alert_id: id,
    state,
    occurred_at: occurredAt,
    store_id: '',
    sku: null,
    terminal_id: null,
    alert_type: 'MODEL_DRIFT',
    severity: row.psi > 2 * config.psiThreshold ? 'CRITICAL' : 'WARNING',
    score: row.psi,
    reason: state === 'RAISED' ? driftReason(row, windows, config.psiThreshold) : `forecast errors of ${row.category} are back: PSI ${row.psi.toFixed(2)} (threshold ${config.psiThreshold}) for ${windows.recentFrom}..${windows.recentTo}`,
    processor: 'forecast',
    measures: driftMeasures(row, config.psiThreshold),
    acted_by: null,
    snoozed_until: null,
  });
  for (const row of alertingRows(rows)) {
    const current = open.get(row.category);
    if (row.drifted) {
      const id = current ?? driftAlertId(row.category, asOf);
      openAfter.set(row.category, id);
      if (!current) {
        alerts.push(alertOf(row, id, 'RAISED'));
        raised.push(row.category);
      }
    } else if (current) {
      alerts.push(alertOf(row, current, 'RESOLVED'));
      resolved.push(row.category);
    }
  }
  // a category with an open alert and no points at all this time keeps its alert open
  for (const [category, id] of open) if (!rows.some((r) => r.category === category)) openAfter.set(category, id);
  if (alerts.length > 0) await deps.publishAlerts(alerts);

  const computedAt = now.toISOString().replace('T', ' ').replace('Z', '');
  const values = rows.map((r) => [
    asOf, r.category, r.measure, r.psi, config.psiThreshold, r.drifted, finite(r.reference_mean), finite(r.recent_mean), r.reference_points, r.recent_points,
    windows.referenceFrom, windows.referenceTo, windows.recentFrom, modelVersion, r.measure === 'forecast_error' ? (openAfter.get(r.category) ?? '') : '', computedAt,
  ]);
  for (const [category, id] of openAfter) {
    if (!rows.some((r) => r.category === category)) values.push([asOf, category, 'forecast_error', 0, config.psiThreshold, true, 0, 0, 0, 0, windows.referenceFrom, windows.referenceTo, windows.recentFrom, modelVersion, id, computedAt]);
  }
  if (values.length > 0) {
    await client.insert({
      table: `${database}.model_drift`,
      columns: ['as_of_date', 'category', 'measure', 'psi', 'threshold', 'drifted', 'reference_mean', 'recent_mean', 'reference_points', 'recent_points', 'reference_from', 'reference_to', 'recent_from', 'model_version', 'alert_id', 'computed_at'],
      values,
      format: 'JSONCompactEachRow',
    });
  }
  return { asOf, windows, rows, raised, resolved, drifted: alertingRows(rows).filter((r) => r.drifted).map((r) => r.category) };
}

const finite = (x: number): number => (Number.isFinite(x) ? x : 0);
