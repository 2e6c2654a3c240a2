/**
 * The body of a `standard` webhook: Standard Webhooks' `{type, timestamp, data}`, with `data`
 * as documented by `payload.schema.json` (version `PAYLOAD_SCHEMA_VERSION`). A subscriber codes
 * against that schema; this module only builds bodies that match it (a unit test validates
 * every kind of message against the schema with ajv).
 *
 * Every message lists its alerts the same way, whether it carries one (`<kind>.raised`), a group
 * (`alerts.group`), a store's digest (`alerts.digest`) or the overflow of a rate cap
 * (`alerts.summary`), so one parser reads them all.
 */
import type { AlertEventType, AlertKind, MessageType, Severity } from './event-types';

/** Bumped on a breaking change of `data`; additive changes keep it. */
export const PAYLOAD_SCHEMA_VERSION = '1.0';

/** One alert as a subscriber sees it. */
export interface AlertItem {
  readonly alert_id: string;
  readonly event_type: AlertEventType;
  readonly kind: AlertKind;
  readonly status: 'firing' | 'resolved';
  readonly severity: Severity;
  readonly score: number;
  readonly store_id: string;
  /** From the store master data; null when the store is unknown to the delivery service. */
  readonly region: string | null;
  readonly sku: string | null;
  /** From the product master data; null for store-level alerts or an unknown product. */
  readonly category: string | null;
  readonly terminal_id: string | null;
  readonly reason: string;
  readonly measures: Readonly<Record<string, number>>;
  /** ISO 8601 UTC: event time of the record that raised the situation. */
  readonly raised_at: string;
  /** ISO 8601 UTC: event time of the record that resolved it; null while it is firing. */
  readonly resolved_at: string | null;
  readonly processor: string;
}

export interface DigestSection {
  readonly store_id: string;
  /** The store's local date and time the digest was due, and its IANA zone. */
  readonly local_date: string;
  readonly local_time: string;
  readonly time_zone: string;
}

export interface SummarySection {
  /** Alert messages the rate cap held back in the window, rolled into this one. */
  readonly suppressed_messages: number;
  readonly by_kind: Readonly<Partial<Record<AlertKind, number>>>;
  readonly window_start: string;
  readonly window_end: string;
}

export interface MessageData {
  readonly schema_version: typeof PAYLOAD_SCHEMA_VERSION;
  readonly subscription_id: string;
  /** The group the message belongs to (the subscription's group_by values); null when ungrouped. */
  readonly group_key: string | null;
  readonly group_labels: Readonly<Record<string, string>>;
  readonly alerts: readonly AlertItem[];
  readonly firing_count: number;
  readonly resolved_count: number;
  readonly digest?: DigestSection;
  readonly summary?: SummarySection;
}

export interface StandardPayload {
  readonly type: MessageType;
  /** ISO 8601 UTC: when the message was made (stable across retries: the body never changes). */
  readonly timestamp: string;
  readonly data: MessageData;
}

export interface MessageContent {
  readonly type: MessageType;
  readonly createdAt: number;
  readonly subscriptionId: string;
  readonly groupKey: string | null;
  readonly groupLabels: Readonly<Record<string, string>>;
  readonly alerts: readonly AlertItem[];
  readonly digest?: DigestSection;
  readonly summary?: SummarySection;
}

export function standardPayload(message: MessageContent): StandardPayload {
  const firing = message.alerts.filter((a) => a.status === 'firing').length;
  return {
    type: message.type,
    timestamp: new Date(message.createdAt).toISOString(),
    data: {
      schema_version: PAYLOAD_SCHEMA_VERSION,
      subscription_id: message.subscriptionId,
      group_key: message.groupKey,
      group_labels: message.groupLabels,
      alerts: message.alerts,
      firing_count: firing,
      resolved_count: message.alerts.length - firing,
      ...(message.digest ? { digest: message.digest } : {}),
      ...(message.summary ? { summary: message.summary } : {}),
    },
  };
}
