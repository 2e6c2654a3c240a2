/**
 * A small, hand-made BI data set for tests that read the bi_* views through a driver: two stores
 * in two regions, two products (one perishable), a week of calendar, sale lines with and without
 * a promotion, a return, and stock movements. Small enough to compare every row; varied enough
 * that each view's columns carry values of every type they declare (NULLs included).
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { fillCalendar } from '../../clickhouse/calendar';
import { refreshAndCheckVatRatePeriods } from './vat-rates';

/** Recent enough for the facts' 730-day TTL, fixed so expected values do not drift. */
const DAY = '2026-11-03';

export async function loadSmallBiDataSet(client: ClickHouseClient, database: string): Promise<void> {
  await fillCalendar(client, database, '2026-11-01', '2026-11-07');
  const insert = (table: string, values: readonly object[]): Promise<unknown> =>
    client.insert({ table: `${database}.${table}`, values: [...values], format: 'JSONEachRow' });
  await insert('dim_store', [
    { store_id: 'S001', name: 'Lyon Part-Dieu', region: 'France', time_zone: 'Europe/Paris', size_class: 'LARGE', currency: 'EUR', opened_on: '2019-04-01', updated_at: '2026-01-01 00:00:00.000' },
    { store_id: 'S002', name: 'Dubai Mall', region: 'United Arab Emirates', time_zone: 'Asia/Dubai', size_class: 'HYPERMARKET', currency: 'AED', opened_on: '2021-09-15', updated_at: '2026-01-01 00:00:00.000' },
  ]);
  // Written by hand, not through the warehouse: vat_rate_periods (0051) is refreshed as the warehouse would.
  await refreshAndCheckVatRatePeriods(client, database);
  await insert('dim_product', [
    { sku: 'SKU-A', name: 'Whole milk 1 l', category: 'Dairy', brand: 'Alpage', unit_cost: 61, price: 129, currency: 'EUR', perishable: true, shelf_life_days: 9, updated_at: '2026-01-01 00:00:00.000' },
    { sku: 'SKU-B', name: 'Olive oil 75 cl', category: 'Pantry', brand: 'Sol', unit_cost: 402, price: 899, currency: 'EUR', perishable: false, shelf_life_days: null, updated_at: '2026-01-01 00:00:00.000' },
  ]);
  const sale = (event: string, line: number, store: string, sku: string, quantity: number, price: number, discount: number, time: string, promotion: string | null, offset: number) => ({
    event_id: event, line_number: line, occurred_at: `${DAY} ${time}`, store_id: store, terminal_id: 'T1', transaction_id: `TX-${offset}`, cashier_id: 'C7',
    payment_method: promotion ? 'CARD' : 'CASH', currency: store === 'S002' ? 'AED' : 'EUR', sku, quantity, unit_price: price, discount,
    net_amount: quantity * price - discount, promotion_id: promotion, source_offset: offset,
  });
  await insert('fact_sale_lines', [
    sale('0b7c1b9e-3f7a-4c1e-9a51-1d2f0c6e8a01', 1, 'S001', 'SKU-A', 2, 129, 0, '09:15:02.125', null, 11),
    sale('0b7c1b9e-3f7a-4c1e-9a51-1d2f0c6e8a01', 2, 'S001', 'SKU-B', 1, 899, 90, '09:15:02.125', 'PROMO-10', 11),
    sale('5d1e4a7b-9c2f-4e8d-b6a3-7f0e1c2d3b04', 1, 'S002', 'SKU-A', 6, 129, 0, '18:40:00.000', null, 12),
  ]);
  await insert('fact_return_lines', [
    { event_id: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d', line_number: 1, occurred_at: `${DAY} 12:00:00.000`, store_id: 'S001', terminal_id: 'T2', return_id: 'R-1', original_transaction_id: 'TX-11', sku: 'SKU-B', quantity: 1, refund_amount: 809, restockable: true, reason: 'DAMAGED', currency: 'EUR', source_offset: 13 },
  ]);
  const movement = (event: string, store: string, type: string, delta: number | null, counted: number | null, offset: number) => ({
    event_id: event, occurred_at: `${DAY} 06:00:00.000`, store_id: store, sku: 'SKU-A', movement_type: type, quantity_delta: delta, counted_on_hand: counted,
    reason: 'delivery', reference_id: type === 'RECEIPT' ? 'PO-1' : null, unit_cost: type === 'RECEIPT' ? 61 : null, source_offset: offset,
  });
  await insert('fact_inventory_movements', [
    movement('c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f', 'S001', 'RECEIPT', 24, null, 14),
    movement('d2e3f4a5-b6c7-4d8e-9fa0-1b2c3d4e5f60', 'S002', 'COUNT', null, 40, 15),
  ]);
}
