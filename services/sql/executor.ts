/**
 * The SQL endpoint's executor over embedded ClickHouse (the `SqlExecutor` of ./contract.ts):
 * who is asking (./authenticator.ts), the bound on concurrent queries (./query-slots.ts), the
 * session state (./sessions.ts), what a BI statement may be (./statement-guard.ts), its scope
 * and limits (./scope.ts, ./locked-settings.ts), and the connection that runs it, locked
 * read-only by the engine (./bi-connection.ts).
 *
 * One statement per request: the engine renders the client's text as exactly one statement
 * (`formatQuery` refuses two; chDB would otherwise run every statement of `SELECT 1; DROP ...`),
 * and that rendering is what is judged and run.
 */
import type { Logger } from '../../lib/logger';
import { hasSysNiceCapability } from '../../lib/thread-priority';
import type { SqlExecutorConfig } from '../../lib/config';
import type { SqlExecutor, SqlRequest, SqlResult } from './contract';
import { createAuthenticator, type Authenticator, type Principal } from './authenticator';
import { engineConnections, quoteIdentifier, rowsOn, runOn, setStatement, setUp, setUpThenRun, type EngineConnections, type Session } from './bi-connection';
import { sqlError } from './clickhouse-errors';
import { checkClientSettings, isLockedSetting, limitSettings, lockedSettingError, settingNamesOfSet, type QueryLimits } from './locked-settings';
import { createPriorityBudget, type PriorityTicket } from './priority-budget';
import { createQuerySlots } from './query-slots';
import { filtersLiteral, scopeFilters, type TableName } from './scope';
import { createSqlSessions, type SessionLease, type SessionState } from './sessions';
import { createStatementCache } from './statement-cache';
import { formatClause, judgeStatement, judgeText, parseExplainAst, type StatementKind } from './statement-guard';
import { sqlString } from '../../clickhouse/bind';

export interface SqlExecutorDeps {
  readonly config: SqlExecutorConfig;
  /** The embedded engine's data folder (the processors' own, shared in-process). */
  readonly dataDir: string;
  /** ShelfStream's database: the default database of every query, and where dim_store is. */
  readonly database: string;
  readonly logger: Logger;
  /** For tests and benchmarks that open connections their own way; default: chDB at dataDir. */
  readonly connections?: EngineConnections;
  readonly authenticator?: Authenticator;
}

const DEFAULT_FORMAT = 'TabSeparated';
/** Statement texts whose verdict is kept (./statement-cache.ts): a few dashboards' worth, small keys. */
const STATEMENT_CACHE_SIZE = 1_000;

/**
 * Settings every endpoint query starts from (a client's own values win).
 *
 * query_plan_optimize_join_order_limit = 0: chDB 26.x reorders the joins of a query over several
 * views into plans whose blocks disagree on a column's type ("Block structure mismatch":
 * LowCardinality(String) against String), seen with the web app's revenue by region
 * (bi_sales_daily x bi_dim_store x exchange_rate_daily) and the inventory views; a BI tool's
 * joins meet it the same way. Not reordering avoids it; a SETTINGS clause inside a view does not.
 *
 * join_algorithm = hash: the engine's default ('direct,parallel_hash,hash') takes parallel_hash
 * for the views' joins, whose right sides are small (a store's currency, a day's rate, a VAT
 * period: 10^1-10^4 rows) and whose queries run on SQL_MAX_THREADS (2) threads: building its
 * per-thread tables cost more than it saved. Measured on the bi-query bench's year, the process's
 * CPU per query, the two alternately on one connection (20 runs each, max_threads 2, load 20-30):
 * revenue by region and day 111.6 against 87.4 ms, top SKUs of a store 81.7 against 67.6, forecast
 * vs actual 51.9 against 41.2, the stock-out list (no join) 7.3 against 7.3. Same rows (sums of
 * Float64 differ in the last digits from run to run with either, as the order of addition does).
 */
