/**
 * A store manager's acknowledgement or snooze of an alert, from the store-manager page: read the
 * alert as the signed-in user (so a scoped user finds only its stores' alerts: the engine's
 * scope, not a check of ours), refuse one that is over, and publish the action on the alerts
 * topic with the alert's own fields, where the alerts service reads it (no more repeats, or none
 * until the snooze ends) and writes it to the history (alert_actions, migration 0033).
 */
import type { SqlCredentials } from '../sql/contract';
import type { Alert, AlertSeverity, AlertType } from '../../schemas/generated/events';
import type { BiReader } from './bi-reader';

/** Sends the action to the alerts topic; resolves once Kafka acknowledged it. */
export interface AlertActionPublisher {
  publish(alert: Alert): Promise<void>;
}

export type AlertAction = { readonly kind: 'acknowledge' } | { readonly kind: 'snooze'; readonly minutes: number };

export const SNOOZE_LIMITS = {
  minMinutes: 5, // shorter is not worth a button
  maxMinutes: 10_080, // a week: longer is a silence for the subscription's owner, not a snooze
} as const;

/** Why an action is refused, for a 4xx that names what is wrong. */
export class AlertActionError extends Error {
  constructor(
    readonly status: 400 | 404 | 409,
    readonly error: string,
    message: string,
    readonly parameter?: string,
  ) {
    super(message);
  }
}

/** The action a request body asks for: `acknowledge`, or `snooze` with whole `minutes`. */
export function parseAlertAction(kind: string, body: unknown): AlertAction {
  if (kind === 'acknowledge') return { kind };
  if (kind !== 'snooze') throw new AlertActionError(404, 'unknown_action', `no action ${JSON.stringify(kind)}; there are acknowledge and snooze`);
  const minutes = (body as { minutes?: unknown } | null | undefined)?.minutes;
  if (typeof minutes !== 'number' || !Number.isInteger(minutes) || minutes < SNOOZE_LIMITS.minMinutes || minutes > SNOOZE_LIMITS.maxMinutes) {
    throw new AlertActionError(400, 'invalid_snooze', `minutes must be a whole number from ${SNOOZE_LIMITS.minMinutes} to ${SNOOZE_LIMITS.maxMinutes} (a week); got ${JSON.stringify(minutes ?? null)}`, 'minutes');
  }
  return { kind, minutes };
}

/** The alert as bi_alerts shows it to the user: its raised row, and whether it is over. */
export interface AlertSeen {
  readonly alert_id: string;
  readonly store_id: string;
  readonly sku: string | null;
  readonly terminal_id: string | null;
  readonly alert_type: string;
  readonly severity: string;
  readonly score: number;
  readonly reason: string;
  readonly raised: number;
  readonly resolved: number;
}

const ALERT_SEEN_SQL = `
  SELECT alert_id, any(store_id) AS store_id, any(sku) AS sku, any(terminal_id) AS terminal_id, any(alert_type) AS alert_type,
         argMaxIf(severity, occurred_at, alert_state = 'RAISED') AS severity, argMaxIf(score, occurred_at, alert_state = 'RAISED') AS score,
         argMinIf(reason, occurred_at, alert_state = 'RAISED') AS reason,
         countIf(alert_state = 'RAISED') AS raised, countIf(alert_state = 'RESOLVED') AS resolved
  FROM \${database}.bi_alerts
  WHERE alert_id = {alert_id:String}
  GROUP BY alert_id`;

/** The event of the action: the alert's fields, who acted and when. */
export function actionEvent(seen: AlertSeen, action: AlertAction, user: string, now: number): Alert {
  return {
    alert_id: seen.alert_id,
    state: action.kind === 'acknowledge' ? 'ACKNOWLEDGED' : 'SNOOZED',
    occurred_at: now,
    store_id: seen.store_id,
    sku: seen.sku,
    terminal_id: seen.terminal_id,
    alert_type: seen.alert_type as AlertType,
    severity: seen.severity as AlertSeverity,
    score: Number(seen.score),
    reason: seen.reason,
    processor: 'web',
    measures: {},
    acted_by: user,
    snoozed_until: action.kind === 'snooze' ? now + action.minutes * 60_000 : null,
  };
}

/** Reads the alert as `who`, checks it is open, publishes the action; the event published. */
export async function actOnAlert(deps: { reader: BiReader; publisher: AlertActionPublisher; clock: () => number }, who: SqlCredentials, alertId: string, action: AlertAction): Promise<Alert> {
  const [seen] = await deps.reader.select<AlertSeen>(who, ALERT_SEEN_SQL, { alert_id: alertId });
  // A scoped user reading another store's alert sees no row: the same answer as for no alert at all.
  if (!seen || Number(seen.raised) === 0) throw new AlertActionError(404, 'unknown_alert', `no alert ${JSON.stringify(alertId)} among the alerts you can see`);
  if (Number(seen.resolved) > 0) throw new AlertActionError(409, 'alert_resolved', `alert ${JSON.stringify(alertId)} is resolved: there is nothing left to ${action.kind}`);
  const event = actionEvent(seen, action, who.user, deps.clock());
  await deps.publisher.publish(event);
  return event;
}
