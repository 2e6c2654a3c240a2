/**
 * The BI closing job and the views of migration 0010 against embedded ClickHouse: sales of
 * stores in three time zones over five days around the Paris spring DST change, read through
 * bi_sales_daily, bi_store_sales_daily and bi_sales_hourly before any day closes (from the
 * facts), after the job closed the days (from the aggregates), after the same events were
 * replayed in other blocks (dirty days from the facts, then closed again), and after a late
 * event. Expected totals are computed here from the generated lines with hand-written UTC
 * offsets (Dubai +4; New York -4 after 8 March; Paris +1, +2 from 29 March 01:00 UTC), not
 * from the job's time-zone code.
 *
 * The same for the sales per store x category x day (0043, store_category_sales_daily), with the
 * categories written here, checked against the view it replaces on the dashboards (bi_sales_daily
 * summed per category) as well, and after a product moved to another category and its days were
 * closed again (the old category's figures must go, not stay beside the new ones).
 */
import { randomUUID } from 'node:crypto';
import { migrate } from '../../clickhouse/migrate';
import type { ClickHouseClient } from '../../lib/clients/clickhouse';
import { createClosingJob } from '../../services/bi-rollups/closing';
import { testClickHouse } from '../harness/fixtures';

const HOUR = 3_600_000;
const STORES = [
  { store_id: 'D1', time_zone: 'Asia/Dubai', offset: (): number => 4 * HOUR },
  { store_id: 'P1', time_zone: 'Europe/Paris', offset: (t: number): number => (t < Date.parse('2026-03-29T01:00:00Z') ? HOUR : 2 * HOUR) },
  { store_id: 'N1', time_zone: 'America/New_York', offset: (): number => -4 * HOUR },
] as const;

interface Line {
  event_id: string;
  line_number: number;
  occurred_at: number;
  store_id: string;
  sku: string;
  quantity: number;
  unit_price: number;
  discount: number;
  net_amount: number;
  source_offset: number;
}

function generate(): Line[] {
  const lines: Line[] = [];
  const start = Date.parse('2026-03-27T00:00:00Z');
  for (let i = 0; i < 360; i++) {
    const store = STORES[i % 3]!;
    const at = start + i * 17 * 60_000 + (i % 7) * 61_000; // every ~17 minutes for ~4.3 days
    const event = randomUUID();
    for (let n = 1; n <= 1 + (i % 2); n++) {
      const quantity = 1 + ((i + n) % 3);
      const unit_price = 100 + ((i * n) % 5) * 10;
      const discount = (i + n) % 4 === 0 ? 5 : 0;
      lines.push({ event_id: event, line_number: n, occurred_at: at, store_id: store.store_id, sku: `SKU-${(i + n) % 4}`, quantity, unit_price, discount, net_amount: quantity * unit_price - discount, source_offset: i });
    }
  }
  return lines;
}

const iso = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
const local = (l: Line): number => l.occurred_at + STORES.find((s) => s.store_id === l.store_id)!.offset(l.occurred_at);

type Totals = { units: number; net: number; discount: number; lines: number; baskets: Set<string> };
function totals(lines: readonly Line[], key: (l: Line) => string): Map<string, string> {
  const by = new Map<string, Totals>();
  for (const l of lines) {
    const k = key(l);
    let t = by.get(k);
    if (!t) by.set(k, (t = { units: 0, net: 0, discount: 0, lines: 0, baskets: new Set() }));
    t.units += l.quantity;
    t.net += l.net_amount;
    t.discount += l.discount;
    t.lines++;
    t.baskets.add(l.event_id);
  }
  return new Map([...by].map(([k, t]) => [k, `${t.units}/${t.net}/${t.discount}/${t.lines}/${t.baskets.size}`]));
}

/** The categories of the test's products; SKU-9 (the late sale) is not in the master data. */
const CATEGORY: Record<string, string> = { 'SKU-0': 'Dairy', 'SKU-1': 'Dairy', 'SKU-2': 'Bakery', 'SKU-3': 'Produce' };

