import type { Row } from '../runtime/processor';
import { warehouseRows } from './warehouse';

function collect(kind: Parameters<typeof warehouseRows>[0], value: unknown): [string, Row][] {
  const rows: [string, Row][] = [];
  warehouseRows(kind, value, 41, { emit: (table, row) => void rows.push([table, row]), publish: () => undefined, deliver: () => undefined });
  return rows;
}

describe('warehouseRows', () => {
  it('turns a sale into one row per line with its net amount and the source offset as version', () => {
    const rows = collect('pos.sales', {
      event_id: '5f0c7a4e-8d1b-4c53-9a57-0f3f1a6b9c10',
      occurred_at: Date.UTC(2026, 0, 2, 3, 4, 5, 6),
      store_id: 'S1',
      terminal_id: 'T1',
      transaction_id: 'X1',
      cashier_id: 'C1',
      payment_method: 'CARD',
      currency: 'EUR',
      lines: [
        { line_number: 1, sku: 'A', quantity: 3, unit_price: 250, discount: 75, promotion_id: 'P' },
        { line_number: 2, sku: 'B', quantity: 1, unit_price: 99, discount: 0, promotion_id: null },
      ],
      subtotal: 849,
      discount_total: 75,
      tax_total: 0,
      total: 774,
    });
    expect(rows.map(([t, r]) => [t, r.sku, r.net_amount, r.source_offset, r.occurred_at])).toEqual([
      ['fact_sale_lines', 'A', 3 * 250 - 75, 41, '2026-01-02T03:04:05.006Z'],
      ['fact_sale_lines', 'B', 99, 41, '2026-01-02T03:04:05.006Z'],
    ]);
  });

  it('records a cycle count as a COUNT with the absolute on_hand', () => {
    const [[table, row]] = collect('inventory.counts', { event_id: 'e', occurred_at: 0, store_id: 'S1', sku: 'A', on_hand: 12, counted_by: 'E7' }) as [[string, Row]];
    expect(table).toBe('fact_inventory_movements');
    expect(row).toMatchObject({ movement_type: 'COUNT', counted_on_hand: 12, quantity_delta: null, reason: 'E7' });
  });

  it('lands a replenishment order with its planned delivery, keyed by the event for replays', () => {
    const order = { event_id: 'e', occurred_at: Date.UTC(2026, 2, 2, 20), store_id: 'S1', sku: 'A', order_id: 'PO-S1-7', quantity: 24, expected_delivery_at: Date.UTC(2026, 2, 4, 6, 15), lead_time_days: 2 };
    expect(collect('inventory.orders', order)).toEqual([
      [
        'fact_replenishment_orders',
        { event_id: 'e', occurred_at: '2026-03-02T20:00:00.000Z', store_id: 'S1', sku: 'A', order_id: 'PO-S1-7', quantity: 24, expected_delivery_at: '2026-03-04T06:15:00.000Z', lead_time_days: 2, source_offset: 41 },
      ],
    ]);
  });

  it('writes store master data with its date of opening as a date', () => {
    const [[table, row]] = collect('md.stores', { store_id: 'S1', name: 'n', region: 'r', time_zone: 'UTC', opening_hours: [], size_class: 'SMALL', currency: 'EUR', opened_on: 20_000, vat_rate: 0.2, updated_at: 0 }) as [[string, Row]];
    expect(table).toBe('dim_store');
    expect(row.opened_on).toBe('2024-10-04'); // 20,000 days after 1970-01-01
    expect(row.vat_rate).toBe(0.2);
  });

  it('lands an exchange rate as the row of its currency and day', () => {
    expect(collect('md.exchange-rates', { currency: 'GBP', base_currency: 'EUR', rate_date: 20_528, rate: 0.8512, source: 'ECB', updated_at: Date.UTC(2026, 2, 16, 7) })).toEqual([
      ['dim_exchange_rate', { currency: 'GBP', base_currency: 'EUR', rate_date: '2026-03-16', rate: 0.8512, source: 'ECB', updated_at: '2026-03-16T07:00:00.000Z' }],
    ]);
  });

  it('lands price changes and promotion starts as facts keyed by the event', () => {
    const price = { event_id: 'p', occurred_at: Date.UTC(2026, 2, 2, 6), store_id: 'S1', sku: 'A', old_price: 199, new_price: 189, currency: 'EUR', effective_at: Date.UTC(2026, 2, 2, 6) };
    expect(collect('pricing.prices', price)).toEqual([
      [
        'fact_price_changes',
        { event_id: 'p', occurred_at: '2026-03-02T06:00:00.000Z', store_id: 'S1', sku: 'A', old_price: 199, new_price: 189, currency: 'EUR', effective_at: '2026-03-02T06:00:00.000Z', source_offset: 41 },
      ],
    ]);
    const promo = { event_id: 'q', occurred_at: Date.UTC(2026, 2, 3, 7), store_id: 'S1', promotion_id: 'S1-PR0001', phase: 'STARTED', skus: ['A', 'B'], discount_percent: 20, starts_at: Date.UTC(2026, 2, 3, 7), ends_at: Date.UTC(2026, 2, 8, 7) };
    const [[table, row]] = collect('pricing.promotions', promo) as [[string, Row]];
    expect(table).toBe('fact_promotions');
    expect(row).toEqual({
      event_id: 'q',
      occurred_at: '2026-03-03T07:00:00.000Z',
      store_id: 'S1',
      promotion_id: 'S1-PR0001',
      phase: 'STARTED',
      skus: ['A', 'B'],
      discount_percent: 20,
      starts_at: '2026-03-03T07:00:00.000Z',
      ends_at: '2026-03-08T07:00:00.000Z',
      source_offset: 41,
    });
  });
});
