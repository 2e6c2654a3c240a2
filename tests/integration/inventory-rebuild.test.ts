/**
 * The inventory views after a rebuild (issue 15, migration 0034). A simulated fortnight is
 * written into the facts, the closing job closes its business days (inventory_daily: the books of
 * the closed days, read by the views from then on), and the views are kept. Then every fact is
 * written again, as `shelfstream replay rebuild` or a warehouse replay writes them: each closed
 * day is touched, so the views read the facts again until the job closes the days once more, and
 * the rows it writes replace the first ones. At each step the inventory history and the lot views
 * must be the ones kept, row for row, and the books must be the simulator's own (its ground truth,
 * computed by the simulator, not by any SQL): the closed-day rows hold the same figures the
 * facts give.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { fillCalendar } from '../../clickhouse/calendar';
import { migrate } from '../../clickhouse/migrate';
import { applyReportingCurrency } from '../../clickhouse/reporting-currency';
import { createClosingJob } from '../../services/bi-rollups/closing';
import type { Row } from '../../streams/runtime/processor';
import { WAREHOUSE_INPUTS, warehouseRows } from '../../streams/warehouse/warehouse';
import { parseDay } from '../../lib/domain/calendar';
import { PosSimulator } from '../../simulators/pos/simulator';
import { refreshAndCheckExchangeRates } from '../harness/exchange-rates';
import { testClickHouse } from '../harness/fixtures';

async function rows<T>(client: ClickHouseClient, query: string): Promise<T[]> {
  return (await client.query({ query, format: 'JSONEachRow' })).json<T>();
}

/** Every view whose figures a rebuild must leave as they were. */
const VIEWS = ['bi_inventory_history', 'bi_stock_lots', 'bi_expiring_stock', 'bi_waste', 'bi_at_risk', 'bi_slow_movers', 'bi_overstock'] as const;

