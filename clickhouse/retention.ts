/**
 * Applies the configured retention (clickhouse/retention.sql) to existing tables. A statement
 * runs only when the table's current TTL keeps a different number of days, so a second run
 * changes nothing and says so, and a changed CLICKHOUSE_TTL_* option takes effect on tables
 * created long before.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import type { RetentionConfig } from '../lib/config';
import { ShelfStreamError, describeError } from '../lib/errors';
import { REPO_ROOT } from '../lib/paths';
import { bindParameters, sqlIdentifier, sqlInteger } from './bind';
import { splitStatements } from './sql';

export const RETENTION_SQL = join(REPO_ROOT, 'clickhouse', 'retention.sql');

export interface RetentionStatement {
  readonly table: string;
  readonly days: number;
  readonly sql: string;
}

const STATEMENT = /^ALTER TABLE ([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*) MODIFY TTL .+ \+ INTERVAL (\d+) DAY$/s;

/** The retention statements with the configured days filled in, one per table. */
export function retentionStatements(database: string, retention: RetentionConfig, sql: string = readFileSync(RETENTION_SQL, 'utf8')): RetentionStatement[] {
  const bound = bindParameters(sql, {
    database: sqlIdentifier(database),
    fact_days: sqlInteger(retention.factDays),
    velocity_days: sqlInteger(retention.velocityDays),
    alerts_days: sqlInteger(retention.alertsDays),
    rollup_days: sqlInteger(retention.rollupDays),
  });
  return splitStatements(bound).map((statement) => {
    const text = statement.replace(/^(--[^\n]*\n|\s)+/, '');
    const m = STATEMENT.exec(text);
    if (!m) throw new ShelfStreamError('MIGRATION_FAILED', `${RETENTION_SQL}: every statement is "ALTER TABLE <db>.<table> MODIFY TTL <expr> + INTERVAL <n> DAY", got: ${text.slice(0, 120)}`);
    return { table: m[2]!, days: Number(m[3]), sql: text };
  });
}

/** Days kept by a table's TTL as ClickHouse reports it (`... + toIntervalDay(730)`), if any. */
export function ttlDays(createTableQuery: string): number | undefined {
  const m = /\bTTL\b.*?toIntervalDay\((\d+)\)/s.exec(createTableQuery);
  return m ? Number(m[1]) : undefined;
}

export type RetentionOutcome = 'unchanged' | `changed from ${number} to ${number} days` | `set to ${number} days`;

export async function applyRetention(client: ClickHouseClient, database: string, retention: RetentionConfig): Promise<Record<string, RetentionOutcome>> {
  const statements = retentionStatements(database, retention);
  const result = await client.query({
    query: 'SELECT name, create_table_query FROM system.tables WHERE database = {database:String}',
    query_params: { database },
    format: 'JSONEachRow',
  });
  const current = new Map((await result.json<{ name: string; create_table_query: string }>()).map((t) => [t.name, t.create_table_query]));
  const outcomes: Record<string, RetentionOutcome> = {};
  for (const s of statements) {
    const create = current.get(s.table);
    if (create === undefined) {
      throw new ShelfStreamError('MIGRATION_FAILED', `retention for ${database}.${s.table}: the table does not exist (are the migrations applied?)`, { context: { table: s.table } });
    }
    const before = ttlDays(create);
    if (before === s.days) {
      outcomes[s.table] = 'unchanged';
      continue;
    }
    try {
      await client.command({ query: s.sql });
    } catch (error) {
      throw new ShelfStreamError('MIGRATION_FAILED', `retention for ${database}.${s.table}: ${describeError(error)}`, { cause: error, context: { table: s.table } });
    }
    outcomes[s.table] = before === undefined ? `set to ${s.days} days` : `changed from ${before} to ${s.days} days`;
  }
  return outcomes;
}
