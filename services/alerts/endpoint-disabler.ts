/**
 * Writes an endpoint's disabling back to its subscription in the subscriptions topic, so every
 * instance and every restart see it (endpoint health itself is per task and starts afresh after
 * a restart): the global table brings the disabled record to every delivery task, which then
 * drops the subscription and dead-letters what it still had queued for it, and `alerts list`
 * shows it with the reason until an operator resumes it.
 *
 * Read-modify-write of the record the global table holds: a subscription already disabled,
 * paused or deleted is left alone, and one write per subscription is in flight at a time (every
 * task owning one of its partitions may report the same 410). A write that fails is logged here;
 * the endpoint stays disabled in the task that saw it, whose next message to it reports again.
 */
import type { Logger } from '../../lib/logger';
import { ShelfStreamError } from '../../lib/errors';
import { withRetry, type RetryOptions } from '../../lib/retry';
import type { GlobalTable } from '../../streams/runtime/global-table';
import type { SubscriptionRecord } from './subscription';
import { withState } from './subscription-records';
import type { SubscriptionStore } from './subscription-store';

export interface EndpointDisablerDeps {
  readonly subscriptions: Pick<GlobalTable<SubscriptionRecord>, 'get'>;
  readonly store: Pick<SubscriptionStore, 'put'>;
  readonly logger: Logger;
  readonly clock: () => number;
  readonly retry: RetryOptions;
}

/** The record to write for an endpoint disabled for `reason`, or undefined when there is nothing to change. */
export function disabledRecord(current: SubscriptionRecord | undefined, reason: string, now: number): SubscriptionRecord | undefined {
  if (!current || current.state !== 'active') return undefined;
  return withState(current, 'disabled', reason, now);
}

export function createEndpointDisabler(deps: EndpointDisablerDeps) {
  const writing = new Map<string, Promise<void>>();
  const log = deps.logger.child({ component: 'endpoint-disabler' });

  async function write(record: SubscriptionRecord): Promise<void> {
    await withRetry(async () => {
      try {
        await deps.store.put(record);
      } catch (cause) {
        throw new ShelfStreamError('SERVICE_UNAVAILABLE', `could not write subscription ${record.subscription_id} back as disabled`, { cause, context: { subscription_id: record.subscription_id } });
      }
    }, deps.retry);
    log.warn({ subscription_id: record.subscription_id, endpoint: record.url_redacted, reason: record.state_reason }, 'alert subscription disabled');
  }

  return {
    /** Called by a delivery task with the subscription whose endpoint it disabled. */
    disable(subscriptionId: string, reason: string): void {
      if (writing.has(subscriptionId)) return;
      const record = disabledRecord(deps.subscriptions.get(subscriptionId), reason, deps.clock());
      if (!record) return;
      const done = write(record)
        .catch((error: unknown) => log.error({ err: error, subscription_id: subscriptionId }, 'alert subscription not written back as disabled'))
        .finally(() => writing.delete(subscriptionId));
      writing.set(subscriptionId, done);
    },
    /** Resolves when no write is in flight (before the store closes). */
    async idle(): Promise<void> {
      await Promise.all([...writing.values()]);
    },
  };
}

export type EndpointDisabler = ReturnType<typeof createEndpointDisabler>;
