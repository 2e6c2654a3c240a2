/**
 * A BI user's scope as the engine enforces it: `additional_table_filters`, one filter per
 * table, set on the user's connection before it is locked read-only (./bi-connection.ts).
 *
 * Measured on chDB 3.4.0 (ClickHouse 26.7): a filter keyed `db.table` applies whenever the
 * storage is read, also through a view, a join, a subquery, a CTE, `view(...)` and an IN
 * subquery, and `count()` honours it; it does not reach a table read through `merge()`
 * (refused by ./statement-guard.ts). So every table with a `store_id` column, found in
 * `system.columns` at each query (a table a later migration adds is covered at once), gets
 * `store_id IN (the user's stores)`; every `system` table that could show data gets `0`
 * (nothing): `system.processes` holds the processors' INSERT text, `system.parts` partition
 * values, `system.query_log` other users' queries... Only the catalogue tables drivers read
 * at start-up (databases, tables, columns, functions, settings...) stay readable.
 */
import { sqlString } from '../../clickhouse/bind';

export interface TableName {
  readonly database: string;
  readonly table: string;
}

/** System tables a BI user may read: the catalogue drivers ask for, nothing with data or other queries. */
export const READABLE_SYSTEM_TABLES: ReadonlySet<string> = new Set([
  'one', 'numbers', 'numbers_mt', 'zeros', 'zeros_mt', 'databases', 'tables', 'columns', 'functions', 'settings',
  'data_type_families', 'formats', 'table_engines', 'table_functions', 'time_zones', 'build_options', 'collations',
  'contributors', 'licenses', 'keywords', 'aggregate_function_combinators', 'database_engines', 'settings_changes',
  'documentation', 'codecs', 'merge_tree_settings', 'primes',
]);

/** `store_id IN (...)`, or `0` when the user's regions hold no store yet (it then sees nothing). */
export function storeFilter(stores: readonly string[]): string {
  return stores.length === 0 ? '0' : `store_id IN (${stores.map(sqlString).join(', ')})`;
}

/**
 * The `additional_table_filters` map of a principal.
 * @param visibleStores the stores the user may see, or `'all'` for an unscoped user
 */
export function scopeFilters(storeTables: readonly TableName[], systemTables: readonly string[], visibleStores: readonly string[] | 'all'): Map<string, string> {
  const filters = new Map<string, string>();
  for (const name of systemTables) if (!READABLE_SYSTEM_TABLES.has(name)) filters.set(`system.${name}`, '0');
  if (visibleStores !== 'all') {
    const filter = storeFilter(visibleStores);
    for (const t of storeTables) filters.set(`${t.database}.${t.table}`, filter);
  }
  return filters;
}

/** The map as the value of `SET additional_table_filters = ...`: a ClickHouse Map literal of string literals. */
export function filtersLiteral(filters: ReadonlyMap<string, string>): string {
  return `{${[...filters].map(([table, filter]) => `${sqlString(table)}: ${sqlString(filter)}`).join(', ')}}`;
}
