/**
 * How the web app reads: every query runs as the signed-in BI user, through the same door a BI
 * tool uses, so the user's store/region scope is enforced by the engine and not by the web
 * app's own WHERE clauses (a panel query that forgets a filter still shows only the user's stores).
 *
 * - embedded mode: the SQL endpoint's executor (services/sql/executor.ts), in-process;
 * - server mode (`shelfstream serve web` with CLICKHOUSE_URL): ClickHouse's HTTP interface with
 *   the user's credentials, where the server's row policies (clickhouse/access/) scope them.
 *
 * Queries are fixed text with `{name:Type}` parameters sent apart from the text; the database
 * name is the only value put into the text (bindDatabase checks it is a bare identifier).
 */
import { bindDatabase } from '../../clickhouse/sql';
import type { EngineLanes, EnginePriority } from '../../lib/engine-lanes';
import type { SqlCredentials, SqlExecutor } from '../sql/contract';
import { SqlEndpointError } from '../sql/contract';

export type QueryParams = Readonly<Record<string, string | number>>;

export interface BiReader {
  /** Rows of one SELECT as JSON objects (64-bit integers as strings, as ClickHouse's JSON output writes them). */
  select<T = Record<string, unknown>>(who: SqlCredentials, sql: string, params: QueryParams): Promise<T[]>;
  /** Checks a user's password by running `SELECT 1` as them: a wrong one rejects with SqlEndpointError 516. */
  verify(who: SqlCredentials): Promise<void>;
}

function parseJsonEachRow<T>(text: string): T[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as T);
}

const asStrings = (params: QueryParams): Record<string, string> => Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v)]));

let queryCounter = 0;

/** Reads through the embedded SQL endpoint's executor. */
export function executorReader(executor: SqlExecutor, database: string): BiReader {
  const run = async (who: SqlCredentials, sql: string, params: QueryParams): Promise<string> => {
    const result = await executor.execute({
      credentials: who,
      query: bindDatabase(sql, database),
      defaultFormat: 'JSONEachRow',
      database,
      settings: { output_format_json_quote_64bit_integers: '0' },
      queryParams: asStrings(params),
      sessionId: undefined,
      sessionTimeoutS: undefined,
      queryId: `web-${process.pid}-${++queryCounter}`,
      readOnlyMethod: true,
      origin: 'web',
    });
    return Buffer.from(result.body).toString('utf8');
  };
  return {
    select: async (who, sql, params) => parseJsonEachRow(await run(who, sql, params)),
    verify: async (who) => void (await run(who, 'SELECT 1', {})),
  };
}

/** Reads through a ClickHouse HTTP interface (a ClickHouse server, or a running SQL endpoint). */
export function httpReader(baseUrl: string, database: string): BiReader {
  const run = async (who: SqlCredentials, sql: string, params: QueryParams): Promise<string> => {
    const search = new URLSearchParams({ default_format: 'JSONEachRow', database, output_format_json_quote_64bit_integers: '0' });
    for (const [name, value] of Object.entries(params)) search.set(`param_${name}`, String(value));
    const response = await fetch(`${baseUrl.replace(/\/$/, '')}/?${search}`, {
      method: 'POST',
      body: bindDatabase(sql, database),
      headers: { 'X-ClickHouse-User': who.user, 'X-ClickHouse-Key': who.password },
    });
    const text = await response.text();
    if (!response.ok) {
      const code = Number(response.headers.get('x-clickhouse-exception-code') ?? 0);
      throw new SqlEndpointError(code, response.status, text.trim().replace(/^Code: \d+\. DB::Exception: /, ''));
    }
    return text;
  };
  return {
    select: async (who, sql, params) => parseJsonEachRow(await run(who, sql, params)),
    verify: async (who) => void (await run(who, 'SELECT 1', {})),
  };
}

/** A reader whose queries wait their turn in the engine's lanes (lib/engine-lanes.ts) at `priority`. */
export function prioritizedReader(reader: BiReader, lanes: EngineLanes, priority: EnginePriority): BiReader {
  return {
    select: (who, sql, params) => lanes.run(priority, () => reader.select(who, sql, params)),
    verify: (who) => lanes.run(priority, () => reader.verify(who)),
  };
}
