/**
 * The settings a BI user may not change, and the limits the executor sets on every BI query.
 *
 * A BI query runs on a chDB connection of its own whose scope and limits are SET, then locked
 * with `readonly = 1` (./bi-connection.ts); after the lock the engine refuses any change to
 * any setting, by SET, by a SETTINGS clause, or in a session. Settings a client asks for (URL
 * parameters, a session's SET) are applied before the lock, so they have to be judged here
 * first: a client may change how results look and how a query is planned, never the scope,
 * the read-only state, the limits, the engine's share of the machine, or the query cache
 * (whose entries a scoped and an unscoped user would otherwise share: chDB has one engine user).
 */
import { sqlError } from './clickhouse-errors';
import type { SqlEndpointError } from './contract';

/** Per-query limits of a principal; 0 means "no limit" as in ClickHouse. */
export interface QueryLimits {
  /** max_execution_time, seconds. */
  readonly maxExecutionTimeS: number;
  /** max_memory_usage, bytes. */
  readonly maxMemoryBytes: number;
  /** max_result_rows. */
  readonly maxResultRows: number;
  /** max_result_bytes, bytes (uncompressed, as the engine counts them). */
  readonly maxResultBytes: number;
  /** max_threads: the engine threads one BI query may use, so BI queries leave cores to the processors. */
  readonly maxThreads: number;
  /** os_thread_priority: the nice value of the query's engine threads (0: unchanged), so they yield the cores to the event loop. */
  readonly threadNice?: number;
}

const LOCKED_NAMES = new Set([
  'readonly',
  'allow_ddl',
  'additional_table_filters',
  'additional_result_filter',
  'max_execution_time',
  'max_execution_time_leaf',
  'timeout_overflow_mode',
  'timeout_overflow_mode_leaf',
  'max_memory_usage',
  'max_memory_usage_for_user',
  'max_untracked_memory',
  'memory_overcommit_ratio_denominator',
  'memory_usage_overcommit_max_wait_microseconds',
  'max_result_rows',
  'max_result_bytes',
  'result_overflow_mode',
  'max_threads',
  'max_final_threads',
  'max_concurrent_queries_for_user',
  'max_concurrent_queries_for_all_users',
  'priority',
  'os_thread_priority',
  'allow_introspection_functions',
  'enable_analyzer',
  'allow_experimental_analyzer',
]);
/** Families locked by prefix: the query cache, parallel replicas, experimental switches. */
const LOCKED_PREFIXES = ['query_cache', 'use_query_cache', 'enable_reads_from_query_cache', 'enable_writes_to_query_cache', 'parallel_replica', 'allow_experimental_parallel', 'cluster_for_parallel_replicas'];

export function isLockedSetting(name: string): boolean {
  const n = name.toLowerCase();
  return LOCKED_NAMES.has(n) || LOCKED_PREFIXES.some((p) => n.startsWith(p));
}

const SETTING_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The refusal a server gives a readonly user that tries to change a setting. */
export function lockedSettingError(name: string): SqlEndpointError {
  return sqlError('READONLY', `Cannot modify '${name}' setting in readonly mode: a BI user may not change it. (READONLY)`);
}

/**
 * Checks the settings a client sent and returns them unchanged, or the refusal for the first
 * one it may not change. Sending a locked setting with the value it already has is accepted,
 * as a server accepts it (drivers echo some limits back).
 */
export function checkClientSettings(settings: Readonly<Record<string, string>>, locked: Readonly<Record<string, string>>): SqlEndpointError | undefined {
  for (const [name, value] of Object.entries(settings)) {
    if (!SETTING_NAME.test(name)) return sqlError('UNKNOWN_SETTING', `Setting ${JSON.stringify(name)} is not a setting name. (UNKNOWN_SETTING)`);
    if (isLockedSetting(name) && locked[name.toLowerCase()] !== value) return lockedSettingError(name);
  }
  return undefined;
}

/** The limit settings of a principal, as `SET` values (result_overflow_mode=throw: a capped result is an error, never a truncated 200). */
export function limitSettings(limits: QueryLimits): Record<string, string> {
  return {
    max_execution_time: String(limits.maxExecutionTimeS),
    timeout_overflow_mode: 'throw',
    max_memory_usage: String(limits.maxMemoryBytes),
    max_result_rows: String(limits.maxResultRows),
    max_result_bytes: String(limits.maxResultBytes),
    result_overflow_mode: 'throw',
    max_threads: String(limits.maxThreads),
    ...(limits.threadNice !== undefined && limits.threadNice !== 0 ? { os_thread_priority: String(limits.threadNice) } : {}),
    use_query_cache: '0',
    // chDB turns introspection functions on for its connections; a BI user has no use for them.
    allow_introspection_functions: '0',
  };
}

/**
 * The names a SET statement assigns, read from the engine's rendering of it (`formatQuery`:
 * `SET a = 1, b = 'x, y', c = {'k': 'v'}`), splitting at the commas outside literals and
 * brackets. Names are judged from the statement itself rather than from what changed on the
 * connection, because a SET to the value a setting already has changes nothing there, and
 * a server still refuses it to a read-only user.
 */
export function settingNamesOfSet(formatted: string): string[] {
  const body = formatted.replace(/^SET\s+/i, '');
  const parts: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (quote) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = undefined;
      continue;
    }
    if (ch === "'" || ch === '"' || ch === '`') quote = ch;
    else if (ch === '(' || ch === '[' || ch === '{') depth++;
    else if (ch === ')' || ch === ']' || ch === '}') depth--;
    else if (ch === ',' && depth === 0) {
      parts.push(body.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(body.slice(start));
  return parts.map((p) => /^\s*`?([A-Za-z_][A-Za-z0-9_]*)`?\s*=/.exec(p)?.[1]).filter((n): n is string => n !== undefined);
}
