/**
 * Alert delivery without a consumer loop: subscriptions -> a notifier each -> the delivery queue
 * -> signed HTTP attempts -> the delivery log and metrics. The streaming runtime drives it
 * (runtime-glue.ts): `offer` for each record of shelfstream.alerts, `apply` for each record of
 * the subscriptions topic, `tick` on its wall-clock timer at `nextWakeAt`, and `flush` (the
 * delivery log written) before it commits offsets. Tests drive it the same way.
 *
 * Which clock: grouping waits, retries, quiet hours and digests run on the injected `clock`
 * (wall-clock time in production), never on event time: a subscriber waits in real minutes.
 * A demo running the simulator at 600x therefore sends a group of 30 simulated seconds'
 * alerts after 30 real seconds, i.e. about 5 simulated hours of alerts per group message;
 * digests come at the store-local wall-clock time, not the simulated one.
 */
import type { Alert } from '../../schemas/generated/events';
import type { Logger } from '../../lib/logger';
import { renderBody } from './body';
import type { DeliveryLog } from './delivery-log';
import { deliveryRow, messageRow } from './delivery-log';
import type { DeliveryMetrics } from './delivery-metrics';
import { ENDPOINT_STATES } from './delivery-metrics';
import { createDeliveryQueue, type Attempt, type Completion, type QueuedMessage } from './engine/delivery-queue';
import type { EndpointState } from './engine/endpoint-health';
import { createNotifier, type MasterDataLookup, type Notifier, type NotifierState, type OutgoingMessage, type RateBudget } from './engine/notifier';
import type { SecretBox } from './secret-box';
import { createSigner } from './signing';
import type { SubscriptionRecord } from './subscription';
import { openUrl } from './subscription-records';
import type { AttemptOutcome, WebhookSender } from './webhook-sender';

export interface DeliveryCoreDeps {
  readonly box: SecretBox;
  readonly sender: WebhookSender;
  readonly log: DeliveryLog;
  readonly metrics: DeliveryMetrics;
  readonly logger: Logger;
  readonly lookup: MasterDataLookup;
  readonly clock: () => number;
  readonly random: () => number;
  readonly concurrency: number;
  readonly timeoutMs: number;
  /** Wait before each attempt (ms), ALERTS_RETRY_SCHEDULE_MS; Svix's when not given. */
  readonly retryScheduleMs?: readonly number[];
  /** How long an endpoint's circuit stays open before its first probe (ms), ALERTS_CIRCUIT_OPEN_MS. */
  readonly circuitOpenMs?: number;
  /** Each subscription's messages this minute, shared with the other tasks of the process (default: this core's own). */
  readonly rateBudget?: RateBudget;
  /** Called with each disabled endpoint, to write the subscription back as disabled. */
  readonly onEndpointDisabled?: (subscriptionId: string, reason: string) => void;
}

/** A delivery core's state as JSON (the alerts task keeps it in a runtime state store). */
export interface DeliveryState {
  readonly notifiers: readonly (readonly [subscriptionId: string, state: NotifierState])[];
  readonly queue: readonly QueuedMessage[];
}

interface Subscriber {
  record: SubscriptionRecord;
  notifier: Notifier;
  /** The record's credentials, opened once per change of the record rather than per attempt. */
  opened: { url: URL; secrets: { secret: string; expiresAt: number | null; createdAt: number }[] };
}

function openCredentials(record: SubscriptionRecord, box: SecretBox): Subscriber['opened'] {
  return {
    url: openUrl(record, box),
    secrets: record.secrets
      .map((s) => ({ secret: box.open(s.sealed, record.subscription_id), expiresAt: s.expires_at, createdAt: s.created_at }))
      .sort((a, b) => b.createdAt - a.createdAt),
  };
}

function latencyType(type: string): 'alert' | 'group' | 'digest' | 'summary' | 'test' {
  return type === 'alerts.group' ? 'group' : type === 'alerts.digest' ? 'digest' : type === 'alerts.summary' ? 'summary' : type === 'webhook.test' ? 'test' : 'alert';
}

