/**
 * bi-judgement: what the SQL endpoint's judgement of a BI statement costs (the engine's
 * rendering with `formatQuery`, then `EXPLAIN AST` for ./services/sql/statement-guard.ts), and
 * what the statement cache (./services/sql/statement-cache.ts) spares, on bi-query's year.
 *
 * Why. bi-query's one-client phase visits stores 1-15 and its warm-up store 1 only, so most of
 * its texts are new to the endpoint, as a BI tool's are when an analyst picks another store or
 * moves a date range: each paid the judgement's two engine calls where a text seen before pays
 * none. Since the cache also keeps shapes (the rendering with its literals abstracted), a new
 * text of a judged shape pays one call (the rendering, which also answers the shape).
 *
 * Measured, round by round in one run, each round on a fresh store (one client, no HTTP):
 * - the steps alone, each on a fresh engine connection: `render` (formatQuery, as before the
 *   shape), `render_shape` (formatQuery and normalizeQueryKeepNames in one call, as now),
 *   `explain` (EXPLAIN AST of the rendering);
 * - the executor's whole answer (`execute`, as the endpoint calls it) for the four dashboard
 *   queries of bi-query, as: `seen` (the text again: no engine call to judge), `shape` (a new
 *   text of a judged shape: another store; one call) and `new` (a new shape: a column alias
 *   never seen, so the judgement runs in full, two calls, as every new text did before).
 * Metrics: p50 and p95 in ms of each; `saved_by_shape_p50_ms` = new - shape (executor p50 over
 * the three queries that name a store; revenue by region and day names none, so its text is
 * seen in every round: its own figures only), and the same for seen.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Session } from 'chdb';
import { sqlString } from '../../clickhouse/bind';
import { createClickHouse } from '../../lib/clients/clickhouse';
import { EMPTY_USERS, withUser, writeBiUsers } from '../../services/sql/bi-users';
import { engineConnections } from '../../services/sql/bi-connection';
import type { SqlRequest } from '../../services/sql/contract';
import { createSqlExecutor } from '../../services/sql/executor';
import { hashPassword } from '../../services/sql/passwords';
import { percentile, type Benchmark } from '../harness';
import { BI_YEAR_DATABASE, BI_YEAR_STORES, QUERIES, biYearFolder, ensureYear } from './bi-query';

const ROUNDS = 40;
const ANALYST = 'bench_judgement_analyst';

const storeId = (i: number): string => `S${String((i % BI_YEAR_STORES) + 1).padStart(3, '0')}`;

/** One more column under an alias never sent before: the same query, a shape never judged. */
function withNewShape(sql: string, round: number): string {
  return sql.replace(/^SELECT /, `SELECT 0 AS shape_${round}, `);
}

