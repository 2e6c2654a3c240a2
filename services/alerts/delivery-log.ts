/**
 * The delivery log in ClickHouse (migration 0012): one `alert_messages` row per message, with the
 * body as sent (what `alerts replay` sends again), and one `alert_deliveries` row per attempt and
 * per dead letter. Rows are built by pure functions from what the delivery queue reports, and
 * written in batches; a batch written twice after a restart replaces itself (deterministic keys,
 * ReplacingMergeTree). The endpoint appears redacted only.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { PayloadFormat } from './body';
import type { Completion } from './engine/delivery-queue';
import type { OutgoingMessage } from './engine/notifier';
import type { AttemptOutcome } from './webhook-sender';

export interface AlertMessageRow {
  readonly message_id: string;
  readonly subscription_id: string;
  readonly message_type: string;
  readonly payload_format: PayloadFormat;
  readonly created_at: number;
  readonly oldest_alert_at: number;
  readonly alert_ids: readonly string[];
  readonly store_ids: readonly string[];
  readonly body: string;
}

export interface AlertDeliveryRow {
  readonly message_id: string;
  readonly subscription_id: string;
  readonly attempt: number;
  readonly attempted_at: number;
  readonly outcome: 'delivered' | 'retry' | 'dead_letter';
  readonly status_code: number;
  readonly latency_ms: number;
  readonly error: string;
  readonly response_excerpt: string;
  readonly next_attempt_at: number | null;
  readonly dead_letter_reason: string;
  readonly endpoint: string;
  readonly alert_to_attempt_ms: number;
}

export function messageRow(message: OutgoingMessage, format: PayloadFormat, body: string): AlertMessageRow {
  const alerts = message.content.alerts;
  return {
    message_id: message.messageId,
    subscription_id: message.subscriptionId,
    message_type: message.content.type,
    payload_format: format,
    created_at: message.content.createdAt,
    oldest_alert_at: message.oldestAlertAt,
    alert_ids: alerts.map((a) => a.alert_id),
    store_ids: [...new Set(alerts.map((a) => a.store_id))],
    body,
  };
}

/** The log row of a completion; `outcome` is undefined for a dead letter that made no attempt. */
export function deliveryRow(completion: Completion, outcome: AttemptOutcome | undefined, attemptedAt: number, endpoint: string): AlertDeliveryRow {
  const message = completion.message;
  const tried = outcome !== undefined;
  return {
    message_id: message.messageId,
    subscription_id: message.subscriptionId,
    attempt: tried ? completion.attempt : 0,
    attempted_at: attemptedAt,
    outcome: completion.result === 'dead-letter' ? 'dead_letter' : completion.result,
    status_code: outcome?.status ?? 0,
    latency_ms: outcome?.latencyMs ?? 0,
    error: completion.result === 'delivered' ? '' : completion.reason,
    response_excerpt: outcome?.responseExcerpt ?? '',
    next_attempt_at: completion.result === 'retry' ? completion.nextAttemptAt : null,
    dead_letter_reason: completion.result === 'dead-letter' ? completion.reason : '',
    endpoint,
    alert_to_attempt_ms: attemptedAt - message.oldestAlertAt,
  };
}

const toDateTime = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

/** A message row as ClickHouse takes it (DateTime64 columns as text). */
export function messageInsertRow(r: AlertMessageRow): Record<string, unknown> {
  return { ...r, created_at: toDateTime(r.created_at), oldest_alert_at: toDateTime(r.oldest_alert_at) };
}

/** An attempt row as ClickHouse takes it. */
export function deliveryInsertRow(r: AlertDeliveryRow): Record<string, unknown> {
  return { ...r, attempted_at: toDateTime(r.attempted_at), next_attempt_at: r.next_attempt_at === null ? null : toDateTime(r.next_attempt_at) };
}

export interface DeliveryLog {
  addMessage(row: AlertMessageRow): void;
  addAttempt(row: AlertDeliveryRow): void;
  /** Writes what is buffered; the runtime calls it before committing the offsets behind it. */
  flush(): Promise<void>;
  readonly buffered: number;
}

export function createDeliveryLog(client: ClickHouseClient, database: string): DeliveryLog {
  let messages: AlertMessageRow[] = [];
  let attempts: AlertDeliveryRow[] = [];
  return {
    addMessage: (row) => void messages.push(row),
    addAttempt: (row) => void attempts.push(row),
    get buffered() {
      return messages.length + attempts.length;
    },
    async flush() {
      const [m, a] = [messages, attempts];
      messages = [];
      attempts = [];
      try {
        if (m.length > 0) {
          await client.insert({ table: `${database}.alert_messages`, format: 'JSONEachRow', values: m.map(messageInsertRow) });
        }
        if (a.length > 0) {
          await client.insert({
            table: `${database}.alert_deliveries`,
            format: 'JSONEachRow',
            values: a.map(deliveryInsertRow),
          });
        }
      } catch (error) {
        // Kept for the next flush: the log must not lose an attempt because ClickHouse blinked.
        messages = [...m, ...messages];
        attempts = [...a, ...attempts];
        throw error;
      }
    },
  };
}
