/**
 * Credentials verified recently, so a dashboard's requests do not each pay for scrypt.
 *
 * The key is a SHA-256 of the user name, the password sent and the stored hash it was checked
 * against: a changed password (a new salt and hash) misses at once, a revoked user is refused
 * before the cache is asked (the caller looks the user up first), and only successful checks
 * are stored, so a wrong password is never remembered as good. The password itself is never
 * kept, only the digest.
 */
import { createHash } from 'node:crypto';

export interface CredentialCacheOptions {
  /** How long a verified credential stays trusted, ms. */
  readonly ttlMs: number;
  /** Entries kept at most; the oldest go first. */
  readonly maxEntries: number;
}

export interface CredentialCache {
  has(user: string, password: string, storedHash: string, nowMs: number): boolean;
  remember(user: string, password: string, storedHash: string, nowMs: number): void;
}

function cacheKey(user: string, password: string, storedHash: string): string {
  return createHash('sha256').update(user).update('\0').update(password).update('\0').update(storedHash).digest('base64');
}

export function createCredentialCache(options: CredentialCacheOptions): CredentialCache {
  const expiries = new Map<string, number>();
  return {
    has(user, password, storedHash, nowMs) {
      const key = cacheKey(user, password, storedHash);
      const expiry = expiries.get(key);
      if (expiry === undefined) return false;
      if (expiry <= nowMs) {
        expiries.delete(key);
        return false;
      }
      return true;
    },
    remember(user, password, storedHash, nowMs) {
      const key = cacheKey(user, password, storedHash);
      expiries.delete(key);
      expiries.set(key, nowMs + options.ttlMs);
      // A Map iterates in insertion order: the first key is the oldest.
      while (expiries.size > options.maxEntries) expiries.delete(expiries.keys().next().value!);
    },
  };
}
