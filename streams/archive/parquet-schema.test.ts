import { type DataType, type Field, type Schema } from 'apache-arrow';
import { loadCatalog } from '../../schemas/catalog';
import { REPLAY_COLUMNS, archiveSchema } from './parquet-schema';

/** A compact, library-independent spelling of an Arrow type, so expectations read like a schema. */
function spell(type: DataType, nullable = false): string {
  const t = type.toString();
  const inner = (() => {
    const children = type.children as Field[] | undefined;
    if (/^Struct/.test(t)) return `struct<${children!.map((f) => `${f.name}: ${spell(f.type, f.nullable)}`).join(', ')}>`;
    if (/^List/.test(t)) return `list<${spell(children![0]!.type, children![0]!.nullable)}>`;
    if (/^Map/.test(t)) {
      const entries = children![0]!.type.children as Field[];
      return `map<${spell(entries[0]!.type)}, ${spell(entries[1]!.type, entries[1]!.nullable)}>`;
    }
    return t;
  })();
  return nullable ? `${inner}?` : inner;
}

function columns(schema: Schema): Record<string, string> {
  return Object.fromEntries(schema.fields.map((f) => [f.name, spell(f.type, f.nullable)]));
}

const catalog = loadCatalog();
const schemaOf = (topic: string) => catalog.find((t) => t.name === topic)!.schema!;

describe('archiveSchema', () => {
  it('maps a sale: UTC millisecond timestamps, int64 money, enums as strings, lines as a list of structs, nullable unions optional', () => {
    expect(columns(archiveSchema(schemaOf('pos.sales')))).toEqual({
      event_id: 'Utf8',
      occurred_at: 'Timestamp<MILLISECOND, UTC>',
      store_id: 'Utf8',
      terminal_id: 'Utf8',
      transaction_id: 'Utf8',
      cashier_id: 'Utf8',
      payment_method: 'Utf8',
      currency: 'Utf8',
      lines:
        'list<struct<line_number: Int32, sku: Utf8, quantity: Int32, unit_price: Int64, discount: Int64, promotion_id: Utf8?>>',
      subtotal: 'Int64',
      discount_total: 'Int64',
      tax_total: 'Int64',
      total: 'Int64',
      key: 'Binary?',
      value: 'Binary',
      schema_id: 'Int32',
      headers: 'list<struct<key: Utf8, value: Binary?>>',
      kafka_timestamp: 'Timestamp<MILLISECOND, UTC>',
      partition: 'Int32',
      offset: 'Int64',
    });
  });

  it('keeps the replay columns last and in a fixed order, after the Avro fields in theirs', () => {
    const names = archiveSchema(schemaOf('inventory.movements')).fields.map((f) => f.name);
    expect(names).toEqual(['event_id', 'occurred_at', 'store_id', 'sku', 'movement_type', 'quantity_delta', 'reason', 'reference_id', 'unit_cost', ...REPLAY_COLUMNS]);
    expect(columns(archiveSchema(schemaOf('inventory.movements')))['unit_cost']).toBe('Int64?');
  });

  it('maps dates, booleans, doubles, maps and arrays of strings', () => {
    expect(columns(archiveSchema(schemaOf('md.stores')))['opened_on']).toBe('Date32<DAY>');
    expect(columns(archiveSchema(schemaOf('md.products')))['perishable']).toBe('Bool');
    expect(columns(archiveSchema(schemaOf('md.products')))['shelf_life_days']).toBe('Int32?');
    expect(columns(archiveSchema(schemaOf('shelfstream.alerts')))['score']).toBe('Float64');
    expect(columns(archiveSchema(schemaOf('shelfstream.alerts')))['measures']).toBe('map<Utf8, Float64>');
    expect(columns(archiveSchema(schemaOf('pricing.promotions')))['skus']).toBe('list<Utf8>');
  });

  it('maps every schema in the catalogue (a new topic cannot break the archive unnoticed)', () => {
    for (const topic of catalog) if (topic.schema) expect(() => archiveSchema(topic.schema!)).not.toThrow();
  });

  it('resolves a named type used a second time by reference', () => {
    const schema = archiveSchema({
      type: 'record',
      name: 'Transfer',
      namespace: 'io.test',
      fields: [
        { name: 'from', type: { type: 'record', name: 'Place', fields: [{ name: 'store_id', type: 'string' }] } },
        { name: 'to', type: 'Place' },
        { name: 'via', type: ['null', 'io.test.Place'] },
      ],
    });
    expect(columns(schema)).toMatchObject({ from: 'struct<store_id: Utf8>', to: 'struct<store_id: Utf8>', via: 'struct<store_id: Utf8>?' });
  });

  it('refuses a union of two value types, naming the field', () => {
    expect(() => archiveSchema({ type: 'record', name: 'Bad', fields: [{ name: 'amount', type: ['null', 'long', 'string'] }] })).toThrow(/Bad: amount: union/);
  });

  it('refuses a field that takes a replay column name', () => {
    expect(() => archiveSchema({ type: 'record', name: 'Clash', fields: [{ name: 'offset', type: 'long' }] })).toThrow(/Clash: offset: .*replay column/);
  });

  it('refuses a value schema that is not a record', () => {
    expect(() => archiveSchema({ type: 'string' })).toThrow(/must be a record/);
  });
});