export const biJudgementBench: Benchmark = {
  name: 'bi-judgement',
  description: 'the SQL endpoint\'s judgement of a BI statement (formatQuery, EXPLAIN AST) per step, and a whole query with the text seen, its shape seen, or neither',
  async run({ config, logger }) {
    if (config.clickhouse.mode !== 'embedded') throw new Error('bi-judgement measures the embedded engine (unset CLICKHOUSE_URL)');
    const loadStart = loadavg()[0]!;
    const folder = biYearFolder(config);
    const client = createClickHouse({ ...config.clickhouse, dataDir: folder, database: BI_YEAR_DATABASE });
    const workDir = mkdtempSync(join(tmpdir(), 'bench-bi-judgement-'));
    try {
      await ensureYear(client, logger);
      const usersFile = join(workDir, 'bi-users.json');
      const password = `bench-${Date.now()}`;
      const now = new Date().toISOString();
      writeBiUsers(usersFile, withUser(EMPTY_USERS, { name: ANALYST, password: await hashPassword(password), regions: [], stores: [], limits: {}, createdAt: now, passwordChangedAt: now }));
      const executor = createSqlExecutor({ config: { ...config.sqlExecutor, usersFile, adminTokenFile: join(workDir, 'admin-token') }, dataDir: folder, database: BI_YEAR_DATABASE, logger });
      const connections = engineConnections(folder);
      const request = (query: string, n: number): SqlRequest => ({
        credentials: { user: ANALYST, password },
        query,
        defaultFormat: 'JSONEachRow',
        database: undefined,
        settings: {},
        queryParams: {},
        sessionId: undefined,
        sessionTimeoutS: undefined,
        queryId: `judgement-${n}`,
        readOnlyMethod: false,
      });
      let n = 0;
      const timeExecute = async (query: string): Promise<number> => {
        const started = performance.now();
        await executor.execute(request(query, ++n));
        return performance.now() - started;
      };
      const timeStep = async (connection: Session, sql: string): Promise<{ ms: number; text: string }> => {
        const started = performance.now();
        const text = (await connection.queryAsync(sql, { format: 'JSONEachRow' })).text();
        return { ms: performance.now() - started, text };
      };
      const steps = { render: [] as number[], render_shape: [] as number[], explain: [] as number[] };
      const ways = { seen: [] as number[], shape: [] as number[], new: [] as number[] };
      const perQuery = new Map(QUERIES.map((q) => [q.name, { seen: [] as number[], shape: [] as number[], new: [] as number[] }]));
      try {
        // Warm-up: each query once, on store 1 (as bi-query's warm-up), which also judges each shape.
        for (const q of QUERIES) await timeExecute(q.sql(storeId(0)));
        for (let round = 1; round <= ROUNDS; round++) {
          for (const q of QUERIES) {
            const text = q.sql(storeId(round));
            // The steps, each on a fresh connection as the executor opens one per query.
            for (const [name, sql] of [
              ['render', `SELECT formatQuery(${sqlString(text)}) AS q`],
              ['render_shape', `SELECT formatQuery(${sqlString(text)}) AS q, normalizeQueryKeepNames(q) AS shape`],
            ] as const) {
              const connection = connections.open();
              try {
                const { ms, text: out } = await timeStep(connection, sql);
                steps[name].push(ms);
                if (name === 'render_shape') {
                  const formatted = (JSON.parse(out) as { q: string }).q;
                  steps.explain.push((await timeStep(connection, `EXPLAIN AST ${formatted}`)).ms);
                }
              } finally {
                connection.close();
              }
            }
            // The executor: a new text of a judged shape first (the store differs from every
            // earlier round's, except the revenue query, which names no store: a seen text),
            // then the same text again, then a shape never seen.
            const own = perQuery.get(q.name)!;
            const shapeMs = await timeExecute(text);
            const seenMs = await timeExecute(text);
            const newMs = await timeExecute(withNewShape(text, round));
            // The pooled figures take the queries whose text names the store (a text new each round).
            const storeNamed = q.sql(storeId(0)) !== text;
            for (const [way, ms] of [['shape', shapeMs], ['seen', seenMs], ['new', newMs]] as const) {
              if (storeNamed) ways[way].push(ms);
              own[way].push(ms);
            }
          }
        }
      } finally {
        await executor.close();
      }
      const p = (values: number[], q: number): number => Number(percentile(values, q).toFixed(2));
      return {
        saved_by_shape_p50_ms: Number((percentile(ways.new, 50) - percentile(ways.shape, 50)).toFixed(2)),
        saved_by_seen_p50_ms: Number((percentile(ways.new, 50) - percentile(ways.seen, 50)).toFixed(2)),
        execute_seen_p50_ms: p(ways.seen, 50),
        execute_shape_p50_ms: p(ways.shape, 50),
        execute_new_p50_ms: p(ways.new, 50),
        execute_seen_p95_ms: p(ways.seen, 95),
        execute_shape_p95_ms: p(ways.shape, 95),
        execute_new_p95_ms: p(ways.new, 95),
        step_render_p50_ms: p(steps.render, 50),
        step_render_shape_p50_ms: p(steps.render_shape, 50),
        step_explain_p50_ms: p(steps.explain, 50),
        step_render_p95_ms: p(steps.render, 95),
        step_render_shape_p95_ms: p(steps.render_shape, 95),
        step_explain_p95_ms: p(steps.explain, 95),
        ...Object.fromEntries(QUERIES.flatMap((q) => {
          const own = perQuery.get(q.name)!;
          return [[`${q.name}_seen_p50_ms`, p(own.seen, 50)], [`${q.name}_shape_p50_ms`, p(own.shape, 50)], [`${q.name}_new_p50_ms`, p(own.new, 50)]];
        })),
        rounds: ROUNDS,
        load_1m_start: Number(loadStart.toFixed(2)),
        load_1m_end: Number(loadavg()[0]!.toFixed(2)),
      };
    } finally {
      await client.close();
      rmSync(workDir, { recursive: true, force: true });
    }
  },
};
