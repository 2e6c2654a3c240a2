import { Binary, Field, Int32, Int64, List, Map_, Schema, Struct, TimestampMillisecond, Utf8, Bool, Float64, FixedSizeBinary } from 'apache-arrow';
import { ARCHIVE_RECORD_SOURCE, encodeColumns, PARQUET_ENCODER_DEFAULTS, writeParquetFile } from './parquet';
import { builderFor } from './columns';
import { tableFromIPC } from 'apache-arrow';
import { readParquet } from 'parquet-wasm';

const line = new Struct([new Field('sku', new Utf8(), false), new Field('promotion_id', new Utf8(), true)]);

function build(field: Field, values: unknown[]) {
  const builder = builderFor(field, field.name, 2, false); // a small capacity, so every buffer grows
  for (const v of values) builder.add(v);
  return builder.finish();
}

describe('column builders', () => {
  it('writes 64-bit integers exactly, from numbers and bigints, negatives included', () => {
    const values = [0, -1, 2 ** 53 - 1, -(2 ** 53 - 1), 4_294_967_296, 1_700_000_000_123, -5_000_000_000];
    const data = build(new Field('n', new Int64(), false), [...values, 9_007_199_254_740_993n]);
    expect([...(data.values as BigInt64Array)]).toEqual([...values.map(BigInt), 9_007_199_254_740_993n]);
  });

  it('rejects a fractional or unsafe number in a 64-bit column', () => {
    expect(() => build(new Field('n', new Int64(), false), [1.5])).toThrow(/whole number/);
    expect(() => build(new Field('n', new TimestampMillisecond('UTC'), false), [2 ** 60])).toThrow(/whole number/);
  });

  it('encodes ASCII and non-ASCII strings as UTF-8, with nulls in an optional column', () => {
    const data = build(new Field('s', new Utf8(), true), ['B1', null, 'Café crème', '', 'x'.repeat(100), '日本']);
    const text = Buffer.from(data.values as Uint8Array).toString('utf8');
    expect(text).toBe('B1Café crème' + 'x'.repeat(100) + '日本');
    expect([...(data.valueOffsets as Int32Array)]).toEqual([0, 2, 2, 14, 14, 114, 120]);
    expect(data.nullCount).toBe(1);
  });

  it('fails on a null in a required column, but not under a null parent struct', () => {
    expect(() => build(new Field('s', new Utf8(), false), ['a', null])).toThrow(/null in the required column s/);
    const data = build(new Field('line', line, true), [{ sku: 'A', promotion_id: null }, null, { sku: 'B', promotion_id: 'P' }]);
    expect(data.nullCount).toBe(1);
    expect(data.children[0]!.length).toBe(3);
  });
});

describe('archive columns through Parquet and back', () => {
  it('keeps every value, type and null', () => {
    const entries = new Field('entries', new Struct([new Field('key', new Utf8(), false), new Field('value', new Int32(), false)]), false);
    const schema = new Schema([
      new Field('event_id', new Utf8(), false),
      new Field('flag', new Bool(), true),
      new Field('price', new Float64(), false),
      new Field('fixed', new FixedSizeBinary(2), false),
      new Field('attributes', new Map_(entries), false),
      new Field('lines', new List(new Field('element', line, false)), false),
      new Field('note', new Binary(), true),
      new Field('key', new Binary(), true),
      new Field('value', new Binary(), false),
      new Field('offset', new Int64(), false),
    ]);
    const records = [0, 1, 2].map((i) => ({
      key: i === 1 ? null : Buffer.from(`S${i}`),
      value: Buffer.from([0, 0, 0, 0, 7, i]),
      schemaId: 7,
      headers: [],
      timestamp: 0,
      partition: 0,
      offset: BigInt(10 + i),
      event: {
        event_id: `e${i}`,
        flag: i === 2 ? null : i === 0,
        price: i + 0.5,
        fixed: Buffer.from([i, i]),
        attributes: i === 0 ? {} : { a: i, b: 2 * i },
        lines: i === 1 ? [] : [{ sku: 'A', promotion_id: null }, { sku: 'B', promotion_id: `P${i}` }],
        note: i === 0 ? Buffer.from('n') : null,
      },
    }));
    const file = writeParquetFile(encodeColumns(schema, records, ARCHIVE_RECORD_SOURCE, PARQUET_ENCODER_DEFAULTS));
    const rows = tableFromIPC(readParquet(file).intoIPCStream()).toArray().map((r) => r.toJSON());
    expect(rows.map((r) => [r['event_id'], r['flag'], r['price'], r['offset']])).toEqual([
      ['e0', true, 0.5, 10n],
      ['e1', false, 1.5, 11n],
      ['e2', null, 2.5, 12n],
    ]);
    expect(rows.map((r) => (r['lines'] ? [...r['lines']].map((l) => l.toJSON()) : null))).toEqual([
      [{ sku: 'A', promotion_id: null }, { sku: 'B', promotion_id: 'P0' }],
      [],
      [{ sku: 'A', promotion_id: null }, { sku: 'B', promotion_id: 'P2' }],
    ]);
    expect(rows.map((r) => Object.fromEntries([...r['attributes']]))).toEqual([{}, { a: 1, b: 2 }, { a: 2, b: 4 }]);
    expect(rows.map((r) => (r['key'] ? Buffer.from(r['key']).toString() : null))).toEqual(['S0', null, 'S2']);
    expect(rows.map((r) => [...r['fixed']])).toEqual([[0, 0], [1, 1], [2, 2]]);
    expect(rows.map((r) => (r['note'] ? Buffer.from(r['note']).toString() : null))).toEqual(['n', null, null]);
  });
});
