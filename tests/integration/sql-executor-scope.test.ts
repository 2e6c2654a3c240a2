/**
 * The SQL endpoint's executor on the real embedded engine: a BI user scoped to a region sees
 * only its stores through every relation with a store_id (found in system.columns now, so a
 * table a later migration adds is covered by this test), through joins, subqueries and views;
 * every attempt to escape (writes, DDL, table functions, files, other statements, settings
 * sent every way a client can) is refused, not answered with data. Expected stores come from
 * the rows this test inserted (hand-set regions), read back through the processors' client.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { startSqlEndpoint } from '../../services/sql';
import { migrate } from '../../clickhouse/migrate';
import { ADMIN_USER, EMPTY_USERS, withPassword, withUser, withoutUser, writeBiUsers, readBiUsers, type BiUser } from '../../services/sql/bi-users';
import { ensureAdminToken } from '../../services/sql/authenticator';
import { SqlEndpointError, type SqlExecutor, type SqlRequest } from '../../services/sql/contract';
import { createSqlExecutor } from '../../services/sql/executor';
import { hashPassword } from '../../services/sql/passwords';
import { READABLE_SYSTEM_TABLES } from '../../services/sql/scope';
import { hasSysNiceCapability } from '../../lib/thread-priority';
import { registerCleanup, testClickHouse, testConfig, testLogger, waitFor } from '../harness/fixtures';
import { refreshAndCheckVatRatePeriods } from '../harness/vat-rates';

const STORES = [
  { store_id: 'S_N1', region: 'north' },
  { store_id: 'S_S2', region: 'south' },
  { store_id: 'S_N3', region: 'north' },
];
/** The nice value this test gives the web dashboards' engine threads (SQL_THREAD_NICE). */
const THREAD_NICE = 7;
/** And the BI tools' queries through the endpoint (SQL_ENDPOINT_THREAD_NICE): another value, so a mix-up shows. */
const ENDPOINT_THREAD_NICE = 3;
/** What the north analyst may see: the stores this test put in region north. */
const NORTH = ['S_N1', 'S_N3'];

async function rows<T>(client: ClickHouseClient, query: string): Promise<T[]> {
  return (await client.query({ query, format: 'JSONEachRow' })).json<T>();
}

async function user(name: string, password: string, scope: { regions?: string[]; stores?: string[] }, limits: BiUser['limits'] = {}): Promise<BiUser> {
  const now = new Date().toISOString();
  return { name, password: await hashPassword(password), regions: scope.regions ?? [], stores: scope.stores ?? [], limits, createdAt: now, passwordChangedAt: now };
}

