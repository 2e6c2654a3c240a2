/**
 * Messages waiting to be delivered, and what each attempt's outcome does to them, with the clock
 * and the jitter's randomness injected (no timers, no I/O: the runtime sends what `takeDue`
 * hands out and reports with `complete`). Per endpoint (a subscription's URL): the concurrency
 * limit and circuit breaker of endpoint-health.ts; a message waiting for an open circuit or a
 * throttle spends none of its attempts. A message ends delivered or dead-lettered with its reason:
 * attempts exhausted, the endpoint answered 410, or the endpoint is disabled.
 */
import type { AttemptOutcome } from '../webhook-sender';
import { circuitTimes, createEndpointHealth, ENDPOINT_DEFAULTS, type EndpointHealth, type EndpointState } from './endpoint-health';
import { judgeAttempt, retryDelay, SVIX_RETRY_SCHEDULE_MS } from './retry-policy';

export interface QueuedMessage {
  readonly messageId: string;
  readonly subscriptionId: string;
  readonly body: string;
  readonly oldestAlertAt: number;
  readonly enqueuedAt: number;
  attempts: number;
  nextAttemptAt: number;
  lastError: string | undefined;
}

export interface Attempt {
  readonly message: QueuedMessage;
  /** 1-based number of this attempt. */
  readonly attempt: number;
}

export type Completion =
  | { readonly result: 'delivered'; readonly message: QueuedMessage; readonly attempt: number }
  | { readonly result: 'retry'; readonly message: QueuedMessage; readonly attempt: number; readonly reason: string; readonly nextAttemptAt: number }
  | { readonly result: 'dead-letter'; readonly message: QueuedMessage; readonly attempt: number; readonly reason: string };

export interface DeliveryQueueOptions {
  readonly concurrency: number;
  readonly random: () => number;
  /** Wait before each attempt (ms): ALERTS_RETRY_SCHEDULE_MS; Svix's when not given. */
  readonly retryScheduleMs?: readonly number[];
  /** How long a circuit stays open before its first probe (ms): ALERTS_CIRCUIT_OPEN_MS; 30 s when not given. */
  readonly circuitOpenMs?: number;
}

