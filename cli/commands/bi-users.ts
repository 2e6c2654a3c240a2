/**
 * `shelfstream bi-users create|list|revoke|reset-password`: the BI users of the SQL endpoint,
 * in SQL_USERS_FILE (scrypt hashes, never the passwords). A running endpoint sees a change at
 * its next request. Against a ClickHouse server (CLICKHOUSE_URL) the same user is also made a
 * server user, read-only, with one row policy per store table (clickhouse/access.ts), since
 * BI tools then connect to the server and the server enforces the scope.
 */
import type { Command } from 'commander';
import { accessStatements, storeTables } from '../../clickhouse/access';
import { sqlIdentifier } from '../../clickhouse/bind';
import { createClickHouse } from '../../lib/clients/clickhouse';
import { ShelfStreamError } from '../../lib/errors';
import {
  checkScopeValues,
  checkUserName,
  describeScope,
  readBiUsers,
  withPassword,
  withUser,
  withoutUser,
  writeBiUsers,
  type BiUser,
} from '../../services/sql/bi-users';
import { generatePassword, hashPassword } from '../../services/sql/passwords';
import type { CliContext } from '../context';
import type { RunCommand } from './ingest';

const list = (value: string | undefined): string[] => (value ?? '').split(',').map((v) => v.trim()).filter((v) => v !== '');

export function registerBiUserCommands(program: Command, run: RunCommand): void {
  const users = program.command('bi-users').description('read-only BI users of the SQL endpoint (Metabase, Power BI, Grafana...), scoped to regions and/or stores');
  users
    .command('create')
    .description('create a BI user; without --password-stdin a password is generated and printed once')
    .argument('<name>', 'user name: letters, digits, _ . -')
    .option('--regions <list>', 'comma-separated regions (dim_store.region) whose stores the user sees')
    .option('--stores <list>', 'comma-separated store ids the user sees (with --regions: both)')
    .option('--password-stdin', 'read the password from stdin instead of generating one')
    .action(async (name: string, options: { regions?: string; stores?: string; passwordStdin?: boolean }) => run('bi-users', (ctx) => createCommand(ctx, name, options))());
  users
    .command('list')
    .description('list BI users and their scopes (never passwords or hashes)')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => run('bi-users', (ctx) => listCommand(ctx, options))());
  users
    .command('revoke')
    .description('remove a BI user; its next request is refused')
    .argument('<name>')
    .action(async (name: string) => run('bi-users', (ctx) => revokeCommand(ctx, name))());
  users
    .command('reset-password')
    .description('give a BI user a new password (generated and printed once, or --password-stdin); the old one stops working at once')
    .argument('<name>')
    .option('--password-stdin', 'read the password from stdin instead of generating one')
    .action(async (name: string, options: { passwordStdin?: boolean }) => run('bi-users', (ctx) => resetCommand(ctx, name, options))());
}

async function readPassword(fromStdin: boolean | undefined): Promise<{ password: string; generated: boolean }> {
  if (!fromStdin) return { password: generatePassword(), generated: true };
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  const password = text.replace(/\r?\n$/, '');
  if (password.length < 12) throw new ShelfStreamError('INVALID_ARGUMENT', 'the password read from stdin is shorter than 12 characters');
  return { password, generated: false };
}

/** On a ClickHouse server, the user and its row policies (or their removal); nothing in embedded mode. */
async function applyOnServer(ctx: CliContext, user: BiUser, password: string | undefined): Promise<void> {
  const { clickhouse } = ctx.config;
  if (clickhouse.mode !== 'server') return;
  const client = createClickHouse(clickhouse);
  try {
    const tables = await storeTables(client, clickhouse.database);
    const statements =
      password === undefined
        ? [
            ...tables.map((t) => `DROP ROW POLICY IF EXISTS ${sqlIdentifier(`${user.name}_stores`)} ON ${sqlIdentifier(clickhouse.database)}.${sqlIdentifier(t)}`),
            `DROP USER IF EXISTS ${sqlIdentifier(user.name)}`,
          ]
        : accessStatements(clickhouse.database, { user: user.name, password, regions: [...user.regions], stores: [...user.stores] }, tables);
    for (const query of statements) await client.command({ query });
  } finally {
    await client.close();
  }
}

export async function createCommand(ctx: CliContext, name: string, options: { regions?: string; stores?: string; passwordStdin?: boolean }): Promise<void> {
  checkUserName(name);
  const regions = list(options.regions);
  const stores = list(options.stores);
  checkScopeValues('region', regions);
  checkScopeValues('store', stores);
  const file = ctx.config.sqlExecutor.usersFile;
  const { password, generated } = await readPassword(options.passwordStdin);
  const now = new Date().toISOString();
  const user: BiUser = { name, password: await hashPassword(password), regions, stores, limits: {}, createdAt: now, passwordChangedAt: now };
  const next = withUser(readBiUsers(file), user);
  await applyOnServer(ctx, user, password);
  writeBiUsers(file, next);
  if (generated) ctx.print(password);
  process.stderr.write(
    `BI user ${name} (${describeScope(user)}) stored in ${file}.\n` + (generated ? 'This is the only time the password is shown: give it to the analyst now.\n' : ''),
  );
}

export async function listCommand(ctx: CliContext, options: { json?: boolean }): Promise<void> {
  const users = readBiUsers(ctx.config.sqlExecutor.usersFile).users.map(({ password: _password, ...rest }) => rest);
  if (options.json) return ctx.print(JSON.stringify(users, null, 2));
  if (users.length === 0) return ctx.print(`no BI users in ${ctx.config.sqlExecutor.usersFile}`);
  const header = ['user', 'scope', 'created_at', 'password_changed_at'];
  const rows = users.map((u) => [u.name, describeScope(u), u.createdAt, u.passwordChangedAt]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const row of [header, ...rows]) ctx.print(row.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
}

export async function revokeCommand(ctx: CliContext, name: string): Promise<void> {
  const file = ctx.config.sqlExecutor.usersFile;
  const current = readBiUsers(file);
  const user = current.users.find((u) => u.name === name);
  const next = withoutUser(current, name);
  await applyOnServer(ctx, user!, undefined);
  writeBiUsers(file, next);
  ctx.print(`revoked BI user ${name}`);
}

export async function resetCommand(ctx: CliContext, name: string, options: { passwordStdin?: boolean }): Promise<void> {
  const file = ctx.config.sqlExecutor.usersFile;
  const current = readBiUsers(file);
  const user = current.users.find((u) => u.name === name);
  if (!user) throw new ShelfStreamError('INVALID_ARGUMENT', `no BI user ${name}`);
  const { password, generated } = await readPassword(options.passwordStdin);
  const next = withPassword(current, name, await hashPassword(password), new Date().toISOString());
  await applyOnServer(ctx, user, password);
  writeBiUsers(file, next);
  if (generated) ctx.print(password);
  process.stderr.write(`new password for BI user ${name} stored in ${file}; the old one no longer works.\n`);
}
