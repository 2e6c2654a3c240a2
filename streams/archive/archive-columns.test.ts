import type { Table } from 'apache-arrow';
import { Type } from 'avsc';
import { isShelfStreamError } from '../../lib/errors';
import { loadCatalog } from '../../schemas/catalog';
import { PosSimulator } from '../../simulators/pos/simulator';
import type { InputRecord, RawRecord } from '../runtime/processor';
import { ArchiveColumns, TopicColumns } from './archive-columns';
import { archiveSchema, arrowTable, type ArchiveRecord } from './parquet';

const catalog = loadCatalog();
const DAY_MS = 86_400_000;
type AvroSchema = Parameters<typeof archiveSchema>[0] & Parameters<typeof Type.forSchema>[0];

function topicColumns(topic: string): TopicColumns {
  const avro = catalog.find((t) => t.name === topic)!.schema as AvroSchema;
  return new TopicColumns(topic, archiveSchema(avro), avro, Type.forSchema(avro));
}

/** A record as the runtime hands it to the archive: framed bytes, key, headers, offset. */
function consumed(topic: string, writer: Type, value: unknown, offset: number, schemaId = 7, headers: RawRecord['headers'] = []): { record: InputRecord; raw: RawRecord; archived: ArchiveRecord } {
  const body = writer.toBuffer(value);
  const framed = Buffer.concat([Buffer.from([0, 0, 0, 0, schemaId]), body]);
  const key = Buffer.from(String((value as { store_id?: string; sku?: string }).store_id ?? (value as { sku: string }).sku));
  const timestamp = 1_700_000_000_000 + offset;
  const raw: RawRecord = { key, value: framed, schemaId, writer, headers };
  const record: InputRecord = { topic, partition: 3, offset, key: key.toString(), timestamp, value: {}, raw };
  // The independent reading: avsc decodes the bytes into an object, as the archive did before.
  const archived: ArchiveRecord = { key, value: framed, schemaId, headers, timestamp, partition: 3, offset: BigInt(offset), event: writer.fromBuffer(body) as Record<string, unknown> };
  return { record, raw, archived };
}

/** Every cell of a table as plain JSON (bigints as strings, bytes as hex). */
function cells(table: Table): unknown[] {
  const plain = (v: unknown): unknown => {
    if (v === null || v === undefined) return null;
    if (typeof v === 'bigint') return v.toString();
    if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
    if (typeof v === 'object' && v !== null && typeof (v as { toJSON?: unknown }).toJSON === 'function' && !(Symbol.iterator in v)) {
      return Object.fromEntries(Object.entries((v as { toJSON(): Record<string, unknown> }).toJSON()).map(([k, x]) => [k, plain(x)]));
    }
    if (typeof v === 'object' && v !== null && Symbol.iterator in v) return [...(v as Iterable<unknown>)].map(plain);
    return v;
  };
  return table.toArray().map(plain);
}

