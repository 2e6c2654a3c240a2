/**
 * The books behind the forecast's stock-out flag and book_on_hand (services/forecast/features.ts,
 * read through loadPanel) on the configured ClickHouse:
 *
 *   - a hand-made store x sku whose first cycle count comes with its correction at the same
 *     instant, the books before and after worked out in this file;
 *   - a hand-made store x sku never counted, booked from the fewest units it can have held;
 *   - a simulated run fed through the warehouse's rows, against the simulator's own books (its
 *     ground truth, daily_demand.csv's book_on_hand at the end of every local day), from the day
 *     of each series' first count on; bi_sales_rolling (migration 0028) reads the same books, so
 *     its out-of-stock days are those of the panel, and every day the simulator's books ended at
 *     0 is one of them.
 */
import { randomUUID } from 'node:crypto';
import { loadPanel } from '../../services/forecast/features';
import { loadSimulatedHistory } from '../../simulators/quality/forecast-history';
import { formatDay, parseDay } from '../../lib/domain/calendar';
import { migrate } from '../../clickhouse/migrate';
import { createClosingJob } from '../../services/bi-rollups/closing';
import { testClickHouse } from '../harness/fixtures';

const UPDATED = '2025-12-01 00:00:00.000';
let offset = 0;

const sale = (store_id: string, sku: string, at: string, quantity: number) => ({
  event_id: randomUUID(), line_number: 1, occurred_at: at, store_id, terminal_id: 'T1', transaction_id: `TX-${offset}`, cashier_id: 'C1', payment_method: 'CARD',
  currency: 'EUR', sku, quantity, unit_price: 100, discount: 0, net_amount: quantity * 100, promotion_id: null, source_offset: offset++,
});
const movement = (store_id: string, sku: string, at: string, movement_type: string, quantity_delta: number | null, counted_on_hand: number | null) => ({
  event_id: randomUUID(), occurred_at: at, store_id, sku, movement_type, quantity_delta, counted_on_hand, reason: 'test', reference_id: null, unit_cost: null, source_offset: offset++,
});

