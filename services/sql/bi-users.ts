/**
 * The BI users of the SQL endpoint, kept in one JSON file (SQL_USERS_FILE, mode 0600, written
 * atomically): for each, a scrypt hash of its password, its scope (regions and/or stores; both
 * empty: every store) and optional per-query limits.
 *
 * A file rather than a ClickHouse table: `shelfstream bi-users` must work while
 * `shelfstream run all` owns the embedded engine (chDB locks its data folder to one process),
 * and the running endpoint sees a change at its next request (it re-reads the file when the
 * file changes), so a revoked user or a new password takes effect at once. Against a ClickHouse
 * server the same users and scopes become server users with row policies
 * (clickhouse/access.ts), and the server enforces them.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { ShelfStreamError } from '../../lib/errors';
import type { PasswordHash } from './passwords';
import type { QueryLimits } from './locked-settings';

/** The operator's own principal (`shelfstream sql`), authenticated by the admin token file. */
export const ADMIN_USER = 'shelfstream';

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;
/** Store ids and regions end up in SQL literals of the scope; they are kept to plain names. */
const SCOPE_VALUE = /^[A-Za-z0-9_.:-]{1,64}$/;

const passwordSchema = z.object({
  algorithm: z.literal('scrypt'),
  N: z.number().int().positive(),
  r: z.number().int().positive(),
  p: z.number().int().positive(),
  salt: z.string().min(1),
  hash: z.string().min(1),
});

const limitsSchema = z
  .object({
    maxExecutionTimeS: z.number().int().positive(),
    maxMemoryBytes: z.number().int().positive(),
    maxResultRows: z.number().int().positive(),
    maxResultBytes: z.number().int().positive(),
  })
  .partial();

const userSchema = z.object({
  name: z.string().regex(NAME, 'a user name is letters, digits, _ . -, starting with a letter or _'),
  password: passwordSchema,
  regions: z.array(z.string().regex(SCOPE_VALUE, 'a region is 1-64 letters, digits, _ . : -')),
  stores: z.array(z.string().regex(SCOPE_VALUE, 'a store id is 1-64 letters, digits, _ . : -')),
  limits: limitsSchema.default({}),
  createdAt: z.string(),
  passwordChangedAt: z.string(),
});

const fileSchema = z.object({ version: z.literal(1), users: z.array(userSchema) });

export type BiUserLimits = Partial<Omit<QueryLimits, 'maxThreads' | 'threadNice'>>;

export interface BiUser {
  readonly name: string;
  readonly password: PasswordHash;
  readonly regions: readonly string[];
  readonly stores: readonly string[];
  readonly limits: BiUserLimits;
  readonly createdAt: string;
  readonly passwordChangedAt: string;
}

export interface BiUsersFile {
  readonly version: 1;
  readonly users: readonly BiUser[];
}

export const EMPTY_USERS: BiUsersFile = { version: 1, users: [] };

/** Parses the users file; a bad file is an error naming the file and what is wrong, never an empty list. */
export function parseBiUsers(text: string, path: string): BiUsersFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ShelfStreamError('CONFIG_INVALID', `BI users file ${path} is not JSON: ${(error as Error).message}`, { cause: error, context: { path } });
  }
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ShelfStreamError('CONFIG_INVALID', `BI users file ${path}: ${issue.path.join('.')}: ${issue.message}`, { context: { path } });
  }
  const seen = new Set<string>();
  for (const user of parsed.data.users) {
    if (seen.has(user.name)) throw new ShelfStreamError('CONFIG_INVALID', `BI users file ${path}: user ${user.name} appears twice`, { context: { path } });
    if (user.name === ADMIN_USER) throw new ShelfStreamError('CONFIG_INVALID', `BI users file ${path}: ${ADMIN_USER} is the operator's user and cannot be a BI user`, { context: { path } });
    seen.add(user.name);
  }
  return parsed.data;
}

/** Reads the users file; a missing file means no users yet. */
export function readBiUsers(path: string): BiUsersFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return EMPTY_USERS;
    throw error;
  }
  return parseBiUsers(text, path);
}

/** Writes the file atomically (a temporary file renamed over it) with mode 0600: it holds password hashes. */
export function writeBiUsers(path: string, file: BiUsersFile): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, path);
  chmodSync(path, 0o600);
}

/** A fingerprint of the file that changes when it is rewritten, to know when to read it again. */
export function fileVersion(path: string): string {
  try {
    const s = statSync(path, { bigint: true });
    return `${s.ino}:${s.size}:${s.mtimeNs}`;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw error;
  }
}

export function checkUserName(name: string): void {
  if (!NAME.test(name)) throw new ShelfStreamError('INVALID_ARGUMENT', `invalid BI user name ${JSON.stringify(name)}: letters, digits, _ . -, starting with a letter or _, at most 64`);
  if (name === ADMIN_USER || name === 'default') throw new ShelfStreamError('INVALID_ARGUMENT', `${name} is reserved: ${ADMIN_USER} is the operator's user, default is ClickHouse's`);
}

export function checkScopeValues(kind: 'region' | 'store', values: readonly string[]): void {
  for (const v of values) {
    if (!SCOPE_VALUE.test(v)) throw new ShelfStreamError('INVALID_ARGUMENT', `invalid ${kind} ${JSON.stringify(v)}: 1-64 letters, digits, _ . : -`);
  }
}

export function withUser(file: BiUsersFile, user: BiUser): BiUsersFile {
  if (file.users.some((u) => u.name === user.name)) throw new ShelfStreamError('INVALID_ARGUMENT', `BI user ${user.name} exists already; use reset-password or revoke it first`);
  return { version: 1, users: [...file.users, user] };
}

export function withoutUser(file: BiUsersFile, name: string): BiUsersFile {
  if (!file.users.some((u) => u.name === name)) throw new ShelfStreamError('INVALID_ARGUMENT', `no BI user ${name}`);
  return { version: 1, users: file.users.filter((u) => u.name !== name) };
}

export function withPassword(file: BiUsersFile, name: string, password: PasswordHash, nowIso: string): BiUsersFile {
  if (!file.users.some((u) => u.name === name)) throw new ShelfStreamError('INVALID_ARGUMENT', `no BI user ${name}`);
  return { version: 1, users: file.users.map((u) => (u.name === name ? { ...u, password, passwordChangedAt: nowIso } : u)) };
}

/** The scope in words, for `bi-users list` and logs. */
export function describeScope(user: Pick<BiUser, 'regions' | 'stores'>): string {
  if (user.regions.length === 0 && user.stores.length === 0) return 'all stores';
  const parts: string[] = [];
  if (user.regions.length > 0) parts.push(`regions ${user.regions.join(',')}`);
  if (user.stores.length > 0) parts.push(`stores ${user.stores.join(',')}`);
  return parts.join(' + ');
}