const ENGINE_DEFAULTS: Readonly<Record<string, string>> = { query_plan_optimize_join_order_limit: '0', join_algorithm: 'hash' };

/** Window of the endpoint queries' priority budget (./priority-budget.ts). */
const PRIORITY_WINDOW_MS = 10_000;

function limitsOf(principal: Principal, config: SqlExecutorConfig, threadNice: number): QueryLimits {
  const own = principal.kind === 'bi' ? principal.user.limits : {};
  return {
    maxExecutionTimeS: own.maxExecutionTimeS ?? config.maxExecutionTimeS,
    maxMemoryBytes: own.maxMemoryBytes ?? config.maxMemoryBytes,
    maxResultRows: own.maxResultRows ?? config.maxResultRows,
    maxResultBytes: own.maxResultBytes ?? config.maxResultBytes,
    maxThreads: config.maxThreads,
    threadNice,
  };
}

/**
 * The engine threads' nice values as they will apply: ClickHouse sets `os_thread_priority` only
 * with CAP_SYS_NICE and ignores it otherwise, so without it none is set (and the log says so once).
 */
function appliedNices(config: SqlExecutorConfig, logger: Logger): { web: number; endpoint: number } {
  if (config.threadNice === 0 && config.endpointThreadNice === 0) return { web: 0, endpoint: 0 };
  if (hasSysNiceCapability()) return { web: config.threadNice, endpoint: config.endpointThreadNice };
  logger.info(
    { component: 'sql', sql_thread_nice: config.threadNice, sql_endpoint_thread_nice: config.endpointThreadNice },
    'BI queries run at the engine\'s default priority: SQL_THREAD_NICE and SQL_ENDPOINT_THREAD_NICE need CAP_SYS_NICE (root, or the capability granted to the service)',
  );
  return { web: 0, endpoint: 0 };
}