/** units/net/discount/lines/distinct products per store x category x local day, from the lines. */
function categoryTotals(lines: readonly Line[], categories: Readonly<Record<string, string>>): Map<string, string> {
  const by = new Map<string, { units: number; net: number; discount: number; lines: number; skus: Set<string> }>();
  for (const l of lines) {
    const k = `${l.store_id}|${categories[l.sku] ?? ''}|${iso(local(l))}`;
    let t = by.get(k);
    if (!t) by.set(k, (t = { units: 0, net: 0, discount: 0, lines: 0, skus: new Set() }));
    t.units += l.quantity;
    t.net += l.net_amount;
    t.discount += l.discount;
    t.lines++;
    t.skus.add(l.sku);
  }
  return new Map([...by].map(([k, t]) => [k, `${t.units}/${t.net}/${t.discount}/${t.lines}/${t.skus.size}`]));
}

async function fromView(client: ClickHouseClient, query: string): Promise<Map<string, string>> {
  const result = await (await client.query({ query, format: 'JSONEachRow' })).json<{ k: string; v: string }>();
  return new Map(result.map((r) => [r.k, r.v]));
}

describe('BI closing job: store-local days exact under replay', () => {
  it('gives the same daily, store-daily and hourly figures before closing, after closing, after a replay and after a late event', async () => {
    const { client, database } = await testClickHouse();
    await migrate(client, database);
    await client.insert({
      table: `${database}.dim_store`,
      format: 'JSONEachRow',
      values: STORES.map((s) => ({ store_id: s.store_id, name: s.store_id, region: 'Test', time_zone: s.time_zone, size_class: 'SMALL', currency: 'EUR', opened_on: '2020-01-01', updated_at: '2026-01-01 00:00:00.000' })),
    });
    const writeProducts = (categories: Readonly<Record<string, string>>, updatedAt: string): Promise<unknown> =>
      client.insert({
        table: `${database}.dim_product`,
        format: 'JSONEachRow',
        values: Object.entries(categories).map(([sku, category]) => ({ sku, name: sku, category, brand: 'test', unit_cost: 50, price: 120, currency: 'EUR', perishable: false, shelf_life_days: null, updated_at: updatedAt })),
      });
    await writeProducts(CATEGORY, '2026-01-01 00:00:00.000');
    const insert = async (lines: readonly Line[]): Promise<void> => {
      const values = lines.map((l) => ({ ...l, occurred_at: new Date(l.occurred_at).toISOString().replace('T', ' ').replace('Z', ''), terminal_id: 'T1', transaction_id: `X${l.source_offset}`, cashier_id: 'C1', payment_method: 'CARD', currency: 'EUR', promotion_id: null }));
      await client.insert({ table: `${database}.fact_sale_lines`, values, format: 'JSONEachRow' });
    };
    const lines = generate();
    for (let i = 0; i < lines.length; i += 150) await insert(lines.slice(i, i + 150));

    const check = async (all: readonly Line[], what: string): Promise<void> => {
      const measures = `concat(toString(units_sold), '/', toString(net_sales_minor), '/', toString(discount_minor), '/', toString(sale_lines), '/', toString(transactions)) AS v`;
      const daily = await fromView(client, `SELECT concat(store_id, '|', sku, '|', toString(business_date)) AS k, ${measures} FROM ${database}.bi_sales_daily`);
      const store = await fromView(client, `SELECT concat(store_id, '|', toString(business_date)) AS k, ${measures} FROM ${database}.bi_store_sales_daily`);
      const hourly = await fromView(
        client,
        `SELECT concat(store_id, '|', sku, '|', toString(toUnixTimestamp(hour_start_utc) * 1000), '|', toString(business_date), '|', toString(local_hour)) AS k, ${measures} FROM ${database}.bi_sales_hourly`,
      );
      expect([what, 'daily', daily]).toEqual([what, 'daily', totals(all, (l) => `${l.store_id}|${l.sku}|${iso(local(l))}`)]);
      expect([what, 'store', store]).toEqual([what, 'store', totals(all, (l) => `${l.store_id}|${iso(local(l))}`)]);
      const hourOf = (l: Line): string => `${Math.floor(l.occurred_at / HOUR) * HOUR}|${iso(local(l))}|${new Date(local(l)).getUTCHours()}`;
      expect([what, 'hourly', hourly]).toEqual([what, 'hourly', totals(all, (l) => `${l.store_id}|${l.sku}|${hourOf(l)}`)]);
      await checkCategories(all, CATEGORY, what);
    };
    const checkCategories = async (all: readonly Line[], categories: Readonly<Record<string, string>>, what: string): Promise<void> => {
      const byCategory = await fromView(
        client,
        `SELECT concat(store_id, '|', category, '|', toString(business_date)) AS k,
                concat(toString(units_sold), '/', toString(net_sales_minor), '/', toString(discount_minor), '/', toString(sale_lines), '/', toString(products_sold)) AS v
         FROM ${database}.store_category_sales_daily`,
      );
      expect([what, 'category', byCategory]).toEqual([what, 'category', categoryTotals(all, categories)]);
      // What the dashboards read before: bi_sales_daily summed per category, same rows.
      const replaced = await fromView(
        client,
        `SELECT concat(d.store_id, '|', p.category, '|', toString(d.business_date)) AS k,
                concat(toString(sum(d.units_sold)), '/', toString(sum(d.net_sales_minor)), '/', toString(sum(d.discount_minor)), '/', toString(sum(d.sale_lines)), '/', toString(count())) AS v
         FROM ${database}.bi_sales_daily AS d LEFT JOIN (SELECT sku, category FROM ${database}.dim_product FINAL) AS p ON p.sku = d.sku
         GROUP BY d.store_id, p.category, d.business_date`,
      );
      expect([what, 'category vs bi_sales_daily', byCategory]).toEqual([what, 'category vs bi_sales_daily', replaced]);
    };
    const closedDays = async (): Promise<number> =>
      Number((await (await client.query({ query: `SELECT count() AS n FROM ${database}.days_clean`, format: 'JSONEachRow' })).json<{ n: string }>())[0]!.n);

    // No race margin: the test closes right after inserting, with nothing racing.
    const calendar = { calendarFrom: '2026-01-01', calendarTo: '2026-12-31', raceMarginMs: 0 };
    // With a lateness longer than the data, nothing closes: the views read the facts.
    expect((await createClosingJob(client, { database, allowedLatenessMs: 30 * 24 * HOUR, ...calendar }).cycle()).closed).toBe(0);
    await check(lines, 'open');

    const job = createClosingJob(client, { database, allowedLatenessMs: HOUR, ...calendar });
    const first = await job.cycle();
    expect(first.closed).toBeGreaterThan(6);
    expect(await closedDays()).toBeGreaterThan(6);
    await check(lines, 'closed');
    const aggregated = await fromView(client, `SELECT 'n' AS k, toString(count()) AS v FROM ${database}.sales_daily_store_sku FINAL`);
    expect(Number(aggregated.get('n'))).toBeGreaterThan(0);

    // A replay: the same lines again in other blocks. The closed days become dirty (read from
    // the facts), then the job closes them again; the figures never move.
    for (let i = 0; i < lines.length; i += 97) await insert(lines.slice(i, i + 97));
    expect(await closedDays()).toBe(0);
    await check(lines, 'replayed');
    await job.cycle();
    expect(await closedDays()).toBeGreaterThan(6);
    await check(lines, 'replayed and closed again');
    expect(await fromView(client, `SELECT 'n' AS k, toString(count()) AS v FROM ${database}.sales_daily_store_sku FINAL`)).toEqual(aggregated);

    // A late sale for a closed day of Dubai: in the views at once, and after the next closing.
    const late: Line = { event_id: randomUUID(), line_number: 1, occurred_at: Date.parse('2026-03-27T21:00:00Z'), store_id: 'D1', sku: 'SKU-9', quantity: 7, unit_price: 300, discount: 0, net_amount: 2100, source_offset: 9_999 };
    await insert([late]);
    await check([...lines, late], 'late event');
    await job.cycle();
    await check([...lines, late], 'late event closed');
    // By hand: 21:00 UTC on 27 March is 01:00 on the 28th in Dubai; SKU-9 has no category.
    const lateDay = await fromView(client, `SELECT 'late' AS k, concat(toString(units_sold), '/', toString(net_sales_minor), '/', toString(products_sold)) AS v FROM ${database}.store_category_sales_daily WHERE store_id = 'D1' AND category = '' AND business_date = '2026-03-28'`);
    expect(lateDay.get('late')).toBe('7/2100/1');

    // SKU-3 moves to Frozen; a replay dirties every day and the job closes them again with the
    // new category: Produce's figures are gone from the closed days, not left beside Frozen's.
    const moved = { ...CATEGORY, 'SKU-3': 'Frozen' };
    await writeProducts(moved, '2026-02-01 00:00:00.000');
    for (let i = 0; i < lines.length; i += 97) await insert(lines.slice(i, i + 97));
    await job.cycle();
    expect(await closedDays()).toBeGreaterThan(6);
    await checkCategories([...lines, late], moved, 'category moved, closed again');
  });
});
