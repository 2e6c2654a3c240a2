/**
 * bi-settings: what the SQL endpoint's set-up of a BI connection costs the engine, factor by
 * factor, on the bi-query bench's year (issue 11: the engine took about twice the direct time for
 * some dashboard queries through the endpoint, far more than the endpoint's own 7 ms).
 *
 * Every variant runs the same dashboard query (bench/benchmarks/bi-query.ts QUERIES) on a fresh
 * chDB connection in one engine call, the variant's statements first, as the executor does
 * (services/sql/bi-connection.ts setUpThenRun); variants alternate in a rotating order, REPS
 * runs each, in one process, so the machine's load falls on all of them alike. Per variant and
 * query: p50 and p95 of the wall time and of the process's CPU time over the call (the engine
 * runs in-process and nothing else runs meanwhile), and the ratio of its p50 to the direct one's.
 *
 * Variants:
 *   direct        the query text as the bench's direct client sends it, nothing set (the baseline)
 *   direct_shared the same on one connection kept open for the run, as bi-query's direct client
 *   endpoint      exactly what the executor sends for the bench's analyst (every store): USE, the
 *                 engine defaults, the limits, the system-table filters, the lock, the engine's
 *                 rendering of the text (formatQuery)
 *   +<factor>     direct plus one factor of the endpoint's set-up alone
 */
import type { Session } from 'chdb';
import { loadavg } from 'node:os';
import { biYearFolder, BI_YEAR_DATABASE, QUERIES } from './bi-query';
import { percentile, type Benchmark } from '../harness';
import { limitSettings } from '../../services/sql/locked-settings';
import { filtersLiteral, scopeFilters } from '../../services/sql/scope';
import { setStatement } from '../../services/sql/bi-connection';
import { sqlString } from '../../clickhouse/bind';

const REPS = 6; // runs of each variant and query: 240 in all, about 2 minutes on 2 cores at load 2 (10 at load 25)

interface Variant {
  readonly name: string;
  /** Statements run before the query in the same engine call. */
  readonly prefix: readonly string[];
  /** The engine's rendering of the text instead of the text as written. */
  readonly formatted: boolean;
  /** On the one connection kept open for the run (as bi-query's direct client), not a fresh one. */
  readonly shared?: boolean;
}

