/**
 * A client over a MessagePort (./clickhouse-port.ts) against a real embedded engine: what a
 * worker's client sends runs on the owner's connection and comes back as the owner's own client
 * would see it: rows, inserts, settings, query parameters, a statement with a body, a ping, and
 * an engine error with its code and type. Both ends run in this thread here (a MessageChannel
 * works within one thread as across two); the processors' thread test runs them across threads.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { MessageChannel } from 'node:worker_threads';
import { ClickHouseError, createClient } from '@clickhouse/client';
import { createClickHouse, embeddedConnectionOf, type ClickHouseClient } from './clickhouse';
import { createPortConnection, serveConnectionOnPort } from './clickhouse-port';

describe('ClickHouse over a MessagePort', () => {
  let dir: string;
  let owner: ClickHouseClient;
  let client: ClickHouseClient;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'clickhouse-port-'));
    owner = createClickHouse({ mode: 'embedded', dataDir: dir, database: 'default', requestTimeoutMs: 60_000 });
    const { port1, port2 } = new MessageChannel();
    serveConnectionOnPort(port1, embeddedConnectionOf(owner)!);
    client = createClient({ connection: createPortConnection(port2) });
  });
  afterAll(async () => {
    await client.close();
    await owner.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('has no engine connection for a client of a server', () => {
    const server = createClickHouse({ mode: 'server', url: 'http://127.0.0.1:1', user: 'default', password: '', database: 'default', requestTimeoutMs: 1_000, caFile: undefined });
    expect(embeddedConnectionOf(server)).toBeUndefined();
    return server.close();
  });

  it('runs DDL, inserts rows and reads them back, as the owner sees them', async () => {
    await client.command({ query: 'CREATE DATABASE port_test' });
    await client.command({ query: 'CREATE TABLE port_test.sales (store_id String, sku String, units Int64) ENGINE = MergeTree ORDER BY (store_id, sku)' });
    await client.insert({ table: 'port_test.sales', values: [{ store_id: 'S1', sku: 'A', units: 3 }, { store_id: 'S1', sku: 'B', units: 4 }, { store_id: 'S2', sku: 'A', units: 5 }], format: 'JSONEachRow' });
    await client.insert({ table: 'port_test.sales', values: [['S2', 'B', 6]], columns: ['store_id', 'sku', 'units'], format: 'JSONCompactEachRow' });
    const read = async (c: ClickHouseClient) =>
      (await c.query({ query: 'SELECT store_id, sum(units) AS units FROM port_test.sales GROUP BY store_id ORDER BY store_id', format: 'JSONEachRow' })).json<{ store_id: string; units: number }>();
    // Hand-computed: S1 3 + 4, S2 5 + 6.
    expect((await read(client)).map((r) => [r.store_id, Number(r.units)])).toEqual([['S1', 7], ['S2', 11]]);
    expect(await read(owner)).toEqual(await read(client));
  });

  it('passes settings and query parameters, and a statement with a body', async () => {
    const setting = await (await client.query({ query: "SELECT getSetting('max_threads') AS v", format: 'JSONEachRow', clickhouse_settings: { max_threads: 3 } })).json<{ v: string }>();
    expect(Number(setting[0]!.v)).toBe(3);
    const param = await (await client.query({ query: 'SELECT {n:UInt32} * 2 AS twice, {s:String} AS s', query_params: { n: 21, s: "it's" }, format: 'JSONEachRow' })).json<{ twice: number; s: string }>();
    expect(param).toEqual([{ twice: 42, s: "it's" }]);
    const text = await (await client.query({ query: 'SELECT number FROM numbers(3)', format: 'CSV' })).text();
    expect(text).toBe('0\n1\n2\n');
    const exec = await client.exec({ query: 'INSERT INTO port_test.sales FORMAT CSV', values: Readable.from(['S3,', 'C,9\n']) });
    exec.stream.destroy();
    const s3 = await (await client.query({ query: "SELECT sum(units) AS u FROM port_test.sales WHERE store_id = 'S3'", format: 'JSONEachRow' })).json<{ u: string }>();
    expect(s3.map((r) => Number(r.u))).toEqual([9]);
  });

  it('pings, and gives an engine error back as a ClickHouseError with its code and type', async () => {
    expect(await client.ping()).toEqual({ success: true });
    const failure = await client.query({ query: 'SELECT * FROM port_test.missing', format: 'JSONEachRow' }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ClickHouseError);
    expect((failure as ClickHouseError).code).toBe('60');
    expect((failure as ClickHouseError).type).toBe('UNKNOWN_TABLE');
    expect((failure as Error).message).toContain('port_test.missing');
  });
});
