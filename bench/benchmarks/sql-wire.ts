/**
 * sql-wire: the cost of the SQL endpoint's wire codecs on a real result, the embedded engine's
 * Native output of sale-line-like rows (ids, store codes, SKUs, money, timestamps):
 *
 *  - ClickHouse compressed blocks (compress=1, what clickhouse-jdbc and clickhouse-go ask for):
 *    encode and decode MB/s (of uncompressed bytes) with LZ4 (lz4-wasm-nodejs), ZSTD and none,
 *    checksums included, and the CityHash128 rate alone;
 *  - the baseline in the same run: gzip level 1 of node:zlib (native code), what the endpoint
 *    pays for an HTTP Content-Encoding, so `lz4_vs_gzip` says how the framing compares;
 *  - reframeNative MB/s for clickhouse-go, against a plain copy of the same bytes.
 *
 * LZ4 package choice (measured on 1 MiB of Native-like bytes, 2026-12-06, 2 loaded cores):
 * lz4-wasm-nodejs 115-222 MB/s compress / ~400 MB/s decompress, lz4-napi (native binary per
 * platform) 103-249 / ~415, lz4js (pure JS) 43-63 / ~72. The wasm build matches the native
 * one with a single package and nothing per platform.
 */
import { randomBytes } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { queryAsync } from 'chdb';
import { cityHash128Words } from '../../services/sql/cityhash128';
import { decodeCompressedBlocks, encodeCompressedBlocks, loadBlockCodecs, type BlockMethod } from '../../services/sql/compressed-blocks';
import { reframeNative } from '../../services/sql/native-protocol';
import type { Benchmark } from '../harness';

/** Rows of the Native result: about 8 MB, eight 1 MiB blocks. */
const ROWS = 120_000;
/** Each figure is the rate over at least this long, after one warm-up pass. */
const MIN_SECONDS = 1.5;
const MB = 1_000_000;

const QUERY = `SELECT generateUUIDv4() AS sale_id, toUInt16(number % 7 + 1) AS line_number,
  toDateTime64('2026-11-01 08:00:00', 3, 'UTC') + number * 0.25 AS sold_at, concat('S', leftPad(toString(number % 50), 3, '0')) AS store_id,
  toLowCardinality(['CASH', 'CARD', 'MOBILE'][number % 3 + 1]) AS payment_method, concat('SKU-', toString(number * 7919 % 2000)) AS sku,
  toInt32(number % 5 + 1) AS units_sold, toDecimal64(number * 37 % 5000, 2) / 100 AS unit_price, if(number % 9 = 0, 'PROMO-7', NULL) AS promotion_id
FROM numbers(${ROWS}) FORMAT Native`;

/** MB/s of `bytes` processed by `work`, repeated for at least MIN_SECONDS. */
function rate(bytes: number, work: () => unknown): number {
  work();
  let runs = 0;
  const started = process.hrtime.bigint();
  let seconds = 0;
  do {
    work();
    runs++;
    seconds = Number(process.hrtime.bigint() - started) / 1e9;
  } while (seconds < MIN_SECONDS);
  return (runs * bytes) / MB / seconds;
}

export const sqlWireBench: Benchmark = {
  name: 'sql-wire',
  description: `compressed blocks (LZ4, ZSTD, none), CityHash128 and Native re-framing on ${ROWS} rows of Native, against gzip level 1 and a plain copy`,
  async run() {
    await loadBlockCodecs();
    const native = Buffer.from((await queryAsync(QUERY, { format: 'Native' })).bytes());
    const metrics: Record<string, number> = { native_bytes: native.length };

    const random = randomBytes(1_048_576);
    const words = new Uint32Array(4);
    metrics['cityhash128_mb_s'] = rate(random.length, () => cityHash128Words(random, words));

    for (const method of ['lz4', 'zstd', 'none'] as const satisfies readonly BlockMethod[]) {
      const encoded = encodeCompressedBlocks(native, method);
      metrics[`${method}_ratio`] = encoded.length / native.length;
      metrics[`${method}_encode_mb_s`] = rate(native.length, () => encodeCompressedBlocks(native, method));
      metrics[`${method}_decode_mb_s`] = rate(native.length, () => decodeCompressedBlocks(encoded));
    }
    const gzipped = gzipSync(native, { level: 1 });
    metrics['gzip1_ratio'] = gzipped.length / native.length;
    metrics['gzip1_encode_mb_s'] = rate(native.length, () => gzipSync(native, { level: 1 }));
    metrics['gzip1_decode_mb_s'] = rate(native.length, () => gunzipSync(gzipped));
    metrics['lz4_vs_gzip_encode'] = metrics['lz4_encode_mb_s']! / metrics['gzip1_encode_mb_s']!;

    metrics['reframe_mb_s'] = rate(native.length, () => reframeNative(native, 54460));
    metrics['copy_mb_s'] = rate(native.length, () => Buffer.from(native));
    metrics['reframe_vs_copy'] = metrics['reframe_mb_s']! / metrics['copy_mb_s']!;
    return metrics;
  },
};
