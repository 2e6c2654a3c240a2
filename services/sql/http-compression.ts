/**
 * HTTP compression as ClickHouse does it: a response is compressed only when the request sets
 * `enable_http_compression=1` and sends Accept-Encoding (then br, gzip, deflate, zstd, in the
 * server's order of preference), and a request body is decompressed by its Content-Encoding.
 * gzip, deflate and br come from node:zlib; Node 20's zlib has no zstd, so zstd is the
 * @bokuweb/zstd-wasm build of the reference library. lz4 (an encoding clickhouse-connect offers
 * first) is not served: such a client also offers gzip, which is chosen instead, and a body sent
 * with Content-Encoding lz4 gets a clear 415.
 */
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import * as zstd from '@bokuweb/zstd-wasm';
import { sqlError } from './clickhouse-errors';

export type HttpEncoding = 'br' | 'gzip' | 'deflate' | 'zstd';

/** ClickHouse's preference when a client accepts several. */
const PREFERENCE: readonly HttpEncoding[] = ['br', 'gzip', 'deflate', 'zstd'];

/** The encoding to answer in, from an Accept-Encoding header; undefined: send identity. */
export function chooseEncoding(acceptEncoding: string | undefined): HttpEncoding | undefined {
  if (!acceptEncoding) return undefined;
  const accepted = new Set<string>();
  for (const part of acceptEncoding.split(',')) {
    const [token, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)).find(Boolean);
    if (token && !(q && Number(q[1]) === 0)) accepted.add(token === 'x-gzip' ? 'gzip' : token);
  }
  return PREFERENCE.find((e) => accepted.has(e));
}

let zstdReady: Promise<void> | undefined;
/** The wasm module loads once, on the first zstd body. */
function ensureZstd(): Promise<void> {
  zstdReady ??= zstd.init();
  return zstdReady;
}

const gzip = promisify(zlib.gzip);
const deflate = promisify(zlib.deflate);
const brotli = promisify(zlib.brotliCompress);
const gunzip = promisify(zlib.gunzip);
const inflate = promisify(zlib.inflate);
const unbrotli = promisify(zlib.brotliDecompress);

/** Compresses a response body; `level` is ClickHouse's http_zlib_compression_level (1..9). */
export async function compressBody(body: Uint8Array, encoding: HttpEncoding, level: number): Promise<Buffer> {
  switch (encoding) {
    case 'gzip':
      return gzip(body, { level });
    case 'deflate':
      return deflate(body, { level });
    case 'br':
      return brotli(body, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: level, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: body.byteLength } });
    case 'zstd':
      await ensureZstd();
      return Buffer.from(zstd.compress(body, level));
  }
}

/**
 * Decompresses a request body by its Content-Encoding, refusing output beyond `maxBytes` so a
 * small compressed body cannot expand past the body cap.
 */
export async function decompressBody(body: Buffer, contentEncoding: string | undefined, maxBytes: number): Promise<Buffer> {
  const encoding = contentEncoding?.trim().toLowerCase();
  if (!encoding || encoding === 'identity') return body;
  const tooLarge = (): Error => sqlError('QUERY_IS_TOO_LARGE', `Request body is larger than ${maxBytes} bytes once decompressed (SQL_ENDPOINT_MAX_BODY_BYTES)`);
  try {
    switch (encoding) {
      case 'gzip':
      case 'x-gzip':
        return await gunzip(body, { maxOutputLength: maxBytes });
      case 'deflate':
        return await inflate(body, { maxOutputLength: maxBytes });
      case 'br':
        return await unbrotli(body, { maxOutputLength: maxBytes });
      case 'zstd': {
        await ensureZstd();
        const out = Buffer.from(zstd.decompress(body));
        if (out.byteLength > maxBytes) throw tooLarge();
        return out;
      }
      default:
        throw sqlError('UNKNOWN_COMPRESSION_METHOD', `Unknown Content-Encoding '${contentEncoding}': the endpoint reads gzip, deflate, br and zstd`, { httpStatus: 415 });
    }
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge();
    if (error instanceof Error && error.name === 'SqlEndpointError') throw error;
    throw sqlError('CANNOT_DECOMPRESS', `Cannot decompress the request body as ${encoding}: ${error instanceof Error ? error.message : String(error)}`, { cause: error, httpStatus: 400 });
  }
}