describe('ArchiveColumns', () => {
  it('reads every catalogue topic straight from the bytes into the same columns avsc decoding gives', () => {
    const sim = new PosSimulator({ seed: 11, stores: 3, skus: 40, window: { kind: 'days', startDay: Math.floor(Date.UTC(2026, 2, 1) / DAY_MS), days: 2 }, anomalyRate: 1, heartbeats: true });
    const byTopic = new Map<string, unknown[]>();
    for (const [topic, values] of Object.entries(sim.masterData())) byTopic.set(topic, [...values]);
    while (!sim.done) {
      const hour = sim.nextHour();
      for (const [topic, values] of Object.entries(hour.events)) byTopic.set(topic, [...(byTopic.get(topic) ?? []), ...values]);
    }
    const checked: string[] = [];
    for (const spec of catalog.filter((t) => (t.kind === 'event' || t.kind === 'master-data') && t.schema)) {
      const values = byTopic.get(spec.name) ?? [];
      if (values.length === 0) continue;
      const topic = topicColumns(spec.name);
      const columns = new ArchiveColumns(topic);
      const archived: ArchiveRecord[] = [];
      values.forEach((v, i) => {
        const c = consumed(spec.name, topic.contract, v, i, 7, i % 5 === 0 ? [{ key: 'traceparent', value: Buffer.from(`t-${i}`) }] : []);
        columns.append(c.record, c.raw);
        archived.push(c.archived);
      });
      expect(columns.rows).toBe(values.length);
      expect(cells(columns.table().table)).toEqual(cells(arrowTable(topic.schema, archived)));
      checked.push(`${spec.name}:${values.length}`);
    }
    // Sales, returns, voids, movements, counts, prices, promotions, heartbeats, stores, products.
    expect(checked.length).toBeGreaterThanOrEqual(9);
  });

  it('reads a record written with another schema through Avro resolution into the contract columns', () => {
    const topic = topicColumns('inventory.movements');
    const contract = topic.contract.schema() as { fields: { name: string }[] };
    // An older producer without unit_cost (default null), a newer one with an extra field.
    const older = Type.forSchema({ ...(contract as object), fields: contract.fields.filter((f) => f.name !== 'unit_cost') } as AvroSchema);
    const newer = Type.forSchema({ ...(contract as object), fields: [...contract.fields, { name: 'dock', type: 'string', default: '' }] } as AvroSchema);
    const columns = new ArchiveColumns(topic);
    const base = { event_id: '6f1c5b54-8a8e-4d1e-9a57-1f3c2e5d7a90', occurred_at: Date.UTC(2026, 2, 1, 6), store_id: 'S001', sku: 'SKU000001', movement_type: 'RECEIPT', quantity_delta: 12, reason: 'supplier delivery', reference_id: 'PO-1' };
    const o = consumed('inventory.movements', older, base, 0, 8);
    columns.append(o.record, o.raw);
    const n = consumed('inventory.movements', newer, { ...base, unit_cost: 95, dock: 'D2' }, 1, 9);
    columns.append(n.record, n.raw);
    const rows = cells(columns.table().table) as Record<string, unknown>[];
    expect(rows.map((r) => [r['quantity_delta'], r['movement_type'], r['unit_cost'], r['schema_id']])).toEqual([
      [12, 'RECEIPT', null, 8],
      [12, 'RECEIPT', '95', 9],
    ]);
  });

  it('refuses malformed bytes with DECODE_FAILED and takes the partial row back out', () => {
    const topic = topicColumns('pos.sales');
    const sale = {
      event_id: '6f1c5b54-8a8e-4d1e-9a57-1f3c2e5d7a90',
      occurred_at: Date.UTC(2026, 2, 1, 9),
      store_id: 'S001',
      terminal_id: 'T1',
      transaction_id: 'X1',
      cashier_id: 'C1',
      payment_method: 'CARD',
      currency: 'EUR',
      lines: [{ line_number: 1, sku: 'SKU1', quantity: 2, unit_price: 150, discount: 0, promotion_id: null }],
      subtotal: 300,
      discount_total: 0,
      tax_total: 0,
      total: 300,
    };
    const columns = new ArchiveColumns(topic);
    const good = consumed('pos.sales', topic.contract, sale, 0);
    columns.append(good.record, good.raw);
    const before = cells(columns.table().table);

    const attempt = (mangle: (value: Buffer) => Buffer): unknown => {
      const fresh = new ArchiveColumns(topic);
      fresh.append(good.record, good.raw);
      const bad = consumed('pos.sales', topic.contract, sale, 1);
      const raw = { ...bad.raw, value: mangle(Buffer.from(bad.raw.value)) };
      let error: unknown;
      try {
        fresh.append({ ...bad.record, raw }, raw);
      } catch (e) {
        error = e;
      }
      // Same rows as before the bad record, and the columns still take good ones.
      expect(cells(fresh.table().table)).toEqual(before);
      return error;
    };
    // The payment_method enum index (a varint after six fields) set past the symbols.
    const enumAt = (v: Buffer): number => {
      let pos = 5;
      const skipVarint = (): number => {
        let n = 0;
        let shift = 0;
        let b: number;
        do {
          b = v[pos++]!;
          n += (b & 0x7f) * 2 ** shift;
          shift += 7;
        } while (b >= 0x80);
        return n;
      };
      for (let f = 0; f < 6; f++) {
        const n = skipVarint();
        if (f !== 1) pos += n % 2 === 0 ? n / 2 : 0; // strings: zigzag length, then bytes
      }
      return pos;
    };
    const badEnum = attempt((v) => {
      v[enumAt(v)] = 0x7e; // zigzag 63
      return v;
    });
    expect(isShelfStreamError(badEnum, 'DECODE_FAILED')).toBe(true);
    expect((badEnum as Error).message).toMatch(/payment_method: enum index 63/);
    const truncated = attempt((v) => v.subarray(0, v.length - 3));
    expect((truncated as Error).message).toMatch(/truncated|ends before/);
    const extra = attempt((v) => Buffer.concat([v, Buffer.from([0])]));
    expect((extra as Error).message).toMatch(/leaves 1 bytes/);
  });

  it('keeps strings that are not UTF-8 as a decoder reads them (replacement characters)', () => {
    const topic = topicColumns('inventory.counts');
    const columns = new ArchiveColumns(topic);
    const count = { event_id: '6f1c5b54-8a8e-4d1e-9a57-1f3c2e5d7a90', occurred_at: Date.UTC(2026, 2, 1, 6), store_id: 'S001', sku: 'SKU000001', on_hand: 3, counted_by: 'Zoë' };
    const c = consumed('inventory.counts', topic.contract, count, 0);
    // 'Zoë' is 5a 6f c3 ab: cut the two-byte ë in half (0xc3 then a second 'o').
    const at = c.raw.value.lastIndexOf(0xc3);
    const value = Buffer.from(c.raw.value);
    value[at + 1] = 0x6f;
    const raw = { ...c.raw, value };
    columns.append({ ...c.record, raw }, raw);
    const [row] = cells(columns.table().table) as Record<string, unknown>[];
    expect(row!['counted_by']).toBe(Buffer.from([0x5a, 0x6f, 0xc3, 0x6f]).toString('utf8'));
    expect(row!['counted_by']).toBe('Zo\ufffdo');
  });

  it("takes the event's own time from the bytes: occurred_at, else updated_at, else the Kafka timestamp", () => {
    const counts = topicColumns('inventory.counts');
    const count = consumed('inventory.counts', counts.contract, { event_id: '6f1c5b54-8a8e-4d1e-9a57-1f3c2e5d7a90', occurred_at: 1_764_000_000_123, store_id: 'S1', sku: 'K', on_hand: 1, counted_by: 'E' }, 0);
    expect(counts.eventTime(count.raw, 9)).toBe(1_764_000_000_123);
    // Master data keeps updated_at after nested fields (opening hours, a list of records).
    const sim = new PosSimulator({ seed: 3, stores: 2, skus: 5, window: { kind: 'days', startDay: Math.floor(Date.UTC(2026, 2, 1) / DAY_MS), days: 1 }, anomalyRate: 0, heartbeats: false });
    const store = sim.masterData()['md.stores'][1]!;
    const stores = topicColumns('md.stores');
    expect(stores.eventTime(consumed('md.stores', stores.contract, store, 0).raw, 9)).toBe(store.updated_at);
    // A writer schema without either field: the Kafka timestamp.
    const bare = Type.forSchema({ type: 'record', name: 'Bare', fields: [{ name: 'store_id', type: 'string' }] });
    expect(counts.eventTime(consumed('inventory.counts', bare, { store_id: 'S1' }, 0).raw, 9)).toBe(9);
    // Bytes that end before the time field: refused, naming the problem.
    const cut = { ...count.raw, value: count.raw.value.subarray(0, 12) };
    expect(() => counts.eventTime(cut, 9)).toThrow(/truncated|ends before/);
  });

  it('selects row ranges for an object that must leave out rows archived before a restart', () => {
    const topic = topicColumns('inventory.counts');
    const columns = new ArchiveColumns(topic);
    for (let i = 0; i < 6; i++) {
      const c = consumed('inventory.counts', topic.contract, { event_id: '6f1c5b54-8a8e-4d1e-9a57-1f3c2e5d7a90', occurred_at: Date.UTC(2026, 2, 1, 6), store_id: 'S001', sku: `SKU${i}`, on_hand: i, counted_by: 'E1' }, 100 + i);
      columns.append(c.record, c.raw);
    }
    const { table } = columns.table([
      [0, 2],
      [4, 6],
    ]);
    expect([...table.getChild('offset')!].map(Number)).toEqual([100, 101, 104, 105]);
    expect([...table.getChild('on_hand')!]).toEqual([0, 1, 4, 5]);
  });
});