describe('inventory views after a rebuild', () => {
  let client: ClickHouseClient;
  let database: string;
  const tables = new Map<string, Row[]>();
  /** The simulator's book at the end of each local day, from each store x sku's first count on: store|sku|date -> units. */
  const books = new Map<string, number>();
  const firstCount = new Map<string, string>();

  const writeFacts = async (): Promise<void> => {
    for (const [table, values] of tables) await client.insert({ table: `${database}.${table}`, values, format: 'JSONEachRow' });
  };
  const snapshot = async (): Promise<Record<string, unknown[]>> => {
    const out: Record<string, unknown[]> = {};
    for (const view of VIEWS) out[view] = await rows(client, `SELECT * FROM ${database}.${view} ORDER BY ALL`);
    return out;
  };
  const closing = () => createClosingJob(client, { database, allowedLatenessMs: 0, calendarFrom: '2026-01-01', calendarTo: '2026-03-31', raceMarginMs: 0 });
  const bookMismatches = async (): Promise<{ compared: number; wrong: string[] }> => {
    const history = await rows<{ store_id: string; sku: string; business_date: string; units_on_hand: string }>(
      client,
      `SELECT store_id, sku, toString(business_date) AS business_date, units_on_hand FROM ${database}.bi_inventory_history`,
    );
    let compared = 0;
    const wrong: string[] = [];
    for (const h of history) {
      const first = firstCount.get(`${h.store_id}|${h.sku}`);
      const book = books.get(`${h.store_id}|${h.sku}|${h.business_date}`);
      if (!first || h.business_date < first || book === undefined) continue;
      compared++;
      if (Number(h.units_on_hand) !== book) wrong.push(`${h.store_id}|${h.sku}|${h.business_date}: view ${h.units_on_hand}, simulator ${book}`);
    }
    return { compared, wrong };
  };

  beforeAll(async () => {
    ({ client, database } = await testClickHouse());
    await migrate(client, database);
    await fillCalendar(client, database, '2026-01-01', '2026-03-31');
    await applyReportingCurrency(client, database, 'EUR');
    // A fortnight of two stores: perishables are counted weekly, the rest every 14 days, and
    // expired lots are written off, so lots, waste and counts all meet closed days.
    const sim = new PosSimulator({ seed: 41, stores: 2, skus: 40, window: { kind: 'days', startDay: parseDay('2026-02-02'), days: 14 }, anomalyRate: 1, heartbeats: false, expiryWriteOffs: true });
    const out = { emit: (table: string, row: Row) => void (tables.get(table) ?? tables.set(table, []).get(table)!).push(row), publish: () => undefined, deliver: () => undefined };
    const master = sim.masterData();
    for (const s of master['md.stores']) warehouseRows('md.stores', s, 0, out);
    for (const p of master['md.products']) warehouseRows('md.products', p, 0, out);
    for (const r of master['md.exchange-rates']) warehouseRows('md.exchange-rates', r, 0, out);
    const zone = new Map(master['md.stores'].map((s) => [s.store_id, s.time_zone]));
    const localDate = (storeId: string, at: number): string => new Intl.DateTimeFormat('en-CA', { timeZone: zone.get(storeId)!, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(at));
    const take = (truth: ReturnType<typeof sim.finish>): void => {
      for (const d of truth.daily) books.set(`${d.store_id}|${d.sku}|${d.date}`, d.book_on_hand);
    };
    let next = 0;
    while (!sim.done) {
      const hour = sim.nextHour();
      for (const t of WAREHOUSE_INPUTS.filter((name) => !name.startsWith('md.'))) for (const v of hour.events[t as keyof typeof hour.events]) warehouseRows(t, v, next++, out);
      for (const c of hour.events['inventory.counts']) {
        const key = `${c.store_id}|${c.sku}`;
        if (!firstCount.has(key)) firstCount.set(key, localDate(c.store_id, c.occurred_at));
      }
      take(hour.truth);
    }
    take(sim.finish());
    await writeFacts();
    // Rates written straight into the table, not through the warehouse: refreshed at once (0049's view, as the warehouse refreshes it after its writes), then checked.
    await refreshAndCheckExchangeRates(client, database);
  }, 300_000);

  it('gives the same inventory history and lot views before and after the facts are written again and the days closed again', async () => {
    const first = await closing().cycle();
    expect(first.stockClosed).toBeGreaterThan(0);
    const [closed] = await rows<{ rows: string; at: string }>(client, `SELECT count() AS rows, toString(max(closed_at)) AS at FROM ${database}.inventory_daily FINAL`);
    expect(Number(closed!.rows)).toBeGreaterThan(0);
    const kept = await snapshot();
    expect(kept.bi_inventory_history!.length).toBeGreaterThan(0);
    expect(kept.bi_stock_lots!.length).toBeGreaterThan(0);
    expect(kept.bi_waste!.length).toBeGreaterThan(0);
    const truth = await bookMismatches();
    expect(truth.compared).toBeGreaterThan(100);
    expect(truth.wrong.slice(0, 10)).toEqual([]);

    // The rebuild: every fact again. The closed days are touched: the views read the facts.
    await writeFacts();
    const [open] = await rows<{ stores: string; from_facts: string }>(
      client,
      `SELECT count() AS stores, countIf(open_date <= toDate('2026-02-03')) AS from_facts FROM ${database}.inventory_open_from`,
    );
    expect(Number(open!.from_facts)).toBe(Number(open!.stores));
    expect(await snapshot()).toEqual(kept);

    // Closed again: the rows are written anew (a later version replaces each) and read again.
    const second = await closing().cycle();
    expect(second.stockClosed).toBe(first.stockClosed);
    const [rewritten] = await rows<{ rows: string; newer: string }>(
      client,
      `SELECT count() AS rows, countIf(closed_at > toDateTime64('${closed!.at}', 3, 'UTC')) AS newer FROM ${database}.inventory_daily FINAL`,
    );
    expect(Number(rewritten!.rows)).toBe(Number(closed!.rows));
    expect(Number(rewritten!.newer)).toBe(Number(rewritten!.rows));
    expect(await snapshot()).toEqual(kept);
    expect((await bookMismatches()).wrong.slice(0, 10)).toEqual([]);
  }, 600_000);
});
