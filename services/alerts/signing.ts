/**
 * Standard Webhooks signing, with the `standardwebhooks` package (the specification's own
 * reference library) rather than HMAC code of our own, so what we sign is what its verifiers in
 * every language check.
 *
 * - `webhook-id`: the message id, the same on every retry (receivers deduplicate on it).
 * - `webhook-timestamp`: the attempt's time in seconds, signed anew at each attempt, because
 *   verifiers refuse timestamps more than 5 minutes off and retries run for up to a day.
 * - `webhook-signature`: `v1,<base64 HMAC-SHA256 of id.timestamp.body>`, one per active secret,
 *   separated by spaces: during a rotation a message carries a signature by the new secret and
 *   one by the old, so receivers switch secrets whenever they like within the grace period.
 * Secrets are `whsec_` + base64 of 24 random bytes (192 bits), Svix's size.
 */
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { ShelfStreamError } from '../../lib/errors';

export const SECRET_PREFIX = 'whsec_';
const SECRET_BYTES = 24;

export interface SignatureHeaders {
  readonly 'webhook-id': string;
  readonly 'webhook-timestamp': string;
  readonly 'webhook-signature': string;
}

export function generateSigningSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(SECRET_BYTES).toString('base64')}`;
}

/** Throws INVALID_ARGUMENT, without echoing the value, for anything but a whsec_ secret of 24-64 bytes. */
export function checkSigningSecret(secret: string): void {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : undefined;
  const bytes = encoded !== undefined && /^[A-Za-z0-9+/]+={0,2}$/.test(encoded) ? Buffer.from(encoded, 'base64').length : 0;
  if (bytes < 24 || bytes > 64) {
    throw new ShelfStreamError('INVALID_ARGUMENT', `a signing secret must be "${SECRET_PREFIX}" followed by 24 to 64 bytes in base64`);
  }
}

/** Signs with each secret (newest first); the key decoding is cached per secret. */
export function createSigner(): (messageId: string, attemptAtMs: number, body: string, secrets: readonly string[]) => SignatureHeaders {
  const webhooks = new Map<string, Webhook>();
  const webhookFor = (secret: string): Webhook => {
    let webhook = webhooks.get(secret);
    if (!webhook) {
      webhook = new Webhook(secret);
      webhooks.set(secret, webhook);
    }
    return webhook;
  };
  return (messageId, attemptAtMs, body, secrets) => {
    if (secrets.length === 0) throw new ShelfStreamError('INVALID_ARGUMENT', `no signing secret for message ${messageId}`);
    const at = new Date(Math.floor(attemptAtMs / 1000) * 1000);
    return {
      'webhook-id': messageId,
      'webhook-timestamp': String(at.getTime() / 1000),
      'webhook-signature': secrets.map((s) => webhookFor(s).sign(messageId, at, body)).join(' '),
    };
  };
}
