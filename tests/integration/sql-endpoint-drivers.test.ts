/**
 * Real drivers against the SQL endpoint, each with its defaults: clickhouse-jdbc 0.9 through
 * java.sql (Metabase, DBeaver: compressed blocks in the response, DatabaseMetaData, a prepared
 * statement) and clickhouse-go v2 over HTTP with LZ4 (Grafana: Native with
 * client_protocol_version, compress=1). The endpoint serves embedded ClickHouse on port 0 over
 * a data folder with the project's migrations and a small hand-made data set; every bi_* view
 * must read through each driver as the embedded client reads it.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { migrate } from '../../clickhouse/migrate';
import { AdminExecutor, startSqlEndpoint } from '../../services/sql';
import { encodeCompressedBlocks, loadBlockCodecs } from '../../services/sql/compressed-blocks';
import { loadSmallBiDataSet } from '../harness/bi-data';
import { buildGoClient, buildJdbcClient, runGoClient, runJdbcClient, type EndpointLogin } from '../harness/clients';
import { registerCleanup, testClickHouse, testConfig, testLogger } from '../harness/fixtures';

/**
 * One spelling for a value as ClickHouse's JSON prints it and as the client programs print what
 * their driver decoded: numbers, decimals and booleans as plain decimal strings without trailing
 * fraction zeros, dates as UTC midnight instants, instants without trailing fraction zeros.
 */
function canonical(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, canonical(v)]));
  }
  if (typeof value === 'boolean') return value ? '1' : '0';
  const text = String(value);
  if (text === 'true' || text === 'false') return text === 'true' ? '1' : '0';
  if (/^-?\d+\.\d+$/.test(text)) return text.replace(/\.?0+$/, '');
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) return `${text}T00:00:00Z`;
  const instant = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?Z$/.exec(text);
  if (instant) return `${instant[1]}${(instant[2] ?? '').replace(/\.?0+$/, '')}Z`;
  return text;
}

interface ViewLine {
  readonly view: string;
  readonly columns: readonly { name: string; type: string }[];
  readonly rows: readonly unknown[][];
}