export function createDeliveryQueue(options: DeliveryQueueOptions) {
  const waiting = new Map<string, QueuedMessage[]>();
  const messages = new Map<string, QueuedMessage>();
  const endpoints = new Map<string, EndpointHealth>();
  const schedule = options.retryScheduleMs ?? SVIX_RETRY_SCHEDULE_MS;

  function endpoint(subscriptionId: string, now: number): EndpointHealth {
    let e = endpoints.get(subscriptionId);
    if (!e) {
      e = createEndpointHealth({ ...ENDPOINT_DEFAULTS, concurrency: options.concurrency, ...(options.circuitOpenMs === undefined ? {} : circuitTimes(options.circuitOpenMs)) }, now);
      endpoints.set(subscriptionId, e);
    }
    return e;
  }

  function queueOf(subscriptionId: string): QueuedMessage[] {
    let q = waiting.get(subscriptionId);
    if (!q) {
      q = [];
      waiting.set(subscriptionId, q);
    }
    return q;
  }

  function insert(message: QueuedMessage): void {
    const q = queueOf(message.subscriptionId);
    // Kept in attempt-time order; most inserts are new messages, due now, at the end.
    let i = q.length;
    while (i > 0 && q[i - 1]!.nextAttemptAt > message.nextAttemptAt) i--;
    q.splice(i, 0, message);
  }

  /** Dead-letters every waiting message of an endpoint (disabled, or its subscription deleted). */
  function drain(subscriptionId: string, reason: string): Completion[] {
    const q = waiting.get(subscriptionId) ?? [];
    waiting.delete(subscriptionId);
    return q.map((message) => {
      messages.delete(message.messageId);
      return { result: 'dead-letter', message, attempt: message.attempts, reason } as const;
    });
  }

  return {
    /** Adds a message; the same id twice is one message (a message is made once per content). */
    enqueue(m: { messageId: string; subscriptionId: string; body: string; oldestAlertAt: number }, now: number): boolean {
      if (messages.has(m.messageId)) return false;
      const message: QueuedMessage = { ...m, enqueuedAt: now, attempts: 0, nextAttemptAt: now, lastError: undefined };
      messages.set(m.messageId, message);
      insert(message);
      return true;
    },

    /** Attempts to start now, within each endpoint's concurrency and circuit. */
    takeDue(now: number): Attempt[] {
      const out: Attempt[] = [];
      for (const [subscriptionId, q] of waiting) {
        const e = endpoint(subscriptionId, now);
        while (q.length > 0 && q[0]!.nextAttemptAt <= now && e.tryAcquire(now)) {
          const message = q.shift()!;
          message.attempts += 1;
          out.push({ message, attempt: message.attempts });
        }
      }
      return out;
    },

    complete(attempt: Attempt, outcome: AttemptOutcome, now: number): Completion[] {
      const { message } = attempt;
      const e = endpoint(message.subscriptionId, now);
      const verdict = judgeAttempt(outcome);
      if (verdict.kind === 'delivered') {
        e.release('success', now);
        messages.delete(message.messageId);
        return [{ result: 'delivered', message, attempt: attempt.attempt }];
      }
      message.lastError = verdict.reason;
      if (verdict.kind === 'gone') {
        e.release('gone', now);
        messages.delete(message.messageId);
        return [{ result: 'dead-letter', message, attempt: attempt.attempt, reason: verdict.reason }, ...drain(message.subscriptionId, `endpoint disabled: ${verdict.reason}`)];
      }
      e.release(verdict.throttled ? 'throttled' : 'failure', now, outcome.retryAfterMs);
      const disabled = e.disabledReason;
      const delay = retryDelay(schedule, attempt.attempt + 1, outcome.retryAfterMs, options.random);
      if (disabled !== undefined || delay === undefined) {
        messages.delete(message.messageId);
        const reason = disabled !== undefined ? `endpoint disabled: ${disabled}` : `attempts exhausted (${attempt.attempt}); last: ${verdict.reason}`;
        return [{ result: 'dead-letter', message, attempt: attempt.attempt, reason }, ...(disabled !== undefined ? drain(message.subscriptionId, `endpoint disabled: ${disabled}`) : [])];
      }
      message.nextAttemptAt = now + delay;
      insert(message);
      return [{ result: 'retry', message, attempt: attempt.attempt, reason: verdict.reason, nextAttemptAt: message.nextAttemptAt }];
    },

    /**
     * Dead-letters what waits for a subscription that was deleted, paused or disabled, and
     * forgets its endpoint's health: a subscription resumed later starts with a closed circuit.
     */
    drop(subscriptionId: string, reason: string): Completion[] {
      endpoints.delete(subscriptionId);
      return drain(subscriptionId, reason);
    },

    /**
     * Dead-letters messages made for an endpoint already disabled (they came after its 410,
     * before the subscription's disabled record reached this task): they would otherwise wait
     * for an endpoint that takes nothing.
     */
    drainDisabled(now: number): Completion[] {
      const out: Completion[] = [];
      for (const [subscriptionId, q] of waiting) {
        const e = endpoints.get(subscriptionId);
        if (q.length > 0 && e?.state(now) === 'disabled') out.push(...drain(subscriptionId, `endpoint disabled: ${e.disabledReason ?? ''}`));
      }
      return out;
    },

    /** When `takeDue` next has something (the earliest waiting message, or its endpoint's reopening). */
    nextWakeAt(now: number): number | undefined {
      let next: number | undefined;
      for (const [subscriptionId, q] of waiting) {
        const head = q[0];
        if (!head) continue;
        const e = endpoint(subscriptionId, now);
        if (e.state(now) === 'disabled') continue;
        // An endpoint at its concurrency limit wakes the queue when an attempt completes instead.
        const at = Math.max(head.nextAttemptAt, e.blockedUntil);
        next = next === undefined ? at : Math.min(next, at);
      }
      return next;
    },

    /**
     * What waits, as JSON for the runtime's state store. Attempts in flight are saved as waiting
     * with their attempt count: after a crash they are tried again (the receiver deduplicates on
     * the webhook-id). Endpoint health starts afresh after a restart.
     */
    exportState(inFlight: readonly Attempt[] = []): QueuedMessage[] {
      return [...[...waiting.values()].flat(), ...inFlight.map((a) => ({ ...a.message, attempts: a.attempt - 1 }))].map((m) => ({ ...m }));
    },
    importState(state: readonly QueuedMessage[]): void {
      for (const m of state) {
        if (messages.has(m.messageId)) continue;
        const message = { ...m };
        messages.set(message.messageId, message);
        insert(message);
      }
    },

    /** Why the endpoint is disabled, or undefined when it is not. */
    disabledReason(subscriptionId: string): string | undefined {
      return endpoints.get(subscriptionId)?.disabledReason;
    },

    endpointState(subscriptionId: string, now: number): EndpointState {
      return endpoint(subscriptionId, now).state(now);
    },

    get size(): number {
      return messages.size;
    },
  };
}

export type DeliveryQueue = ReturnType<typeof createDeliveryQueue>;
