/**
 * ClickHouse's own compressed block framing, as a server sends a response for `compress=1` and
 * reads a request body for `decompress=1` (the JDBC driver and clickhouse-go ask for it; it is
 * not HTTP Content-Encoding). Each block is:
 *
 *   16 bytes  CityHash128 (v1.0.2, ./cityhash128.ts) of everything after it in the block
 *    1 byte   method: 0x82 LZ4, 0x90 ZSTD, 0x02 none
 *    4 bytes  compressed size, these 9 header bytes included (UInt32 LE)
 *    4 bytes  uncompressed size (UInt32 LE)
 *    payload  LZ4 *block* format (no frame), a ZSTD frame, or the bytes as they are
 *
 * LZ4 comes from lz4-wasm-nodejs (lz4_flex built to wasm: nothing native to download, and as
 * fast as the napi build on 1 MiB blocks; bench/compressed-blocks.bench.ts), which frames its
 * blocks with a 4-byte uncompressed-size prefix that is added and stripped here. ZSTD is the
 * wasm build of the reference library, which must be loaded once (`loadBlockCodecs`) before a
 * ZSTD block is encoded or decoded.
 */
import * as zstd from '@bokuweb/zstd-wasm';
import * as lz4 from 'lz4-wasm-nodejs';
import { ShelfStreamError } from '../../lib/errors';
import { cityHash128 } from './cityhash128';

export type BlockMethod = 'lz4' | 'zstd' | 'none';

const CHECKSUM_BYTES = 16;
/** Method byte, compressed size, uncompressed size: counted in the block's compressed size. */
const HEADER_BYTES = 9;
const BLOCK_OVERHEAD = CHECKSUM_BYTES + HEADER_BYTES;

/** A server's compressed write buffer (DBMS_DEFAULT_BUFFER_SIZE, `max_compress_block_size`). */
export const DEFAULT_BLOCK_BYTES = 1_048_576; // 1 MiB of uncompressed data per block

/** Largest uncompressed block accepted when decoding: ClickHouse refuses beyond 1 GiB too. */
const MAX_DECODED_BLOCK_BYTES = 1_073_741_824; // 1 GiB

/** ZSTD level a server uses by default for `network_zstd_compression_level`. */
const ZSTD_LEVEL = 1;

const METHOD_BYTE: Readonly<Record<BlockMethod, number>> = { lz4: 0x82, zstd: 0x90, none: 0x02 };

/** ClickHouse's error codes for a bad compressed block, for the HTTP side's answer. */
const CLICKHOUSE_CODE = { checksum: 40, unknownMethod: 89, tooLarge: 246, cannotDecompress: 271 } as const;

let zstdLoaded = false;
let zstdLoading: Promise<void> | undefined;

/** Loads the ZSTD wasm module once; LZ4 and `none` need nothing. */
export async function loadBlockCodecs(): Promise<void> {
  zstdLoading ??= zstd.init().then(() => {
    zstdLoaded = true;
  });
  await zstdLoading;
}

function blockError(message: string, block: number, offset: number, clickhouseCode: number, cause?: unknown): ShelfStreamError {
  return new ShelfStreamError('DECODE_FAILED', `compressed block ${block} at byte ${offset}: ${message}`, {
    cause,
    context: { block, byte_offset: offset, clickhouse_code: clickhouseCode },
  });
}

function requireZstd(): void {
  if (!zstdLoaded) {
    throw new ShelfStreamError('INVALID_ARGUMENT', 'ZSTD compressed blocks need loadBlockCodecs() to have completed first');
  }
}

function compressPayload(chunk: Uint8Array, method: BlockMethod): Uint8Array {
  switch (method) {
    case 'lz4':
      // lz4_flex prepends the uncompressed size (4 bytes LE); ClickHouse keeps it in the header.
      return lz4.compress(chunk).subarray(4);
    case 'zstd':
      requireZstd();
      return zstd.compress(chunk, ZSTD_LEVEL);
    case 'none':
      return chunk;
  }
}

/** Frames `data` in blocks of at most `blockBytes` uncompressed bytes, as a server responds to `compress=1`. */
export function encodeCompressedBlocks(data: Uint8Array, method: BlockMethod, blockBytes: number = DEFAULT_BLOCK_BYTES): Buffer {
  if (!Number.isInteger(blockBytes) || blockBytes <= 0) {
    throw new ShelfStreamError('INVALID_ARGUMENT', `compressed block size must be a positive integer of bytes, got ${blockBytes}`);
  }
  const blocks: Buffer[] = [];
  for (let start = 0; start < data.byteLength; start += blockBytes) {
    const chunk = data.subarray(start, Math.min(start + blockBytes, data.byteLength));
    const payload = compressPayload(chunk, method);
    const block = Buffer.allocUnsafe(BLOCK_OVERHEAD + payload.byteLength);
    block[CHECKSUM_BYTES] = METHOD_BYTE[method];
    block.writeUInt32LE(HEADER_BYTES + payload.byteLength, CHECKSUM_BYTES + 1);
    block.writeUInt32LE(chunk.byteLength, CHECKSUM_BYTES + 5);
    block.set(payload, BLOCK_OVERHEAD);
    const checksum = cityHash128(block.subarray(CHECKSUM_BYTES));
    block.writeBigUInt64LE(checksum.low, 0);
    block.writeBigUInt64LE(checksum.high, 8);
    blocks.push(block);
  }
  return Buffer.concat(blocks);
}