describe('SQL endpoint read by real ClickHouse drivers', () => {
  let client: ClickHouseClient;
  let database: string;
  let login: EndpointLogin;
  let endpointUrl: string;
  /** Per bi_* view, in name order: column names and rows as the embedded client reads them. */
  const expected = new Map<string, { columns: string[]; rows: unknown[] }>();

  beforeAll(async () => {
    ({ client, database } = await testClickHouse());
    await migrate(client, database);
    await loadSmallBiDataSet(client, database);
    const config = testConfig();
    if (config.clickhouse.mode !== 'embedded') throw new Error('the SQL endpoint serves embedded ClickHouse: run without CLICKHOUSE_URL');
    const executor = new AdminExecutor({ dataDir: config.clickhouse.dataDir, defaultDatabase: database, sessionTimeoutS: 60 });
    const endpoint = await startSqlEndpoint({ config: { sqlEndpoint: { ...config.sqlEndpoint, host: '127.0.0.1', port: 0 } }, logger: testLogger(), executor });
    registerCleanup(async () => {
      await endpoint.close();
      await executor.close();
    });
    login = { address: new URL(endpoint.url).host, user: 'default', password: '', database };
    endpointUrl = endpoint.url;

    const views = await (
      await client.query({ query: `SELECT name FROM system.tables WHERE database = {db:String} AND name LIKE 'bi\\\\_%' ORDER BY name`, query_params: { db: database }, format: 'JSONEachRow' })
    ).json<{ name: string }>();
    for (const { name } of views) {
      const described = await (await client.query({ query: `DESCRIBE TABLE ${database}.${name}`, format: 'JSONEachRow' })).json<{ name: string }>();
      const result = await client.query({ query: `SELECT * FROM ${database}.${name} ORDER BY ALL`, format: 'JSONCompactEachRow', clickhouse_settings: { date_time_output_format: 'iso' } });
      expected.set(name, { columns: described.map((c) => c.name), rows: (await result.json<unknown[]>()).map(canonical) as unknown[] });
    }
    // Built here, so a cold build (downloads included) is not charged to one test's timeout.
    await Promise.all([buildGoClient(), buildJdbcClient()]);
  }, 900_000);

  it('has a data set that fills most views', () => {
    expect(expected.size).toBeGreaterThanOrEqual(20);
    expect([...expected.values()].filter((v) => v.rows.length > 0).length).toBeGreaterThanOrEqual(10);
  });

  it('serves clickhouse-go over HTTP with LZ4 (Grafana): every bi_* view as the embedded client reads it', async () => {
    const lines = await runGoClient(login);
    const server = lines.find((l) => l['kind'] === 'server');
    expect(server).toMatchObject({ kind: 'server', version: expect.stringMatching(/server version \d+\.\d+/) });
    const views = lines.filter((l) => 'view' in l) as unknown as ViewLine[];
    expect(views.map((v) => v.view)).toEqual([...expected.keys()]);
    for (const view of views) {
      const want = expected.get(view.view)!;
      // An empty view too: chDB writes nothing for an empty Native result, and the endpoint
      // writes the header block a server sends (names and types, no rows).
      expect({ view: view.view, columns: view.columns.map((c) => c.name), rows: view.rows.map(canonical) }).toEqual({ view: view.view, columns: want.columns, rows: want.rows });
    }
  });

  it('serves clickhouse-jdbc through java.sql (Metabase, DBeaver): metadata, a prepared statement, every bi_* view', async () => {
    const lines = await runJdbcClient(login);
    const of = (kind: string): Record<string, unknown>[] => lines.filter((l) => l['kind'] === kind);
    expect(of('server')[0]).toMatchObject({ product: 'ClickHouse', database });
    expect(of('schemas')[0]!['names']).toEqual(expect.arrayContaining([database]));
    expect(of('tables')[0]!['names']).toEqual([...expected.keys()]);
    for (const columns of of('columns')) {
      expect({ view: columns['view'], columns: (columns['columns'] as { name: string }[]).map((c) => c.name) }).toEqual({
        view: columns['view'],
        columns: expected.get(String(columns['view']))!.columns,
      });
    }
    expect(of('columns').length).toBe(expected.size);
    // Hand-computed from the data set: two stores, the first is S001.
    expect((of('prepared')[0]!['rows'] as unknown[][]).map(canonical)).toEqual([['2', 'S001']]);
    const views = of('view') as unknown as ViewLine[];
    expect(views.map((v) => v.view)).toEqual([...expected.keys()]);
    for (const view of views) {
      const want = expected.get(view.view)!;
      expect({ view: view.view, columns: view.columns.map((c) => c.name), rows: view.rows.map(canonical) }).toEqual({ view: view.view, ...want });
    }
  });

  it('reads a decompress=1 body (as clickhouse-go sends inserts) and refuses a corrupted one with ClickHouse code 40', async () => {
    await loadBlockCodecs();
    const body = encodeCompressedBlocks(Buffer.from(`SELECT count() FROM ${database}.bi_dim_store`), 'lz4');
    const ok = await fetch(`${endpointUrl}/?decompress=1`, { method: 'POST', body });
    expect([ok.status, await ok.text()]).toEqual([200, '2\n']);
    const corrupted = Buffer.from(body);
    corrupted[corrupted.length - 1]! ^= 0x01;
    const refused = await fetch(`${endpointUrl}/?decompress=1`, { method: 'POST', body: corrupted });
    expect(refused.status).toBe(400);
    expect(refused.headers.get('x-clickhouse-exception-code')).toBe('40');
    expect(await refused.text()).toMatch(/^Code: 40\. DB::Exception: compressed block 0 at byte 0: checksum does not match/);
  });

  it('answers 501 for Native to clickhouse-go when a column type cannot be re-framed, naming the column', async () => {
    const query = encodeURIComponent("SELECT CAST('a', 'Variant(String, UInt64)') AS v FORMAT Native");
    const refused = await fetch(`${endpointUrl}/?client_protocol_version=54460&query=${query}`);
    expect(refused.status).toBe(501);
    expect(refused.headers.get('x-clickhouse-exception-code')).toBe('48');
    expect(await refused.text()).toMatch(/column v \(Variant\(String, UInt64\)\)/);
  });
});
