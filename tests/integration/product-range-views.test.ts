/**
 * bi_product_quadrants and bi_sales_rolling (migration 0016) on the configured ClickHouse, fed
 * with a few fact rows, against figures computed by hand in this file: one product per
 * menu-engineering quadrant with the Kasavana and Smith arithmetic written out, a store selling
 * in another currency than its products' cost, and rolling averages over days without a sale
 * and days out of stock in the books.
 */
import { randomUUID } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { fillCalendar } from '../../clickhouse/calendar';
import { migrate } from '../../clickhouse/migrate';
import { applyReportingCurrency } from '../../clickhouse/reporting-currency';
import { testClickHouse } from '../harness/fixtures';
import { refreshAndCheckExchangeRates } from '../harness/exchange-rates';
import { refreshAndCheckVatRatePeriods } from '../harness/vat-rates';

async function rows<T>(client: ClickHouseClient, query: string): Promise<T[]> {
  return (await client.query({ query, format: 'JSONEachRow' })).json<T>();
}

const UPDATED = '2025-12-01 00:00:00.000';
let offset = 0;

const store = (store_id: string, region: string, currency: string, vat_rate: number | null) => ({
  store_id, name: store_id, region, time_zone: 'UTC', size_class: 'SMALL', currency, opened_on: '2025-01-01', vat_rate, updated_at: UPDATED,
});
const product = (sku: string, category: string, unit_cost: number, currency = 'EUR') => ({
  sku, name: sku, category, brand: 'B', unit_cost, price: unit_cost * 2, currency, perishable: false, shelf_life_days: null, updated_at: UPDATED,
});
/** One sale line: `quantity` units at `unit_price` minus `discount` (minor units). */
const sale = (store_id: string, sku: string, at: string, quantity: number, unit_price: number, discount = 0, currency = 'EUR') => ({
  event_id: randomUUID(), line_number: 1, occurred_at: at, store_id, terminal_id: 'T1', transaction_id: `TX-${offset}`, cashier_id: 'C1', payment_method: 'CARD',
  currency, sku, quantity, unit_price, discount, net_amount: quantity * unit_price - discount, promotion_id: null, source_offset: offset++,
});
const movement = (store_id: string, sku: string, at: string, movement_type: string, quantity_delta: number | null, counted_on_hand: number | null) => ({
  event_id: randomUUID(), occurred_at: at, store_id, sku, movement_type, quantity_delta, counted_on_hand, reason: 'test', reference_id: null, unit_cost: null, source_offset: offset++,
});

