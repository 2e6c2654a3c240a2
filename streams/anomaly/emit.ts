/**
 * What the anomaly processor emits: each alert through emitAlert (shelfstream.alerts and the
 * alerts table) when raised and when resolved, with a deterministic alert_id, and one row per
 * alert in `anomalies`.
 */
import type { Alert, AlertType } from '../../schemas/generated/events';
import { alertId, emitAlert } from '../runtime/alerts';
import type { RowSink } from '../runtime/processor';
import type { Changes, OpenAlert, SeriesAlertType, SeriesState } from './state';

export const ANOMALIES_TABLE = 'anomalies';
export const ANOMALY_PROCESSOR = 'anomaly';
const PROCESSOR = ANOMALY_PROCESSOR;

const iso = (ms: number): string => new Date(ms).toISOString();

/** A raise or a resolution of `alert`, ended at `endedAt` (resolutions). */
export function publishAlert(out: RowSink, state: 'RAISED' | 'RESOLVED', type: AlertType, storeId: string, sku: string | null, terminalId: string | null, alert: OpenAlert, at: number, endedAt: number | null, measures: Record<string, number>, why?: string): void {
  // Every number the reader may want, the raise's figures included on the resolution.
  const allMeasures = { expected: alert.expected, observed: alert.observed, ...measures };
  const reason = state === 'RAISED' ? alert.reason : `${why ?? 'over'} (raised: ${alert.reason})`;
  const severity = type === 'PRICE_ERROR' || type === 'VOID_BURST' || alert.score >= 10 ? 'CRITICAL' : 'WARNING';
  const value: Alert = { alert_id: alert.id, state, occurred_at: at, store_id: storeId, sku, terminal_id: terminalId, alert_type: type, severity, score: alert.score, reason, processor: PROCESSOR, measures: allMeasures, acted_by: null, snoozed_until: null };
  // Event time orders the versions: a resolution is never older than its raise.
  const version = at * 2 + (state === 'RESOLVED' ? 1 : 0);
  emitAlert(out, value, version);
  out.emit(ANOMALIES_TABLE, {
    alert_id: alert.id,
    anomaly_type: type,
    store_id: storeId,
    sku,
    terminal_id: terminalId,
    started_at: iso(alert.raisedAt),
    ended_at: endedAt === null ? null : iso(endedAt),
    state,
    severity,
    score: alert.score,
    expected: alert.expected,
    observed: alert.observed,
    reason: alert.reason,
    resolution: state === 'RESOLVED' ? (why ?? '') : '',
    version,
  });
}

/** Raises an alert on a series: open until resolved, saved with the series. */
export function raiseSeriesAlert(out: RowSink, changes: Changes, type: SeriesAlertType, s: SeriesState, source: { topic: string; partition: number; offset: number }, at: number, score: number, expected: number, observed: number, reason: string, measures: Record<string, number>): void {
  const alert: OpenAlert = { id: alertId(PROCESSOR, type, s.storeId, s.sku, source), raisedAt: at, score, expected, observed, reason };
  s.alerts[type] = alert;
  changes.series.add(s);
  publishAlert(out, 'RAISED', type, s.storeId, s.sku, null, alert, at, null, measures);
}

/** Resolves an open alert of a series. */
export function resolveSeriesAlert(out: RowSink, changes: Changes, type: SeriesAlertType, s: SeriesState, alert: OpenAlert, at: number, why: string): void {
  delete s.alerts[type];
  changes.series.add(s);
  publishAlert(out, 'RESOLVED', type, s.storeId, s.sku, null, alert, at, at, {}, why);
}