describe('forecast books', () => {
  it("books a count's correction inside the count, as the simulator does, not on top of it", async () => {
    const { client, database } = await testClickHouse();
    await migrate(client, database);
    const insert = (table: string, values: object[]) => client.insert({ table: `${database}.${table}`, values, format: 'JSONEachRow' });
    await insert('dim_store', [{ store_id: 'CNT1', name: 'CNT1', region: 'Test', time_zone: 'UTC', size_class: 'SMALL', currency: 'EUR', opened_on: '2025-01-01', vat_rate: null, updated_at: UPDATED }]);
    await insert('dim_product', [{ sku: 'R3', name: 'R3', category: 'Bakery', brand: 'B', unit_cost: 50, price: 100, currency: 'EUR', perishable: false, shelf_life_days: null, updated_at: UPDATED }]);
    // The simulator's morning routine stamps a COUNT_CORRECTION of (counted - book) with its
    // count's instant and then sets its book to the count: after both, the book is the count.
    //   01-01 07:00 receipt +10 (book 10); 08:00 count finds 4, correction -6 (book 4);
    //         10:00 sells 3 (book 1)
    //   01-02 sells 1 (book 0: out)
    //   01-03 09:00 receipt +6 (6); 12:00 sells 2 (book 4)
    //   01-04 nothing (4)                    01-05 sells 1 (book 3)
    // Counted before its correction, the books would read 2 x 4 - 10 = -2 after the count and
    // every day would be a stock-out.
    await insert('fact_inventory_movements', [
      movement('CNT1', 'R3', '2026-01-01 07:00:00.000', 'RECEIPT', 10, null),
      movement('CNT1', 'R3', '2026-01-01 08:00:00.000', 'COUNT', null, 4),
      movement('CNT1', 'R3', '2026-01-01 08:00:00.000', 'COUNT_CORRECTION', -6, null),
      movement('CNT1', 'R3', '2026-01-03 09:00:00.000', 'RECEIPT', 6, null),
    ]);
    await insert('fact_sale_lines', [
      sale('CNT1', 'R3', '2026-01-01 10:00:00.000', 3),
      sale('CNT1', 'R3', '2026-01-02 10:00:00.000', 1),
      sale('CNT1', 'R3', '2026-01-03 12:00:00.000', 2),
      sale('CNT1', 'R3', '2026-01-05 10:00:00.000', 1),
    ]);
    const panel = await loadPanel(client, database, { from: '2026-01-01', to: '2026-01-05', horizon: 1 });
    expect(panel.series.map((s) => `${s.store_id}/${s.sku}`)).toEqual(['CNT1/R3']);
    const observed = (column: Float32Array) => Array.from(column.subarray(0, 5));
    expect(observed(panel.columns.book_on_hand)).toEqual([1, 0, 4, 4, 3]);
    expect(observed(panel.columns.stockout)).toEqual([0, 1, 0, 0, 0]);
  });

  it('books a series never counted from the fewest units it can have held (its stock never below zero), and flags none of its days', async () => {
    const { client, database } = await testClickHouse();
    await migrate(client, database);
    const insert = (table: string, values: object[]) => client.insert({ table: `${database}.${table}`, values, format: 'JSONEachRow' });
    await insert('dim_store', [{ store_id: 'NCT1', name: 'NCT1', region: 'Test', time_zone: 'UTC', size_class: 'SMALL', currency: 'EUR', opened_on: '2025-01-01', vat_rate: null, updated_at: UPDATED }]);
    await insert('dim_product', [{ sku: 'N1', name: 'N1', category: 'Pantry', brand: 'B', unit_cost: 50, price: 100, currency: 'EUR', perishable: false, shelf_life_days: null, updated_at: UPDATED }]);
    // Deltas without a count: 01-01 sells 2 (running -2); 01-02 receipt +6 (4), sells 5 (-1);
    // 01-04 sells 1 (-2); 01-05 receipt +4 (2). The lowest running level is -2, so the series
    // held at least 2 units at the start: books 0, 1, 1, 0, 4 at the end of each day.
    await insert('fact_inventory_movements', [movement('NCT1', 'N1', '2026-01-02 09:00:00.000', 'RECEIPT', 6, null), movement('NCT1', 'N1', '2026-01-05 09:00:00.000', 'RECEIPT', 4, null)]);
    await insert('fact_sale_lines', [sale('NCT1', 'N1', '2026-01-01 10:00:00.000', 2), sale('NCT1', 'N1', '2026-01-02 12:00:00.000', 5), sale('NCT1', 'N1', '2026-01-04 10:00:00.000', 1)]);
    const panel = await loadPanel(client, database, { from: '2026-01-01', to: '2026-01-05', horizon: 1 });
    const observed = (column: Float32Array) => Array.from(column.subarray(0, 5));
    expect(observed(panel.columns.book_on_hand)).toEqual([0, 1, 1, 0, 4]);
    expect(observed(panel.columns.stockout)).toEqual([0, 0, 0, 0, 0]);
  });

  it('holds the simulator book on hand at the end of every local day from the first cycle count on', async () => {
    const { client, database } = await testClickHouse();
    const start = parseDay('2026-02-02');
    const days = 21;
    // Three weeks: perishables are counted weekly, the rest every 14 days, so most series have a
    // count (many with a correction: anomalies hide stock from the books until it).
    const history = await loadSimulatedHistory(client, database, { seed: 23, stores: 3, skus: 60, window: { kind: 'days', startDay: start, days }, anomalyRate: 1, heartbeats: false }, { from: '2026-01-01', to: '2026-03-31' });
    const panel = await loadPanel(client, database, { from: formatDay(start), to: formatDay(start + days - 1), horizon: 1 });
    // The local date of each series' first count, from the count facts and the stores' zones.
    const ask = async <T>(query: string): Promise<T[]> => (await client.query({ query, format: 'JSONEachRow' })).json<T>();
    const zones = new Map((await ask<{ store_id: string; time_zone: string }>(`SELECT store_id, any(time_zone) AS time_zone FROM ${database}.dim_store FINAL GROUP BY store_id`)).map((z) => [z.store_id, z.time_zone]));
    const counts = await ask<{ store_id: string; sku: string; at: string }>(
      `SELECT store_id, sku, toString(toUnixTimestamp64Milli(min(occurred_at))) AS at FROM ${database}.fact_inventory_movements FINAL WHERE movement_type = 'COUNT' GROUP BY store_id, sku`,
    );
    const localDate = (storeId: string, at: number): string => new Intl.DateTimeFormat('en-CA', { timeZone: zones.get(storeId)!, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(at));
    const firstCount = new Map(counts.map((c) => [`${c.store_id}/${c.sku}`, localDate(c.store_id, Number(c.at))]));
    const seriesIndex = new Map(panel.series.map((s, i) => [`${s.store_id}/${s.sku}`, i]));
    let compared = 0;
    const wrong: string[] = [];
    for (const d of history.daily) {
      const key = `${d.store_id}/${d.sku}`;
      const first = firstCount.get(key);
      const s = seriesIndex.get(key);
      const day = parseDay(d.date) - panel.firstDay;
      if (first === undefined || d.date < first || s === undefined || day < 0 || day > panel.lastObservedDay - panel.firstDay) continue;
      compared++;
      const book = panel.columns.book_on_hand[s * panel.days + day]!;
      if (book !== d.book_on_hand) wrong.push(`${key} ${d.date}: panel ${book}, simulator ${d.book_on_hand}`);
    }
    expect(wrong.slice(0, 10)).toEqual([]);
    expect(firstCount.size).toBeGreaterThan(150);
    expect(compared).toBeGreaterThan(1500);

    // The stores' UTC offsets, as run all's closing job writes them (a lateness past the data: nothing closes).
    await createClosingJob(client, { database, allowedLatenessMs: 365 * 86_400_000, calendarFrom: '2026-01-01', calendarTo: '2026-03-31' }).cycle();
    const rolling = await ask<{ store_id: string; sku: string; business_date: string; is_out_of_stock: boolean }>(
      `SELECT store_id, sku, toString(business_date) AS business_date, is_out_of_stock FROM ${database}.bi_sales_rolling WHERE business_date <= '${formatDay(start + days - 1)}'`,
    );
    const viewOut = new Set(rolling.filter((r) => r.is_out_of_stock).map((r) => `${r.store_id}/${r.sku} ${r.business_date}`));
    const panelOut = new Set<string>();
    const viewDays = new Set(rolling.map((r) => `${r.store_id}/${r.sku} ${r.business_date}`));
    panel.series.forEach((series, i) => {
      for (let d = 0; d <= panel.lastObservedDay - panel.firstDay; d++) {
        const key = `${series.store_id}/${series.sku} ${formatDay(panel.firstDay + d)}`;
        // The view starts a series at its first sale; the panel at the start of the range.
        if (viewDays.has(key) && panel.columns.stockout[i * panel.days + d] === 1) panelOut.add(key);
      }
    });
    expect([...viewOut].filter((k) => !panelOut.has(k)).slice(0, 10)).toEqual([]);
    expect([...panelOut].filter((k) => !viewOut.has(k)).slice(0, 10)).toEqual([]);
    const emptyBooks = history.daily.filter((d) => d.book_on_hand <= 0 && firstCount.has(`${d.store_id}/${d.sku}`) && d.date >= firstCount.get(`${d.store_id}/${d.sku}`)! && viewDays.has(`${d.store_id}/${d.sku} ${d.date}`));
    expect(emptyBooks.filter((d) => !viewOut.has(`${d.store_id}/${d.sku} ${d.date}`)).map((d) => `${d.store_id}/${d.sku} ${d.date}`).slice(0, 10)).toEqual([]);
    expect(emptyBooks.length).toBeGreaterThan(10);
  }, 300_000);
});
