/**
 * Per-terminal API keys. A key reads `ssk_<keyId>_<secret>`: the key id (public, 12 hex
 * characters) names the record, the secret is 32 random bytes (256 bits) in hex. The keys
 * file (config.ingest.apiKeysFile) keeps only the SHA-256 hash of each key with its store,
 * terminal and dates; the key itself is printed once by `shelfstream ingest keys create`.
 *
 * Two scopes: a `terminal` key belongs to one store's till or back room and publishes its
 * events; a `back-office` key belongs to a head-office system (ERP, pricing, treasury), is
 * bound to no store (`store_id` '*', the system's name in `terminal_id`) and publishes master
 * data and pricing events for any store. A file written before scopes existed holds terminal
 * keys only, which is what a record without a scope reads as.
 *
 * Why a fast hash is enough: slow password hashes (bcrypt, scrypt, Argon2) exist because
 * human passwords have little entropy and fall to a dictionary once a hash leaks. A secret
 * drawn from 2^256 values has no dictionary: even at 10^12 SHA-256 guesses per second a leaked
 * hash would take ~10^57 years to reverse. A slow hash would add nothing against that and
 * would cost tens of milliseconds of CPU on every request, which the 20k events/s target
 * cannot afford; SHA-256 costs about a microsecond.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { ShelfStreamError, describeError } from '../../lib/errors';

export const KEY_PREFIX = 'ssk_';
const KEY_ID_BYTES = 6; // 12 hex characters: ids only need to be unique, not secret
const SECRET_BYTES = 32; // 256 bits
const KEY_PATTERN = /^ssk_([0-9a-f]{12})_([0-9a-f]{64})$/;

export const KEY_SCOPES = ['terminal', 'back-office'] as const;
export type KeyScope = (typeof KEY_SCOPES)[number];
/** The store_id of a back-office key: it may publish for every store. */
export const ANY_STORE = '*';

export interface ApiKeyRecord {
  readonly key_id: string;
  /** `sha256:` and the hex SHA-256 of the whole key text. */
  readonly hash: string;
  readonly store_id: string;
  readonly terminal_id: string;
  /** ISO 8601, UTC. */
  readonly created_at: string;
  /** ISO 8601, UTC; null while the key is valid. Revoked keys stay listed, for audit. */
  readonly revoked_at: string | null;
  /** Absent in files written before scopes: a terminal key. */
  readonly scope?: KeyScope;
}

const recordSchema = z.object({
  key_id: z.string().regex(/^[0-9a-f]{12}$/),
  hash: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  store_id: z.string().min(1),
  terminal_id: z.string().min(1),
  created_at: z.string(),
  revoked_at: z.string().nullable(),
  scope: z.enum(KEY_SCOPES).optional(),
});
const fileSchema = z.object({ version: z.literal(1), keys: z.array(recordSchema) });

/** Store and terminal ids: what the Avro events carry, without spaces or control characters. */
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

export function hashApiKey(key: string): string {
  return `sha256:${createHash('sha256').update(key, 'utf8').digest('hex')}`;
}

/** A new key: its text (shown once) and the record to store. A back-office key's storeId is ANY_STORE. */
export function generateApiKey(storeId: string, terminalId: string, now: Date = new Date(), scope: KeyScope = 'terminal'): { key: string; record: ApiKeyRecord } {
  if (scope === 'back-office' && storeId !== ANY_STORE) throw new ShelfStreamError('CONFIG_INVALID', `a back-office key is bound to no store: its store is ${ANY_STORE}, got ${JSON.stringify(storeId)}`);
  for (const [name, value] of [
    ...(scope === 'terminal' ? ([['store', storeId]] as const) : []),
    [scope === 'terminal' ? 'terminal' : 'back-office', terminalId],
  ] as const) {
    if (!ID_PATTERN.test(value)) {
      throw new ShelfStreamError('CONFIG_INVALID', `--${name} ${JSON.stringify(value)}: expected 1-64 letters, digits, '.', '_', ':' or '-'`);
    }
  }
  const keyId = randomBytes(KEY_ID_BYTES).toString('hex');
  const key = `${KEY_PREFIX}${keyId}_${randomBytes(SECRET_BYTES).toString('hex')}`;
  return {
    key,
    record: { key_id: keyId, hash: hashApiKey(key), store_id: storeId, terminal_id: terminalId, created_at: now.toISOString(), revoked_at: null, ...(scope === 'terminal' ? {} : { scope }) },
  };
}

/** The key id of a well-formed key, or undefined. Does not check the secret. */
export function parseApiKey(text: string): { keyId: string } | undefined {
  const match = KEY_PATTERN.exec(text);
  return match ? { keyId: match[1]! } : undefined;
}

/** The key in an `Authorization: Bearer <key>` header, or why there is none. */
export function bearerToken(header: string | undefined): { token: string } | { problem: string } {
  if (header === undefined || header === '') return { problem: 'missing Authorization header: send `Authorization: Bearer <api key>`' };
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  if (!match) return { problem: 'the Authorization header must read `Bearer <api key>`' };
  return { token: match[1]! };
}

// ── the keys file ──────────────────────────────────────────────────────────────────────────

export function readKeysFile(file: string): ApiKeyRecord[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new ShelfStreamError('CONFIG_INVALID', `cannot read the API keys file ${file}: ${describeError(error)}`, { cause: error });
  }
  try {
    return fileSchema.parse(JSON.parse(text)).keys;
  } catch (error) {
    throw new ShelfStreamError('CONFIG_INVALID', `${file} is not a valid API keys file: ${describeError(error)}`, { cause: error });
  }
}

/**
 * Writes the whole file atomically: a temporary file in the same folder, fsync, then rename,
 * so a crash or a concurrent reader never sees half a file. Owner-only permissions: the hashes
 * are not secrets, but the file says which terminals exist.
 */
