/**
 * The SQL endpoint's HTTP side against clients no one here wrote: curl (the binary),
 * @clickhouse/client in HTTP mode, and clickhouse-connect from PyPI (Superset's client, with
 * pandas and Arrow), each reading every bi_* view of a freshly migrated database. The expected
 * rows are the embedded client's (@clickhouse/client on chDB, not through the endpoint). The
 * endpoint serves the admin executor here; the BI executor's users and scopes are tested apart.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { fillCalendar } from '../../clickhouse/calendar';
import { migrate } from '../../clickhouse/migrate';
import { REPO_ROOT } from '../../lib/paths';
import { AdminExecutor, startSqlEndpoint } from '../../services/sql';
import { decodeCompressedBlocks } from '../../services/sql/compressed-blocks';
import { inParallel, registerCleanup, testClickHouse, testConfig, testLogger } from '../harness/fixtures';
import { refreshAndCheckExchangeRates } from '../harness/exchange-rates';
import { refreshAndCheckVatRatePeriods } from '../harness/vat-rates';

const run = promisify(execFile);

interface Reply {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

/** One request with the curl binary; -i output split into status, headers and body. */
async function curl(args: readonly string[]): Promise<Reply> {
  const { stdout } = await run('curl', ['-sS', '-i', ...args], { encoding: 'buffer', maxBuffer: 64 << 20 });
  let rest = stdout;
  // curl prints a 100 Continue block before the real one on large POST bodies.
  for (;;) {
    const end = rest.indexOf('\r\n\r\n');
    const head = rest.subarray(0, end).toString('latin1').split('\r\n');
    rest = rest.subarray(end + 4);
    const status = Number(head[0]!.split(' ')[1]);
    if (status === 100) continue;
    const headers: Record<string, string> = {};
    for (const line of head.slice(1)) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    return { status, headers, body: rest };
  }
}