export function createSqlExecutor(deps: SqlExecutorDeps): SqlExecutor {
  const { config, logger } = deps;
  const connections = deps.connections ?? engineConnections(deps.dataDir);
  const authenticator = deps.authenticator ?? createAuthenticator({ usersFile: config.usersFile, adminTokenFile: config.adminTokenFile });
  const slots = createQuerySlots(config.poolSize, config.queueLength);
  const sessions = createSqlSessions();
  let systemTables: Promise<string[]> | undefined;
  let engineTimezone: Promise<string> | undefined;
  let closed = false;

  const judgedStatements = createStatementCache(STATEMENT_CACHE_SIZE);
  const nices = appliedNices(config, logger);
  const endpointPriority = createPriorityBudget({ nice: nices.endpoint, share: config.endpointPriorityShare, windowMs: PRIORITY_WINDOW_MS });

  /**
   * The engine's rendering of the client's text as one statement, and that statement's kind,
   * or a refusal. `paramsSet`: the `param_*` values are already on the connection.
   */
  async function parse(connection: Session, query: string, queryParams: Readonly<Record<string, string>>, principal: Principal): Promise<{ formatted: string; kind: StatementKind | 'other'; paramsSet: boolean }> {
    if (query.trim() === '') throw sqlError('SYNTAX_ERROR', 'Empty query. (SYNTAX_ERROR)');
    const known = judgedStatements.get(query, queryParams);
    if (known) return { formatted: known.kind === 'read' && principal.kind === 'admin' ? query : known.formatted, kind: known.kind, paramsSet: false };
    // EXPLAIN AST substitutes {name:Type} parameters, so they are set first: what is judged
    // is then exactly what runs, a parameter used as an identifier included.
    const params = setStatement(queryParams, 'param_');
    try {
      // The parameters, the rendering and its shape in one engine call (chDB runs a
      // multi-statement text in order; the shape costs nothing measurable beside the rendering).
      const render = `SELECT formatQuery(${sqlString(query)}) AS q, normalizeQueryKeepNames(q) AS shape`;
      const [row] = await rowsOn<{ q: string; shape: string }>(connection, params === undefined ? render : `${params};\n${render}`);
      const formatted = row!.q;
      // The same statement with other literals was judged a read: only the text's own check is
      // left (./statement-cache.ts says why the AST's verdict holds for every such rendering).
      if (judgedStatements.hasReadShape(row!.shape, queryParams)) {
        const refusal = judgeText(formatted);
        if (refusal === undefined) {
          judgedStatements.set(query, queryParams, { formatted, kind: 'read' });
          return { formatted: principal.kind === 'admin' ? query : formatted, kind: 'read', paramsSet: true };
        }
        if (principal.kind === 'bi') throw refusal;
      }
      const ast = parseExplainAst((await runOn(connection, `EXPLAIN AST ${formatted}`)).text());
      const verdict = judgeStatement(formatted, ast);
      if ('kind' in verdict) {
        // Reads only: a SET or USE changes the session and runs its own way below.
        if (verdict.kind === 'read') {
          judgedStatements.set(query, queryParams, { formatted, kind: verdict.kind });
          judgedStatements.addReadShape(row!.shape, queryParams);
        }
        return { formatted: verdict.kind === 'read' && principal.kind === 'admin' ? query : formatted, kind: verdict.kind, paramsSet: true };
      }
      if (principal.kind === 'bi') throw verdict.refusal;
    } catch (error) {
      if (principal.kind === 'bi') throw error;
    }
    // The operator runs their text as sent (DDL, an INSERT with its data, KILL): only a BI
    // user's statement is reduced to what the engine parsed. The parameters are set again with
    // the rest (the render may have failed before them; setting them twice is harmless).
    return { formatted: query, kind: 'other', paramsSet: false };
  }

  /**
   * Tables with a store_id column, never older than STORE_TABLES_TTL_MS and read again after
   * any statement of the operator that may change the catalogue: the read of system.columns was
   * 2.7 ms of the executor's 5.8 ms per query (median on the bi-query bench's year), and tables
   * appear when migrations run, at start-up, before the endpoint serves. Once the list is half
   * that age a query starts the next read on a connection of its own and goes on with the list
   * it has (still within the bound), so under steady traffic no query waits for the read; a
   * query finding the list past the bound waits, as before.
   */
  const STORE_TABLES_TTL_MS = 1_000; // one second
  let storeTablesCache: { tables: Promise<TableName[]>; readAt: number } | undefined;
  let storeTablesGeneration = 0; // a background read started before an invalidation is not kept
  let storeTablesRefreshing = false;
  const STORE_TABLES_QUERY = `SELECT DISTINCT database, table FROM system.columns WHERE name = 'store_id' AND database NOT IN ('system', 'INFORMATION_SCHEMA', 'information_schema')`;
  function forgetStoreTables(): void {
    storeTablesCache = undefined;
    storeTablesGeneration++;
  }
  function refreshStoreTables(): void {
    storeTablesRefreshing = true;
    const generation = storeTablesGeneration;
    const readAt = Date.now(); // the read's start: what it lists is at least this fresh
    const own = connections.open();
    rowsOn<TableName>(own, STORE_TABLES_QUERY)
      .then((tables) => {
        if (generation === storeTablesGeneration) storeTablesCache = { tables: Promise.resolve(tables), readAt };
      })
      // A failed read keeps the list until the bound, when a query reads it on its own path.
      .catch((error: unknown) => logger.debug({ err: error }, 'reading the tables with a store_id failed; the next query reads again'))
      .finally(() => {
        own.close();
        storeTablesRefreshing = false;
      });
  }
  async function storeTables(connection: Session): Promise<TableName[]> {
    const now = Date.now();
    if (!storeTablesCache || storeTablesCache.readAt + STORE_TABLES_TTL_MS <= now) {
      const tables = rowsOn<TableName>(connection, STORE_TABLES_QUERY);
      storeTablesCache = { tables, readAt: now };
      // A failed read is not kept: the next query reads again.
      tables.catch(() => {
        if (storeTablesCache?.tables === tables) storeTablesCache = undefined;
      });
    } else if (storeTablesCache.readAt + STORE_TABLES_TTL_MS / 2 <= now && !storeTablesRefreshing) {
      refreshStoreTables();
    }
    return storeTablesCache.tables;
  }

  /**
   * The stores a region-scoped user sees, from dim_store's current rows. Kept for a few
   * seconds per set of regions: reading dim_store FINAL costs more than the rest of the setup,
   * and a store moving to another region is rare; the list is never older than this.
   */
  const REGION_STORES_TTL_MS = 5_000; // five seconds
  const regionStores = new Map<string, { stores: string[]; until: number }>();
  async function visibleStores(connection: Session, principal: Principal & { kind: 'bi' }, tables: readonly TableName[]): Promise<string[] | 'all'> {
    const { regions, stores } = principal.user;
    if (regions.length === 0 && stores.length === 0) return 'all';
    if (regions.length === 0) return [...stores];
    // Before the first migration there is no dim_store: the regions hold no store yet.
    if (!tables.some((t) => t.database === deps.database && t.table === 'dim_store')) return [...stores];
    const key = [...regions].sort().join('\0');
    let cached = regionStores.get(key);
    if (!cached || cached.until <= Date.now()) {
      const rows = await rowsOn<{ store_id: string }>(
        connection,
        `SELECT DISTINCT store_id FROM ${quoteIdentifier(deps.database)}.dim_store FINAL WHERE region IN (${regions.map(sqlString).join(', ')})`,
      );
      cached = { stores: rows.map((r) => r.store_id), until: Date.now() + REGION_STORES_TTL_MS };
      regionStores.set(key, cached);
    }
    return [...new Set([...stores, ...cached.stores])];
  }

  /** The settings a SET statement changes, read back from the engine on a connection nothing else touches. */
  async function settingsChangedBy(connection: Session, formattedSet: string): Promise<Record<string, string>> {
    // A BI user's SET names no locked setting (checked before): none that could stop this read.
    const changed = `SELECT name, value FROM system.settings WHERE changed`;
    const before = new Map((await rowsOn<{ name: string; value: string }>(connection, changed)).map((r) => [r.name, r.value]));
    await runOn(connection, formattedSet);
    const after = await rowsOn<{ name: string; value: string }>(connection, changed);
    return Object.fromEntries(after.filter((r) => before.get(r.name) !== r.value).map((r) => [r.name, r.value]));
  }

  function emptyResult(format: string, user: string, timezone: string): SqlResult {
    return {
      body: new Uint8Array(0),
      format,
      user,
      timezone,
      summary: { read_rows: '0', read_bytes: '0', written_rows: '0', written_bytes: '0', total_rows_to_read: '0', result_rows: '0', result_bytes: '0', elapsed_ns: '0' },
    };
  }

  async function runStatement(principal: Principal, request: SqlRequest, lease: SessionLease | undefined): Promise<SqlResult> {
    const state: SessionState = lease?.state ?? { database: undefined, settings: {} };
    const connection = connections.open();
    let priority: PriorityTicket | undefined;
    try {
      const { formatted, kind, paramsSet } = await parse(connection, request.query, request.queryParams, principal);
      const format = formatClause(formatted) ?? request.defaultFormat ?? DEFAULT_FORMAT;
      const clientSettings = { ...state.settings, ...request.settings };
      const timezone = clientSettings['session_timezone'] || (await (engineTimezone ??= rowsOn<{ tz: string }>(connection, 'SELECT timezone() AS tz').then((r) => r[0]!.tz)));

      if (kind === 'set') {
        if (principal.kind === 'bi') {
          const locked = settingNamesOfSet(formatted).find(isLockedSetting);
          if (locked) throw lockedSettingError(locked);
        }
        const changed = await settingsChangedBy(connection, formatted);
        lease?.update({ ...state, settings: { ...state.settings, ...changed } });
        return emptyResult(format, principal.name, timezone);
      }
      if (kind === 'use') {
        const database = /^USE\s+([\s\S]+)$/i.exec(formatted)![1]!.replace(/^`([\s\S]*)`$/, '$1');
        const found = await rowsOn<{ n: number }>(connection, `SELECT count() AS n FROM system.databases WHERE name = ${sqlString(database)}`);
        if (found[0]?.n === 0) throw sqlError('UNKNOWN_DATABASE', `Database ${database} does not exist. (UNKNOWN_DATABASE)`);
        lease?.update({ ...state, database });
        return emptyResult(format, principal.name, timezone);
      }

      // The operator's DDL (or anything not judged a read) may add a table with a store_id.
      if (principal.kind === 'admin' && kind !== 'read') forgetStoreTables();
      // Taken once the statement is judged: the budget counts the run and its scope's look-ups.
      priority = principal.kind === 'bi' && request.origin !== 'web' ? endpointPriority.begin(Date.now()) : undefined;
      const limits = limitSettings(limitsOf(principal, config, request.origin === 'web' ? nices.web : (priority?.nice ?? 0)));
      let filters: string | undefined;
      if (principal.kind === 'bi') {
        const refusal = checkClientSettings(clientSettings, limits);
        if (refusal) throw refusal;
        systemTables ??= rowsOn<{ name: string }>(connection, `SELECT name FROM system.tables WHERE database = 'system'`).then((rows) => rows.map((r) => r.name));
        // A user scoped to no region and no store sees every store: no table needs a store filter,
        // so the list of tables with a store_id (a read of system.columns, 6-20 ms of engine CPU
        // on the bi-query bench's year, repeated every half second under traffic) is not needed.
        const { regions, stores } = principal.user;
        const scoped = regions.length > 0 || stores.length > 0;
        const tables = scoped ? await storeTables(connection) : [];
        filters = filtersLiteral(scopeFilters(tables, await systemTables, scoped ? await visibleStores(connection, principal, tables) : 'all'));
      }
      const setup = {
        database: request.database ?? state.database ?? deps.database,
        queryParams: paramsSet ? {} : request.queryParams,
        clientSettings: { ...ENGINE_DEFAULTS, ...clientSettings },
        limits: principal.kind === 'bi' ? limits : {},
        filtersLiteral: filters,
        lockReadOnly: principal.kind === 'bi' || request.readOnlyMethod,
      };
      // A read is one statement (the engine's rendering, or the operator's text judged one): it
      // runs in the set-up's engine call, after the lock (./bi-connection.ts setUpThenRun). Other
      // statements of the operator (an INSERT with its data, several statements) run on their own.
      if (kind !== 'read') await setUp(connection, setup);
      const started = process.hrtime.bigint();
      let result;
      try {
        result = kind === 'read' ? await setUpThenRun(connection, setup, formatted, format) : await runOn(connection, formatted, format);
      } finally {
        // Again once it ran: a BI query may have read the catalogue meanwhile.
        if (principal.kind === 'admin' && kind !== 'read') forgetStoreTables();
      }
      const body = result.bytes();
      return {
        body,
        format,
        user: principal.name,
        timezone,
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
    } finally {
      priority?.end(Date.now());
      connection.close();
    }
  }

  return {
    async execute(request) {
      if (closed) throw sqlError('CANNOT_SCHEDULE_TASK', 'The SQL endpoint is shutting down. (CANNOT_SCHEDULE_TASK)');
      const principal = await authenticator.authenticate(request.credentials);
      const lease = request.sessionId ? sessions.acquire(principal.name, request.sessionId, request.sessionTimeoutS ?? config.sessionTimeoutS) : undefined;
      try {
        return await slots.run(() => runStatement(principal, request, lease));
      } catch (error) {
        logger.debug({ user: principal.name, query_id: request.queryId, err: error }, 'SQL query refused or failed');
        throw error;
      } finally {
        lease?.release();
      }
    },
    async close() {
      closed = true;
      await slots.close();
      sessions.close();
    },
  };
}
