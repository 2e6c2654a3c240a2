import { isShelfStreamError } from '../../lib/errors';
import { cityHash128 } from './cityhash128';
import { decodeCompressedBlocks, encodeCompressedBlocks, loadBlockCodecs } from './compressed-blocks';

/**
 * Blocks written by clickhouse-go's compressor (github.com/ClickHouse/ch-go v0.75.0,
 * `compress/_golden/data_compressed_{lz4,zstd,none}.raw`, produced by its TestCompress from
 * "Hello!\n" repeated 25 times).
 */
const HELLO = Buffer.from('Hello!\n'.repeat(25));
const CH_GO_BLOCKS = {
  lz4: 'c5bcbc07c11ec471fd74af8d5b0f00c58226000000af0000007f48656c6c6f210a070082009300009a00b06c6f210a48656c6c6f210a',
  zstd: '1677b8462a4837488040e87de78e0d099025000000af00000028b52ffd04007d00003848656c6c6f210a015407032b2505eb3dca06',
  none: `fced07b8c559e98c1661170f6c5272df02b8000000af000000${HELLO.toString('hex')}`,
} as const;

function decodeError(data: Uint8Array): { message: string; context: Record<string, unknown> } {
  try {
    decodeCompressedBlocks(data);
  } catch (error) {
    if (isShelfStreamError(error, 'DECODE_FAILED')) return { message: error.message, context: error.context };
    throw error;
  }
  throw new Error('decodeCompressedBlocks accepted a bad body');
}

/** Bytes that compress a little, like a column of store ids and prices. */
function columnLike(bytes: number): Buffer {
  const out = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) out[i] = i % 11 === 0 ? (i * 7919) & 0xff : 0x41 + ((i >> 4) % 26);
  return out;
}

beforeAll(() => loadBlockCodecs());

describe('decodeCompressedBlocks', () => {
  it.each(['lz4', 'zstd', 'none'] as const)('reads a %s block written by clickhouse-go', (method) => {
    expect(decodeCompressedBlocks(Buffer.from(CH_GO_BLOCKS[method], 'hex'))).toEqual(HELLO);
  });

  it('reads several blocks one after another', () => {
    const body = Buffer.concat([Buffer.from(CH_GO_BLOCKS.lz4, 'hex'), Buffer.from(CH_GO_BLOCKS.zstd, 'hex'), Buffer.from(CH_GO_BLOCKS.none, 'hex')]);
    expect(decodeCompressedBlocks(body)).toEqual(Buffer.concat([HELLO, HELLO, HELLO]));
  });

  it('names the block whose checksum does not match', () => {
    const first = Buffer.from(CH_GO_BLOCKS.none, 'hex');
    const second = Buffer.from(CH_GO_BLOCKS.lz4, 'hex');
    second[second.length - 1]! ^= 0x01;
    const { message, context } = decodeError(Buffer.concat([first, second]));
    expect(message).toMatch(/^compressed block 1 at byte 200: checksum does not match/);
    expect(context).toMatchObject({ block: 1, byte_offset: first.length, clickhouse_code: 40 });
  });

  it('refuses a size that runs past the body, and a truncated header', () => {
    const block = Buffer.from(CH_GO_BLOCKS.lz4, 'hex');
    expect(decodeError(block.subarray(0, block.length - 3)).message).toMatch(/compressed size 38 runs 3 bytes past the end/);
    expect(decodeError(block.subarray(0, 20)).message).toMatch(/truncated header: 20 bytes left/);
  });

  it('refuses an unknown method by its byte', () => {
    // An uncompressed block relabelled 0x91 (ClickHouse's "multiple codecs"), its checksum
    // recomputed (cityHash128 is checked against published vectors in its own test).
    const body = encodeCompressedBlocks(HELLO, 'none');
    body[16] = 0x91;
    const checksum = cityHash128(body.subarray(16));
    body.writeBigUInt64LE(checksum.low, 0);
    body.writeBigUInt64LE(checksum.high, 8);
    const { message, context } = decodeError(body);
    expect(message).toBe('compressed block 0 at byte 0: unknown compression method 0x91 (expected 0x82 LZ4, 0x90 ZSTD or 0x02 none)');
    expect(context).toMatchObject({ clickhouse_code: 89 });
  });
});

describe('encodeCompressedBlocks', () => {
  it('writes the same uncompressed block as clickhouse-go, checksum included', () => {
    expect(encodeCompressedBlocks(HELLO, 'none').toString('hex')).toBe(CH_GO_BLOCKS.none);
  });

  it.each(['lz4', 'zstd', 'none'] as const)('round-trips %s in 1 MiB blocks like a server', (method) => {
    const data = columnLike(2_500_000);
    const body = encodeCompressedBlocks(data, method);
    expect(decodeCompressedBlocks(body)).toEqual(data);
    // Three blocks: 1 MiB, 1 MiB, and the rest, each saying its own uncompressed size.
    const sizes: number[] = [];
    for (let offset = 0; offset < body.length; offset += 16 + body.readUInt32LE(offset + 17)) sizes.push(body.readUInt32LE(offset + 21));
    expect(sizes).toEqual([1_048_576, 1_048_576, 2_500_000 - 2 * 1_048_576]);
  });

  it('writes LZ4 blocks in the plain block format with the header ClickHouse expects', () => {
    const body = encodeCompressedBlocks(HELLO, 'lz4');
    expect(body[16]).toBe(0x82);
    expect(body.readUInt32LE(17)).toBe(body.length - 16);
    expect(body.readUInt32LE(21)).toBe(HELLO.length);
    expect(body.length).toBeLessThan(HELLO.length);
  });

  it('writes nothing for an empty body', () => {
    expect(encodeCompressedBlocks(new Uint8Array(0), 'lz4').length).toBe(0);
  });
});
