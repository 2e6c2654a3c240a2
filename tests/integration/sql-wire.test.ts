/**
 * The SQL endpoint's wire codecs against clickhouse-go's own decoders (built from
 * tests/clients/go), with no HTTP in between: ClickHouse compressed blocks as its compress=1
 * reader checks them, and the embedded engine's Native output of every bi_* view, re-framed for
 * client_protocol_version 54460, as its block decoder reads it. Expected rows are the engine's
 * own JSONEachRow of the same query.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { migrate } from '../../clickhouse/migrate';
import { encodeCompressedBlocks, loadBlockCodecs } from '../../services/sql/compressed-blocks';
import { reframeNative } from '../../services/sql/native-protocol';
import { loadSmallBiDataSet } from '../harness/bi-data';
import { buildGoClient, decodeBlocksWithGo, decodeNativeWithGo } from '../harness/clients';
import { testClickHouse } from '../harness/fixtures';

const CLICKHOUSE_GO_REVISION = 54460;

/**
 * One spelling for a value as ClickHouse's JSON prints it and as the Go program prints what the
 * driver decoded: numbers and booleans as decimal strings (UInt8 booleans read as 0/1 on both
 * sides), dates as UTC midnight instants, objects with sorted keys.
 */
function canonical(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, canonical(v)]));
  }
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'number') return String(value);
  const text = String(value);
  if (text === 'true' || text === 'false') return text === 'true' ? '1' : '0';
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) return `${text}T00:00:00Z`;
  // Go prints instants without trailing zeros of the fraction; ClickHouse with its precision.
  const instant = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?Z$/.exec(text);
  if (instant) return `${instant[1]}${(instant[2] ?? '').replace(/\.?0+$/, '')}Z`;
  return text;
}

async function nativeBytes(client: ClickHouseClient, query: string): Promise<Buffer> {
  const result = await client.exec({ query: `${query} FORMAT Native` });
  const chunks: Buffer[] = [];
  for await (const chunk of result.stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function engineRows(client: ClickHouseClient, query: string): Promise<unknown[]> {
  const result = await client.query({ query, format: 'JSONEachRow', clickhouse_settings: { date_time_output_format: 'iso' } });
  return (await result.json<Record<string, unknown>>()).map(canonical);
}

describe('SQL endpoint wire codecs read by clickhouse-go', () => {
  let client: ClickHouseClient;
  let database: string;

  beforeAll(async () => {
    ({ client, database } = await testClickHouse());
    await migrate(client, database);
    await loadSmallBiDataSet(client, database);
    await loadBlockCodecs();
    await buildGoClient();
  }, 600_000);

  it.each(['lz4', 'zstd', 'none'] as const)('writes %s compressed blocks that clickhouse-go reads and checksums', async (method) => {
    // 2.5 MB of a Native result: three blocks of at most 1 MiB.
    const native = await nativeBytes(client, 'SELECT number, toString(number % 977) AS sku FROM numbers(200000)');
    expect(native.length).toBeGreaterThan(2 * 1_048_576);
    const decoded = await decodeBlocksWithGo(encodeCompressedBlocks(native, method));
    expect(decoded.equals(native)).toBe(true);
  });

  it('re-frames Native of many types so that clickhouse-go decodes every value', async () => {
    const query = `SELECT number::UInt8 AS u8, toInt64(number) - 1 AS i64, concat('store-', toString(number)) AS s, toFixedString('ab', 2) AS fs,
      if(number = 1, NULL, number * 1.5) AS nf, toDecimal64(number, 2) / 3 AS d, toDateTime64('2026-01-02 03:04:05.678', 3, 'UTC') + number AS dt64,
      toDateTime('2026-01-02 03:04:05', 'UTC') + number AS dt, toDate('2026-01-02') + number AS d1, range(number) AS arr, [[number], []] AS arr2,
      map(concat('k', toString(number)), number) AS m, CAST((number, 'x'), 'Tuple(a UInt64, b String)') AS nt, toLowCardinality(concat('lc', toString(number % 2))) AS lc,
      toLowCardinality(if(number = 0, NULL, 'n')) AS lcn, [toLowCardinality('x')] AS alc, toInt128(number) AS i128, [NULL, number] AS an
      FROM numbers(5) ORDER BY number SETTINGS max_block_size = 2`;
    const decoded = await decodeNativeWithGo(reframeNative(await nativeBytes(client, query), CLICKHOUSE_GO_REVISION), CLICKHOUSE_GO_REVISION);
    expect(decoded.map(canonical)).toEqual(await engineRows(client, query));
  });

  it('re-frames every bi_* view so that clickhouse-go reads the rows the engine returns', async () => {
    const views = (
      await (await client.query({ query: `SELECT name FROM system.tables WHERE database = {db:String} AND name LIKE 'bi\\\\_%' ORDER BY name`, query_params: { db: database }, format: 'JSONEachRow' })).json<{ name: string }>()
    ).map((v) => v.name);
    expect(views.length).toBeGreaterThanOrEqual(20);
    let viewsWithRows = 0;
    for (const view of views) {
      const query = `SELECT * FROM ${database}.${view} ORDER BY ALL`;
      const expected = await engineRows(client, query);
      const decoded = await decodeNativeWithGo(reframeNative(await nativeBytes(client, query), CLICKHOUSE_GO_REVISION), CLICKHOUSE_GO_REVISION);
      expect({ view, rows: decoded.map(canonical) }).toEqual({ view, rows: expected });
      if (expected.length > 0) viewsWithRows++;
    }
    // The data set reaches the dimensions, the calendar, sales, returns, stock and their rollups.
    expect(viewsWithRows).toBeGreaterThanOrEqual(10);
  });
});
