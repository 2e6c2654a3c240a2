/**
 * Reading the delivery log back: `shelfstream alerts deliveries` (what was sent, each attempt
 * and its outcome) and `shelfstream alerts replay` (a logged message sent again, byte for byte,
 * under its own webhook-id, so a receiver that has it already drops it). The attempt a replay
 * makes is logged like any other, numbered after the message's last attempt.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { ShelfStreamError } from '../../lib/errors';
import { deliveryRow, type DeliveryLog } from './delivery-log';
import type { SecretBox } from './secret-box';
import { createSigner } from './signing';
import { openSecrets, openUrl } from './subscription-records';
import type { SubscriptionStore } from './subscription-store';
import type { AttemptOutcome, WebhookSender } from './webhook-sender';
import { judgeAttempt } from './engine/retry-policy';

export interface DeliveryFilter {
  readonly subscriptionId?: string;
  readonly messageId?: string;
  readonly from?: number;
  readonly to?: number;
  readonly limit: number;
}

export interface DeliveryListing {
  readonly message_id: string;
  readonly subscription_id: string;
  readonly message_type: string;
  readonly attempt: number;
  readonly attempted_at: string;
  readonly outcome: string;
  readonly status_code: number;
  readonly latency_ms: number;
  readonly error: string;
  readonly dead_letter_reason: string;
  readonly endpoint: string;
}

const iso = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

export async function listDeliveries(client: ClickHouseClient, database: string, filter: DeliveryFilter): Promise<DeliveryListing[]> {
  const result = await client.query({
    query: `SELECT message_id, subscription_id, message_type, attempt, attempted_at, outcome, status_code, latency_ms, error, dead_letter_reason, endpoint
            FROM ${database}.bi_alert_deliveries
            WHERE ({subscription:String} = '' OR subscription_id = {subscription:String})
              AND ({message:String} = '' OR message_id = {message:String})
              AND attempted_at >= parseDateTime64BestEffort({from:String}, 3) AND attempted_at < parseDateTime64BestEffort({to:String}, 3)
            ORDER BY attempted_at DESC, attempt DESC
            LIMIT {limit:UInt32}`,
    query_params: { subscription: filter.subscriptionId ?? '', message: filter.messageId ?? '', from: iso(filter.from ?? 0), to: iso(filter.to ?? Date.parse('2100-01-01')), limit: filter.limit },
    format: 'JSONEachRow',
  });
  return (await result.json()) as DeliveryListing[];
}

/** Sends logged messages again (one attempt each, now) and logs those attempts. */
export async function replayMessages(
  deps: { client: ClickHouseClient; database: string; store: SubscriptionStore; box: SecretBox; sender: WebhookSender; log: DeliveryLog; timeoutMs: number; clock: () => number },
  which: { messageId?: string; from?: number; to?: number; subscriptionId?: string },
): Promise<{ message_id: string; status: number; outcome: string }[]> {
  if (!which.messageId && (which.from === undefined || which.to === undefined)) throw new ShelfStreamError('INVALID_ARGUMENT', 'replay needs a message id, or --from and --to');
  const result = await deps.client.query({
    query: `SELECT m.message_id AS message_id, m.subscription_id AS subscription_id, m.body AS body, toUnixTimestamp64Milli(m.oldest_alert_at) AS oldest, ifNull(max(d.attempt), 0) AS last_attempt
            FROM ${deps.database}.alert_messages AS m FINAL
            LEFT JOIN ${deps.database}.alert_deliveries AS d ON d.message_id = m.message_id
            WHERE ({message:String} = '' OR m.message_id = {message:String})
              AND ({subscription:String} = '' OR m.subscription_id = {subscription:String})
              AND m.created_at >= parseDateTime64BestEffort({from:String}, 3) AND m.created_at < parseDateTime64BestEffort({to:String}, 3)
            GROUP BY message_id, subscription_id, body, oldest
            ORDER BY message_id`,
    query_params: { message: which.messageId ?? '', subscription: which.subscriptionId ?? '', from: iso(which.from ?? 0), to: iso(which.to ?? Date.parse('2100-01-01')) },
    format: 'JSONEachRow',
  });
  const rows = (await result.json()) as { message_id: string; subscription_id: string; body: string; oldest: string | number; last_attempt: number }[];
  if (rows.length === 0) throw new ShelfStreamError('INVALID_ARGUMENT', which.messageId ? `no logged message ${which.messageId}` : 'no logged message in that time range');
  const subscriptions = await deps.store.readAll();
  const sign = createSigner();
  const answers: { message_id: string; status: number; outcome: string }[] = [];
  for (const row of rows) {
    const record = subscriptions.get(row.subscription_id);
    if (!record) {
      answers.push({ message_id: row.message_id, status: 0, outcome: 'subscription deleted' });
      continue;
    }
    const now = deps.clock();
    const outcome: AttemptOutcome = await deps.sender.send({
      url: openUrl(record, deps.box),
      headers: { ...sign(row.message_id, now, row.body, openSecrets(record, deps.box, now)) },
      body: row.body,
      timeoutMs: deps.timeoutMs,
    });
    const verdict = judgeAttempt(outcome);
    const message = { messageId: row.message_id, subscriptionId: row.subscription_id, body: row.body, oldestAlertAt: Number(row.oldest), enqueuedAt: now, attempts: row.last_attempt + 1, nextAttemptAt: now, lastError: undefined };
    const completion =
      verdict.kind === 'delivered'
        ? ({ result: 'delivered', message, attempt: message.attempts } as const)
        : ({ result: 'dead-letter', message, attempt: message.attempts, reason: `replay failed: ${verdict.reason}` } as const);
    deps.log.addAttempt(deliveryRow(completion, outcome, now, record.url_redacted));
    answers.push({ message_id: row.message_id, status: outcome.status, outcome: completion.result });
  }
  await deps.log.flush();
  return answers;
}
