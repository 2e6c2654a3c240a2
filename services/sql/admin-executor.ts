/**
 * A plain executor over embedded ClickHouse with the rights of the engine's own `default` user:
 * what `shelfstream sql` uses straight on the data folder when no endpoint runs, and what the
 * endpoint serves until the BI executor (scoped read-only users, limits, queue) takes its place.
 * It runs every statement on chDB sessions of its own, never on the processors' client, so a
 * request's settings, USE or readonly never reach the processors' inserts:
 * - a request without settings, database or parameters runs on one clean, idle session that is
 *   kept for reuse (a statement that changes session state, SET or USE, is not run there);
 * - any other request, or one arriving while that session is busy, gets a fresh session that is
 *   closed after it (about 1 ms more);
 * - `session_id` gets a session of its own that keeps USE/SET between requests, runs one query at
 *   a time and is closed after its idle timeout.
 * Only the `default` user with an empty password is accepted, as on a fresh ClickHouse server.
 */
import { mkdirSync } from 'node:fs';
import { Session } from 'chdb';
import type { SqlEndpointError, SqlExecutor, SqlRequest, SqlResult } from './contract';
import { CLICKHOUSE_ERROR_CODES, fromEngineError, sqlError } from './clickhouse-errors';
import { outputFormatOf } from './output-formats';

export interface AdminExecutorOptions {
  /** The chDB folder (the embedded engine's data directory). */
  readonly dataDir: string;
  /** The database a request without `database` runs in (ShelfStream's, so `bi_*` views need no prefix). */
  readonly defaultDatabase: string;
  /** Idle seconds before a `session_id` session is dropped when the client sent no session_timeout. */
  readonly sessionTimeoutS: number;
}

interface NamedSession {
  readonly session: Session;
  busy: boolean;
  timeoutS: number;
  timer: NodeJS.Timeout | undefined;
}

