/**
 * Subscription credentials at rest: signing secrets and the URLs themselves (a Slack or Teams
 * webhook URL is a bearer token) are sealed with AES-256-GCM under the key from the
 * configuration (ALERTS_SECRET_KEY or ALERTS_SECRET_KEY_FILE) before they reach the
 * subscriptions topic. The subscription id is the additional authenticated data, so a sealed
 * value copied into another subscription's record does not open.
 *
 * Sealed form: `v1.<iv base64url>.<tag base64url>.<ciphertext base64url>` (12-byte IV, 16-byte tag).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { ShelfStreamError } from '../../lib/errors';

const VERSION = 'v1';
const IV_BYTES = 12;
export const SECRET_KEY_BYTES = 32;

export interface SecretBox {
  seal(plain: string, boundTo: string): string;
  open(sealed: string, boundTo: string): string;
}

/** The key as configured: 32 bytes in base64 (`openssl rand -base64 32`). */
export function parseSecretKey(encoded: string): Buffer {
  const key = Buffer.from(encoded.trim(), 'base64');
  if (key.length !== SECRET_KEY_BYTES || !/^[A-Za-z0-9+/]+={0,2}$/.test(encoded.trim())) {
    throw new ShelfStreamError('CONFIG_INVALID', `ALERTS_SECRET_KEY must be ${SECRET_KEY_BYTES} bytes in base64 (make one with: openssl rand -base64 32)`);
  }
  return key;
}

export function createSecretBox(key: Buffer): SecretBox {
  if (key.length !== SECRET_KEY_BYTES) throw new ShelfStreamError('CONFIG_INVALID', `the alerts secret key must be ${SECRET_KEY_BYTES} bytes`);
  return {
    seal(plain, boundTo) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(boundTo, 'utf8'));
      const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return [VERSION, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ciphertext.toString('base64url')].join('.');
    },
    open(sealed, boundTo) {
      const [version, iv, tag, ciphertext] = sealed.split('.');
      if (version !== VERSION || !iv || !tag || ciphertext === undefined) {
        throw new ShelfStreamError('CONFIG_INVALID', `a sealed subscription credential of ${boundTo} is not in the ${VERSION} form`, { context: { subscription_id: boundTo } });
      }
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
        decipher.setAAD(Buffer.from(boundTo, 'utf8'));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
      } catch (cause) {
        throw new ShelfStreamError('CONFIG_INVALID', `cannot open the credentials of subscription ${boundTo}: ALERTS_SECRET_KEY is not the key they were sealed with, or the record was altered`, {
          cause,
          context: { subscription_id: boundTo },
        });
      }
    },
  };
}
