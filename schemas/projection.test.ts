import { Type } from 'avsc';
import { loadCatalog, type AvroSchema } from './catalog';
import { projectSchema, projectedType, selects } from './projection';
// Velocity's own projection, not a copy: these tests follow it if it changes.
import { VELOCITY_READS } from '../streams/velocity/velocity';


const salesSchema = loadCatalog().find((t) => t.name === 'pos.sales')!.schema!;
const fieldsOf = (schema: unknown): string[] => (schema as { fields: { name: string }[] }).fields.map((f) => f.name);
const sale = {
  event_id: '0f8b2a4e-5c1d-4e3f-9a7b-1c2d3e4f5a6b',
  occurred_at: Date.UTC(2026, 10, 23, 9),
  store_id: 'S001',
  terminal_id: 'T1',
  transaction_id: 'TX-1',
  cashier_id: 'C7',
  payment_method: 'CARD',
  currency: 'EUR',
  lines: [
    { line_number: 1, sku: 'SKU-1', quantity: 2, unit_price: 199, discount: 50, promotion_id: 'P1' },
    { line_number: 2, sku: 'SKU-2', quantity: 1, unit_price: 500, discount: 0, promotion_id: null },
  ],
  subtotal: 898,
  discount_total: 50,
  tax_total: 141,
  total: 848,
};

describe('projectSchema', () => {
  it('keeps the selected fields in the writer order, nested in arrays of records, with the same record names', () => {
    const projected = projectSchema(salesSchema, VELOCITY_READS) as unknown as { name: string; namespace: string; fields: { name: string; type: { items: unknown } }[] };
    expect(projected.name).toBe('SaleCompleted');
    expect(projected.namespace).toBe('io.shelfstream.pos');
    // event_id too: velocity counts each event once (a repeated id within the horizon is dropped).
    expect(fieldsOf(projected)).toEqual(['event_id', 'occurred_at', 'store_id', 'lines']);
    expect(fieldsOf(projected.fields[3]!.type.items)).toEqual(['sku', 'quantity', 'unit_price', 'discount']);
    expect((projected.fields[3]!.type.items as { name: string }).name).toBe('SaleLine');
    // The catalogue's schema is left as it was.
    expect(fieldsOf(salesSchema)).toHaveLength(13);
  });

  it('refuses a field the schema lacks, and a nested selection of a field that is no record', () => {
    expect(() => projectSchema(salesSchema, { store: true })).toThrow(/no field store/);
    expect(() => projectSchema(salesSchema, { lines: { qty: true } })).toThrow(/no field lines\[\]\.qty/);
    expect(() => projectSchema(salesSchema, { store_id: { x: true } })).toThrow(/neither a record nor an array of records/);
  });

  it('refuses a kept field that names a type defined in a field left out', () => {
    const schema: AvroSchema = {
      type: 'record',
      name: 'Pair',
      fields: [
        { name: 'a', type: { type: 'enum', name: 'Colour', symbols: ['RED', 'BLUE'] } },
        { name: 'b', type: 'Colour' },
      ],
    };
    expect(() => projectSchema(schema, { b: true })).toThrow(/refers to Colour/);
    expect(fieldsOf(projectSchema(schema, { a: true, b: true }))).toEqual(['a', 'b']);
  });
});

describe('projectedType', () => {
  it('reads a sale written with the full schema as the projection: the selected values, nothing else', () => {
    const writer = Type.forSchema(salesSchema as Parameters<typeof Type.forSchema>[0]);
    const reader = projectedType('pos.sales', VELOCITY_READS);
    const value = reader.fromBuffer(writer.toBuffer(sale), reader.createResolver(writer)) as Record<string, unknown>;
    expect(JSON.parse(JSON.stringify(value))).toEqual({
      event_id: sale.event_id,
      occurred_at: sale.occurred_at,
      store_id: 'S001',
      lines: sale.lines.map(({ sku, quantity, unit_price, discount }) => ({ sku, quantity, unit_price, discount })),
    });
  });

  it('is built once per (topic, selection)', () => {
    expect(projectedType('pos.sales', VELOCITY_READS)).toBe(projectedType('pos.sales', VELOCITY_READS));
    expect(projectedType('pos.sales', { store_id: true })).not.toBe(projectedType('pos.sales', VELOCITY_READS));
  });
});

describe('selects', () => {
  it('answers whether a field path is read', () => {
    expect(selects(undefined, 'lines[].line_number')).toBe(true);
    expect(selects(VELOCITY_READS, 'occurred_at')).toBe(true);
    expect(selects(VELOCITY_READS, 'lines')).toBe(true);
    expect(selects(VELOCITY_READS, 'lines[].quantity')).toBe(true);
    expect(selects(VELOCITY_READS, 'lines[].line_number')).toBe(false);
    expect(selects(VELOCITY_READS, 'total')).toBe(false);
    expect(selects({ lines: true }, 'lines[].line_number')).toBe(true);
  });
});
