/**
 * The SQL endpoint from the command line:
 * - `serveSqlEndpoint`: what `run all` and `demo` start beside the processors (embedded mode
 *   only: with CLICKHOUSE_URL the server is the endpoint);
 * - `shelfstream sql [query]`: one statement from the argument or stdin, or an interactive
 *   prompt, sent to the running endpoint when one answers /ping (to the ClickHouse server in
 *   server mode), else run straight on the embedded engine. Results are the engine's bytes in
 *   the format asked for, as `clickhouse client` prints them.
 */
import { createInterface } from 'node:readline';
import type { Config } from '../../lib/config';
import { ShelfStreamError } from '../../lib/errors';
import { AdminExecutor, startSqlEndpoint } from '../../services/sql';
import { ensureAdminToken } from '../../services/sql/authenticator';
import { ADMIN_USER } from '../../services/sql/bi-users';
import { createSqlExecutor } from '../../services/sql/executor';
import { SqlEndpointError, type SqlExecutor } from '../../services/sql/contract';
import { formatExceptionBody } from '../../services/sql/clickhouse-errors';
import type { CliContext } from '../context';

/**
 * Starts the SQL endpoint when this process owns embedded ClickHouse and SQL_ENDPOINT=on; its
 * executor is handed back for the web app, which reads through it as the signed-in BI user.
 */
export async function serveSqlEndpoint(ctx: CliContext): Promise<{ readonly executor: SqlExecutor; readonly url: string; stop(): Promise<void> } | undefined> {
  const { config, logger } = ctx;
  if (!config.sqlEndpoint.enabled || config.clickhouse.mode !== 'embedded') return undefined;
  // BI users of SQL_USERS_FILE, scoped and read-only, and the operator (user shelfstream, the
  // token in the data folder) unscoped: both bounded by the executor's queue and limits.
  const executor: SqlExecutor = createSqlExecutor({ config: config.sqlExecutor, dataDir: config.clickhouse.dataDir, database: config.clickhouse.database, logger });
  let endpoint;
  try {
    endpoint = await startSqlEndpoint({ config, logger, executor });
  } catch (error) {
    await executor.close();
    throw error;
  }
  ctx.print(`SQL endpoint (ClickHouse HTTP): ${endpoint.url}`);
  logger.info({ url: endpoint.url }, 'SQL endpoint listening');
  return {
    executor,
    url: endpoint.url,
    stop: async () => {
      await endpoint.close();
      await executor.close();
    },
  };
}

export interface SqlCommandOptions {
  readonly format?: string;
  readonly user?: string;
  readonly password?: string;
  readonly database?: string;
}

/** Runs one statement somewhere and answers the output bytes, or throws SqlEndpointError. */
type Runner = (query: string) => Promise<Uint8Array>;

interface SqlTarget {
  readonly describe: string;
  readonly run: Runner;
  close(): Promise<void>;
}

function endpointBase(config: Config): { url: string; user: string; password: string } | undefined {
  if (config.clickhouse.mode === 'server') return { url: config.clickhouse.url, user: config.clickhouse.user, password: config.clickhouse.password };
  if (!config.sqlEndpoint.enabled) return undefined;
  const host = config.sqlEndpoint.host === '0.0.0.0' ? '127.0.0.1' : config.sqlEndpoint.host === '::' ? '[::1]' : config.sqlEndpoint.host;
  // The operator's own principal: whoever can read the data folder holds the token.
  const token = ensureAdminToken(config.sqlExecutor.adminTokenFile);
  return { url: `${config.sqlEndpoint.tls ? 'https' : 'http'}://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${config.sqlEndpoint.port}`, user: ADMIN_USER, password: token };
}

async function answersPing(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1_000) });
    return response.ok && (await response.text()) === 'Ok.\n';
  } catch {
    return false;
  }
}

function httpTarget(base: string, credentials: { user: string; password: string }, options: SqlCommandOptions, format: string): SqlTarget {
  // One session for the whole command, so USE and SET typed at the prompt last, as in clickhouse client.
  const sessionId = `shelfstream-sql-${process.pid}-${Date.now().toString(36)}`;
  let first = true;
  return {
    describe: base,
    run: async (query) => {
      // --database on the first statement only: a USE typed at the prompt then lasts.
      const params = new URLSearchParams({ default_format: format, session_id: sessionId, ...(options.database && first ? { database: options.database } : {}) });
      first = false;
      const response = await fetch(`${base}/?${params}`, {
        method: 'POST',
        body: query,
        headers: { 'X-ClickHouse-User': credentials.user, 'X-ClickHouse-Key': credentials.password },
      });
      const body = new Uint8Array(await response.arrayBuffer());
      if (!response.ok) {
        const code = Number(response.headers.get('x-clickhouse-exception-code') ?? 0);
        const text = Buffer.from(body).toString('utf8').trim().replace(/^Code: \d+\. DB::Exception: /, '');
        throw new SqlEndpointError(code, response.status, text);
      }
      return body;
    },
    close: async () => undefined,
  };
}