/** Sample rows in every base table, so that the views have rows to join and aggregate. */
async function fillTables(client: ClickHouseClient, database: string): Promise<void> {
  const tables = await (
    await client.query({
      query: `SELECT name FROM system.tables WHERE database = {db:String} AND engine = 'ReplacingMergeTree' AND name NOT IN ('schema_migrations', 'dim_date', 'holiday_calendar', 'region_calendar')`,
      query_params: { db: database },
      format: 'JSONEachRow',
    })
  ).json<{ name: string }>();
  for (const { name } of tables) {
    const columns = await (
      await client.query({
        query: `SELECT name, type FROM system.columns WHERE database = {db:String} AND table = {t:String} AND default_kind IN ('', 'DEFAULT') ORDER BY position`,
        query_params: { db: database, t: name },
        format: 'JSONEachRow',
      })
    ).json<{ name: string; type: string }>();
    // Values shared by column name across tables (store_id-1, sku-2...), so joins match.
    const value = (column: string, type: string): string => {
      const inner = type.replace(/^(Nullable|LowCardinality|SimpleAggregateFunction\(\w+,)\s*\(?/, '').replace(/\)$/, '');
      if (/^Map\(/.test(type)) return 'map()';
      if (/^Array\(/.test(type)) return '[]';
      if (/^Enum/.test(inner)) return `'${/'([^']*)'/.exec(inner)![1]}'`;
      if (/^UUID/.test(inner)) return `toUUID(concat('00000000-0000-0000-0000-', leftPad(toString(number), 12, '0')))`;
      if (/^Date(32)?$/.test(inner)) return `toDate('2026-03-01') + number % 4`;
      if (/^DateTime/.test(inner)) return `toDateTime64('2026-03-01 10:00:00', 3, 'UTC') + toIntervalMinute(number * 37)`;
      if (/^Bool/.test(inner)) return 'number % 2 = 0';
      if (/^(U?Int|Float|Decimal)/.test(inner)) return `(number % 7) + 1`;
      return `concat('${column}-', toString(number % 3))`;
    };
    const select = columns.map((c) => `CAST(${value(c.name, c.type)} AS ${c.type}) AS \`${c.name}\``).join(', ');
    await client.command({ query: `INSERT INTO ${database}.${name} (${columns.map((c) => `\`${c.name}\``).join(', ')}) SELECT ${select} FROM numbers(12)` });
  }
}

describe('SQL endpoint (ClickHouse HTTP interface)', () => {
  let embedded: ClickHouseClient;
  let database: string;
  let url: string;
  let views: string[];
  const maxBodyBytes = 1 << 20;

  /**
   * What the embedded client answers, the reference every client is compared with. Read once
   * per view and format: nothing writes to the database after beforeAll (its views read no
   * clock but `least(ends_at, now)`, whose sample ends lie in the past), and planning one of
   * the inventory views takes the engine seconds on a busy machine, yet the reading tests
   * asked for the same text three times (sample rows, curl, clickhouse-connect).
   */
  const references = new Map<string, Promise<string>>();
  function reference(view: string, format: 'TabSeparated' | 'JSONEachRow'): Promise<string> {
    const key = `${format} ${view}`;
    let text = references.get(key);
    if (!text) {
      text = embedded.query({ query: `SELECT * FROM ${database}.${view} ORDER BY ALL`, format }).then((r) => r.text());
      // A failed read is not kept: the next test reads again and fails with its own error.
      text.catch(() => references.get(key) === text && references.delete(key));
      references.set(key, text);
    }
    return text;
  }

  beforeAll(async () => {
    const config = testConfig();
    if (config.clickhouse.mode !== 'embedded') throw new Error('the SQL endpoint serves embedded ClickHouse; unset CLICKHOUSE_URL for this test');
    ({ client: embedded, database } = await testClickHouse(config));
    await migrate(embedded, database);
    await fillCalendar(embedded, database, '2026-02-25', '2026-03-10');
    await fillTables(embedded, database);
    // Sample rates, reporting currency, stores and VAT rates written straight into their tables:
    // the views compare through the endpoint and directly, so both must read them after the
    // refreshes (0049, 0051), not across one.
    await refreshAndCheckExchangeRates(embedded, database);
    await refreshAndCheckVatRatePeriods(embedded, database);
    const executor = new AdminExecutor({ dataDir: config.clickhouse.dataDir, defaultDatabase: database, sessionTimeoutS: 60 });
    const endpoint = await startSqlEndpoint({ config: { sqlEndpoint: { ...config.sqlEndpoint, port: 0, maxBodyBytes } }, logger: testLogger(), executor });
    registerCleanup(async () => {
      await endpoint.close();
      await executor.close();
    });
    url = endpoint.url;
    views = (
      await (
        await embedded.query({ query: `SELECT name FROM system.tables WHERE database = {db:String} AND name LIKE 'bi\\_%' ORDER BY name`, query_params: { db: database }, format: 'JSONEachRow' })
      ).json<{ name: string }>()
    ).map((v) => v.name);
  });

  it('has sample rows in the views it compares', async () => {
    expect(views.length).toBeGreaterThanOrEqual(20);
    // Two views at a time: planning one is a core's work, and the machine has two.
    const texts = await inParallel(views, 2, (view) => reference(view, 'TabSeparated'));
    const filled = views.filter((_, i) => texts[i] !== '');
    // Not every view finds matching rows in random samples, but most must, or the comparison proves little.
    expect(filled.length).toBeGreaterThanOrEqual(Math.ceil(views.length * 0.6));
  });

  describe('curl', () => {
    it('answers Ok. on /ping and on GET / without a query', async () => {
      for (const path of ['/ping', '/']) {
        const reply = await curl([`${url}${path}`]);
        expect([reply.status, reply.body.toString()]).toEqual([200, 'Ok.\n']);
      }
    });

    it('reads every bi_* view byte for byte as the embedded client does, by GET and by POST', async () => {
      for (const view of views) {
        // The reference and both requests at once: each is mostly the engine planning the view,
        // one core each, and the endpoint serves concurrent requests as a server does.
        const [expected, post, get] = await Promise.all([
          reference(view, 'TabSeparated'),
          curl(['--data-binary', `SELECT * FROM ${view} ORDER BY ALL`, `${url}/?database=${database}`]),
          curl(['-G', '--data-urlencode', `query=SELECT * FROM ${view} ORDER BY ALL`, '--data-urlencode', `database=${database}`, `${url}/query`]),
        ]);
        expect([view, post.status, post.body.toString()]).toEqual([view, 200, expected]);
        expect([view, get.status, get.body.toString()]).toEqual([view, 200, expected]);
      }
    });

    it('sends the headers a server sends: format, query id (echoed or generated), time zone, summary, content type', async () => {
      const echoed = await curl(['-H', 'X-ClickHouse-Format: JSONEachRow', '--data-binary', 'SELECT 1 AS n', `${url}/?query_id=dashboard-42`]);
      expect(echoed.status).toBe(200);
      expect(echoed.headers).toMatchObject({
        'x-clickhouse-query-id': 'dashboard-42',
        'x-clickhouse-format': 'JSONEachRow',
        'x-clickhouse-timezone': expect.any(String),
        'x-clickhouse-server-display-name': expect.any(String),
        'content-type': 'application/x-ndjson; charset=UTF-8',
      });
      expect(JSON.parse(echoed.headers['x-clickhouse-summary']!)).toMatchObject({ read_rows: '1', result_bytes: String('{"n":1}\n'.length) });
      expect(echoed.body.toString()).toBe('{"n":1}\n');
      const generated = await curl(['--data-binary', 'SELECT 1', url]);
      expect(generated.headers['x-clickhouse-query-id']).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('joins the query parameter and the body, and binds param_* values', async () => {
      const joined = await curl(['--data-binary', 'FROM numbers(4)', `${url}/?query=${encodeURIComponent('SELECT sum(number)')}`]);
      expect(joined.body.toString()).toBe('6\n');
      const bound = await curl(['-G', '--data-urlencode', 'query=SELECT {store:String} AS s, {n:UInt8} * 2 AS twice', '--data-urlencode', "param_store=S'01", '--data-urlencode', 'param_n=21', '--data-urlencode', 'default_format=JSONEachRow', url]);
      expect(JSON.parse(bound.body.toString())).toEqual({ s: "S'01", twice: 42 });
    });

    it('compresses the response by Accept-Encoding only with enable_http_compression=1: gzip, deflate, br, zstd', async () => {
      const expected = await reference('bi_sales', 'TabSeparated');
      for (const encoding of ['gzip', 'deflate', 'br', 'zstd']) {
        const reply = await curl(['--compressed', '-H', `Accept-Encoding: ${encoding}`, '--data-binary', 'SELECT * FROM bi_sales ORDER BY ALL', `${url}/?enable_http_compression=1&database=${database}`]);
        expect([encoding, reply.status, reply.headers['content-encoding'], reply.body.toString()]).toEqual([encoding, 200, encoding, expected]);
      }
      const plain = await curl(['-H', 'Accept-Encoding: gzip', '--data-binary', 'SELECT 1', url]);
      expect([plain.headers['content-encoding'], plain.body.toString()]).toEqual([undefined, '1\n']);
    });

    it('reads request bodies sent with Content-Encoding', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'sql-endpoint-'));
      registerCleanup(async () => rmSync(dir, { recursive: true, force: true }));
      for (const [encoding, bytes] of [['gzip', gzipSync('SELECT 42')], ['deflate', deflateSync('SELECT 42')], ['br', brotliCompressSync('SELECT 42')]] as const) {
        writeFileSync(join(dir, encoding), bytes);
        const reply = await curl(['-H', `Content-Encoding: ${encoding}`, '--data-binary', `@${join(dir, encoding)}`, url]);
        expect([encoding, reply.status, reply.body.toString()]).toEqual([encoding, 200, '42\n']);
      }
    });

    it('keeps USE and SET in a session, runs one query at a time in it, and drops it after its idle timeout', async () => {
      const session = `curl-${Date.now()}`;
      const inSession = (query: string, extra = ''): Promise<Reply> => curl(['--data-binary', query, `${url}/?session_id=${session}${extra}`]);
      expect((await inSession('USE system')).status).toBe(200);
      expect((await inSession('SET max_threads = 3')).status).toBe(200);
      expect((await inSession("SELECT currentDatabase(), getSetting('max_threads')")).body.toString()).toBe('system\t3\n');
      // Without the session the state is gone.
      expect((await curl(['--data-binary', "SELECT getSetting('max_threads') = 3", url])).body.toString()).toBe('0\n');
      let slowDone = false;
      const slow = inSession('SELECT sleep(3)').finally(() => (slowDone = true));
      // The slow query holds the session; a second one meanwhile is refused, not queued.
      let locked: Reply | undefined;
      while (!slowDone) {
        locked = await inSession('SELECT 1');
        if (locked.status !== 200) break;
      }
      expect(locked?.headers['x-clickhouse-exception-code']).toBe('373');
      expect(locked?.body.toString()).toMatch(/^Code: 373\. DB::Exception: Session .* is locked by a concurrent client\. \(SESSION_IS_LOCKED\)/);
      expect((await slow).status).toBe(200);
      // session_timeout=1: the session is dropped a second after its last query.
      expect((await inSession('SELECT 1', '&session_timeout=1')).status).toBe(200);
      // Each check is a query in the session and restarts its idle time, so checks are spaced
      // wider than the timeout.
      let gone: Reply | undefined;
      const until = Date.now() + 10_000;
      do {
        await sleep(1_500);
        gone = await inSession('SELECT 1', '&session_check=1');
      } while (gone.status === 200 && Date.now() < until);
      expect(gone.headers['x-clickhouse-exception-code']).toBe('372');
    });

    it('answers errors with a non-2xx status, X-ClickHouse-Exception-Code and a server-formatted body', async () => {
      const unknown = await curl(['--data-binary', 'SELECT * FROM no_such_table', url]);
      expect([unknown.status, unknown.headers['x-clickhouse-exception-code']]).toEqual([404, '60']);
      expect(unknown.body.toString()).toMatch(/^Code: 60\. DB::Exception: .*no_such_table.*\(UNKNOWN_TABLE\)\n$/s);
      const syntax = await curl(['--data-binary', 'SELEC 1', url]);
      expect([syntax.status, syntax.headers['x-clickhouse-exception-code']]).toEqual([400, '62']);
      const wrongUser = await curl(['-u', 'mallory:guess', '--data-binary', 'SELECT 1', url]);
      expect([wrongUser.status, wrongUser.headers['x-clickhouse-exception-code']]).toEqual([403, '516']);
      expect(wrongUser.body.toString()).toMatch(/mallory: Authentication failed/);
      const badTimeout = await curl(['--data-binary', 'SELECT 1', `${url}/?session_id=x&session_timeout=soon`]);
      expect([badTimeout.status, badTimeout.body.toString()]).toEqual([400, "Code: 374. DB::Exception: Invalid session timeout: 'soon'. (INVALID_SESSION_TIMEOUT)\n"]);
      const empty = await curl(['-X', 'POST', url]);
      expect([empty.status, empty.body.toString()]).toEqual([400, 'Code: 62. DB::Exception: Empty query. (SYNTAX_ERROR)\n']);
      const readOnlyGet = await curl(['-G', '--data-urlencode', 'query=CREATE TABLE get_made_me (x UInt8) ENGINE = Memory', url]);
      expect(readOnlyGet.headers['x-clickhouse-exception-code']).toBe('164');
      expect(readOnlyGet.status).toBeGreaterThanOrEqual(400);
      const dir = mkdtempSync(join(tmpdir(), 'sql-endpoint-'));
      registerCleanup(async () => rmSync(dir, { recursive: true, force: true }));
      writeFileSync(join(dir, 'large.sql'), `SELECT '${'x'.repeat(maxBodyBytes)}'`);
      const tooLarge = await curl(['--data-binary', `@${join(dir, 'large.sql')}`, url]);
      expect([tooLarge.status, tooLarge.headers['x-clickhouse-exception-code']]).toEqual([413, '229']);
      expect(tooLarge.body.toString()).toMatch(/larger than 1048576 bytes \(SQL_ENDPOINT_MAX_BODY_BYTES\)/);
      // compress=1: the body is ClickHouse's block framing (checksum, method byte, sizes), which
      // the block decoder checks; tests/integration/sql-wire.test.ts has clickhouse-go read it too.
      const framed = await curl(['--data-binary', 'SELECT 1', `${url}/?compress=1`]);
      expect(framed.status).toBe(200);
      expect(decodeCompressedBlocks(framed.body).toString()).toBe('1\n');
    });
  });

  it('serves HTTPS when a certificate and key are configured', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sql-endpoint-tls-'));
    registerCleanup(async () => rmSync(dir, { recursive: true, force: true }));
    const [cert, key] = [join(dir, 'cert.pem'), join(dir, 'key.pem')];
    await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1', '-keyout', key, '-out', cert]);
    const config = testConfig({ SQL_ENDPOINT_TLS_CERT_FILE: cert, SQL_ENDPOINT_TLS_KEY_FILE: key, SQL_ENDPOINT_PORT: '0' });
    const executor = new AdminExecutor({ dataDir: config.clickhouse.mode === 'embedded' ? config.clickhouse.dataDir : '', defaultDatabase: database, sessionTimeoutS: 60 });
    const secure = await startSqlEndpoint({ config, logger: testLogger(), executor });
    registerCleanup(async () => {
      await secure.close();
      await executor.close();
    });
    expect(secure.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const reply = await curl(['--cacert', cert, '--data-binary', 'SELECT count() > 0 FROM bi_dim_date', secure.url.replace('127.0.0.1', 'localhost')]);
    expect([reply.status, reply.body.toString()]).toEqual([200, '1\n']);
    await expect(run('curl', ['-sS', '--data-binary', 'SELECT 1', secure.url.replace('https:', 'http:')])).rejects.toThrow();
  });

  describe('start-up and metadata queries the drivers send', () => {
    // As read in the drivers' sources: clickhouse-go's HTTP handshake, clickhouse-jdbc's
    // connection and DatabaseMetaData queries, clickhouse-connect's settings discovery, and what
    // Metabase, Grafana and Superset list tables and columns with. Each runs on the engine itself.
    const queries: [string, RegExp][] = [
      ['SELECT displayName(), version(), revision(), timezone()', /^\S+\t\d+\.\d+[\d.]*\t\d+\t\S+\n$/],
      ["SELECT currentUser(), timezone(), version(), getSetting('readonly')", /^default\t\S+\t[\d.]+\t0\n$/],
      ["SELECT name, value, readonly FROM system.settings WHERE name IN ('enable_http_compression', 'send_progress_in_http_headers', 'readonly') ORDER BY name", /^enable_http_compression\t\d\t0\nreadonly\t0\t0\nsend_progress_in_http_headers\t\d\t0\n$/],
      ['SHOW DATABASES', /\bsystem\n/],
      ['SELECT name FROM system.databases ORDER BY name', /\bsystem\n/],
      ['SELECT name, engine FROM system.tables WHERE database = currentDatabase() ORDER BY name', /\nbi_sales\tView\n/],
      ['SHOW TABLES', /\bbi_sales\n/],
      ["SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = 'bi_sales' ORDER BY position LIMIT 1", /^sale_id\tUUID\n$/],
      ['DESCRIBE TABLE bi_sales', /^sale_id\tUUID\t/],
      ["SELECT count() > 100 FROM system.functions WHERE is_aggregate = 0", /^true\n$|^1\n$/],
      ['SELECT count() > 10 FROM system.table_engines', /^true\n$|^1\n$/],
      ['SELECT count() > 10 FROM system.data_type_families', /^true\n$|^1\n$/],
      ['SELECT name FROM system.formats WHERE is_output AND name = \'Native\'', /^Native\n$/],
    ];

    it('answers each as a server does', async () => {
      for (const [query, expected] of queries) {
        const reply = await curl(['--data-binary', query, `${url}/?database=${database}`]);
        expect([query, reply.status]).toEqual([query, 200]);
        expect([query, reply.body.toString()]).toEqual([query, expect.stringMatching(expected)]);
      }
    });
  });

  describe('@clickhouse/client in HTTP mode', () => {
    let http: ClickHouseClient;
    beforeAll(() => {
      // The client logs each failed request itself; the test checks the errors it throws instead.
      http = createClient({ url, database, log: { level: ClickHouseLogLevel.OFF } });
      registerCleanup(() => http.close());
    });

    it('pings, runs its start-up and metadata queries, and reads every bi_* view as the embedded client does', async () => {
      expect((await http.ping()).success).toBe(true);
      const [server] = await (await http.query({ query: 'SELECT version() AS version, timezone() AS timezone, currentUser() AS user, currentDatabase() AS db', format: 'JSONEachRow' })).json<Record<string, string>>();
      expect(server).toMatchObject({ user: 'default', db: database });
      const described = await (await http.query({ query: 'DESCRIBE TABLE bi_sales', format: 'JSONEachRow' })).json<{ name: string }>();
      expect(described.map((c) => c.name)).toContain('store_id');
      for (const view of views) {
        const [rows, expected] = await Promise.all([
          http.query({ query: `SELECT * FROM ${view} ORDER BY ALL`, format: 'JSONEachRow' }).then((r) => r.text()),
          reference(view, 'JSONEachRow'),
        ]);
        expect([view, rows]).toEqual([view, expected]);
      }
    });

    it('binds query parameters, runs commands and reports an engine error with its code and type', async () => {
      const [row] = await (await http.query({ query: 'SELECT {store:String} AS store, {n:UInt32} + 1 AS next', query_params: { store: 'S001', n: 41 }, format: 'JSONEachRow' })).json<{ store: string; next: number }>();
      expect(row).toEqual({ store: 'S001', next: 42 });
      await http.command({ query: 'SELECT 1' });
      await expect(http.query({ query: 'SELECT * FROM no_such_table' })).rejects.toMatchObject({ code: '60', type: 'UNKNOWN_TABLE' });
    });

    it('reads a gzip-compressed response when it asks for one', async () => {
      const compressed = createClient({ url, database, compression: { response: true, request: true } });
      registerCleanup(() => compressed.close());
      const rows = await (await compressed.query({ query: 'SELECT * FROM bi_sales ORDER BY ALL', format: 'JSONEachRow' })).text();
      expect(rows).toBe(await reference('bi_sales', 'JSONEachRow'));
    });
  });

  describe('clickhouse-connect (PyPI), with pandas and Arrow', () => {
    it('connects with its defaults, runs its metadata queries and reads every bi_* view as the embedded client does', async () => {
      const { stdout: python } = await run(join(REPO_ROOT, 'tests/harness/python/ensure-venv.sh'), [], { encoding: 'utf8' });
      const { stdout } = await run(python.trim(), [join(REPO_ROOT, 'tests/integration/clients/clickhouse_connect_read.py'), url, database, ...views], { encoding: 'utf8', maxBuffer: 64 << 20 });
      const read = JSON.parse(stdout) as {
        server: { version: string; user: string; database: string };
        metadata: { databases: string[]; tables: string[]; columns: number; describe: string[][] };
        views: Record<string, { tsv: string }>;
        pandas: { rows: number; units_sold: number | null };
        arrow: { rows: number; columns: string[] };
      };
      expect(read.server).toMatchObject({ version: expect.stringMatching(/^\d+\.\d+/), user: 'default', database });
      expect(read.metadata.databases).toContain(database);
      expect(read.metadata.tables).toEqual(expect.arrayContaining(views));
      expect(read.metadata.columns).toBeGreaterThan(100);
      for (const view of views) expect([view, read.views[view]?.tsv]).toEqual([view, await reference(view, 'TabSeparated')]);
      const sales = (await (await embedded.query({ query: `SELECT count() AS rows, sum(units_sold) AS total_units FROM ${database}.bi_sales`, format: 'JSONEachRow' })).json<{ rows: string; total_units: number }>())[0]!;
      expect(read.pandas).toEqual({ rows: Number(sales.rows), units_sold: Number(sales.total_units) });
      expect(read.arrow.rows).toBe(Number(sales.rows));
      expect(read.arrow.columns).toContain('store_id');
    });
  });
});
