/**
 * What `shelfstream demo` hands the person trying it: a BI user for the web app and the SQL
 * endpoint, and an ingest key for one simulated terminal, so every printed URL can be used at
 * once (a Metabase connection, a sale POSTed by hand, the read API of that store).
 */
import { createApiKey } from '../../services/ingest/api-keys';
import { readBiUsers, withPassword, withUser, writeBiUsers } from '../../services/sql/bi-users';
import { generatePassword, hashPassword } from '../../services/sql/passwords';
import type { CliContext } from '../context';

/** The demo's BI user: every store (no scope), read-only like every BI user. */
export const DEMO_BI_USER = 'demo';

export interface DemoAccess {
  readonly biUser: string;
  readonly biPassword: string;
  /** An ingest (and read API) key of one simulated terminal. */
  readonly terminalKey: string;
  readonly storeId: string;
  readonly terminalId: string;
}

/**
 * Creates the demo BI user, or gives it a new password when an earlier demo created it (only
 * the hash is stored, so the old password cannot be printed again), and a new key for the
 * terminal: a demo start prints credentials that work, whatever the data folder held.
 */
export async function createDemoAccess(ctx: CliContext, storeId: string, terminalId: string): Promise<DemoAccess> {
  const file = ctx.config.sqlExecutor.usersFile;
  const biPassword = generatePassword();
  const hash = await hashPassword(biPassword);
  const now = new Date().toISOString();
  const users = readBiUsers(file);
  writeBiUsers(
    file,
    users.users.some((u) => u.name === DEMO_BI_USER)
      ? withPassword(users, DEMO_BI_USER, hash, now)
      : withUser(users, { name: DEMO_BI_USER, password: hash, regions: [], stores: [], limits: {}, createdAt: now, passwordChangedAt: now }),
  );
  const { key } = await createApiKey(ctx.config.ingest.apiKeysFile, storeId, terminalId);
  return { biUser: DEMO_BI_USER, biPassword, terminalKey: key, storeId, terminalId };
}

/** The block printed once everything listens: each service with how to sign in to it. */
export function describeDemoAccess(access: DemoAccess, urls: { readonly web?: string; readonly sql?: string; readonly readApi: string; readonly ingest: string }): string[] {
  const lines = ['demo: ready. Sign in with:'];
  if (urls.web) lines.push(`  web app       ${urls.web}  user ${access.biUser}, password ${access.biPassword}`);
  if (urls.sql) lines.push(`  SQL endpoint  ${urls.sql}  (ClickHouse HTTP: Metabase, Power BI, DBeaver) user ${access.biUser}, password ${access.biPassword}`);
  lines.push(`  read API      ${urls.readApi}  Authorization: Bearer ${access.terminalKey}  (store ${access.storeId})`);
  lines.push(`  HTTP ingest   ${urls.ingest}  Authorization: Bearer ${access.terminalKey}  (terminal ${access.terminalId} of store ${access.storeId}; API at ${urls.ingest}/openapi.json)`);
  return lines;
}
