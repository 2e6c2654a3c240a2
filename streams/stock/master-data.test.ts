/**
 * The stock processor's master data as an input (shared/master-data.ts): read from md.stores and
 * md.products through the runtime's global tables, with a barrier before a key is taken for
 * absent. The test driver's tables read what was piped only at a barrier, as a reader that lags
 * the broker would.
 */
import type { Product, Store } from '../../schemas/generated/events';
import { TestDriver, type PipedRecord } from '../runtime/test-driver';
import { PRODUCTS_TOPIC, STORES_TOPIC } from '../shared/master-data';
import { DAY_MS, HOUR_MS } from './risk';
import { STOCKOUT_RISK_TABLE, stockProcessor } from './stock';

const STORE: Store = {
  store_id: 'S1',
  name: 'Paris Bastille',
  region: 'France',
  time_zone: 'Europe/Paris',
  opening_hours: [],
  size_class: 'MEDIUM',
  currency: 'EUR',
  opened_on: 18_000,
  vat_rate: null,
  holiday_calendar: 'western',
  updated_at: Date.UTC(2026, 0, 1),
};
// Household: the Christmas-shopping weeks lift it 1.2 (lib/domain/calendar.ts, demand-calendar.test.ts).
const PRODUCT: Product = { sku: 'A', name: 'Soap', category: 'Household', brand: 'B', unit_cost: 50, price: 100, currency: 'EUR', perishable: false, shelf_life_days: null, updated_at: Date.UTC(2026, 0, 1) };

const uuid = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

/** A count, then 6 units a day at 11:00 UTC for 16 days up to Christmas Eve (the holiday weeks). */
function events(): { topic: string; records: PipedRecord[] }[] {
  const start = Date.UTC(2026, 11, 8);
  const sales: PipedRecord[] = [];
  for (let d = 0; d < 16; d++) {
    const at = start + d * DAY_MS + 11 * HOUR_MS;
    sales.push({ key: 'S1', value: { event_id: uuid(d + 1), occurred_at: at, store_id: 'S1', terminal_id: 'T1', transaction_id: `tx-${d}`, cashier_id: 'C1', currency: 'EUR', lines: [{ line_number: 1, sku: 'A', quantity: 6, unit_price: 100, discount: 0, promotion_id: null }], subtotal: 600, discount_total: 0, tax_total: 0, total: 600, payment_method: 'CARD' } });
  }
  const count: PipedRecord = { key: 'S1', value: { event_id: uuid(0), occurred_at: start + 7 * HOUR_MS, store_id: 'S1', sku: 'A', on_hand: 500, counted_by: 'E1' } };
  return [
    { topic: 'inventory.counts', records: [count] },
    { topic: 'pos.sales', records: sales },
  ];
}

/** The sku's published rate at the end (units a day), and the barriers the task asked for. */
async function run(master: { store?: boolean; product?: boolean }): Promise<{ rate: number; catchUps: number }> {
  // One partition from the start: the task is made (and its tables read) before anything is piped.
  const driver = new TestDriver(stockProcessor(), { partitions: 1, startMs: Date.UTC(2027, 0, 1) });
  await driver.flush(); // the task exists now, its tables read (empty)
  const madeWith = driver.globalCatchUps;
  // Published after the task was made: its tables hold them only once a barrier reads them.
  if (master.store) await driver.pipe(STORES_TOPIC, 0, { key: 'S1', value: STORE });
  if (master.product) await driver.pipe(PRODUCTS_TOPIC, 0, { key: 'A', value: PRODUCT });
  await driver.pipeAll(events().map((e) => ({ topic: e.topic, partition: 0, records: e.records })));
  await driver.flush();
  const [row] = driver.finalRows(STOCKOUT_RISK_TABLE, ['store_id', 'sku']);
  if (!row) throw new Error(`no stockout_risk row; dead letters: ${JSON.stringify(driver.deadLetters().slice(0, 3))}`);
  return { rate: Number(row.sales_rate_per_day), catchUps: driver.globalCatchUps - madeWith };
}

describe('stock master data from md.stores and md.products (global tables with a barrier)', () => {
  it('finds a store and sku published after the task started, at the first record naming them', async () => {
    const withCalendar = await run({ store: true, product: true });
    const without = await run({});
    // Without master data the rate is the units as sold: 6 a day.
    expect(without.rate).toBeCloseTo(6, 6);
    // With it, the rate is holiday-free: the Christmas weeks' 1.2 taken out of the same 6 units
    // (6 / 1.2 = 5 on those days), so below 6: the calendar was found although published late.
    expect(withCalendar.rate).toBeLessThan(5.9);
    expect(withCalendar.rate).toBeGreaterThanOrEqual(5 - 1e-9);
    // One barrier (both tables) at the first sale's keys; none after: the keys were then found.
    expect(withCalendar.catchUps).toBe(2);
  });

  it('gives a sku never published the neutral factor, after one barrier, on every run alike', async () => {
    const noProduct = await run({ store: true });
    const without = await run({});
    expect(noProduct.rate).toBeCloseTo(without.rate, 9);
    // The store's barrier and the sku's at the first record; the sku is then known to be absent.
    expect(noProduct.catchUps).toBe(2);
  });
});
