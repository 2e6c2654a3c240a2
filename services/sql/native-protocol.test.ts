import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isShelfStreamError } from '../../lib/errors';
import { emptyNativeBlock, reframeNative, rowBinaryHeader } from './native-protocol';

/** What clickhouse-go v2.51 sends as client_protocol_version (DBMS_TCP_PROTOCOL_VERSION). */
const CLICKHOUSE_GO_REVISION = 54460;

/** Block info as a server writes it: field 1 is_overflows 0, field 2 bucket_num -1, field 0. */
const BLOCK_INFO = '01' + '00' + '02' + 'ffffffff' + '00';

const hexString = (text: string): string => Buffer.from(text).toString('hex');
const lengthPrefixed = (text: string): string => Buffer.from([text.length]).toString('hex') + hexString(text);

/** chDB's Native for SELECT 1::UInt8 AS a, 'xy' AS b (2 columns, 1 row). */
const SMALL = '0201' + lengthPrefixed('a') + lengthPrefixed('UInt8') + '01' + lengthPrefixed('b') + lengthPrefixed('String') + lengthPrefixed('xy');

function reframeError(body: Uint8Array): string {
  try {
    reframeNative(body, CLICKHOUSE_GO_REVISION);
  } catch (error) {
    if (isShelfStreamError(error, 'DECODE_FAILED')) return error.message;
    throw error;
  }
  throw new Error('reframeNative accepted a bad body');
}

describe('reframeNative', () => {
  it('checks the hand-written input is what chDB writes', () => {
    // Captured from chDB 26.7: the small block above, byte for byte.
    expect(SMALL).toBe('020101610555496e743801016206537472696e67027879');
  });

  it('adds the block info and a serialization byte after each column type for revision 54460', () => {
    const expected =
      BLOCK_INFO + '0201' + lengthPrefixed('a') + lengthPrefixed('UInt8') + '00' + '01' + lengthPrefixed('b') + lengthPrefixed('String') + '00' + lengthPrefixed('xy');
    expect(reframeNative(Buffer.from(SMALL, 'hex'), CLICKHOUSE_GO_REVISION).toString('hex')).toBe(expected);
  });

  it('adds only the block info below revision 54454', () => {
    expect(reframeNative(Buffer.from(SMALL, 'hex'), 54453).toString('hex')).toBe(BLOCK_INFO + SMALL);
  });

  it('passes the body through when the client sent no revision', () => {
    expect(reframeNative(Buffer.from(SMALL, 'hex'), 0).toString('hex')).toBe(SMALL);
  });

  it('walks Array values to find where the next block starts', () => {
    // chDB: SELECT 'a' AS s, [1,2]::Array(UInt16) AS arr FROM numbers(2), then the same block again.
    const block = '0202017306537472696e6701610161036172720d41727261792855496e74313629020000000000000004000000000000000100020001000200';
    const reframed = reframeNative(Buffer.from(block + block, 'hex'), CLICKHOUSE_GO_REVISION).toString('hex');
    const one =
      BLOCK_INFO + '0202' + lengthPrefixed('s') + lengthPrefixed('String') + '00' + '01610161' + lengthPrefixed('arr') + lengthPrefixed('Array(UInt16)') + '00' +
      '0200000000000000' + '0400000000000000' + '0100' + '0200' + '0100' + '0200';
    expect(reframed).toBe(one + one);
  });

  it('walks every type of a many-typed chDB result (3 blocks x 24 columns)', () => {
    const fixture = readFileSync(join(__dirname, 'testdata', 'native-many-types.chdb.txt'), 'utf8').trim().split('\n');
    const body = Buffer.from(fixture.at(-1)!, 'hex');
    const reframed = reframeNative(body, CLICKHOUSE_GO_REVISION);
    // max_block_size = 2 over 5 rows: 3 blocks, each gaining 8 bytes of block info and 24 bytes.
    expect(reframed.length).toBe(body.length + 3 * (8 + 24));
    expect(reframed.subarray(0, 8).toString('hex')).toBe(BLOCK_INFO);
    // The last column of each block is `an Array(Nullable(UInt64))`; its serialization byte follows the type.
    const marker = Buffer.from(lengthPrefixed('an') + lengthPrefixed('Array(Nullable(UInt64))') + '00', 'hex');
    let found = 0;
    for (let at = reframed.indexOf(marker); at !== -1; at = reframed.indexOf(marker, at + 1)) found++;
    expect(found).toBe(3);
  });

  it('names the column whose values run past the end of the body', () => {
    const body = Buffer.from(SMALL, 'hex');
    expect(reframeError(body.subarray(0, body.length - 1))).toBe(
      'Native output, column b (String) of block 0: String needs 2 bytes at byte 21, the body ends at 22',
    );
  });

  it('refuses a type whose state it cannot measure, naming the column', () => {
    // chDB: SELECT CAST('a', 'Variant(String, UInt64)') AS v
    const variant = Buffer.from('010101761756617269616e7428537472696e672c2055496e743634290000000000000000000161', 'hex');
    expect(reframeError(variant)).toMatch(/^Native output, column v \(Variant\(String, UInt64\)\) of block 0: values of type Variant/);
  });
});

describe('empty Native results', () => {
  it('reads the names and types a RowBinaryWithNamesAndTypes header carries', () => {
    // Bytes chDB wrote for `SELECT toUInt8(1) AS x, 'a' AS s WHERE 0` in RowBinaryWithNamesAndTypes.
    const header = Buffer.from('\x02\x01x\x01s\x05UInt8\x06String', 'latin1');
    expect(rowBinaryHeader(header)).toEqual([
      { name: 'x', type: 'UInt8' },
      { name: 's', type: 'String' },
    ]);
  });

  it('writes a block of no rows with the columns, as a server does, which the re-framing accepts', () => {
    const block = emptyNativeBlock([
      { name: 'x', type: 'UInt8' },
      { name: 's', type: 'String' },
    ]);
    // 2 columns, 0 rows, then each name and type (hand-written from the Native layout).
    expect(block).toEqual(Buffer.from('\x02\x00\x01x\x05UInt8\x01s\x06String', 'latin1'));
    // With the block info and a serialization byte after each column's type for revision 54460.
    expect(reframeNative(block, 54460)).toEqual(
      Buffer.concat([Buffer.from([1, 0, 2, 0xff, 0xff, 0xff, 0xff, 0]), Buffer.from('\x02\x00\x01x\x05UInt8\x00\x01s\x06String\x00', 'latin1')]),
    );
  });
});