/** Single-quoted SQL string literal. */
function quote(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function identifier(name: string): string {
  return `\`${name.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``;
}

// Statements that leave session state as it was: safe to run on the reused clean session.
const STATELESS_STATEMENT = /^\s*(?:(?:--[^\n]*\n|\/\*[\s\S]*?\*\/)\s*)*\(?\s*(?:SELECT|WITH|SHOW|DESCRIBE|DESC|EXISTS|EXPLAIN)\b/i;

export class AdminExecutor implements SqlExecutor {
  private readonly sessions = new Map<string, NamedSession>();
  private clean: Session | undefined;
  private cleanBusy = false;
  private running = 0;
  private closed = false;
  private timezone: string | undefined;

  constructor(private readonly options: AdminExecutorOptions) {
    mkdirSync(options.dataDir, { recursive: true });
  }

  async execute(request: SqlRequest): Promise<SqlResult> {
    if (this.closed) throw sqlError('CANNOT_SCHEDULE_TASK', 'The SQL endpoint is shutting down', { httpStatus: 503 });
    const { user, password } = request.credentials;
    if (user !== 'default' || password !== '') {
      throw sqlError('AUTHENTICATION_FAILED', `${user}: Authentication failed: password is incorrect, or there is no user with such name`);
    }
    this.running++;
    try {
      if (request.sessionId !== undefined) return await this.inNamedSession(request, request.sessionId);
      const plain =
        Object.keys(request.settings).length === 0 && Object.keys(request.queryParams).length === 0 && request.database === undefined && !request.readOnlyMethod;
      if (plain && !this.cleanBusy && STATELESS_STATEMENT.test(request.query)) {
        this.cleanBusy = true;
        try {
          this.clean ??= await this.openSession(undefined);
          return await this.run(this.clean, request);
        } finally {
          this.cleanBusy = false;
        }
      }
      const session = await this.openSession(request.database);
      try {
        await this.prepare(session, request);
        return await this.run(session, request);
      } finally {
        session.close();
      }
    } finally {
      this.running--;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const named of this.sessions.values()) clearTimeout(named.timer);
    // chDB queries cannot be interrupted: wait for the running ones (bounded by their own limits).
    while (this.running > 0) await new Promise((resolve) => setTimeout(resolve, 20));
    for (const named of this.sessions.values()) named.session.close();
    this.sessions.clear();
    this.clean?.close();
    this.clean = undefined;
  }

  private async inNamedSession(request: SqlRequest, id: string): Promise<SqlResult> {
    let named = this.sessions.get(id);
    if (named === undefined) {
      if (request.sessionCheck) throw sqlError('SESSION_NOT_FOUND', `Session ${id} not found`);
      named = { session: await this.openSession(undefined), busy: false, timeoutS: this.options.sessionTimeoutS, timer: undefined };
      this.sessions.set(id, named);
    }
    if (named.busy) throw sqlError('SESSION_IS_LOCKED', `Session ${id} is locked by a concurrent client`);
    named.busy = true;
    clearTimeout(named.timer);
    if (request.sessionTimeoutS !== undefined) named.timeoutS = request.sessionTimeoutS;
    try {
      if (request.database !== undefined) await this.engine(() => named.session.queryAsync(`USE ${identifier(request.database!)}`));
      await this.prepare(named.session, request);
      return await this.run(named.session, request);
    } finally {
      named.busy = false;
      const idle = named;
      idle.timer = setTimeout(() => {
        if (this.sessions.get(id) === idle && !idle.busy) {
          this.sessions.delete(id);
          idle.session.close();
        }
      }, idle.timeoutS * 1000);
      idle.timer.unref();
    }
  }

  private async openSession(database: string | undefined): Promise<Session> {
    const session = new Session(this.options.dataDir);
    try {
      try {
        await this.engine(() => session.queryAsync(`USE ${identifier(database ?? this.options.defaultDatabase)}`));
      } catch (error) {
        // Before `shelfstream init` the ShelfStream database does not exist: start in `default`,
        // as a server does, rather than refuse every statement (CREATE DATABASE included).
        if (database !== undefined || (error as SqlEndpointError).code !== CLICKHOUSE_ERROR_CODES.UNKNOWN_DATABASE) throw error;
      }
      this.timezone ??= (await session.queryAsync('SELECT timezone()', { format: 'TSVRaw' })).text().trim();
      return session;
    } catch (error) {
      session.close();
      throw error;
    }
  }

  /** Settings and `{name:Type}` values as SETs: the engine parses each value as a server does a URL setting. */
  private async prepare(session: Session, request: SqlRequest): Promise<void> {
    const sets = [
      ...(request.readOnlyMethod ? [['readonly', request.settings.readonly ?? '1'] as const] : []),
      ...Object.entries(request.settings).filter(([name]) => !(request.readOnlyMethod && name === 'readonly')),
      ...Object.entries(request.queryParams).map(([name, value]) => [`param_${name}`, value] as const),
    ];
    if (sets.length === 0) return;
    await this.engine(() => session.queryAsync(`SET ${sets.map(([name, value]) => `${identifier(name)} = ${quote(value)}`).join(', ')}`));
  }

  private async run(session: Session, request: SqlRequest): Promise<SqlResult> {
    const format = outputFormatOf(request.query, request.defaultFormat);
    const started = process.hrtime.bigint();
    const result = await this.engine(() => session.queryAsync(request.query, { format }));
    const body = result.bytes();
    return {
      body,
      format,
      timezone: this.timezone ?? 'UTC',
      user: request.credentials.user,
      summary: {
        read_rows: String(result.rowsRead),
        read_bytes: String(result.bytesRead),
        written_rows: '0',
        written_bytes: '0',
        total_rows_to_read: String(result.rowsRead),
        result_rows: '0',
        result_bytes: String(body.byteLength),
        elapsed_ns: String(process.hrtime.bigint() - started),
      },
    };
  }

  private async engine<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw fromEngineError(error);
    }
  }
}
