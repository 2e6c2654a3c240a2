/**
 * What a subscriber can ask for and what a webhook says: the alert kinds of `schemas/alert.avsc`
 * in snake case, each with three message types (`<kind>.raised` when a situation starts,
 * `<kind>.updated` when it is raised again with a higher severity, `<kind>.resolved` when it is
 * over), plus the messages that carry several alerts (a group, a digest, a rate-cap summary) and
 * the `test` command's message. `payload.schema.json` lists the same names; a unit test keeps
 * them equal.
 */
import type { Alert } from '../../schemas/generated/events';

export const ALERT_KINDS = ['stockout_risk', 'out_of_stock', 'demand_spike', 'demand_drop', 'phantom_inventory', 'price_error', 'void_burst', 'model_drift'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export const ALERT_TRANSITIONS = ['raised', 'updated', 'resolved'] as const;
export type AlertTransition = (typeof ALERT_TRANSITIONS)[number];

/** `<kind>.<transition>`: the type of a message about one alert. */
export type AlertEventType = `${AlertKind}.${AlertTransition}`;
export const ALERT_EVENT_TYPES: readonly AlertEventType[] = ALERT_KINDS.flatMap((kind) => ALERT_TRANSITIONS.map((t) => `${kind}.${t}` as const));

/** Messages about several alerts, and the `alerts test` message. */
export const COMPOSITE_MESSAGE_TYPES = ['alerts.group', 'alerts.digest', 'alerts.summary', 'webhook.test'] as const;
export type CompositeMessageType = (typeof COMPOSITE_MESSAGE_TYPES)[number];
export type MessageType = AlertEventType | CompositeMessageType;

/** Severities in rising order: an update is sent only when the rank goes up. */
export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

/** Kinds raised by the anomaly processor: a subscriber can name them one by one. */
export const ANOMALY_KINDS: readonly AlertKind[] = ['demand_spike', 'demand_drop', 'phantom_inventory', 'price_error', 'void_burst'];

export function kindOf(alertType: Alert['alert_type']): AlertKind {
  return alertType.toLowerCase() as AlertKind;
}

export function severityOf(severity: Alert['severity']): Severity {
  return severity.toLowerCase() as Severity;
}

export function isAlertKind(value: string): value is AlertKind {
  return (ALERT_KINDS as readonly string[]).includes(value);
}

export function isAlertEventType(value: string): value is AlertEventType {
  return (ALERT_EVENT_TYPES as readonly string[]).includes(value);
}

export function eventType(kind: AlertKind, transition: AlertTransition): AlertEventType {
  return `${kind}.${transition}`;
}
