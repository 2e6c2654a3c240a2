import { tableFromIPC } from 'apache-arrow';
import { Type } from 'avsc';
import { readParquet } from 'parquet-wasm';
import { PackedRowsWriter, type PackableRow, packRows, transferList, valueOf } from './packed-rows';

/** The catalogue's (reader) schema: its fields are the columns. */
const CURRENT = {
  type: 'record',
  name: 'Sale',
  fields: [
    { name: 'event_id', type: 'string' },
    { name: 'occurred_at', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'lines', type: { type: 'array', items: { type: 'record', name: 'Line', fields: [{ name: 'sku', type: 'string' }, { name: 'quantity', type: 'int' }] } } },
    { name: 'note', type: ['null', 'string'], default: null },
  ],
};
/** An older writer schema of the same topic, without `note`: its rows get a null note. */
const OLDER = { ...CURRENT, fields: CURRENT.fields.slice(0, 3) };

function framed(schemaId: number, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.writeInt32BE(schemaId, 1);
  return Buffer.concat([header, body]);
}

const T = Date.UTC(2026, 10, 23, 9);
const events = [
  { schemaId: 7, event: { event_id: 'e0', occurred_at: T, lines: [{ sku: 'A', quantity: 1 }], note: 'café' } },
  { schemaId: 3, event: { event_id: 'e1', occurred_at: T + 1, lines: [] } },
  { schemaId: 7, event: { event_id: 'e2', occurred_at: T + 2, lines: [{ sku: 'B', quantity: 2 }, { sku: 'C', quantity: 3 }], note: null } },
];
const rows: PackableRow[] = events.map(({ schemaId, event }, i) => ({
  partition: 4,
  offset: 100 + i,
  key: i === 1 ? null : i === 2 ? Buffer.alloc(0) : Buffer.from('S1'),
  value: framed(schemaId, Type.forSchema((schemaId === 7 ? CURRENT : OLDER) as never).toBuffer(event)),
  schemaId,
  headers: i === 2 ? [{ key: 'h', value: Buffer.from('1') }, { key: 'h', value: null }] : [],
  kafkaTimestamp: T + 10 + i,
}));

describe('packed archive rows', () => {
  it('packs every row into flat buffers, each of its own that can be transferred', () => {
    const packed = packRows(rows);
    expect(packed.count).toBe(3);
    expect(rows.map((r, i) => Buffer.from(valueOf(packed, i)).equals(r.value))).toEqual([true, true, true]);
    const buffers = transferList(packed);
    expect(new Set(buffers).size).toBe(buffers.length);
  });

  it('writes the rows as the catalogue columns, each event decoded with its own writer schema, replay fields exact', () => {
    const writers: [number, string][] = [
      [7, JSON.stringify(CURRENT)],
      [3, JSON.stringify(OLDER)],
    ];
    const file = new PackedRowsWriter().write({ what: 'test', avroSchema: JSON.stringify(CURRENT), writers, rows: packRows(rows), rowGroupRows: 1024 });
    const table = tableFromIPC(readParquet(file).intoIPCStream());
    const out = table.toArray().map((r) => r.toJSON());
    expect(out.map((r) => [r['event_id'], r['occurred_at'], r['note'], r['schema_id'], r['partition'], r['offset'], r['kafka_timestamp']])).toEqual([
      ['e0', T, 'café', 7, 4, 100n, T + 10],
      ['e1', T + 1, null, 3, 4, 101n, T + 11],
      ['e2', T + 2, null, 7, 4, 102n, T + 12],
    ]);
    expect(out.map((r) => [...r['lines']].map((l) => l.toJSON()))).toEqual([[{ sku: 'A', quantity: 1 }], [], [{ sku: 'B', quantity: 2 }, { sku: 'C', quantity: 3 }]]);
    expect(out.map((r) => (r['key'] === null ? null : Buffer.from(r['key']).toString()))).toEqual(['S1', null, '']);
    expect(out.map((r, i) => Buffer.from(r['value']).equals(rows[i]!.value))).toEqual([true, true, true]);
    expect(out.map((r) => [...r['headers']].map((h) => ({ key: h.key, value: h.value === null ? null : Buffer.from(h.value).toString() })))).toEqual([
      [],
      [],
      [
        { key: 'h', value: '1' },
        { key: 'h', value: null },
      ],
    ]);
  });

  it('fails the file when a schema id among the rows came without its writer schema', () => {
    expect(() => new PackedRowsWriter().write({ what: 'test', avroSchema: JSON.stringify(CURRENT), writers: [[7, JSON.stringify(CURRENT)]], rows: packRows(rows), rowGroupRows: 1024 })).toThrow(
      /no writer schema was sent for schema id 3/,
    );
  });

  it('fails the file when a value does not decode with its writer schema', () => {
    const broken = [{ ...rows[0]!, value: Buffer.concat([rows[0]!.value, Buffer.from([1])]) }];
    expect(() => new PackedRowsWriter().write({ what: 'test', avroSchema: JSON.stringify(CURRENT), writers: [[7, JSON.stringify(CURRENT)]], rows: packRows(broken), rowGroupRows: 1024 })).toThrow(
      /does not match schema 7/,
    );
  });
});