function embeddedTarget(config: Config & { clickhouse: { mode: 'embedded' } }, options: SqlCommandOptions, format: string): SqlTarget {
  const executor = new AdminExecutor({ dataDir: config.clickhouse.dataDir, defaultDatabase: config.clickhouse.database, sessionTimeoutS: config.sqlEndpoint.maxSessionTimeoutS });
  let n = 0;
  return {
    describe: `embedded ClickHouse at ${config.clickhouse.dataDir}`,
    run: async (query) =>
      (
        await executor.execute({
          credentials: { user: options.user ?? 'default', password: options.password ?? '' },
          query,
          defaultFormat: format,
          database: n++ === 0 ? options.database : undefined,
          settings: {},
          queryParams: {},
          sessionId: 'cli',
          sessionTimeoutS: undefined,
          queryId: `shelfstream-sql-${process.pid}-${n}`,
          readOnlyMethod: false,
        })
      ).body,
    close: () => executor.close(),
  };
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/** `shelfstream sql`: exits 1 when a statement fails (the prompt goes on after a failure). */
export async function sqlCommand(ctx: CliContext, query: string | undefined, options: SqlCommandOptions): Promise<boolean> {
  const { config } = ctx;
  const format = options.format ?? (process.stdout.isTTY ? 'PrettyCompact' : 'TabSeparated');
  const base = endpointBase(config);
  let target: SqlTarget;
  if (base && (config.clickhouse.mode === 'server' || (await answersPing(base.url)))) {
    target = httpTarget(base.url, { user: options.user ?? base.user, password: options.password ?? base.password }, options, format);
  } else if (config.clickhouse.mode === 'embedded') {
    target = embeddedTarget(config as Config & { clickhouse: { mode: 'embedded' } }, options, format);
  } else {
    throw new ShelfStreamError('INVALID_ARGUMENT', 'no SQL endpoint to reach');
  }
  const runOne = async (statement: string): Promise<boolean> => {
    try {
      process.stdout.write(await target.run(statement));
      return true;
    } catch (error) {
      if (!(error instanceof SqlEndpointError)) throw error;
      process.stderr.write(formatExceptionBody(error));
      return false;
    }
  };
  try {
    if (query !== undefined) return await runOne(query);
    if (!process.stdin.isTTY) {
      const text = (await readStdin()).trim();
      if (text === '') throw new ShelfStreamError('INVALID_ARGUMENT', 'shelfstream sql: no query on the command line or stdin');
      return await runOne(text);
    }
    process.stderr.write(`Connected to ${target.describe}. End a statement with ; ("exit" to leave).\n`);
    const prompt = createInterface({ input: process.stdin, output: process.stderr });
    // Lines are queued as they arrive (pasted lines come together, and some while a statement runs).
    const lines: string[] = [];
    let closed = false;
    let wake: (() => void) | undefined;
    prompt.on('line', (line) => {
      lines.push(line);
      wake?.();
    });
    prompt.on('close', () => {
      closed = true;
      wake?.();
    });
    let ok = true;
    let pending = '';
    prompt.setPrompt('shelfstream :) ');
    prompt.prompt();
    try {
      for (;;) {
        if (lines.length === 0) {
          if (closed) break;
          await new Promise<void>((resolve) => (wake = resolve));
          continue;
        }
        const line = lines.shift()!;
        if (pending === '' && /^\s*(exit|quit|q)\s*;?\s*$/i.test(line)) break;
        pending = pending === '' ? line : `${pending}\n${line}`;
        if (/;\s*$/.test(pending)) {
          const statement = pending.replace(/;\s*$/, '').trim();
          pending = '';
          if (statement !== '') ok = (await runOne(statement)) && ok;
        }
        prompt.setPrompt(pending === '' ? 'shelfstream :) ' : '            :-] ');
        prompt.prompt();
      }
    } finally {
      prompt.close();
    }
    return ok;
  } finally {
    await target.close();
  }
}
