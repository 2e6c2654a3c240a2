/**
 * The changes a subscription goes through, as pure functions of a record: create (URL checked and
 * sealed, a first secret made), rotate the secret (the old one keeps signing for a grace period,
 * so receivers switch when they like), pause, resume, disable, silence. Each returns the new
 * record; subscription-store.ts writes it. Plain secrets leave only through `created.secret`
 * (shown once to the user) and `openSecrets` (to sign).
 */
import { randomBytes } from 'node:crypto';
import { ShelfStreamError } from '../../lib/errors';
import { checkDestinationUrl, type DestinationPolicy } from './destination-guard';
import type { AlertKind } from './event-types';
import { redactUrl } from './redact';
import type { SecretBox } from './secret-box';
import { checkSigningSecret, generateSigningSecret } from './signing';
import type { Silence, SubscriptionRecord, SubscriptionSettings, SubscriptionState } from './subscription';

/** How long the previous secret keeps signing after a rotation (24 h, Svix's default). */
export const ROTATION_GRACE_MS = 86_400_000;

export function newSubscriptionId(): string {
  return `sub_${randomBytes(8).toString('hex')}`;
}

export function createSubscriptionRecord(
  input: { subscriptionId: string; url: string; settings: SubscriptionSettings; secret?: string },
  deps: { box: SecretBox; policy: DestinationPolicy; now: number },
): { record: SubscriptionRecord; secret: string } {
  const url = checkDestinationUrl(input.url, deps.policy);
  const secret = input.secret ?? generateSigningSecret();
  checkSigningSecret(secret);
  const id = input.subscriptionId;
  return {
    secret,
    record: {
      subscription_id: id,
      settings: input.settings,
      url_sealed: deps.box.seal(url.toString(), id),
      url_redacted: redactUrl(url),
      secrets: [{ sealed: deps.box.seal(secret, id), created_at: deps.now, expires_at: null }],
      state: 'active',
      state_reason: '',
      silences: [],
      created_at: deps.now,
      updated_at: deps.now,
    },
  };
}

/** The secrets that sign now, newest first: the current one and any still in its grace period. */
export function openSecrets(record: SubscriptionRecord, box: SecretBox, now: number): string[] {
  return record.secrets
    .filter((s) => s.expires_at === null || s.expires_at > now)
    .sort((a, b) => b.created_at - a.created_at)
    .map((s) => box.open(s.sealed, record.subscription_id));
}

export function openUrl(record: SubscriptionRecord, box: SecretBox): URL {
  return new URL(box.open(record.url_sealed, record.subscription_id));
}

export function rotateSecret(record: SubscriptionRecord, deps: { box: SecretBox; now: number; graceMs?: number }): { record: SubscriptionRecord; secret: string } {
  const secret = generateSigningSecret();
  const expiresAt = deps.now + (deps.graceMs ?? ROTATION_GRACE_MS);
  const kept = record.secrets
    .filter((s) => s.expires_at === null || s.expires_at > deps.now)
    .map((s) => (s.expires_at === null ? { ...s, expires_at: expiresAt } : s));
  return {
    secret,
    record: { ...record, secrets: [{ sealed: deps.box.seal(secret, record.subscription_id), created_at: deps.now, expires_at: null }, ...kept], updated_at: deps.now },
  };
}

export function withState(record: SubscriptionRecord, state: SubscriptionState, reason: string, now: number): SubscriptionRecord {
  if (state === 'active' && record.state === 'active') return record;
  return { ...record, state, state_reason: state === 'active' ? '' : reason, updated_at: now };
}

export function addSilence(
  record: SubscriptionRecord,
  silence: { store_id?: string | null; sku?: string | null; kind?: AlertKind | null; starts_at: number; ends_at: number; comment?: string },
  now: number,
): { record: SubscriptionRecord; silence: Silence } {
  if (!silence.store_id && !silence.sku && !silence.kind) throw new ShelfStreamError('INVALID_ARGUMENT', 'a silence needs a store, a sku or a kind to mute');
  if (silence.ends_at <= silence.starts_at) throw new ShelfStreamError('INVALID_ARGUMENT', 'a silence must end after it starts');
  const made: Silence = {
    silence_id: `sil_${randomBytes(6).toString('hex')}`,
    store_id: silence.store_id ?? null,
    sku: silence.sku ?? null,
    kind: silence.kind ?? null,
    starts_at: silence.starts_at,
    ends_at: silence.ends_at,
    comment: silence.comment ?? '',
  };
  // Expired silences are dropped on the way, so the record does not grow forever.
  return { silence: made, record: { ...record, silences: [...record.silences.filter((s) => s.ends_at > now), made], updated_at: now } };
}

/** What listings, logs and the API show: no credential, the URL redacted. */
export function describeSubscription(record: SubscriptionRecord, now: number): Record<string, unknown> {
  return {
    subscription_id: record.subscription_id,
    url: record.url_redacted,
    state: record.state,
    state_reason: record.state_reason || undefined,
    ...record.settings,
    secrets: record.secrets.map((s) => ({ created_at: new Date(s.created_at).toISOString(), expires_at: s.expires_at === null ? null : new Date(s.expires_at).toISOString(), active: s.expires_at === null || s.expires_at > now })),
    silences: record.silences.filter((s) => s.ends_at > now),
    created_at: new Date(record.created_at).toISOString(),
    updated_at: new Date(record.updated_at).toISOString(),
  };
}