export function writeKeysFile(file: string, keys: readonly ApiKeyRecord[]): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(temporary, 'wx', 0o600);
  try {
    writeSync(fd, JSON.stringify({ version: 1, keys }, null, 2) + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, file);
}

/**
 * Read-modify-write under an exclusive lock file, so two `keys create` run at once do not lose
 * one another's key. A lock older than `staleMs` is left over from a crashed command and taken.
 */
export async function updateKeysFile<T>(file: string, change: (keys: ApiKeyRecord[]) => T, options: { timeoutMs?: number; staleMs?: number } = {}): Promise<T> {
  const lock = `${file}.lock`;
  const deadline = Date.now() + (options.timeoutMs ?? 5_000);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx', 0o600));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const age = Date.now() - (statSyncOrUndefined(lock)?.mtimeMs ?? Date.now());
      if (age > (options.staleMs ?? 30_000)) {
        unlinkSync(lock);
        continue;
      }
      if (Date.now() > deadline) throw new ShelfStreamError('SERVICE_UNAVAILABLE', `the API keys file ${file} is locked by another command (${lock})`);
      await sleep(25);
    }
  }
  try {
    const keys = readKeysFile(file);
    const result = change(keys);
    writeKeysFile(file, keys);
    return result;
  } finally {
    unlinkSync(lock);
  }
}

function statSyncOrUndefined(path: string): { mtimeMs: number } | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

export async function createApiKey(file: string, storeId: string, terminalId: string, scope: KeyScope = 'terminal'): Promise<{ key: string; record: ApiKeyRecord }> {
  const created = generateApiKey(storeId, terminalId, new Date(), scope);
  await updateKeysFile(file, (keys) => void keys.push(created.record));
  return created;
}

/** Marks the key revoked (kept for audit). Answers the record, or undefined for an unknown id. */
export async function revokeApiKey(file: string, keyId: string, now: Date = new Date()): Promise<ApiKeyRecord | undefined> {
  return updateKeysFile(file, (keys) => {
    const index = keys.findIndex((k) => k.key_id === keyId);
    if (index < 0) return undefined;
    const revoked = { ...keys[index]!, revoked_at: keys[index]!.revoked_at ?? now.toISOString() };
    keys[index] = revoked;
    return revoked;
  });
}

// ── verifying keys in the server ───────────────────────────────────────────────────────────

export interface Principal {
  readonly keyId: string;
  /** ANY_STORE for a back-office key. */
  readonly storeId: string;
  /** The terminal, or the back-office system's name. */
  readonly terminalId: string;
  readonly scope: KeyScope;
}

export type Verification = { readonly ok: true; readonly principal: Principal } | { readonly ok: false; readonly reason: string };

export interface ApiKeyVerifier {
  verify(authorization: string | undefined): Verification;
  readonly size: number;
}

interface Entry {
  readonly hash: Buffer;
  readonly principal: Principal;
  readonly revoked: boolean;
}

const DUMMY_HASH = createHash('sha256').update('no such key').digest();

/**
 * Checks keys against records held in memory. The key id finds the record (ids are public);
 * the hash of the presented key is compared in constant time, so response timing does not tell
 * how much of a guessed secret was right. Unknown, malformed and revoked keys all answer the
 * same reason to the client; the server's logs can tell them apart.
 */
export function createKeyVerifier(records: readonly ApiKeyRecord[]): ApiKeyVerifier {
  const byId = new Map<string, Entry>();
  for (const r of records) {
    byId.set(r.key_id, {
      hash: Buffer.from(r.hash.slice('sha256:'.length), 'hex'),
      principal: { keyId: r.key_id, storeId: r.store_id, terminalId: r.terminal_id, scope: r.scope ?? 'terminal' },
      revoked: r.revoked_at !== null,
    });
  }
  return {
    size: byId.size,
    verify(authorization) {
      const bearer = bearerToken(authorization);
      if ('problem' in bearer) return { ok: false, reason: bearer.problem };
      const parsed = parseApiKey(bearer.token);
      const entry = parsed ? byId.get(parsed.keyId) : undefined;
      const presented = createHash('sha256').update(bearer.token, 'utf8').digest();
      // Compare even when there is no entry, so unknown ids cost the same as wrong secrets.
      const matches = timingSafeEqual(presented, entry?.hash ?? DUMMY_HASH) && entry !== undefined;
      if (!matches || entry.revoked) return { ok: false, reason: 'invalid or revoked API key' };
      return { ok: true, principal: entry.principal };
    },
  };
}

/**
 * A verifier that follows the keys file: it re-reads the file when its modification time
 * changes (checked every `intervalMs`), so `keys create` and `keys revoke` take effect in a
 * running service within a second, without a restart. A file that fails to parse keeps the
 * previous keys and is reported through `onError`.
 */
export function watchKeysFile(
  file: string,
  options: { intervalMs?: number; onError?: (error: unknown) => void; onReload?: (count: number) => void } = {},
): ApiKeyVerifier & { close(): void; reload(): void } {
  let current = createKeyVerifier(readKeysFile(file));
  let seen = statSyncOrUndefined(file)?.mtimeMs;
  const reload = (): void => {
    const mtime = statSyncOrUndefined(file)?.mtimeMs;
    if (mtime === seen) return;
    try {
      current = createKeyVerifier(readKeysFile(file));
      seen = mtime;
      options.onReload?.(current.size);
    } catch (error) {
      options.onError?.(error);
    }
  };
  const timer = setInterval(reload, options.intervalMs ?? 1_000).unref();
  return {
    get size() {
      return current.size;
    },
    verify: (authorization) => current.verify(authorization),
    reload,
    close: () => clearInterval(timer),
  };
}
