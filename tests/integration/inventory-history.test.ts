/**
 * bi_inventory_history and the views over it (migration 0022) on the configured ClickHouse:
 *
 *   - a simulated run fed through the warehouse's rows, against the simulator's own books: the
 *     book units on hand at the end of every local day of every store x sku (its ground truth,
 *     daily_demand.csv's book_on_hand), from the day of the first cycle count on;
 *   - a hand-made store x sku whose figures are worked out in this file: levels across a count
 *     and its correction, stock value at cost and at price, days of cover, stock-out hours.
 */
import { randomUUID } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { fillCalendar } from '../../clickhouse/calendar';
import { migrate } from '../../clickhouse/migrate';
import { applyReportingCurrency } from '../../clickhouse/reporting-currency';
import { createClosingJob } from '../../services/bi-rollups/closing';
import type { Row } from '../../streams/runtime/processor';
import { WAREHOUSE_INPUTS, warehouseRows } from '../../streams/warehouse/warehouse';
import { parseDay } from '../../lib/domain/calendar';
import { PosSimulator } from '../../simulators/pos/simulator';
import { testClickHouse } from '../harness/fixtures';
import { refreshAndCheckExchangeRates } from '../harness/exchange-rates';

async function rows<T>(client: ClickHouseClient, query: string): Promise<T[]> {
  return (await client.query({ query, format: 'JSONEachRow' })).json<T>();
}

const UPDATED = '2025-12-01 00:00:00.000';
let offset = 1_000_000;

const store = (store_id: string, currency: string) => ({
  store_id, name: store_id, region: 'Test', time_zone: 'UTC', size_class: 'SMALL', currency, opened_on: '2025-01-01', vat_rate: 0.1, updated_at: UPDATED,
});
const product = (sku: string, unit_cost: number, price: number, perishable = false, shelf_life_days: number | null = null) => ({
  sku, name: sku, category: 'Dairy', brand: 'B', unit_cost, price, currency: 'EUR', perishable, shelf_life_days, updated_at: UPDATED,
});
const sale = (store_id: string, sku: string, at: string, quantity: number, unit_price: number) => ({
  event_id: randomUUID(), line_number: 1, occurred_at: at, store_id, terminal_id: 'T1', transaction_id: `TX-${offset}`, cashier_id: 'C1', payment_method: 'CARD',
  currency: 'EUR', sku, quantity, unit_price, discount: 0, net_amount: quantity * unit_price, promotion_id: null, source_offset: offset++,
});
const movement = (store_id: string, sku: string, at: string, movement_type: string, quantity_delta: number | null, counted_on_hand: number | null, unit_cost: number | null = null) => ({
  event_id: randomUUID(), occurred_at: at, store_id, sku, movement_type, quantity_delta, counted_on_hand, reason: 'test', reference_id: null, unit_cost, source_offset: offset++,
});

interface History {
  store_id: string;
  sku: string;
  business_date: string;
  units_on_hand: number;
  is_counted: boolean;
  units_sold: number;
  stockout_hours: number;
  is_out_of_stock: boolean;
  unit_cost: number | null;
  unit_price: number | null;
  stock_value_at_cost: number | null;
  stock_value_at_price: number | null;
  stock_value_at_cost_reporting: number | null;
  trailing_units_per_day: number;
  days_of_cover: number | null;
  cover_basis: string;
  days_without_sale: number;
  is_latest: boolean;
}