function decompressPayload(method: number, payload: Uint8Array, decodedBytes: number, block: number, offset: number): Uint8Array {
  switch (method) {
    case METHOD_BYTE.none:
      return payload;
    case METHOD_BYTE.lz4: {
      const prefixed = new Uint8Array(4 + payload.byteLength);
      new DataView(prefixed.buffer).setUint32(0, decodedBytes, true);
      prefixed.set(payload, 4);
      try {
        return lz4.decompress(prefixed);
      } catch (error) {
        throw blockError(`LZ4 payload does not decompress (${String(error)})`, block, offset, CLICKHOUSE_CODE.cannotDecompress, error);
      }
    }
    case METHOD_BYTE.zstd:
      requireZstd();
      try {
        return zstd.decompress(payload, { defaultHeapSize: decodedBytes });
      } catch (error) {
        throw blockError(`ZSTD payload does not decompress (${String(error)})`, block, offset, CLICKHOUSE_CODE.cannotDecompress, error);
      }
    default:
      throw blockError(`unknown compression method 0x${method.toString(16).padStart(2, '0')} (expected 0x82 LZ4, 0x90 ZSTD or 0x02 none)`, block, offset, CLICKHOUSE_CODE.unknownMethod);
  }
}

/**
 * Reads a body sent with `decompress=1` (or a `compress=1` response): checks each block's
 * checksum and sizes and returns the concatenated uncompressed bytes.
 */
export function decodeCompressedBlocks(data: Uint8Array): Buffer {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (let block = 0; offset < data.byteLength; block++) {
    if (data.byteLength - offset < BLOCK_OVERHEAD) {
      throw blockError(`truncated header: ${data.byteLength - offset} bytes left, a block header has ${BLOCK_OVERHEAD}`, block, offset, CLICKHOUSE_CODE.cannotDecompress);
    }
    const method = data[offset + CHECKSUM_BYTES]!;
    const compressedBytes = view.getUint32(offset + CHECKSUM_BYTES + 1, true);
    const decodedBytes = view.getUint32(offset + CHECKSUM_BYTES + 5, true);
    if (compressedBytes < HEADER_BYTES) {
      throw blockError(`compressed size ${compressedBytes} is smaller than its own ${HEADER_BYTES}-byte header`, block, offset, CLICKHOUSE_CODE.cannotDecompress);
    }
    const end = offset + CHECKSUM_BYTES + compressedBytes;
    if (end > data.byteLength) {
      throw blockError(`compressed size ${compressedBytes} runs ${end - data.byteLength} bytes past the end of the body`, block, offset, CLICKHOUSE_CODE.cannotDecompress);
    }
    if (decodedBytes > MAX_DECODED_BLOCK_BYTES) {
      throw blockError(`uncompressed size ${decodedBytes} is over the ${MAX_DECODED_BLOCK_BYTES}-byte limit`, block, offset, CLICKHOUSE_CODE.tooLarge);
    }
    const expected = cityHash128(data.subarray(offset + CHECKSUM_BYTES, end));
    const low = view.getBigUint64(offset, true);
    const high = view.getBigUint64(offset + 8, true);
    if (low !== expected.low || high !== expected.high) {
      throw blockError(
        `checksum does not match: block says ${formatU128(low, high)}, its bytes hash to ${formatU128(expected.low, expected.high)}`,
        block,
        offset,
        CLICKHOUSE_CODE.checksum,
      );
    }
    const payload = data.subarray(offset + BLOCK_OVERHEAD, end);
    if (method === METHOD_BYTE.none && payload.byteLength !== decodedBytes) {
      throw blockError(`uncompressed block holds ${payload.byteLength} bytes but says ${decodedBytes}`, block, offset, CLICKHOUSE_CODE.cannotDecompress);
    }
    const decoded = decompressPayload(method, payload, decodedBytes, block, offset);
    if (decoded.byteLength !== decodedBytes) {
      throw blockError(`decompressed to ${decoded.byteLength} bytes but the header says ${decodedBytes}`, block, offset, CLICKHOUSE_CODE.cannotDecompress);
    }
    parts.push(decoded);
    offset = end;
  }
  return Buffer.concat(parts);
}

function formatU128(low: bigint, high: bigint): string {
  return `${high.toString(16).padStart(16, '0')}${low.toString(16).padStart(16, '0')}`;
}