describe('SQL executor: BI users on embedded ClickHouse', () => {
  let client: ClickHouseClient;
  let database: string;
  let executor: SqlExecutor;
  let usersFile: string;
  let adminToken: string;
  let workDir: string;
  let endpointConfig: ReturnType<typeof testConfig>['sqlEndpoint'];
  let queryCount = 0;
  /** The tables this test filled with one row per store. */
  let filledTables: string[] = [];

  function request(userName: string, password: string, query: string, extra: Partial<SqlRequest> = {}): SqlRequest {
    return {
      credentials: { user: userName, password },
      query,
      defaultFormat: undefined,
      database: undefined,
      settings: {},
      queryParams: {},
      sessionId: undefined,
      sessionTimeoutS: undefined,
      queryId: `q-${++queryCount}`,
      readOnlyMethod: false,
      ...extra,
    };
  }
  const north = (query: string, extra: Partial<SqlRequest> = {}) => executor.execute(request('north_analyst', 'north-secret', query, extra));
  const northText = async (query: string, extra: Partial<SqlRequest> = {}) => Buffer.from((await north(query, extra)).body).toString('utf8');
  const northStores = async (query: string) => (await northText(query)).split('\n').filter((l) => l !== '').sort();

  async function refusal(promise: Promise<unknown>, what = ''): Promise<SqlEndpointError> {
    try {
      await promise;
    } catch (error) {
      if (error instanceof SqlEndpointError) return error;
      throw error;
    }
    throw new Error(`expected a refusal, got a result: ${what}`);
  }

  beforeAll(async () => {
    const config = testConfig();
    endpointConfig = { ...config.sqlEndpoint, host: '127.0.0.1', port: 0 };
    ({ client, database } = await testClickHouse(config));
    await migrate(client, database);
    workDir = mkdtempSync(join(tmpdir(), 'sql-exec-'));
    registerCleanup(async () => rmSync(workDir, { recursive: true, force: true }));
    usersFile = join(workDir, 'bi-users.json');
    const adminTokenFile = join(workDir, 'admin-token');
    adminToken = ensureAdminToken(adminTokenFile);
    let users = withUser(EMPTY_USERS, await user('north_analyst', 'north-secret', { regions: ['north'] }));
    users = withUser(users, await user('tiny_results', 'tiny-secret', { stores: ['S_S2'] }, { maxResultRows: 2 }));
    users = withUser(users, await user('impatient', 'impatient-secret', { stores: ['S_S2'] }, { maxExecutionTimeS: 1 }));
    writeBiUsers(usersFile, users);

    // One row per store in every table with a store_id (defaults for the other columns), and
    // the stores' regions in dim_store: materialized views fill the rollups from the facts.
    await client.insert({ table: `${database}.dim_store`, values: STORES, format: 'JSONEachRow' });
    const tables = await rows<{ table: string }>(
      client,
      `SELECT DISTINCT c.table AS table FROM system.columns c JOIN system.tables t ON t.database = c.database AND t.name = c.table
       WHERE c.database = '${database}' AND c.name = 'store_id' AND t.engine LIKE '%MergeTree' AND c.table NOT LIKE '%rollup%' AND c.table != 'dim_store'`,
    );
    filledTables = tables.map((t) => t.table);
    for (const { table } of tables) {
      // Dates and times are today's, not the 1970 defaults, which the tables' TTLs drop at once.
      const timeColumns = await rows<{ name: string; type: string }>(
        client,
        `SELECT name, type FROM system.columns WHERE database = '${database}' AND table = '${table}' AND default_kind = '' AND type LIKE '%Date%' AND name != 'store_id'`,
      );
      const names = ['store_id', ...timeColumns.map((c) => c.name)];
      const values = STORES.map((s) => `('${s.store_id}'${timeColumns.map((c) => (/^(Nullable\()?Date(32)?\)?$/.test(c.type) ? ', today()' : ', now()')).join('')})`);
      await client.command({ query: `INSERT INTO ${database}.${table} (${names.join(', ')}) VALUES ${values.join(', ')}` });
    }
    // vat_rate_periods_rows is rewritten from dim_vat_rate and the offsets every 10 s (0051): once
    // now, so that no scheduled rewrite lands between a test's two reads of it.
    await refreshAndCheckVatRatePeriods(client, database);

    executor = createSqlExecutor({
      config: { ...config.sqlExecutor, usersFile, adminTokenFile, poolSize: 2, queueLength: 4, threadNice: THREAD_NICE, endpointThreadNice: ENDPOINT_THREAD_NICE },
      dataDir: config.clickhouse.mode === 'embedded' ? config.clickhouse.dataDir : '',
      database,
      logger: testLogger(),
    });
    registerCleanup(() => executor.close());
  });

  it('shows a scoped user only its stores through every table and view with a store_id, found in system.columns now', async () => {
    const relations = await rows<{ table: string; engine: string }>(
      client,
      `SELECT DISTINCT c.table AS table, t.engine AS engine FROM system.columns c JOIN system.tables t ON t.database = c.database AND t.name = c.table
       WHERE c.database = '${database}' AND c.name = 'store_id' ORDER BY table`,
    );
    expect(relations.length).toBeGreaterThan(15);
    const withOtherStores: string[] = [];
    for (const { table } of relations) {
      // The reference and the scoped read at once: each is mostly the engine planning the
      // relation (seconds for the inventory views on a busy machine), one core each.
      const [everything, seen] = await Promise.all([
        rows<{ store_id: string }>(client, `SELECT DISTINCT toString(store_id) AS store_id FROM ${database}.${table}`).then((found) => found.map((r) => r.store_id)),
        northStores(`SELECT DISTINCT toString(store_id) FROM ${database}.${table}`),
      ]);
      if (everything.includes('S_S2')) withOtherStores.push(table);
      expect({ table, seen }).toEqual({ table, seen: everything.filter((s) => NORTH.includes(s)).sort() });
    }
    // The check above means something only if the relations really hold the other region's rows.
    expect(withOtherStores).toEqual(expect.arrayContaining([...filledTables, 'dim_store']));
  });

  it('scopes joins, subqueries, CTEs, IN, UNION, count() and view()', async () => {
    const db = database;
    expect(await northStores(`SELECT DISTINCT s.store_id FROM ${db}.fact_sale_lines s JOIN ${db}.dim_store d USING store_id`)).toEqual(NORTH);
    expect(await northStores(`SELECT DISTINCT store_id FROM (SELECT store_id FROM ${db}.stockout_risk) WHERE 1`)).toEqual(NORTH);
    expect(await northStores(`WITH x AS (SELECT store_id FROM ${db}.alerts) SELECT DISTINCT store_id FROM x`)).toEqual(NORTH);
    expect(await northStores(`SELECT store_id FROM ${db}.dim_store WHERE store_id IN (SELECT store_id FROM ${db}.fact_voids)`)).toEqual(NORTH);
    expect(await northStores(`SELECT DISTINCT store_id FROM view(SELECT store_id FROM ${db}.fact_return_lines)`)).toEqual(NORTH);
    expect(await northStores(`SELECT store_id FROM ${db}.dim_store UNION DISTINCT SELECT store_id FROM ${db}.anomalies`)).toEqual(NORTH);
    expect(await northText(`SELECT count() FROM ${db}.dim_store`)).toBe('2\n');
    expect(await northText(`SELECT count() FROM ${db}.dim_store WHERE store_id = 'S_S2'`)).toBe('0\n');
  });

  it('refuses writes, DDL, table functions, files, KILL and a second statement, and none of them takes effect', async () => {
    const db = database;
    const outfile = join(workDir, 'leak.tsv');
    const cases: [string, number][] = [
      [`INSERT INTO ${db}.dim_store (store_id, region) VALUES ('X', 'north')`, 164],
      [`CREATE TABLE ${db}.sneaky (a Int8) ENGINE = Memory`, 164],
      [`DROP TABLE ${db}.dim_store`, 164],
      [`ALTER TABLE ${db}.dim_store DELETE WHERE 1`, 164],
      [`OPTIMIZE TABLE ${db}.dim_store FINAL`, 164],
      ['SYSTEM DROP DNS CACHE', 164],
      ['KILL QUERY WHERE 1', 497],
      [`SELECT * FROM merge('${db}', '^dim_store$')`, 497],
      [`SELECT * FROM mergeTreeIndex('${db}', 'dim_store')`, 497],
      [`SELECT * FROM file('/etc/hostname', 'LineAsString')`, 497],
      [`SELECT file('/etc/hostname')`, 497],
      [`SELECT * FROM url('http://127.0.0.1:1/', 'LineAsString')`, 497],
      [`SELECT * FROM s3('http://127.0.0.1:1/bucket/key.csv')`, 497],
      [`SELECT * FROM remote('127.0.0.1', ${db}.dim_store)`, 497],
      [`SELECT * FROM clusterAllReplicas('default', ${db}.dim_store)`, 497],
      [`SELECT store_id FROM ${db}.dim_store INTO OUTFILE '${outfile}'`, 358],
      [`SELECT 1; INSERT INTO ${db}.dim_store (store_id, region) VALUES ('Y', 'north')`, 62],
      [`SELECT 1; SELECT * FROM merge('${db}', '^dim_store$')`, 62],
    ];
    for (const [query, code] of cases) {
      const error = await refusal(north(query), query);
      expect({ query, code: error.code }).toEqual({ query, code });
      expect(error.httpStatus).toBeGreaterThanOrEqual(400);
    }
    expect(existsSync(outfile)).toBe(false);
    expect(await rows(client, `SELECT store_id FROM ${db}.dim_store WHERE store_id IN ('X', 'Y')`)).toEqual([]);
    expect(await rows(client, `SELECT name FROM system.tables WHERE database = '${db}' AND name = 'sneaky'`)).toEqual([]);
    // numbers() reads no table: harmless, allowed.
    expect(await northText('SELECT count() FROM numbers(10)')).toBe('10\n');
  });

  it('judges a new text by the shape of one judged before, and still applies the scope and every refusal to it', async () => {
    const db = database;
    // A dashboard's filter moved to another store: the same statement with another literal.
    expect(await northStores(`SELECT store_id FROM ${db}.dim_store WHERE store_id = 'S_N1'`)).toEqual(['S_N1']);
    expect(await northStores(`SELECT store_id FROM ${db}.dim_store WHERE store_id = 'S_S2'`)).toEqual([]);
    expect(await northStores(`SELECT store_id FROM ${db}.dim_store WHERE store_id = 'S_N3'`)).toEqual(['S_N3']);
    // A string is rendered as a literal, a table named by a string as an identifier: not the same shape.
    expect(await northText(`SELECT 'dim_store' AS t`)).toBe('dim_store\n');
    expect((await refusal(north(`SELECT * FROM 'system.processes'`))).code).toBe(497);
    // The text's own check is made on a text of a judged shape too: the words in a string are
    // refused, as they are without a judged shape (statement-guard.ts judgeText).
    expect(await northText(`SELECT 'a' AS s`)).toBe('a\n');
    expect((await refusal(north(`SELECT 'a INTO OUTFILE b' AS s`))).code).toBe(358);
    // A table function's arguments are literals: the function's name still decides.
    expect(await northText('SELECT count() FROM numbers(3)')).toBe('3\n');
    expect((await refusal(north(`SELECT count() FROM mergeTreeIndex('${db}', 'dim_store')`))).code).toBe(497);
  });

  it('refuses each setting a BI user may not change, sent as a setting, as SET in a session and as a SETTINGS clause', async () => {
    const locked: [string, string][] = [
      ['readonly', '0'], ['additional_table_filters', "{}"], ['max_execution_time', '0'], ['max_memory_usage', '0'],
      ['max_result_rows', '0'], ['max_result_bytes', '0'], ['result_overflow_mode', 'break'], ['allow_ddl', '0'],
      ['max_threads', '64'], ['use_query_cache', '1'], ['timeout_overflow_mode', 'break'], ['os_thread_priority', '0'],
    ];
    const db = database;
    for (const [name, value] of locked) {
      const asSetting = await refusal(north(`SELECT count() FROM ${db}.dim_store`, { settings: { [name]: value } }), `setting ${name}`);
      expect({ name, code: asSetting.code }).toEqual({ name, code: 164 });
      const literal = name === 'additional_table_filters' ? value : `'${value}'`;
      const asSet = await refusal(north(`SET ${name} = ${literal}`, { sessionId: `s-${name}` }), `SET ${name}`);
      expect({ name, code: asSet.code }).toEqual({ name, code: 164 });
      const asClause = await refusal(north(`SELECT count() FROM ${db}.dim_store SETTINGS ${name} = ${literal}`), `SETTINGS ${name}`);
      expect({ name, code: asClause.code }).toEqual({ name, code: 164 });
      // And the refused SET left the session scoped.
      expect(await northText(`SELECT count() FROM ${db}.dim_store`, { sessionId: `s-${name}` })).toBe('2\n');
    }
    // A setting that only shapes the output is the client's to change.
    expect(await northText("SELECT getSetting('output_format_decimal_trailing_zeros')", { settings: { output_format_decimal_trailing_zeros: '1' } })).toBe('true\n');
  });

  it('runs a BI tool\'s query and a web dashboard\'s query with their engine threads at their own configured nice values', async () => {
    // ClickHouse applies os_thread_priority only with CAP_SYS_NICE; without it none is set.
    const applied = (nice: number): string => `${hasSysNiceCapability() ? nice : 0}\n`;
    expect(await northText("SELECT getSetting('os_thread_priority')")).toBe(applied(ENDPOINT_THREAD_NICE));
    expect(await northText("SELECT getSetting('os_thread_priority')", { origin: 'endpoint' })).toBe(applied(ENDPOINT_THREAD_NICE));
    expect(await northText("SELECT getSetting('os_thread_priority')", { origin: 'web' })).toBe(applied(THREAD_NICE));
  });

  (hasSysNiceCapability() ? it : it.skip)('raises a BI query\'s engine threads below nice 0 while they run, within the priority budget', async () => {
    // A budget of 10 ms of raised query time per second over 10 s: the first query is raised,
    // and once it ran 300 ms the next is not.
    const config = testConfig();
    const raising = createSqlExecutor({
      config: { ...config.sqlExecutor, usersFile, adminTokenFile: join(workDir, 'admin-token'), poolSize: 2, queueLength: 4, endpointThreadNice: -10, endpointPriorityShare: 0.001 },
      dataDir: config.clickhouse.mode === 'embedded' ? config.clickhouse.dataDir : '',
      database,
      logger: testLogger(),
    });
    registerCleanup(() => raising.close());
    const run = async (query: string) => Buffer.from((await raising.execute(request('north_analyst', 'north-secret', query))).body).toString('utf8');
    // The nice value the kernel holds for this process's threads, read while the query sleeps
    // (the engine sets it on the threads that run the query and puts them back to 0 after).
    const nicesSeen = new Set<number>();
    const query = run("SELECT getSetting('os_thread_priority'), sleep(0.3)");
    let done = false;
    // Ends the polling whether the query answers or fails (a failure is then reported by the await below).
    void query.then(
      () => (done = true),
      () => (done = true),
    );
    while (!done) {
      for (const tid of readdirSync('/proc/self/task')) {
        try {
          const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
          nicesSeen.add(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
        } catch {
          // the thread ended between the listing and the read
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(await query).toBe('-10\t0\n');
    expect(nicesSeen.has(-10)).toBe(true);
    expect(await run("SELECT getSetting('os_thread_priority')")).toBe('0\n');
  });

  it('hides other stores in system tables while the processors insert', async () => {
    let inserting = true;
    let inserted = 0;
    const writer = (async () => {
      while (inserting) {
        await client.command({ query: `INSERT INTO ${database}.fact_sale_lines (store_id, sku) SELECT 'S_S2', toString(number) FROM numbers(20000)` });
        inserted++;
      }
    })();
    try {
      await waitFor(() => inserted >= 1, { what: 'a first insert' });
      const systemTables = (await rows<{ name: string }>(client, `SELECT name FROM system.tables WHERE database = 'system'`)).map((r) => r.name);
      const hidden = systemTables.filter((n) => !READABLE_SYSTEM_TABLES.has(n));
      await north('USE system', { sessionId: 'in-system' });
      expect((await refusal(north('SELECT query FROM system.processes'))).code).toBe(497);
      expect(hidden).toEqual(expect.arrayContaining(['processes', 'parts', 'data_skipping_indices', 'mutations', 'merges']));
      // Every hidden table once, then the ones that show live queries and parts a few times more.
      for (const round of [hidden, ['processes', 'parts', 'user_processes'], ['processes', 'parts', 'user_processes'], ['processes']]) {
        for (const name of round) {
          let text: string;
          try {
            // Unqualified after USE system: past the statement guard, so the engine's filters are what hides the rows.
            text = await northText(`SELECT * FROM ${name} LIMIT 10`, { sessionId: 'in-system' });
          } catch (error) {
            if (error instanceof SqlEndpointError) continue; // a refusal is not data
            throw error;
          }
          expect({ name, text }).toEqual({ name, text: '' });
        }
      }
      // chDB keeps no query_log (60 UNKNOWN_TABLE); the guard refuses the name before the engine looks.
      const queryLog = await refusal(north('SELECT query FROM system.query_log'));
      expect([60, 497]).toContain(queryLog.code);
      // The processors' client, unscoped, does see the inserts: the hiding above is the scope's doing.
      expect(inserted).toBeGreaterThan(0);
    } finally {
      inserting = false;
      await writer;
    }
  }, 600_000);

  it('caps results, keeps a session\'s state one query at a time, and binds parameters', async () => {
    const capped = await refusal(executor.execute(request('tiny_results', 'tiny-secret', 'SELECT number FROM numbers(10)')));
    expect(capped.code).toBe(396);
    // A session keeps USE and an allowed SET.
    await north(`USE ${database}`, { sessionId: 'kept' });
    await north('SET output_format_decimal_trailing_zeros = 1', { sessionId: 'kept' });
    expect(await northText("SELECT currentDatabase(), getSetting('output_format_decimal_trailing_zeros')", { sessionId: 'kept' })).toBe(`${database}\ttrue\n`);
    expect(await northText('SELECT count() FROM dim_store', { sessionId: 'kept' })).toBe('2\n');
    // Without the session, neither is kept.
    expect(await northText("SELECT getSetting('output_format_decimal_trailing_zeros')")).toBe('false\n');
    // A second query on a busy session is refused as a server refuses it.
    const slow = north('SELECT sleepEachRow(0.3) FROM numbers(3)', { sessionId: 'busy' });
    const second = await refusal(north('SELECT 1', { sessionId: 'busy' }));
    expect(second.code).toBe(373);
    await slow;
    expect(await northText('SELECT 1', { sessionId: 'busy' })).toBe('1\n');
    // Parameters, the default format and the FORMAT clause.
    expect(await northText(`SELECT count() FROM ${database}.dim_store WHERE store_id = {s:String}`, { queryParams: { s: 'S_N1' } })).toBe('1\n');
    const json = await north(`SELECT store_id FROM ${database}.dim_store ORDER BY store_id`, { defaultFormat: 'JSONEachRow' });
    expect(json.format).toBe('JSONEachRow');
    expect(Buffer.from(json.body).toString()).toBe('{"store_id":"S_N1"}\n{"store_id":"S_N3"}\n');
    const csv = await north(`SELECT store_id FROM ${database}.dim_store ORDER BY store_id FORMAT CSV`, { defaultFormat: 'JSONEachRow' });
    expect(csv.format).toBe('CSV');
    expect(Buffer.from(csv.body).toString()).toBe('"S_N1"\n"S_N3"\n');
  });

  it('judges a repeated text once, yet scopes, limits and refuses it for each user and each parameter value', async () => {
    const db = database;
    const admin = (query: string, extra: Partial<SqlRequest> = {}) => executor.execute(request(ADMIN_USER, adminToken, query, extra));
    const text = (result: { body: Uint8Array }) => Buffer.from(result.body).toString('utf8');
    // The same text, first run by the operator (every store), then by a scoped user: the verdict
    // kept from the first run carries no scope, the user's connection sets its own.
    const everyStore = `SELECT DISTINCT store_id FROM ${db}.stockout_risk ORDER BY store_id`;
    expect(text(await admin(everyStore)).split('\n').filter((l) => l !== '')).toEqual(STORES.map((s) => s.store_id).sort());
    for (let i = 0; i < 3; i++) expect((await northText(everyStore)).split('\n').filter((l) => l !== '')).toEqual(NORTH);
    // A limit of the user holds on a text the executor has judged before for another.
    const tenRows = 'SELECT number FROM numbers(10)';
    expect(text(await north(tenRows)).split('\n').filter((l) => l !== '')).toHaveLength(10);
    expect((await refusal(executor.execute(request('tiny_results', 'tiny-secret', tenRows)))).code).toBe(396);
    // A parameter standing for a table: the verdict kept for an allowed value is not reused for another.
    const byParam = 'SELECT count() FROM {d:Identifier}.{t:Identifier}';
    expect(await northText(byParam, { queryParams: { d: db, t: 'dim_store' } })).toBe('2\n');
    expect(await northText(byParam, { queryParams: { d: db, t: 'dim_store' } })).toBe('2\n');
    expect((await refusal(north(byParam, { queryParams: { d: 'system', t: 'processes' } }), 'system.processes through parameters')).code).toBe(497);
    // A refusal is judged every time, also after the same text ran for the operator.
    const fileRead = "SELECT * FROM file('/etc/hostname', 'LineAsString')";
    expect((await refusal(north(fileRead), 'file() once')).code).toBe(497);
    expect((await refusal(north(fileRead), 'file() again')).code).toBe(497);
    // A write stays refused by the engine's lock whatever was kept: the lock is set on each connection.
    const write = `INSERT INTO ${db}.dim_store (store_id, region) VALUES ('X', 'north')`;
    expect((await refusal(north(write), 'insert')).code).toBe(164);
  });

  it('stops a query at the user\'s time limit, and answers 503 at once when the queue is full', async () => {
    const started = performance.now();
    const timeout = await refusal(executor.execute(request('impatient', 'impatient-secret', 'SELECT count() FROM numbers(100000000000) WHERE sipHash64(number) = 0')));
    expect([timeout.code, timeout.httpStatus]).toEqual([159, 408]);
    expect(performance.now() - started).toBeLessThan(20_000);

    // Pool 2, queue 4: six slow queries hold every place, the seventh is refused.
    const slow = Array.from({ length: 6 }, () => north('SELECT sleepEachRow(0.5) FROM numbers(2)'));
    const full = await refusal(north('SELECT 1'));
    expect([full.code, full.httpStatus]).toEqual([202, 503]);
    await Promise.all(slow);
    expect(await northText('SELECT 1')).toBe('1\n');
  });

  it('gives the same scope and refusals through the HTTP endpoint to @clickhouse/client', async () => {
    const endpoint = await startSqlEndpoint({ config: { sqlEndpoint: endpointConfig }, logger: testLogger(), executor });
    registerCleanup(() => endpoint.close());
    const bi = createClient({ url: endpoint.url, username: 'north_analyst', password: 'north-secret', database, log: { level: ClickHouseLogLevel.OFF } });
    registerCleanup(() => bi.close());
    const relations = await rows<{ table: string }>(client, `SELECT DISTINCT table FROM system.columns WHERE database = '${database}' AND name = 'store_id' ORDER BY table`);
    for (const { table } of relations) {
      const [everything, seen] = await Promise.all([
        rows<{ s: string }>(client, `SELECT DISTINCT toString(store_id) AS s FROM ${database}.${table}`).then((found) => found.map((r) => r.s)),
        bi.query({ query: `SELECT DISTINCT toString(store_id) AS s FROM ${table}`, format: 'JSONEachRow' }).then(async (r) => (await r.json<{ s: string }>()).map((row) => row.s).sort()),
      ]);
      expect({ table, seen }).toEqual({ table, seen: everything.filter((s) => NORTH.includes(s)).sort() });
    }
    await expect(bi.command({ query: `INSERT INTO dim_store (store_id, region) VALUES ('X', 'north')` })).rejects.toMatchObject({ code: '164' });
    await expect(bi.query({ query: `SELECT * FROM merge('${database}', '^dim_store$')` })).rejects.toMatchObject({ code: '497' });
    await expect(bi.query({ query: 'SELECT count() FROM dim_store', clickhouse_settings: { additional_table_filters: "{}" } as Record<string, string> })).rejects.toMatchObject({ code: '164' });
    const stranger = createClient({ url: endpoint.url, username: 'north_analyst', password: 'wrong', database, log: { level: ClickHouseLogLevel.OFF } });
    registerCleanup(() => stranger.close());
    await expect(stranger.query({ query: 'SELECT 1' })).rejects.toMatchObject({ code: '516' });
  });

  it('authenticates: a wrong password and an unknown user get the same 403, a revoked user or an old password at once', async () => {
    const wrong = await refusal(executor.execute(request('north_analyst', 'nope', 'SELECT 1')));
    const unknown = await refusal(executor.execute(request('nobody', 'nope', 'SELECT 1')));
    expect([wrong.code, wrong.httpStatus, unknown.code, unknown.httpStatus]).toEqual([516, 403, 516, 403]);
    expect(wrong.message.replace('north_analyst', 'X')).toBe(unknown.message.replace('nobody', 'X'));
    expect(wrong.message).not.toContain('nope');

    await executor.execute(request('tiny_results', 'tiny-secret', 'SELECT 1')); // now cached
    writeBiUsers(usersFile, withPassword(readBiUsers(usersFile), 'tiny_results', await hashPassword('new-secret'), new Date().toISOString()));
    expect((await refusal(executor.execute(request('tiny_results', 'tiny-secret', 'SELECT 1')))).code).toBe(516);
    await executor.execute(request('tiny_results', 'new-secret', 'SELECT 1'));
    writeBiUsers(usersFile, withoutUser(readBiUsers(usersFile), 'tiny_results'));
    expect((await refusal(executor.execute(request('tiny_results', 'new-secret', 'SELECT 1')))).code).toBe(516);

    // The operator is unscoped and may write.
    const admin = (query: string) => executor.execute(request(ADMIN_USER, adminToken, query));
    expect(Buffer.from((await admin(`SELECT count() FROM ${database}.dim_store`)).body).toString()).toBe('3\n');
    expect((await refusal(executor.execute(request(ADMIN_USER, 'guess', 'SELECT 1')))).code).toBe(516);
  });
});
