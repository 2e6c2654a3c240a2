/**
 * BI users' passwords: a salted scrypt hash (node:crypto), compared in constant time. scrypt
 * is slow on purpose (about 50 ms with these parameters on one core), which is why verified
 * credentials are cached for a short while (./credential-cache.ts).
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export interface PasswordHash {
  readonly algorithm: 'scrypt';
  /** Cost parameters, kept with each hash so they can be raised later without breaking old ones. */
  readonly N: number;
  readonly r: number;
  readonly p: number;
  readonly salt: string; // base64, 16 bytes
  readonly hash: string; // base64, 32 bytes
}

const COST = { N: 16_384, r: 8, p: 1 } as const;
const KEY_BYTES = 32;

function derive(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // maxmem: scrypt needs 128 * N * r bytes; the default 32 MiB cap refuses N = 2^15 and above.
    scrypt(password.normalize('NFC'), salt, KEY_BYTES, { ...options, maxmem: 256 * 1024 * 1024 }, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

export async function hashPassword(password: string): Promise<PasswordHash> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, COST);
  return { algorithm: 'scrypt', ...COST, salt: salt.toString('base64'), hash: key.toString('base64') };
}

export async function verifyPassword(password: string, stored: PasswordHash): Promise<boolean> {
  const expected = Buffer.from(stored.hash, 'base64');
  const key = await derive(password, Buffer.from(stored.salt, 'base64'), { N: stored.N, r: stored.r, p: stored.p });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** A password for a person to copy once: 24 random bytes, URL-safe base64 (32 characters). */
export function generatePassword(): string {
  return randomBytes(24).toString('base64url');
}
