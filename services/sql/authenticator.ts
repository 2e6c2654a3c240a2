/**
 * Who is asking: the operator (user `shelfstream`, whose password is the token in the admin
 * token file: `shelfstream sql` reads that file, so only someone who can read the data folder
 * is the operator) or a BI user of the users file. A wrong password and an unknown user get
 * the same answer a ClickHouse server gives (code 516, status 403) with a message that does
 * not say which was wrong; neither the password nor its hash is ever logged.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SqlCredentials } from './contract';
import { ADMIN_USER, fileVersion, readBiUsers, type BiUser, type BiUsersFile } from './bi-users';
import { createCredentialCache } from './credential-cache';
import { sqlError } from './clickhouse-errors';
import { hashPassword, verifyPassword, type PasswordHash } from './passwords';

export type Principal = { readonly kind: 'admin'; readonly name: string } | { readonly kind: 'bi'; readonly name: string; readonly user: BiUser };

export interface Authenticator {
  authenticate(credentials: SqlCredentials): Promise<Principal>;
}

/** A verified credential stays trusted this long: short, so nothing stale lingers, long enough for a dashboard's burst. */
const CREDENTIAL_TTL_MS = 60_000; // one minute
const CREDENTIAL_CACHE_ENTRIES = 1_000;

/** Reads the operator's token, creating it (32 random bytes, hex, mode 0600) on first use. */
export function ensureAdminToken(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const token = randomBytes(32).toString('hex');
  try {
    // wx: two processes starting at once must not each write a different token.
    writeFileSync(path, `${token}\n`, { mode: 0o600, flag: 'wx' });
    return token;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return readFileSync(path, 'utf8').trim();
    throw error;
  }
}

function sameSecret(a: string, b: string): boolean {
  // Digests first: timingSafeEqual needs equal lengths, and the length must not leak either.
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

export function authenticationFailed(user: string): Error {
  return sqlError('AUTHENTICATION_FAILED', `${user}: Authentication failed: password is incorrect, or there is no user with such name. (AUTHENTICATION_FAILED)`);
}

export interface AuthenticatorOptions {
  readonly usersFile: string;
  readonly adminTokenFile: string;
  readonly nowMs?: () => number;
}

export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  const nowMs = options.nowMs ?? Date.now;
  const adminToken = ensureAdminToken(options.adminTokenFile);
  const cache = createCredentialCache({ ttlMs: CREDENTIAL_TTL_MS, maxEntries: CREDENTIAL_CACHE_ENTRIES });
  let loadedVersion = '';
  let users: BiUsersFile = { version: 1, users: [] };
  // An unknown user still costs one scrypt, so the time taken does not tell which was wrong.
  const decoy: Promise<PasswordHash> = hashPassword(randomBytes(16).toString('hex'));

  function currentUsers(): BiUsersFile {
    const version = fileVersion(options.usersFile);
    if (version !== loadedVersion) {
      users = readBiUsers(options.usersFile);
      loadedVersion = version;
    }
    return users;
  }

  return {
    async authenticate(credentials) {
      const name = credentials.user;
      if (name === ADMIN_USER) {
        if (sameSecret(credentials.password, adminToken)) return { kind: 'admin', name };
        throw authenticationFailed(name);
      }
      const user = currentUsers().users.find((u) => u.name === name);
      if (!user) {
        await verifyPassword(credentials.password, await decoy);
        throw authenticationFailed(name);
      }
      const stored = `${user.password.salt}:${user.password.hash}`;
      if (cache.has(name, credentials.password, stored, nowMs())) return { kind: 'bi', name, user };
      if (!(await verifyPassword(credentials.password, user.password))) throw authenticationFailed(name);
      cache.remember(name, credentials.password, stored, nowMs());
      return { kind: 'bi', name, user };
    },
  };
}