export function createDeliveryCore(deps: DeliveryCoreDeps) {
  const subscribers = new Map<string, Subscriber>();
  const queue = createDeliveryQueue({ concurrency: deps.concurrency, random: deps.random, ...(deps.retryScheduleMs ? { retryScheduleMs: deps.retryScheduleMs } : {}),
    ...(deps.circuitOpenMs === undefined ? {} : { circuitOpenMs: deps.circuitOpenMs }),
  });
  const sign = createSigner();
  const inFlight = new Set<Promise<void>>();
  /** Attempts sent and not yet answered: saved as waiting, so a crash sends them again. */
  const attempting = new Map<string, Attempt>();
  /** Notifier states restored before their subscription arrived from the global table. */
  const restoredNotifiers = new Map<string, NotifierState>();
  /** Subscriptions whose disabled endpoint was reported, until the subscription changes state. */
  const reportedDisabled = new Set<string>();
  let halted = false;
  const types = new Map<string, string>();
  const log = deps.logger.child({ component: 'alert-delivery' });

  function settle(completions: readonly Completion[], outcome: AttemptOutcome | undefined, at: number): void {
    for (const c of completions) {
      const subscriber = subscribers.get(c.message.subscriptionId);
      const first = c === completions[0];
      deps.log.addAttempt(deliveryRow(c, first ? outcome : undefined, at, subscriber?.record.url_redacted ?? ''));
      deps.metrics.attempt(c.result === 'dead-letter' ? 'dead_letter' : c.result, subscriber?.record.settings.format ?? 'standard');
      if (c.result === 'retry') continue;
      const type = types.get(c.message.messageId) ?? 'alert';
      types.delete(c.message.messageId);
      if (c.result === 'delivered') deps.metrics.delivered(latencyType(type), (deps.clock() - c.message.oldestAlertAt) / 1000);
      else {
        deps.metrics.deadLetter(c.reason);
        log.warn({ subscription_id: c.message.subscriptionId, webhook_id: c.message.messageId, endpoint: subscriber?.record.url_redacted, reason: c.reason }, 'alert webhook dead-lettered');
      }
      subscriber?.notifier.settled(c.message.messageId, c.result === 'delivered', deps.clock());
    }
    // A 410 or days of failures disabled the endpoint here: the subscription is written back as
    // disabled, once per disabling (attempts in flight may all answer 410).
    for (const c of completions) {
      const id = c.message.subscriptionId;
      const reason = c.result === 'dead-letter' && !reportedDisabled.has(id) ? queue.disabledReason(id) : undefined;
      if (reason === undefined) continue;
      reportedDisabled.add(id);
      deps.onEndpointDisabled?.(id, reason);
    }
  }

  function accept(messages: readonly OutgoingMessage[], now: number): void {
    for (const message of messages) {
      const subscriber = subscribers.get(message.subscriptionId);
      if (!subscriber) continue;
      const body = renderBody(subscriber.record.settings.format, message.content);
      if (queue.enqueue({ messageId: message.messageId, subscriptionId: message.subscriptionId, body, oldestAlertAt: message.oldestAlertAt }, now)) {
        types.set(message.messageId, message.content.type);
        deps.log.addMessage(messageRow(message, subscriber.record.settings.format, body));
      }
    }
  }

  function attempt(a: Attempt): void {
    const subscriber = subscribers.get(a.message.subscriptionId);
    const started = deps.clock();
    if (!subscriber) {
      settle(queue.complete(a, { status: 0, latencyMs: 0, retryAfterMs: undefined, responseExcerpt: '', error: 'subscription deleted', timedOut: false }, started), undefined, started);
      return;
    }
    const { opened } = subscriber;
    const secrets = opened.secrets.filter((s) => s.expiresAt === null || s.expiresAt > started).map((s) => s.secret);
    const headers = sign(a.message.messageId, started, a.message.body, secrets);
    attempting.set(a.message.messageId, a);
    const sending = deps.sender
      .send({ url: opened.url, headers: { ...headers }, body: a.message.body, timeoutMs: deps.timeoutMs })
      .then((outcome) => {
        attempting.delete(a.message.messageId);
        const completions = queue.complete(a, outcome, deps.clock());
        settle(completions, outcome, started);
        tick();
      });
    inFlight.add(sending);
    void sending.finally(() => inFlight.delete(sending));
  }

  /** Moves what is due: notifier messages into the queue, queued messages into attempts. */
  function tick(): void {
    if (halted) return;
    const now = deps.clock();
    for (const subscriber of subscribers.values()) accept(subscriber.notifier.due(now), now);
    const orphaned = queue.drainDisabled(now);
    if (orphaned.length > 0) settle(orphaned, undefined, now);
    for (const a of queue.takeDue(now)) attempt(a);
  }

  return {
    /** A subscription created, changed or deleted (undefined) in the subscriptions topic. */
    apply(subscriptionId: string, record: SubscriptionRecord | undefined): void {
      const known = subscribers.get(subscriptionId);
      if (!record || record.state !== 'active') {
        subscribers.delete(subscriptionId);
        reportedDisabled.delete(subscriptionId);
        const reason = record ? `subscription ${record.state}: ${record.state_reason}` : 'subscription deleted';
        settle(queue.drop(subscriptionId, reason), undefined, deps.clock());
        return;
      }
      if (known && JSON.stringify(known.record.settings) === JSON.stringify(record.settings)) {
        // Same rules: keep the notifier's state (open situations, groups), take new secrets and silences.
        known.record = record;
        known.opened = openCredentials(record, deps.box);
        known.notifier.setSilences(record.silences);
        return;
      }
      const notifier = createNotifier({ id: subscriptionId, settings: record.settings, silences: record.silences }, deps.lookup, deps.rateBudget ? { rateBudget: deps.rateBudget } : {});
      const restored = restoredNotifiers.get(subscriptionId);
      // Restored state belongs to the rules it was made under: a changed subscription starts afresh.
      if (restored && !known) notifier.importState(restored);
      restoredNotifiers.delete(subscriptionId);
      subscribers.set(subscriptionId, { record, opened: openCredentials(record, deps.box), notifier });
    },
    /**
     * Everything a restart needs to go on where this left off, as JSON: each notifier (open
     * situations, groups, what was told) and the queue, attempts in flight counted as waiting.
     */
    exportState(): DeliveryState {
      const notifiers: [string, NotifierState][] = [...subscribers].map(([id, s]) => [id, s.notifier.exportState()]);
      for (const [id, state] of restoredNotifiers) notifiers.push([id, state]);
      return { notifiers, queue: queue.exportState([...attempting.values()]) };
    },
    /** Restores an exported state into a new core; call before `apply` sees the subscriptions. */
    importState(state: DeliveryState): void {
      for (const [id, notifier] of state.notifiers) restoredNotifiers.set(id, notifier);
      queue.importState(state.queue);
    },
    offer(alert: Alert): void {
      const now = deps.clock();
      for (const subscriber of subscribers.values()) subscriber.notifier.offer(alert, now);
    },
    tick,
    nextWakeAt(): number | undefined {
      const now = deps.clock();
      const times = [...subscribers.values()].map((s) => s.notifier.nextWakeAt()).filter((t): t is number => t !== undefined);
      const q = queue.nextWakeAt(now);
      if (q !== undefined) times.push(q);
      return times.length === 0 ? undefined : Math.min(...times);
    },
    /** Publishes endpoint states and the queue length as metrics. */
    observe(): void {
      const now = deps.clock();
      const counts = Object.fromEntries(ENDPOINT_STATES.map((s) => [s, 0])) as Record<EndpointState, number>;
      for (const id of subscribers.keys()) counts[queue.endpointState(id, now)] += 1;
      deps.metrics.endpoints(counts, queue.size);
    },
    /** Starts no more attempts (the partition went to another owner, or the service stops). */
    halt(): void {
      halted = true;
    },
    /** Resolves when no attempt is in flight (for shutdown and tests). */
    async idle(): Promise<void> {
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
    get pending(): number {
      return queue.size + inFlight.size;
    },
  };
}

export type DeliveryCore = ReturnType<typeof createDeliveryCore>;
