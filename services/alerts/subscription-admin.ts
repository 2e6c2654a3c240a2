/**
 * The subscription operations, once, for both front doors: the `shelfstream alerts` commands and
 * the authenticated HTTP API. Each reads or writes the subscriptions topic and answers what the
 * user may see (redacted), plus the plain signing secret when one was just made (shown once).
 */
import { ShelfStreamError } from '../../lib/errors';
import type { DestinationPolicy } from './destination-guard';
import { renderBody } from './body';
import type { SecretBox } from './secret-box';
import { createSigner } from './signing';
import { parseSubscriptionRequest, type KnownValues } from './subscription';
import { addSilence, createSubscriptionRecord, describeSubscription, newSubscriptionId, openSecrets, openUrl, rotateSecret, withState } from './subscription-records';
import { isAlertKind } from './event-types';
import type { SubscriptionStore } from './subscription-store';
import type { AttemptOutcome, WebhookSender } from './webhook-sender';

export interface SubscriptionAdminDeps {
  readonly store: SubscriptionStore;
  readonly box: SecretBox;
  readonly policy: DestinationPolicy;
  readonly sender: WebhookSender;
  readonly deliveryTimeoutMs: number;
  readonly clock: () => number;
  /** Master data to refuse filters that match nothing; undefined when not loaded. */
  readonly known?: KnownValues;
}

export type SubscriptionView = Record<string, unknown>;

export function createSubscriptionAdmin(deps: SubscriptionAdminDeps) {
  const sign = createSigner();
  const view = (record: Parameters<typeof describeSubscription>[0]): SubscriptionView => describeSubscription(record, deps.clock());

  return {
    async subscribe(request: unknown): Promise<{ subscription: SubscriptionView; secret: string }> {
      const { url, settings } = parseSubscriptionRequest(request, deps.known);
      const secretGiven = typeof request === 'object' && request !== null && typeof (request as { secret?: unknown }).secret === 'string' ? (request as { secret: string }).secret : undefined;
      const { record, secret } = createSubscriptionRecord({ subscriptionId: newSubscriptionId(), url, settings, ...(secretGiven ? { secret: secretGiven } : {}) }, { box: deps.box, policy: deps.policy, now: deps.clock() });
      await deps.store.put(record);
      return { subscription: view(record), secret };
    },
    async list(): Promise<SubscriptionView[]> {
      return [...(await deps.store.readAll()).values()].sort((a, b) => a.created_at - b.created_at).map(view);
    },
    async show(id: string): Promise<SubscriptionView> {
      return view(await deps.store.get(id));
    },
    async pause(id: string, reason: string): Promise<SubscriptionView> {
      const record = withState(await deps.store.get(id), 'paused', reason || 'paused by an operator', deps.clock());
      await deps.store.put(record);
      return view(record);
    },
    async resume(id: string): Promise<SubscriptionView> {
      const record = withState(await deps.store.get(id), 'active', '', deps.clock());
      await deps.store.put(record);
      return view(record);
    },
    async remove(id: string): Promise<void> {
      await deps.store.get(id);
      await deps.store.remove(id);
    },
    async rotateSecret(id: string, graceMs?: number): Promise<{ subscription: SubscriptionView; secret: string }> {
      const rotated = rotateSecret(await deps.store.get(id), { box: deps.box, now: deps.clock(), ...(graceMs !== undefined ? { graceMs } : {}) });
      await deps.store.put(rotated.record);
      return { subscription: view(rotated.record), secret: rotated.secret };
    },
    /** Mutes a store, a sku or a kind (any combination) for this subscription for `forMs`. */
    async silence(id: string, request: { store_id?: string; sku?: string; kind?: string; for_ms: number; comment?: string }): Promise<SubscriptionView> {
      if (request.kind !== undefined && !isAlertKind(request.kind)) throw new ShelfStreamError('INVALID_ARGUMENT', `unknown alert kind "${request.kind}" to silence`);
      if (!Number.isFinite(request.for_ms) || request.for_ms <= 0) throw new ShelfStreamError('INVALID_ARGUMENT', 'a silence needs a positive duration');
      const now = deps.clock();
      const { record } = addSilence(
        await deps.store.get(id),
        { store_id: request.store_id ?? null, sku: request.sku ?? null, kind: request.kind !== undefined && isAlertKind(request.kind) ? request.kind : null, starts_at: now, ends_at: now + request.for_ms, comment: request.comment ?? '' },
        now,
      );
      await deps.store.put(record);
      return view(record);
    },
    /** Sends one signed `webhook.test` message now and answers what the endpoint said. */
    async test(id: string): Promise<AttemptOutcome & { webhook_id: string }> {
      const record = await deps.store.get(id);
      if (record.state === 'disabled') throw new ShelfStreamError('INVALID_ARGUMENT', `subscription ${id} is disabled (${record.state_reason}); resume it first`);
      const now = deps.clock();
      const webhookId = `msg_test_${now.toString(36)}`;
      const body = renderBody(record.settings.format, { type: 'webhook.test', createdAt: now, subscriptionId: id, groupKey: null, groupLabels: {}, alerts: [] });
      const headers = sign(webhookId, now, body, openSecrets(record, deps.box, now));
      const outcome = await deps.sender.send({ url: openUrl(record, deps.box), headers: { ...headers }, body, timeoutMs: deps.deliveryTimeoutMs });
      return { ...outcome, webhook_id: webhookId };
    },
  };
}

export type SubscriptionAdmin = ReturnType<typeof createSubscriptionAdmin>;
