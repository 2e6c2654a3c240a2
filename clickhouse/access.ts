/**
 * The read-only BI user and its row policies (clickhouse/access/*.sql). Applied by
 * `shelfstream init` when CLICKHOUSE_BI_USER is set, and only against a ClickHouse server:
 * embedded ClickHouse (chDB) runs without access storage (CREATE USER and CREATE ROW POLICY
 * fail with "Not enough privileges"), and it has no port a BI tool could connect to anyway.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import type { BiAccessConfig, ClickHouseConfig } from '../lib/config';
import { ShelfStreamError, describeError } from '../lib/errors';
import { REPO_ROOT } from '../lib/paths';
import { bindParameters, sqlIdentifier, sqlString, sqlStringArray, type SqlFragment } from './bind';
import { splitStatements } from './sql';

export const ACCESS_DIR = join(REPO_ROOT, 'clickhouse', 'access');

const read = (file: string): string => readFileSync(join(ACCESS_DIR, file), 'utf8');

/** The role every BI user of a database gets: SELECT on the database, nothing else. */
export function biRole(database: string): string {
  return `${database}_bi_reader`;
}

function parameters(database: string, bi: BiAccessConfig): Record<string, SqlFragment> {
  return {
    database: sqlIdentifier(database),
    bi_role: sqlIdentifier(biRole(database)),
    bi_user: sqlIdentifier(bi.user),
    bi_password: sqlString(bi.password),
    bi_regions: sqlStringArray(bi.regions),
    bi_stores: sqlStringArray(bi.stores),
  };
}

/**
 * Every statement that sets up the BI user: the user and its role, the policy on dim_store,
 * then one policy per table in `storeTables` (the tables with a store_id column).
 */
export function accessStatements(database: string, bi: BiAccessConfig, storeTables: readonly string[]): string[] {
  const params = parameters(database, bi);
  const statements = [...splitStatements(bindParameters(read('bi_user.sql'), params)), ...splitStatements(bindParameters(read('store_dimension_policy.sql'), params))];
  const template = read('store_policy.sql');
  for (const table of storeTables) {
    if (table === 'dim_store') continue;
    statements.push(...splitStatements(bindParameters(template, { ...params, table: sqlIdentifier(table) })));
  }
  return statements.map((s) => s.replace(/^(--[^\n]*\n|\s)+/, ''));
}

/** The condition of a row-policy statement (between USING and TO), e.g. to evaluate it as a WHERE. */
export function policyCondition(statement: string): string {
  const m = /\bUSING\s+([\s\S]+?)\s+TO\s+[A-Za-z_][A-Za-z0-9_]*\s*$/.exec(statement);
  if (!m) throw new Error(`not a row-policy statement with USING ... TO: ${statement.slice(0, 120)}`);
  return m[1]!;
}

/** Tables (not views) of the database that hold a store_id column: the ones row policies cover. */
export async function storeTables(client: ClickHouseClient, database: string): Promise<string[]> {
  const result = await client.query({
    query: `SELECT t.name AS name FROM system.tables AS t
            INNER JOIN system.columns AS c ON c.database = t.database AND c.table = t.name
            WHERE t.database = {database:String} AND c.name = 'store_id' AND t.engine LIKE '%MergeTree'
            ORDER BY name`,
    query_params: { database },
    format: 'JSONEachRow',
  });
  return (await result.json<{ name: string }>()).map((r) => r.name);
}

export type BiAccessOutcome =
  | { readonly outcome: 'not-configured' }
  | { readonly outcome: 'skipped'; readonly reason: string }
  | { readonly outcome: 'applied'; readonly user: string; readonly tables: readonly string[] };

export const EMBEDDED_BI_REASON =
  'embedded ClickHouse (chDB) has no user management and no port for BI tools; set CLICKHOUSE_URL to a ClickHouse server and run init again';

export async function applyBiAccess(
  client: ClickHouseClient,
  clickhouse: ClickHouseConfig,
  bi: BiAccessConfig | undefined,
): Promise<BiAccessOutcome> {
  if (!bi) return { outcome: 'not-configured' };
  if (clickhouse.mode === 'embedded') return { outcome: 'skipped', reason: EMBEDDED_BI_REASON };
  const tables = await storeTables(client, clickhouse.database);
  const statements = accessStatements(clickhouse.database, bi, tables);
  for (const statement of statements) {
    try {
      await client.command({ query: statement });
    } catch (error) {
      // The statement holds the password: name the step, not the text, and mask the password
      // in case the server quotes the statement in its error.
      const message = describeError(error).split(bi.password).join('***');
      throw new ShelfStreamError('MIGRATION_FAILED', `BI user ${bi.user}: ${statement.split(/\s+/).slice(0, 4).join(' ')} ... failed: ${message}`, {
        cause: error,
        context: { user: bi.user },
      });
    }
  }
  return { outcome: 'applied', user: bi.user, tables };
}