export const biSettingsBench: Benchmark = {
  name: 'bi-settings',
  description: 'the cost of each part of the SQL endpoint\'s BI connection set-up, alternately on one engine (bi-query\'s year)',
  async run({ config, logger }) {
    if (config.clickhouse.mode !== 'embedded') throw new Error('bi-settings measures the embedded engine (unset CLICKHOUSE_URL)');
    const loadStart = loadavg()[0]!;
    const { Session: ChdbSession } = require('chdb') as typeof import('chdb');
    const folder = biYearFolder(config);
    const open = (): Session => new ChdbSession(folder);
    const probe = open();
    const rows = async <T>(sql: string): Promise<T[]> => (await probe.queryAsync(sql, { format: 'JSONEachRow' })).text().split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as T);
    const systemTables = (await rows<{ name: string }>(`SELECT name FROM system.tables WHERE database = 'system'`)).map((r) => r.name);
    const filters = `SET additional_table_filters = ${filtersLiteral(scopeFilters([], systemTables, 'all'))}`;
    const limits = setStatement(limitSettings({ maxExecutionTimeS: config.sqlExecutor.maxExecutionTimeS, maxMemoryBytes: config.sqlExecutor.maxMemoryBytes, maxResultRows: config.sqlExecutor.maxResultRows, maxResultBytes: config.sqlExecutor.maxResultBytes, maxThreads: config.sqlExecutor.maxThreads }))!;
    const use = `USE \`${BI_YEAR_DATABASE}\``;
    const joinOrder = 'SET query_plan_optimize_join_order_limit = 0';
    const joinHash = `SET join_algorithm = 'hash'`;
    const lock = 'SET readonly = 1';
    const factors: Record<string, string> = { use, join_order: joinOrder, join_hash: joinHash, limits, filters, readonly: lock };
    const endpointPrefix = [use, joinOrder, joinHash, limits, filters, lock];
    const variants: Variant[] = [
      { name: 'direct', prefix: [], formatted: false },
      { name: 'direct_shared', prefix: [], formatted: false, shared: true },
      { name: 'endpoint', prefix: endpointPrefix, formatted: true },
      ...Object.entries(factors).map(([name, statement]) => ({ name: `+${name}`, prefix: [statement], formatted: false })),
      { name: '+formatted', prefix: [], formatted: true },
    ];
    const stores = ['S001', 'S017', 'S033', 'S049'];
    const texts = new Map<string, { raw: string; formatted: string }>();
    for (const q of QUERIES) {
      for (const store of stores) {
        const raw = q.sql(store);
        const [row] = await rows<{ q: string }>(`SELECT formatQuery(${sqlString(raw)}) AS q`);
        texts.set(`${q.name}/${store}`, { raw, formatted: row!.q });
      }
    }
    // `probe` stays open: the shared connection of the direct_shared variant.

    const wall = new Map<string, number[]>();
    const cpu = new Map<string, number[]>();
    const runOnce = async (v: Variant, q: (typeof QUERIES)[number], store: string): Promise<void> => {
      const text = texts.get(`${q.name}/${store}`)!;
      const connection = v.shared ? probe : open();
      try {
        const sql = [...v.prefix, v.formatted ? text.formatted : text.raw].join(';\n');
        const cpuBefore = process.cpuUsage();
        const started = performance.now();
        const result = await connection.queryAsync(sql, { format: 'JSONEachRow' });
        result.text();
        const ms = performance.now() - started;
        const used = process.cpuUsage(cpuBefore);
        const key = `${q.name}|${v.name}`;
        (wall.get(key) ?? wall.set(key, []).get(key)!).push(ms);
        (cpu.get(key) ?? cpu.set(key, []).get(key)!).push((used.user + used.system) / 1000);
      } finally {
        if (!v.shared) connection.close();
      }
    };
    // Warm-up: every table read once.
    for (const q of QUERIES) for (const v of variants) await runOnce(v, q, stores[0]!);
    wall.clear();
    cpu.clear();
    for (let rep = 0; rep < REPS; rep++) {
      for (const q of QUERIES) {
        const store = stores[rep % stores.length]!;
        // Rotate the order so that no variant always follows the same one.
        for (let i = 0; i < variants.length; i++) await runOnce(variants[(i + rep) % variants.length]!, q, store);
      }
      logger.info({ rep: rep + 1, of: REPS }, 'bi-settings: round done');
    }
    const metrics: Record<string, number> = { reps: REPS, load_1m_start: Number(loadStart.toFixed(2)) };
    for (const q of QUERIES) {
      const directP50 = percentile(wall.get(`${q.name}|direct`)!, 50);
      const directCpuP50 = percentile(cpu.get(`${q.name}|direct`)!, 50);
      for (const v of variants) {
        const w = wall.get(`${q.name}|${v.name}`)!;
        const c = cpu.get(`${q.name}|${v.name}`)!;
        const key = `${q.name}.${v.name.replace('+', 'with_').replace('-', 'without_')}`;
        metrics[`${key}.p50_ms`] = Number(percentile(w, 50).toFixed(1));
        metrics[`${key}.p95_ms`] = Number(percentile(w, 95).toFixed(1));
        metrics[`${key}.cpu_p50_ms`] = Number(percentile(c, 50).toFixed(1));
        metrics[`${key}.ratio_p50`] = Number((percentile(w, 50) / directP50).toFixed(3));
        metrics[`${key}.cpu_ratio_p50`] = Number((percentile(c, 50) / directCpuP50).toFixed(3));
      }
    }
    probe.close();
    metrics['load_1m_end'] = Number(loadavg()[0]!.toFixed(2));
    return metrics;
  },
};
