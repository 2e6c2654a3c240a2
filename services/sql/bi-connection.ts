/**
 * The embedded engine's side of one SQL endpoint query: a chDB connection of its own, set up
 * for its principal, then used for one statement and closed.
 *
 * Why a connection per query. chDB 3.4.0 opens any number of connections to the process's one
 * engine (same data folder), each with its own settings and current database, in well under a
 * millisecond. A BI query's connection gets the client's allowed settings, the user's limits
 * and scope (./locked-settings.ts, ./scope.ts), then `SET readonly = 1`: from then on the
 * engine itself refuses every write, every DDL, and every change to any setting, by SET or by
 * a SETTINGS clause, so the scope and the limits survive whatever the client sends. A locked
 * connection cannot be unlocked, so it cannot serve the next query with other settings: it is
 * closed. The processors never share it (their client's settings become SETs on their own
 * connection, and readonly there would fail their inserts).
 *
 * Rejected alternatives: `CREATE USER` / `CREATE ROW POLICY` are refused (measured: chDB runs
 * without access storage); under `readonly = 2` a query may change settings, `readonly` and
 * `additional_table_filters` included; a `--config-file` with settings constraints is read
 * once for the process's one engine and its one user, the processors included, and cannot
 * differ per BI user.
 */
import type { ChdbResult, Session } from 'chdb';
import { sqlString } from '../../clickhouse/bind';
import { fromEngineError } from './clickhouse-errors';

export interface EngineConnections {
  open(): Session;
}

/** Opens connections to the embedded engine at `dataDir` (loaded lazily: a server-mode process never loads chDB). */
export function engineConnections(dataDir: string): EngineConnections {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Session: ChdbSession } = require('chdb') as typeof import('chdb');
  return { open: () => new ChdbSession(dataDir) };
}

/** Runs one statement; an engine error becomes the SqlEndpointError a server would answer. */
export async function runOn(connection: Session, sql: string, format = 'TabSeparated'): Promise<ChdbResult> {
  try {
    return await connection.queryAsync(sql, { format });
  } catch (error) {
    throw fromEngineError(error);
  }
}

export async function rowsOn<T>(connection: Session, sql: string): Promise<T[]> {
  const text = (await runOn(connection, sql, 'JSONEachRow')).text();
  return text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as T);
}

/** A database name as an identifier: backquoted, so any name the engine accepts is safe. */
export function quoteIdentifier(name: string): string {
  return `\`${name.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `SET a = 'x', b = 'y'`: string literals, which the engine converts to each setting's type. */
export function setStatement(settings: Readonly<Record<string, string>>, prefix = ''): string | undefined {
  const entries = Object.entries(settings);
  if (entries.length === 0) return undefined;
  for (const [name] of entries) if (!NAME.test(name)) throw new Error(`invalid setting name ${JSON.stringify(name)}`);
  return `SET ${entries.map(([name, value]) => `${prefix}${name} = ${sqlString(value)}`).join(', ')}`;
}

export interface ConnectionSetup {
  readonly database: string;
  /** `param_*` values still to set on the connection (none when judging the statement set them already). */
  readonly queryParams: Readonly<Record<string, string>>;
  /** The client's settings (its session's, then the request's), already checked. */
  readonly clientSettings: Readonly<Record<string, string>>;
  /** The principal's limits, set after the client's settings so they win. */
  readonly limits: Readonly<Record<string, string>>;
  /** The `additional_table_filters` Map literal, when the principal has a scope or system tables to hide. */
  readonly filtersLiteral: string | undefined;
  /** Lock the connection with readonly = 1 (every BI query; the operator's GET requests). */
  readonly lockReadOnly: boolean;
}

/**
 * The statements that set a fresh connection up, in order: database, parameters, client
 * settings then limits and scope, then the lock. Every value is a string literal and every
 * name is checked (setStatement), so no value can end a statement.
 */
export function setUpStatements(setup: ConnectionSetup): string[] {
  const statements = [`USE ${quoteIdentifier(setup.database)}`];
  const params = setStatement(setup.queryParams, 'param_');
  if (params !== undefined) statements.push(params);
  // One SET: assignments apply left to right, so the limits after the client's settings win.
  const assignments = [setStatement(setup.clientSettings), setStatement(setup.limits)].filter((a): a is string => a !== undefined).map((a) => a.replace(/^SET /, ''));
  if (setup.filtersLiteral !== undefined) assignments.push(`additional_table_filters = ${setup.filtersLiteral}`);
  if (assignments.length > 0) statements.push(`SET ${assignments.join(', ')}`);
  // The lock comes last and alone: nothing after it can change a setting.
  if (setup.lockReadOnly) statements.push('SET readonly = 1');
  return statements;
}

/**
 * Applies a setup to a fresh connection in one engine call: chDB runs every statement of a
 * multi-statement text in order on the connection, and its state (database, settings, the
 * lock) stays for the next call. Three round trips were 1.2 ms of the executor's 5.8 ms per BI
 * query; a statement that fails stops the rest, and the executor then closes the connection.
 */
export async function setUp(connection: Session, setup: ConnectionSetup): Promise<void> {
  await runOn(connection, setUpStatements(setup).join(';\n'));
}

/**
 * Sets a fresh connection up and runs one statement on it, in the same engine call: the
 * statement comes after the lock, and the set-up's statements write no output, so the result
 * is the statement's alone. One engine call fewer per BI query: each call is a hop to a libuv
 * thread and back, 1.3-2 ms of the endpoint's time outside the engine (p50, bi-query bench's
 * year). `statement` must be exactly one statement (the engine's rendering, ./executor.ts):
 * text after it would run on the locked connection too, but its output would be mixed in.
 */
export async function setUpThenRun(connection: Session, setup: ConnectionSetup, statement: string, format: string): Promise<ChdbResult> {
  return runOn(connection, [...setUpStatements(setup), statement].join(';\n'), format);
}

export type { ChdbResult, Session };
