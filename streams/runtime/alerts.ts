/**
 * Alerts, shared by the processors that raise them (stock, anomaly): one call publishes the
 * Alert event to shelfstream.alerts and writes the same alert to the ClickHouse `alerts` table.
 * Ids are deterministic so a replay rewrites rather than repeats (see alert.avsc).
 */
import type { Alert, AlertType } from '../../schemas/generated/events';
import type { RowSink } from './processor';

export const ALERTS_TOPIC = 'shelfstream.alerts';
export const ALERTS_TABLE = 'alerts';

/** The id of one situation: the same inputs always give the same id. */
export function alertId(processor: string, type: AlertType, storeId: string, sku: string | null, source: { topic: string; partition: number; offset: number }): string {
  return `${processor}:${type}:${storeId}:${sku ?? '-'}:${source.topic}/${source.partition}/${source.offset}`;
}

/** Publishes the alert and writes its row; `version` orders rewrites of the same alert and state. */
export function emitAlert(out: RowSink, alert: Alert, version: number): void {
  out.publish(ALERTS_TOPIC, alert.store_id, alert);
  out.emit(ALERTS_TABLE, {
    alert_id: alert.alert_id,
    state: alert.state,
    occurred_at: new Date(alert.occurred_at).toISOString(),
    store_id: alert.store_id,
    sku: alert.sku,
    terminal_id: alert.terminal_id,
    alert_type: alert.alert_type,
    severity: alert.severity,
    score: alert.score,
    reason: alert.reason,
    processor: alert.processor,
    measures: alert.measures,
    version,
  });
}
