/**
 * The migration runner. Migrations are `clickhouse/migrations/NNNN_name.sql`, applied in
 * order of NNNN and recorded in `<database>.schema_migrations` with a checksum. A second run
 * applies nothing; an applied file that was edited afterwards stops the run (MIGRATION_CHANGED)
 * instead of silently diverging: write a new migration instead.
 *
 * ClickHouse DDL is not transactional, so every statement must be safe to run again
 * (CREATE ... IF NOT EXISTS, ALTER ... ADD COLUMN IF NOT EXISTS): a migration that failed
 * half-way is completed by the next run.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { ShelfStreamError, describeError } from '../lib/errors';
import { MIGRATIONS_DIR } from '../lib/paths';
import { bindDatabase, splitStatements } from './sql';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly file: string;
  readonly checksum: string;
  readonly sql: string;
}

export interface AppliedMigration {
  readonly version: number;
  readonly name: string;
  readonly checksum: string;
}

export interface MigrationReport {
  readonly applied: readonly Migration[];
  readonly alreadyApplied: number;
}

const FILE_NAME = /^(\d{4})_([a-z0-9_]+)\.sql$/;

export function loadMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  const migrations = readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .map((file) => {
      const m = FILE_NAME.exec(file);
      if (!m) {
        throw new ShelfStreamError('MIGRATION_FAILED', `${join(dir, file)}: migration files are named NNNN_name.sql (four digits, lower-case name)`);
      }
      const sql = readFileSync(join(dir, file), 'utf8');
      return { version: Number(m[1]), name: m[2]!, file: join(dir, file), sql, checksum: createHash('sha256').update(sql).digest('hex') };
    })
    .sort((a, b) => a.version - b.version);
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i]!.version === migrations[i - 1]!.version) {
      throw new ShelfStreamError('MIGRATION_FAILED', `two migrations share version ${migrations[i]!.version}: ${migrations[i - 1]!.file} and ${migrations[i]!.file}`);
    }
  }
  return migrations;
}

async function ensureLedger(client: ClickHouseClient, database: string): Promise<void> {
  const ledger = readFileSync(join(MIGRATIONS_DIR, '..', 'ledger.sql'), 'utf8');
  for (const statement of splitStatements(bindDatabase(ledger, database))) await client.command({ query: statement });
}

export async function appliedMigrations(client: ClickHouseClient, database: string): Promise<AppliedMigration[]> {
  const result = await client.query({
    query: `SELECT version, name, checksum FROM ${database}.schema_migrations FINAL ORDER BY version`,
    format: 'JSONEachRow',
  });
  return (await result.json<{ version: number | string; name: string; checksum: string }>()).map((r) => ({ ...r, version: Number(r.version) }));
}

export async function migrate(
  client: ClickHouseClient,
  database: string,
  migrations: readonly Migration[] = loadMigrations(),
  onApplied: (m: Migration, ms: number) => void = () => undefined,
): Promise<MigrationReport> {
  await ensureLedger(client, database);
  const applied = new Map((await appliedMigrations(client, database)).map((a) => [a.version, a]));
  for (const m of migrations) {
    const done = applied.get(m.version);
    if (done && done.checksum !== m.checksum) {
      throw new ShelfStreamError(
        'MIGRATION_CHANGED',
        `${m.file} was changed after it was applied (checksum ${done.checksum.slice(0, 12)} applied, ${m.checksum.slice(0, 12)} now); ` +
          'applied migrations are immutable: revert the edit and add a new migration',
        { context: { version: m.version } },
      );
    }
  }
  const pending = migrations.filter((m) => !applied.has(m.version));
  for (const m of pending) {
    const started = performance.now();
    const statements = splitStatements(bindDatabase(m.sql, database));
    for (const [index, statement] of statements.entries()) {
      try {
        await client.command({ query: statement });
      } catch (error) {
        throw new ShelfStreamError('MIGRATION_FAILED', `${m.file}, statement ${index + 1} of ${statements.length}: ${describeError(error)}`, {
          cause: error,
          context: { version: m.version, statement: statement.slice(0, 200) },
        });
      }
    }
    const ms = Math.round(performance.now() - started);
    await client.insert({
      table: `${database}.schema_migrations`,
      values: [{ version: m.version, name: m.name, checksum: m.checksum, duration_ms: ms }],
      format: 'JSONEachRow',
    });
    onApplied(m, ms);
  }
  return { applied: pending, alreadyApplied: migrations.length - pending.length };
}
