/**
 * Lots, expiry, waste and the at-risk score (migration 0024) on the configured ClickHouse:
 *
 *   - a simulated run with expiry write-offs, fed through the warehouse's rows, against the
 *     simulator's ground truth: units written off per store x sku x day (waste.csv's rows), and
 *     the lots still on hand at the end, lot by lot, wherever the books agree with the shelf;
 *   - the same facts inserted again as a replay writes them (other offsets, other blocks): every
 *     inventory view answers the same rows;
 *   - one hand-made store x sku per at-risk action, its scores worked out in this file.
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
import type { WasteRow } from '../../simulators/pos/ground-truth';
import { PosSimulator } from '../../simulators/pos/simulator';
import { refreshAndCheckExchangeRates } from '../harness/exchange-rates';
import { testClickHouse } from '../harness/fixtures';

async function rows<T>(client: ClickHouseClient, query: string): Promise<T[]> {
  return (await client.query({ query, format: 'JSONEachRow' })).json<T>();
}

describe('lots, waste and at-risk', () => {
  let client: ClickHouseClient;
  let database: string;
  const insert = (table: string, values: object[]) => client.insert({ table: `${database}.${table}`, values, format: 'JSONEachRow' });

  beforeAll(async () => {
    ({ client, database } = await testClickHouse());
    await migrate(client, database);
    await fillCalendar(client, database, '2026-01-01', '2026-06-30');
    await applyReportingCurrency(client, database, 'EUR');
  });

  describe('against the simulator with expiry write-offs', () => {
    const waste: WasteRow[] = [];
    /** Lots the simulator still holds at the end: store|sku -> [lot_id, units] (receipts only). */
    const simulatorLots = new Map<string, [string, number][]>();
    /** store|sku of perishables counted in the run (the books have a level) and whose books equal the shelf at its end. */
    const booksRight = new Set<string>();
    const counted = new Set<string>();
    const tables = new Map<string, Row[]>();

    beforeAll(async () => {
      const sim = new PosSimulator({ seed: 17, stores: 3, skus: 80, window: { kind: 'days', startDay: parseDay('2026-04-06'), days: 21 }, anomalyRate: 1, heartbeats: false, expiryWriteOffs: true });
      const out = { emit: (table: string, row: Row) => void (tables.get(table) ?? tables.set(table, []).get(table)!).push(row), publish: () => undefined, deliver: () => undefined };
      const master = sim.masterData();
      for (const s of master['md.stores']) warehouseRows('md.stores', s, 0, out);
      for (const p of master['md.products']) warehouseRows('md.products', p, 0, out);
      for (const r of master['md.exchange-rates']) warehouseRows('md.exchange-rates', r, 0, out);
      const eventTopics = WAREHOUSE_INPUTS.filter((t) => !t.startsWith('md.'));
      const lastDay = new Map<string, { on_hand: number; book_on_hand: number; date: string }>();
      const take = (truth: ReturnType<typeof sim.finish>): void => {
        waste.push(...truth.waste);
        for (const d of truth.daily) {
          const key = `${d.store_id}|${d.sku}`;
          if ((lastDay.get(key)?.date ?? '') <= d.date) lastDay.set(key, { on_hand: d.on_hand, book_on_hand: d.book_on_hand, date: d.date });
        }
      };
      let next = 0;
      while (!sim.done) {
        const hour = sim.nextHour();
        for (const t of eventTopics) for (const v of hour.events[t as keyof typeof hour.events]) warehouseRows(t, v, next++, out);
        for (const c of hour.events['inventory.counts']) counted.add(`${c.store_id}|${c.sku}`);
        take(hour.truth);
      }
      take(sim.finish());
      for (const store of sim.stores) {
        sim.chain.products.forEach((p, j) => {
          if (!p.product.perishable) return;
          const key = `${store.storeId}|${p.product.sku}`;
          const day = lastDay.get(key);
          // A sku never counted (its count days fell on days the store was closed) has no books in the views.
          if (day && day.on_hand === day.book_on_hand && counted.has(key)) booksRight.add(key);
          simulatorLots.set(key, store.inventory.lots!.lots(j).filter((l) => !l.lotId.startsWith('OPENING')).map((l) => [l.lotId, l.units]));
        });
      }
      for (const [table, values] of tables) await insert(table, values);
      // Rates written straight into the table, not through the warehouse: refreshed at once (0049's view, as the warehouse refreshes it after its writes), then checked.
      await refreshAndCheckExchangeRates(client, database);
      await createClosingJob(client, { database, allowedLatenessMs: 365 * 86_400_000, calendarFrom: '2026-01-01', calendarTo: '2026-06-30' }).cycle();
    }, 300_000);

    it('writes off per store x sku x day the units the simulator wrote off, at the lots\' receipt cost', async () => {
      const view = await rows<{ store_id: string; sku: string; business_date: string; units_expired: number; expired_value_at_cost: number | null }>(
        client,
        `SELECT store_id, sku, toString(business_date) AS business_date, units_expired, expired_value_at_cost FROM ${database}.bi_waste WHERE startsWith(store_id, 'S0') AND units_expired > 0 ORDER BY ALL`,
      );
      const truth = new Map<string, { units: number; cost: number; opening: boolean }>();
      for (const w of waste) {
        const key = `${w.store_id}|${w.sku}|${w.date}`;
        const t = truth.get(key) ?? { units: 0, cost: 0, opening: false };
        t.units += w.units;
        t.cost += (w.units * w.unit_cost) / 100;
        t.opening ||= w.lot_id.startsWith('OPENING');
        truth.set(key, t);
      }
      expect(waste.length).toBeGreaterThan(20);
      expect(Object.fromEntries(view.map((r) => [`${r.store_id}|${r.sku}|${r.business_date}`, Number(r.units_expired)]))).toEqual(Object.fromEntries([...truth].map(([k, t]) => [k, t.units])));
      let costed = 0;
      for (const r of view) {
        const t = truth.get(`${r.store_id}|${r.sku}|${r.business_date}`)!;
        if (t.opening) continue; // the stock before the run has no receipt, so no lot cost
        expect(r.expired_value_at_cost).toBeCloseTo(t.cost, 6);
        costed++;
      }
      expect(costed).toBeGreaterThan(10);
    });

    it('holds the lots the simulator holds at the end, lot by lot, where the books agree with the shelf', async () => {
      const view = await rows<{ store_id: string; sku: string; lot_id: string; units_remaining: number }>(
        client,
        `SELECT store_id, sku, lot_id, units_remaining FROM ${database}.bi_stock_lots WHERE startsWith(store_id, 'S0') ORDER BY store_id, sku, expiry_date, lot_id`,
      );
      const fromView = new Map<string, [string, number][]>();
      for (const r of view) fromView.set(`${r.store_id}|${r.sku}`, [...(fromView.get(`${r.store_id}|${r.sku}`) ?? []), [r.lot_id, Number(r.units_remaining)]]);
      let compared = 0;
      for (const key of booksRight) {
        const expected = simulatorLots.get(key) ?? [];
        expect({ key, lots: fromView.get(key) ?? [] }).toEqual({ key, lots: expected });
        if (expected.length > 0) compared++;
      }
      expect(compared).toBeGreaterThan(30);
    });

    it('answers the same inventory, lot, waste and at-risk rows after the facts are written again as a replay writes them', async () => {
      const views = ['bi_inventory_history', 'bi_inventory_turnover', 'bi_slow_movers', 'bi_overstock', 'bi_stock_lots', 'bi_expiring_stock', 'bi_waste', 'bi_at_risk'];
      const read = async (): Promise<Record<string, unknown[]>> => {
        const all: Record<string, unknown[]> = {};
        for (const v of views) all[v] = await (await client.query({ query: `SELECT * FROM ${database}.${v} WHERE startsWith(store_id, 'S0') ORDER BY ALL`, format: 'JSONCompactEachRow' })).json<unknown[]>();
        return all;
      };
      const before = await read();
      expect(before['bi_inventory_history']!.length).toBeGreaterThan(1000);
      expect(before['bi_stock_lots']!.length).toBeGreaterThan(30);
      // A replay: the same events at later offsets, in blocks of another size and order.
      for (const [table, values] of tables) {
        if (!table.startsWith('fact_')) continue;
        const again = values.map((r) => ({ ...r, source_offset: Number((r as { source_offset: number }).source_offset) + 1_000_000_000 })).reverse();
        for (let i = 0; i < again.length; i += 7_919) await insert(table, again.slice(i, i + 7_919));
      }
      expect(await read()).toEqual(before);
    });
  });

  describe('one hand-made case per action', () => {
    const UPDATED = '2026-01-01 00:00:00.000';
    let offset = 5_000_000;
    const sale = (store_id: string, sku: string, at: string, quantity: number) => ({
      event_id: randomUUID(), line_number: 1, occurred_at: at, store_id, terminal_id: 'T1', transaction_id: `TX-${offset}`, cashier_id: 'C1', payment_method: 'CARD',
      currency: 'EUR', sku, quantity, unit_price: 200, discount: 0, net_amount: quantity * 200, promotion_id: null, source_offset: offset++,
    });
    const count = (store_id: string, sku: string, at: string, units: number) => ({
      event_id: randomUUID(), occurred_at: at, store_id, sku, movement_type: 'COUNT', quantity_delta: null, counted_on_hand: units, reason: 'test', reference_id: null, unit_cost: null, source_offset: offset++,
    });
    const receipt = (store_id: string, sku: string, at: string, units: number, order: string) => ({
      event_id: randomUUID(), occurred_at: at, store_id, sku, movement_type: 'RECEIPT', quantity_delta: units, counted_on_hand: null, reason: 'test', reference_id: order, unit_cost: 100, source_offset: offset++,
    });
    const product = (sku: string, shelf_life_days: number | null = null) => ({
      sku, name: sku, category: 'Test', brand: 'B', unit_cost: 100, price: 200, currency: 'EUR', perishable: shelf_life_days !== null, shelf_life_days, updated_at: UPDATED,
    });
    const store = (store_id: string) => ({ store_id, name: store_id, region: 'Test', time_zone: 'UTC', size_class: 'SMALL', currency: 'EUR', opened_on: '2025-01-01', vat_rate: null, updated_at: UPDATED });

    beforeAll(async () => {
      await insert('dim_store', [store('ARK1'), store('ARK2')]);
      await insert('dim_product', [product('RE'), product('DI', 3), product('CL'), product('BU'), product('TR')]);
      await insert('dim_store_utc_offset', ['ARK1', 'ARK2'].map((store_id) => ({ store_id, valid_from: '2020-01-01 00:00:00', utc_offset_s: 0, time_zone: 'UTC' })));
      // Both stores' latest business date is 03-05 (the as-of date).
      await insert('fact_inventory_movements', [
        // RE: counted 14 on 03-02, sells 4 on 03-02, 03-03 and 03-04: 2 left; 12 units over the 4 days
        //     03-02..03-05 = 3 a day; 2 / 3 = 0.67 days of cover; stockout 1 - 0.67/7 = 0.905 -> reorder.
        count('ARK1', 'RE', '2026-03-02 07:00:00.000', 14),
        // DI (shelf life 3 days): counted 0 on 03-04, 10 received that day (lot PO-DI expires 03-07), one sold
        //     on 03-05: 9 left, all expiring within 3 days; 1 unit over 03-04..03-05 = 0.5 a day, so 2 days sell 1;
        //     expiry (9 - 1) / 9 = 0.889, cover 18 days -> discount.
        count('ARK1', 'DI', '2026-03-04 06:00:00.000', 0),
        receipt('ARK1', 'DI', '2026-03-04 07:00:00.000', 10, 'PO-DI'),
        // CL: counted 6 on 01-04, never sold: 61 days of history without a sale -> slow 1 -> clear.
        count('ARK1', 'CL', '2026-01-04 07:00:00.000', 6),
        // BU: counted 5 on 01-20, one sold on 01-25, none since: 39 days, slow 39/56 = 0.696 -> bundle.
        count('ARK1', 'BU', '2026-01-20 07:00:00.000', 5),
        // TR in ARK1: counted 100 on 03-02, one sold on 03-05: 0.25 a day, 99 / 0.25 = 396 days of cover > 56,
        //     while ARK2 counted 3 on 03-02 and sold them by 03-04 (0 on hand: reorder there) -> transfer.
        count('ARK1', 'TR', '2026-03-02 07:00:00.000', 100),
        count('ARK2', 'TR', '2026-03-02 07:00:00.000', 3),
        count('ARK2', 'RE', '2026-03-05 07:00:00.000', 50),
      ]);
      await insert('fact_sale_lines', [
        sale('ARK1', 'RE', '2026-03-02 10:00:00.000', 4),
        sale('ARK1', 'RE', '2026-03-03 10:00:00.000', 4),
        sale('ARK1', 'RE', '2026-03-04 10:00:00.000', 4),
        sale('ARK1', 'DI', '2026-03-05 10:00:00.000', 1),
        sale('ARK1', 'BU', '2026-01-25 10:00:00.000', 1),
        sale('ARK1', 'TR', '2026-03-05 10:00:00.000', 1),
        sale('ARK2', 'TR', '2026-03-02 10:00:00.000', 1),
        sale('ARK2', 'TR', '2026-03-03 10:00:00.000', 1),
        sale('ARK2', 'TR', '2026-03-04 10:00:00.000', 1),
      ]);
    });

    interface AtRisk { store_id: string; sku: string; as_of_date: string; stockout_score: number; expiry_score: number; slow_score: number; at_risk_score: number; action: string; reason: string }
    const ask = async (): Promise<Map<string, AtRisk>> =>
      new Map((await rows<AtRisk>(client, `SELECT * FROM ${database}.bi_at_risk WHERE store_id IN ('ARK1', 'ARK2')`)).map((r) => [`${r.store_id}|${r.sku}`, r]));

    it('recommends reorder when the cover is short', async () => {
      const r = (await ask()).get('ARK1|RE')!;
      expect(r).toMatchObject({ as_of_date: '2026-03-05', action: 'reorder', reason: '2 units on hand cover 0.7 days at 3 a day' });
      expect(r.stockout_score).toBeCloseTo(1 - 2 / 3 / 7, 9);
      // The other store at 0 units must reorder too.
      expect((await ask()).get('ARK2|TR')).toMatchObject({ action: 'reorder', stockout_score: 1, reason: 'the books show 0 units: out of stock' });
    });

    it('recommends discount when units expire before the expected sales take them', async () => {
      const r = (await ask()).get('ARK1|DI')!;
      expect(r).toMatchObject({ action: 'discount', reason: '9 of 9 units expire within 3 days; about 1 will sell before' });
      expect(r.expiry_score).toBeCloseTo(8 / 9, 9);
      expect(r.stockout_score).toBe(0);
      const [lot] = await rows<{ lot_id: string; expiry_date: string; days_left_to_sell: number; units_remaining: number }>(client, `SELECT lot_id, toString(expiry_date) AS expiry_date, days_left_to_sell, units_remaining FROM ${database}.bi_stock_lots WHERE store_id = 'ARK1'`);
      expect(lot).toEqual({ lot_id: 'PO-DI', expiry_date: '2026-03-07', days_left_to_sell: 1, units_remaining: 9 });
    });

    it('recommends clear after 8 weeks without a sale', async () => {
      const r = (await ask()).get('ARK1|CL')!;
      expect(r).toMatchObject({ action: 'clear', slow_score: 1, at_risk_score: 1, reason: 'no sale for 61 days with 6 units on hand' });
    });

    it('recommends transfer when the stock lasts beyond 8 weeks and another store must reorder', async () => {
      const r = (await ask()).get('ARK1|TR')!;
      expect(r).toMatchObject({ action: 'transfer', reason: '396 days of cover (limit 56) while 1 other store(s) must reorder' });
    });

    it('recommends bundle after 4 weeks without a sale', async () => {
      const r = (await ask()).get('ARK1|BU')!;
      expect(r).toMatchObject({ action: 'bundle', reason: 'no sale for 39 days with 4 units on hand' });
      expect(r.slow_score).toBeCloseTo(39 / 56, 9);
    });
  });
});