describe('product range views', () => {
  let client: ClickHouseClient;
  let database: string;
  const insert = (table: string, values: object[]) => client.insert({ table: `${database}.${table}`, values, format: 'JSONEachRow' });

  beforeAll(async () => {
    ({ client, database } = await testClickHouse());
    await migrate(client, database);
    await fillCalendar(client, database, '2025-12-01', '2026-02-28');
    await applyReportingCurrency(client, database, 'EUR');
    // EUR is the base (1); 4 AED to the euro from the last day of 2025, carried forward.
    await insert('dim_exchange_rate', [
      { currency: 'EUR', base_currency: 'EUR', rate_date: '2025-12-31', rate: 1, source: 'test', updated_at: UPDATED },
      { currency: 'AED', base_currency: 'EUR', rate_date: '2025-12-31', rate: 4, source: 'test', updated_at: UPDATED },
    ]);
    // Written straight into the table, not through the warehouse: refreshed at once (as the warehouse refreshes it after its writes), then checked.
    await refreshAndCheckExchangeRates(client, database);
    await insert('dim_store', [store('LIS1', 'Portugal', 'EUR', 0.25), store('DXB1', 'United Arab Emirates', 'AED', null), store('ROL1', 'Portugal', 'EUR', null)]);
    // Stores written by hand, not through the warehouse: their VAT rates (vat_rate_periods, 0051) refreshed as the warehouse would.
    await refreshAndCheckVatRatePeriods(client, database);
    await insert('dim_product', [product('A', 'Dairy', 100), product('B', 'Dairy', 80), product('C', 'Dairy', 150), product('D', 'Dairy', 60), product('R1', 'Bakery', 50), product('R2', 'Bakery', 50)]);
  });

  describe('bi_product_quadrants', () => {
    interface Quadrant { scope: string; store_id: string; region: string; currency: string; sku: string; units_sold: number; unit_margin: number; category_avg_margin: number; unit_share: number; popularity_threshold: number; products_in_category: number; quadrant: string }
    const ask = (where: string) =>
      rows<Quadrant>(client, `SELECT scope, store_id, region, currency, sku, units_sold, unit_margin, category_avg_margin, unit_share, popularity_threshold, products_in_category, quadrant FROM ${database}.bi_product_quadrants WHERE ${where} ORDER BY sku`);

    beforeAll(async () => {
      // Lisbon, VAT 25% included in the prices, all in the ISO week of Monday 2026-01-05:
      //   A: 40 units at 3.00 less 20.00 discount = 100.00 net -> 80.00 ex VAT; cost 40 x 1.00 = 40.00; margin 40.00 = 1.00 a unit
      //   B: 40 units at 1.25 = 50.00 -> 40.00 ex VAT; cost 40 x 0.80 = 32.00; margin 8.00 = 0.20 a unit
      //   C: 10 units at 3.75 = 37.50 -> 30.00 ex VAT; cost 10 x 1.50 = 15.00; margin 15.00 = 1.50 a unit
      //   D: 10 units at 1.00 = 10.00 -> 8.00 ex VAT; cost 10 x 0.60 = 6.00; margin 2.00 = 0.20 a unit
      // Category: 100 units, margin 40 + 8 + 15 + 2 = 65.00, so 0.65 a unit on average (weighted by units).
      // Shares 0.4, 0.4, 0.1, 0.1 against 70% of an equal share: 0.7 / 4 = 0.175.
      // A: 1.00 >= 0.65, 0.4 >= 0.175: star. B: 0.20 < 0.65, 0.4: plowhorse. C: 1.50, 0.1: puzzle. D: 0.20, 0.1: dog.
      await insert('fact_sale_lines', [
        sale('LIS1', 'A', '2026-01-06 10:00:00.000', 25, 300, 1250),
        sale('LIS1', 'A', '2026-01-07 11:00:00.000', 15, 300, 750),
        sale('LIS1', 'B', '2026-01-06 12:00:00.000', 40, 125),
        sale('LIS1', 'C', '2026-01-07 12:00:00.000', 10, 375),
        sale('LIS1', 'D', '2026-01-08 09:00:00.000', 10, 100),
        // Dubai sells A in AED (no VAT given): 10 units at 12.00 AED = 120.00; cost 10 x 1.00 EUR x 4 = 40.00 AED; 8.00 AED a unit.
        sale('DXB1', 'A', '2026-01-06 10:00:00.000', 10, 1200, 0, 'AED'),
      ]);
    });

    it('labels one product per quadrant in a store, by the hand-computed margins and shares', async () => {
      for (const period of ['month', 'week']) {
        const found = await ask(`scope = 'store' AND store_id = 'LIS1' AND category = 'Dairy' AND period_type = '${period}'`);
        expect(found.map((r) => [r.sku, r.quadrant, r.units_sold])).toEqual([['A', 'star', 40], ['B', 'plowhorse', 40], ['C', 'puzzle', 10], ['D', 'dog', 10]]);
        const margins = [1.0, 0.2, 1.5, 0.2];
        const shares = [0.4, 0.4, 0.1, 0.1];
        found.forEach((r, i) => {
          expect(r.unit_margin).toBeCloseTo(margins[i]!, 9);
          expect(r.category_avg_margin).toBeCloseTo(0.65, 9);
          expect(r.unit_share).toBeCloseTo(shares[i]!, 9);
          expect(r.popularity_threshold).toBeCloseTo(0.175, 9);
          expect(r.products_in_category).toBe(4);
        });
      }
    });

    it("classifies a region in its stores' currency, converting cost at the day's rate", async () => {
      const lisbonRegion = await ask(`scope = 'region' AND region = 'Portugal' AND category = 'Dairy' AND period_type = 'month'`);
      expect(lisbonRegion.map((r) => [r.store_id, r.currency, r.sku, r.quadrant])).toEqual([['', 'EUR', 'A', 'star'], ['', 'EUR', 'B', 'plowhorse'], ['', 'EUR', 'C', 'puzzle'], ['', 'EUR', 'D', 'dog']]);
      const [dubai] = await ask(`scope = 'store' AND store_id = 'DXB1' AND period_type = 'month'`);
      expect(dubai).toMatchObject({ currency: 'AED', sku: 'A', units_sold: 10, products_in_category: 1, quadrant: 'star' });
      expect(dubai!.unit_margin).toBeCloseTo(8.0, 9);
      expect(dubai!.unit_share).toBeCloseTo(1, 9);
    });
  });

  describe('bi_sales_rolling', () => {
    interface Rolling { sku: string; business_date: string; units_sold: number; is_out_of_stock: boolean; days_in_window_7d: number; avg_units_7d: number; avg_net_sales_7d: number; avg_net_sales_7d_reporting: number | null; stockout_days_7d: number; days_in_window_30d: number; avg_units_30d: number; avg_net_sales_30d: number; stockout_days_30d: number; days_in_window_90d: number; avg_units_90d: number; stockout_days_90d: number }

    beforeAll(async () => {
      // R1 in store ROL1 (UTC), books anchored by a count of 5 on the 1st before the first sale:
      //   01-01 count 5, sells 3 (book 2)     01-02 nothing (book 2)
      //   01-03 sells 2 (book 0: out)         01-04 nothing (book still 0: out)
      //   01-05 receipt +10 (book 10)         01-06 sells 4 (book 6)
      //   01-07 .. 01-10 nothing (book 6); R2's only sale on 01-10 carries the store's calendar there.
      await insert('fact_sale_lines', [
        sale('ROL1', 'R1', '2026-01-01 10:00:00.000', 3, 100),
        sale('ROL1', 'R1', '2026-01-03 10:00:00.000', 2, 100),
        sale('ROL1', 'R1', '2026-01-06 10:00:00.000', 4, 100),
        sale('ROL1', 'R2', '2026-01-10 10:00:00.000', 1, 100),
      ]);
      await insert('fact_inventory_movements', [
        movement('ROL1', 'R1', '2026-01-01 08:00:00.000', 'COUNT', null, 5),
        movement('ROL1', 'R1', '2026-01-05 09:00:00.000', 'RECEIPT', 10, null),
      ]);
    });

    const ask = (sku: string) => rows<Rolling>(client, `SELECT * FROM ${database}.bi_sales_rolling WHERE store_id = 'ROL1' AND sku = '${sku}' ORDER BY business_date`);

    it('has a row for every day from the first sale, empty days at zero, out-of-stock days from the books', async () => {
      const r1 = await ask('R1');
      expect(r1.map((r) => r.business_date)).toEqual(['01', '02', '03', '04', '05', '06', '07', '08', '09', '10'].map((d) => `2026-01-${d}`));
      expect(r1.map((r) => r.units_sold)).toEqual([3, 0, 2, 0, 0, 4, 0, 0, 0, 0]);
      expect(r1.map((r) => r.is_out_of_stock)).toEqual([false, false, true, true, false, false, false, false, false, false]);
      expect((await ask('R2')).map((r) => [r.business_date, r.days_in_window_7d, r.avg_units_7d])).toEqual([['2026-01-10', 1, 1]]);
    });

    it('averages over 7, 30 and 90 days counting empty days as zero, with the stock-out days of each window', async () => {
      const on = async (date: string) => (await ask('R1')).find((r) => r.business_date === date)!;
      // 01-03: the window holds 01-01..01-03 only (no history before the first sale): 5 units / 3 days, 1 day out.
      const third = await on('2026-01-03');
      expect(third).toMatchObject({ days_in_window_7d: 3, stockout_days_7d: 1, days_in_window_30d: 3 });
      expect(third.avg_units_7d).toBeCloseTo(5 / 3, 9);
      // 01-07: 01-01..01-07, 9 units / 7 days, 9.00 EUR / 7, days out 01-03 and 01-04.
      const seventh = await on('2026-01-07');
      expect(seventh).toMatchObject({ days_in_window_7d: 7, stockout_days_7d: 2 });
      expect(seventh.avg_units_7d).toBeCloseTo(9 / 7, 9);
      expect(seventh.avg_net_sales_7d).toBeCloseTo(9 / 7, 9);
      // 01-10: the 7 days 01-04..01-10 hold 4 units and one day out (01-04); 30 and 90 days: 9 units / 10 days, 2 days out.
      const tenth = await on('2026-01-10');
      expect(tenth).toMatchObject({ days_in_window_7d: 7, stockout_days_7d: 1, days_in_window_30d: 10, stockout_days_30d: 2, days_in_window_90d: 10, stockout_days_90d: 2 });
      expect(tenth.avg_units_7d).toBeCloseTo(4 / 7, 9);
      expect(tenth.avg_net_sales_7d).toBeCloseTo(4 / 7, 9);
      expect(tenth.avg_net_sales_7d_reporting).toBeCloseTo(4 / 7, 9);
      expect(tenth.avg_units_30d).toBeCloseTo(0.9, 9);
      expect(tenth.avg_net_sales_30d).toBeCloseTo(0.9, 9);
      expect(tenth.avg_units_90d).toBeCloseTo(0.9, 9);
    });

    it("books a count's correction inside the count, as the simulator does, not on top of it", async () => {
      // R3 in store CNT1 (UTC). The simulator's morning routine stamps a COUNT_CORRECTION of
      // (counted - book) with its count's instant and then sets its book to the count: after
      // both, the book is the count, never 2 x counted - book.
      //   01-01 07:00 receipt +10 (book 10); 08:00 count finds 4, correction -6 (book 4);
      //         10:00 sells 3 (book 1)
      //   01-02 sells 1 (book 0: out)
      //   01-03 09:00 receipt +6 (6); 12:00 sells 2 (book 4)
      //   01-04 nothing (4)                    01-05 sells 1 (book 3)
      // Out of stock on 01-02 only. Counted before its correction, the books would read
      // 2 x 4 - 10 = -2 after the count, and every day 01-01..01-05 would be out.
      await insert('dim_store', [store('CNT1', 'Test', 'EUR', null)]);
      await refreshAndCheckVatRatePeriods(client, database);
      await insert('dim_product', [product('R3', 'Bakery', 50)]);
      await insert('fact_inventory_movements', [
        movement('CNT1', 'R3', '2026-01-01 07:00:00.000', 'RECEIPT', 10, null),
        movement('CNT1', 'R3', '2026-01-01 08:00:00.000', 'COUNT', null, 4),
        movement('CNT1', 'R3', '2026-01-01 08:00:00.000', 'COUNT_CORRECTION', -6, null),
        movement('CNT1', 'R3', '2026-01-03 09:00:00.000', 'RECEIPT', 6, null),
      ]);
      await insert('fact_sale_lines', [
        sale('CNT1', 'R3', '2026-01-01 10:00:00.000', 3, 100),
        sale('CNT1', 'R3', '2026-01-02 10:00:00.000', 1, 100),
        sale('CNT1', 'R3', '2026-01-03 12:00:00.000', 2, 100),
        sale('CNT1', 'R3', '2026-01-05 10:00:00.000', 1, 100),
      ]);
      const r3 = await rows<Rolling>(client, `SELECT * FROM ${database}.bi_sales_rolling WHERE store_id = 'CNT1' AND sku = 'R3' ORDER BY business_date`);
      expect(r3.map((r) => [r.business_date, r.is_out_of_stock])).toEqual([
        ['2026-01-01', false],
        ['2026-01-02', true],
        ['2026-01-03', false],
        ['2026-01-04', false],
        ['2026-01-05', false],
      ]);
      expect(r3.at(-1)).toMatchObject({ days_in_window_7d: 5, stockout_days_7d: 1, stockout_days_30d: 1 });
    });
  });
});