describe('inventory history', () => {
  let client: ClickHouseClient;
  let database: string;
  const insert = (table: string, values: object[]) => client.insert({ table: `${database}.${table}`, values, format: 'JSONEachRow' });

  beforeAll(async () => {
    ({ client, database } = await testClickHouse());
    await migrate(client, database);
    await fillCalendar(client, database, '2026-01-01', '2026-03-31');
    await applyReportingCurrency(client, database, 'EUR');
  });

  describe('against the simulator', () => {
    /** The simulator's book at the end of each local day: store|sku|date -> units. */
    const books = new Map<string, number>();
    /** The local date of each store x sku's first cycle count: store|sku -> date. */
    const firstCount = new Map<string, string>();

    beforeAll(async () => {
      // Three weeks: every perishable is counted weekly and everything else every 14 days, so
      // most series have a count, and the later days of each run on a known level.
      const sim = new PosSimulator({ seed: 23, stores: 3, skus: 60, window: { kind: 'days', startDay: parseDay('2026-02-02'), days: 21 }, anomalyRate: 1, heartbeats: false });
      const tables = new Map<string, Row[]>();
      const out = { emit: (table: string, row: Row) => void (tables.get(table) ?? tables.set(table, []).get(table)!).push(row), publish: () => undefined, deliver: () => undefined };
      const master = sim.masterData();
      for (const s of master['md.stores']) warehouseRows('md.stores', s, 0, out);
      for (const p of master['md.products']) warehouseRows('md.products', p, 0, out);
      for (const r of master['md.exchange-rates']) warehouseRows('md.exchange-rates', r, 0, out);
      const zone = new Map(master['md.stores'].map((s) => [s.store_id, s.time_zone]));
      const localDate = (storeId: string, at: number): string => new Intl.DateTimeFormat('en-CA', { timeZone: zone.get(storeId)!, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(at));
      const eventTopics = WAREHOUSE_INPUTS.filter((t) => !t.startsWith('md.'));
      let next = 0;
      const take = (truth: ReturnType<typeof sim.finish>): void => {
        for (const d of truth.daily) books.set(`${d.store_id}|${d.sku}|${d.date}`, d.book_on_hand);
      };
      while (!sim.done) {
        const hour = sim.nextHour();
        for (const t of eventTopics) for (const v of hour.events[t as keyof typeof hour.events]) warehouseRows(t, v, next++, out);
        for (const c of hour.events['inventory.counts']) {
          const key = `${c.store_id}|${c.sku}`;
          if (!firstCount.has(key)) firstCount.set(key, localDate(c.store_id, c.occurred_at));
        }
        take(hour.truth);
      }
      take(sim.finish());
      for (const [table, values] of tables) await client.insert({ table: `${database}.${table}`, values, format: 'JSONEachRow' });
      // The stores' UTC offsets, as run all's closing job writes them (a lateness past the data: nothing closes).
      await createClosingJob(client, { database, allowedLatenessMs: 365 * 86_400_000, calendarFrom: '2026-01-01', calendarTo: '2026-03-31' }).cycle();
    }, 300_000);

    it('holds the simulator book on hand at the end of every business day from the first cycle count on', async () => {
      const history = await rows<History>(client, `SELECT store_id, sku, toString(business_date) AS business_date, units_on_hand, is_counted FROM ${database}.bi_inventory_history WHERE startsWith(store_id, 'S0')`);
      let compared = 0;
      const wrong: string[] = [];
      const seen = new Set<string>();
      for (const h of history) {
        const first = firstCount.get(`${h.store_id}|${h.sku}`);
        if (!first || h.business_date < first) continue;
        expect(h.is_counted).toBe(true);
        const key = `${h.store_id}|${h.sku}|${h.business_date}`;
        seen.add(key);
        const book = books.get(key);
        if (book === undefined) continue; // the last partial day past the simulated window
        compared++;
        if (Number(h.units_on_hand) !== book) wrong.push(`${key}: view ${h.units_on_hand}, simulator ${book}`);
      }
      expect(wrong.slice(0, 10)).toEqual([]);
      // Every day of the simulator's books from the first count on has its row.
      const missing = [...books.keys()].filter((k) => {
        const [s, sku, date] = k.split('|');
        const first = firstCount.get(`${s}|${sku}`);
        return first !== undefined && date! >= first && !seen.has(k);
      });
      expect(missing.slice(0, 10)).toEqual([]);
      expect(firstCount.size).toBeGreaterThan(150);
      expect(compared).toBeGreaterThan(1500);
    });
  });

  describe('a hand-made store x sku', () => {
    beforeAll(async () => {
      await insert('dim_store', [store('INV1', 'EUR')]);
      await insert('dim_product', [product('H1', 100, 300)]);
      await insert('dim_exchange_rate', [{ currency: 'EUR', base_currency: 'EUR', rate_date: '2025-12-31', rate: 1, source: 'test', updated_at: UPDATED }]);
      // Written straight into the table, not through the warehouse: refreshed at once (as the warehouse refreshes it after its writes), then checked.
      await refreshAndCheckExchangeRates(client, database);
      await insert('dim_store_utc_offset', [{ store_id: 'INV1', valid_from: '2020-01-01 00:00:00', utc_offset_s: 0, time_zone: 'UTC' }]);
      // Store INV1 (UTC, EUR), product H1 (cost 1.00, price 3.00 in the master data):
      //   03-01 08:00 books 12 before the count... the count finds 10: correction -2 at the same
      //         instant, so the level is 10 (the correction is inside the count, not added to it);
      //         10:00 sells 4 (6), 18:00 sells 6 (0: out from 18:00 to midnight, 6 hours)
      //   03-02 06:00 receipt of 20 at 1.20 a unit (20): out 00:00-06:00, 6 hours; 12:00 sells 5 (15)
      //   03-03 09:00 price change to 3.50 (store-level); no sale (15)
      //   03-04 nothing (15): the trailing mean is (10 + 5 + 0 + 0) / 4 = 3.75 units a day
      await insert('fact_inventory_movements', [
        movement('INV1', 'H1', '2026-03-01 08:00:00.000', 'COUNT', null, 10),
        movement('INV1', 'H1', '2026-03-01 08:00:00.000', 'COUNT_CORRECTION', -2, null),
        movement('INV1', 'H1', '2026-03-02 06:00:00.000', 'RECEIPT', 20, null, 120),
      ]);
      await insert('fact_sale_lines', [
        sale('INV1', 'H1', '2026-03-01 10:00:00.000', 4, 300),
        sale('INV1', 'H1', '2026-03-01 18:00:00.000', 6, 300),
        sale('INV1', 'H1', '2026-03-02 12:00:00.000', 5, 300),
      ]);
      await insert('fact_price_changes', [
        { event_id: randomUUID(), occurred_at: '2026-03-03 09:00:00.000', store_id: 'INV1', sku: 'H1', old_price: 300, new_price: 350, currency: 'EUR', effective_at: '2026-03-03 09:00:00.000', source_offset: offset++ },
      ]);
      // A later event of another product carries the store's calendar to 03-04.
      await insert('dim_product', [product('H2', 50, 100)]);
      await insert('fact_inventory_movements', [movement('INV1', 'H2', '2026-03-04 08:00:00.000', 'COUNT', null, 3)]);
    });

    const ask = () => rows<History>(client, `SELECT * FROM ${database}.bi_inventory_history WHERE store_id = 'INV1' AND sku = 'H1' ORDER BY business_date`);

    it('carries the books day by day, a count covering its own correction', async () => {
      const h = await ask();
      expect(h.map((r) => [r.business_date, Number(r.units_on_hand), Number(r.units_sold)])).toEqual([
        ['2026-03-01', 0, 10],
        ['2026-03-02', 15, 5],
        ['2026-03-03', 15, 0],
        ['2026-03-04', 15, 0],
      ]);
      expect(h.map((r) => r.is_latest)).toEqual([false, false, false, true]);
    });

    it('counts the hours the books stood at zero, across midnight', async () => {
      const h = await ask();
      expect(h.map((r) => [r.stockout_hours, r.is_out_of_stock])).toEqual([[6, true], [6, true], [0, false], [0, false]]);
    });

    it('values the stock at the latest receipt cost and the latest shelf price, in the reporting currency too', async () => {
      const h = await ask();
      // 03-01: no receipt yet, master-data cost 1.00 and price 3.00; 0 units are worth 0.
      expect(h[0]).toMatchObject({ unit_cost: 1, unit_price: 3, stock_value_at_cost: 0, stock_value_at_price: 0 });
      // 03-02: 15 x 1.20 = 18.00 at cost, 15 x 3.00 = 45.00 at price.
      expect(h[1]!.stock_value_at_cost).toBeCloseTo(18, 9);
      expect(h[1]!.stock_value_at_price).toBeCloseTo(45, 9);
      expect(h[1]!.stock_value_at_cost_reporting).toBeCloseTo(18, 9);
      // 03-03: the price change: 15 x 3.50 = 52.50.
      expect(h[2]!.stock_value_at_price).toBeCloseTo(52.5, 9);
    });

    it('divides the units on hand by the trailing mean when no forecast was made, and by the forecast P50 when one was', async () => {
      let h = await ask();
      // 03-04: 15 units / 3.75 a day = 4 days; 2 days without a sale (last on 03-02).
      expect(h[3]).toMatchObject({ cover_basis: 'trailing_28d', days_without_sale: 2 });
      expect(h[3]!.trailing_units_per_day).toBeCloseTo(3.75, 9);
      expect(h[3]!.days_of_cover).toBeCloseTo(4, 9);
      // A forecast made on 03-04 of 2, 3 and 4 units for the next three days: 3 a day, 5 days of cover.
      await insert('demand_forecast', [2, 3, 4].map((p50, i) => ({ store_id: 'INV1', sku: 'H1', origin_date: '2026-03-04', forecast_date: `2026-03-0${5 + i}`, horizon_days: i + 1, p10: 0, p50, p90: 9, model_version: 'v1', generated_at: UPDATED })));
      h = await ask();
      expect(h[3]).toMatchObject({ cover_basis: 'forecast' });
      expect(h[3]!.days_of_cover).toBeCloseTo(5, 9);
    });
  });

  describe('turnover, slow movers and overstock', () => {
    beforeAll(async () => {
      await insert('dim_store', [store('SLW1', 'EUR')]);
      await insert('dim_product', [product('M1', 100, 200), product('M2', 100, 200), product('M3', 100, 200), product('O1', 50, 100)]);
      await insert('dim_store_utc_offset', [{ store_id: 'SLW1', valid_from: '2020-01-01 00:00:00', utc_offset_s: 0, time_zone: 'UTC' }]);
      // Store SLW1, latest business date 02-10 (O1's sale):
      //   M1: counted 5 on 01-01, one sold on 01-02, nothing since: 4 in stock, 39 days without a sale -> slow mover
      //   M2: counted 5 on 01-01, one sold on 02-05: 5 days without a sale -> not slow, but 4 units at
      //       1/28 a day (the trailing 28 days) last 112 days > 56 -> overstock
      //   M3: counted 5 on 01-20, never sold: 22 days of history without a sale (01-20..02-10) -> not slow yet
      //   M1 and M3 sell nothing in the trailing 28 days: endless cover, not overstock (they are slow movers or soon will be)
      //   O1: counted 100 on 02-01, 4 sold on 02-10: 0.4 a day over the 10 days of history, 96 units = 240 days
      //       of cover > 56 -> overstock, 96 - 56 x 0.4 = 73.6 units beyond the limit, 36.80 at cost 0.50
      await insert('fact_inventory_movements', [
        movement('SLW1', 'M1', '2026-01-01 07:00:00.000', 'COUNT', null, 5),
        movement('SLW1', 'M2', '2026-01-01 07:00:00.000', 'COUNT', null, 5),
        movement('SLW1', 'M3', '2026-01-20 07:00:00.000', 'COUNT', null, 5),
        movement('SLW1', 'O1', '2026-02-01 07:00:00.000', 'COUNT', null, 100),
      ]);
      await insert('fact_sale_lines', [
        sale('SLW1', 'M1', '2026-01-02 10:00:00.000', 1, 200),
        sale('SLW1', 'M2', '2026-02-05 10:00:00.000', 1, 200),
        sale('SLW1', 'O1', '2026-02-10 10:00:00.000', 4, 100),
      ]);
    });

    it('lists in-stock products without a sale for 28 days as slow movers', async () => {
      const slow = await rows<{ sku: string; as_of_date: string; units_on_hand: number; last_sale_date: string | null; days_without_sale: number; stock_value_at_cost: number }>(
        client,
        `SELECT * FROM ${database}.bi_slow_movers WHERE store_id = 'SLW1' ORDER BY sku`,
      );
      expect(slow.map((r) => [r.sku, r.as_of_date, Number(r.units_on_hand), r.last_sale_date, r.days_without_sale])).toEqual([['M1', '2026-02-10', 4, '2026-01-02', 39]]);
      expect(slow[0]!.stock_value_at_cost).toBeCloseTo(4, 9);
    });

    it('lists stock lasting beyond 8 weeks as overstock, with the excess', async () => {
      const over = await rows<{ sku: string; days_of_cover: number; cover_limit_days: number; excess_units: number; excess_value_at_cost: number }>(client, `SELECT * FROM ${database}.bi_overstock WHERE store_id = 'SLW1' ORDER BY sku`);
      expect(over.map((r) => [r.sku, r.cover_limit_days])).toEqual([['M2', 56], ['O1', 56]]);
      expect(over[0]!.days_of_cover).toBeCloseTo(112, 9);
      expect(over[1]!.days_of_cover).toBeCloseTo(240, 9);
      expect(over[1]!.excess_units).toBeCloseTo(73.6, 9);
      expect(over[1]!.excess_value_at_cost).toBeCloseTo(36.8, 9);
    });

    it('turns the hand-made product over at cost of goods sold / mean stock at cost, and its GMROI', async () => {
      const [march] = await rows<{ days: number; units_sold: number; cost_of_goods_sold: number; gross_margin: number; avg_stock_value_at_cost: number; turnover: number; gmroi: number }>(
        client,
        `SELECT * FROM ${database}.bi_inventory_turnover WHERE store_id = 'INV1' AND sku = 'H1' AND period_type = 'month'`,
      );
      // 03-01..03-04: cost of goods 10 x 1.00 + 5 x 1.20 = 16.00; net sales 45.00 / 1.1 VAT; stock at cost 0, 18, 18, 18.
      expect(march).toMatchObject({ days: 4, units_sold: 15 });
      expect(march!.cost_of_goods_sold).toBeCloseTo(16, 9);
      expect(march!.avg_stock_value_at_cost).toBeCloseTo(13.5, 9);
      expect(march!.turnover).toBeCloseTo(16 / 13.5, 9);
      expect(march!.gross_margin).toBeCloseTo(45 / 1.1 - 16, 9);
      expect(march!.gmroi).toBeCloseTo((45 / 1.1 - 16) / 13.5, 9);
    });
  });
});
