/**
 * VAT per business day (migrations 0044-0046) on five simulated days of nine stores, landed as
 * the warehouse processor lands them (and their minutes as the velocity processor's table holds
 * them), the first days closed by the BI closing job and the last ones read from the facts (both
 * branches of each view). Views are read through the SQL endpoint, as a BI tool reads them.
 *
 * 1. The rewritten views give the rows the old definitions gave while no rate changed: 0019's
 *    text of the nine views with revenue excluding tax (0028's for bi_sales_rolling), created
 *    beside them under other names, compared both ways with EXCEPT.
 * 2. A VAT rate change in the middle of the days: expected values from the simulator's sales
 *    (each sale's total) and the store's rates, in JavaScript; days before the change keep their
 *    revenue excluding tax, to the value, and days from it use the new rate.
 * 3. The same in every view for a store east of UTC (Istanbul) whose new rate is published after
 *    its local midnight but before UTC midnight: the rate starts on the local date, not the UTC
 *    date of the publication (0046); the quadrants' periods and the rolling days that span the
 *    change sum each day at its own rate.
 */
import { createClient, type ClickHouseClient as HttpClient } from '@clickhouse/client';
import type { ClickHouseClient } from '@clickhouse/client';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fillCalendar } from '../../clickhouse/calendar';
import { migrate } from '../../clickhouse/migrate';
import { applyReportingCurrency } from '../../clickhouse/reporting-currency';
import { bindDatabase, splitStatements } from '../../clickhouse/sql';
import { parseDay } from '../../lib/domain/calendar';
import type { SaleCompleted, Store } from '../../schemas/generated/events';
import { createClosingJob } from '../../services/bi-rollups/closing';
import { AdminExecutor, startSqlEndpoint } from '../../services/sql';
import { PosSimulator } from '../../simulators/pos/simulator';
import type { Row } from '../../streams/runtime/processor';
import { warehouseRows } from '../../streams/warehouse/warehouse';
import { refreshAndCheckExchangeRates } from '../harness/exchange-rates';
import { refreshAndCheckVatRatePeriods } from '../harness/vat-rates';
import { registerCleanup, testClickHouse, testConfig, testLogger } from '../harness/fixtures';

const DAY_MS = 86_400_000;
/** Each view with revenue excluding tax, and the migration whose text defined it before 0045-0046. */
const OLD_DEFINITIONS: Readonly<Record<string, string>> = {
  bi_sales_daily: '0019_reporting_currency_views.sql',
  bi_store_sales_daily: '0019_reporting_currency_views.sql',
  bi_sales_hourly: '0019_reporting_currency_views.sql',
  bi_sales: '0019_reporting_currency_views.sql',
  bi_returns: '0019_reporting_currency_views.sql',
  bi_sales_velocity: '0019_reporting_currency_views.sql',
  bi_store_revenue_hourly: '0019_reporting_currency_views.sql',
  bi_product_quadrants: '0019_reporting_currency_views.sql',
  bi_sales_rolling: '0028_book_count_order.sql',
};
const VIEWS = Object.keys(OLD_DEFINITIONS);
/** Views the simulated sales fill (no returns are landed here: bi_returns is compared empty). */
const FILLED: readonly string[] = VIEWS.filter((v) => v !== 'bi_returns');

function localDate(timeZone: string, at: number): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

/** The statement of the migration that last defined `view` before 0045, renamed to `${view}_old`. */
function oldDefinition(view: string, database: string): string {
  const file = OLD_DEFINITIONS[view]!;
  const text = bindDatabase(readFileSync(join(__dirname, '../../clickhouse/migrations', file), 'utf8'), database);
  const statement = splitStatements(text).find((s) => s.includes(`CREATE OR REPLACE VIEW ${database}.${view}\n`));
  if (!statement) throw new Error(`${file} does not create ${view}`);
  return statement.replace(`VIEW ${database}.${view}\n`, `VIEW ${database}.${view}_old\n`);
}

/** The simulator's sale lines as the velocity processor's 1-minute rows (streams/velocity: net revenue, before discounts, baskets, lines). */
function velocityMinutes(sales: readonly SaleCompleted[]): Row[] {
  const minutes = new Map<string, { window_start: number; store_id: string; sku: string; units: number; revenue: number; gross_revenue: number; discount: number; baskets: Set<string>; lines: number }>();
  for (const s of sales) {
    const windowStart = Math.floor(s.occurred_at / 60_000) * 60;
    for (const l of s.lines) {
      const key = `${s.store_id}|${l.sku}|${windowStart}`;
      const m = minutes.get(key) ?? { window_start: windowStart, store_id: s.store_id, sku: l.sku, units: 0, revenue: 0, gross_revenue: 0, discount: 0, baskets: new Set<string>(), lines: 0 };
      m.units += l.quantity;
      m.gross_revenue += l.quantity * l.unit_price;
      m.discount += l.discount;
      m.revenue += l.quantity * l.unit_price - l.discount;
      m.baskets.add(s.event_id);
      m.lines += 1;
      minutes.set(key, m);
    }
  }
  return [...minutes.values()].map(({ baskets, ...m }) => ({ ...m, transactions: baskets.size, is_final: true, version: 1 }));
}

/** Monday of the ISO week of a 'YYYY-MM-DD' date. */
function mondayOf(day: string): string {
  const at = Date.parse(`${day}T00:00:00Z`);
  return new Date(at - ((new Date(at).getUTCDay() + 6) % 7) * DAY_MS).toISOString().slice(0, 10);
}

describe('VAT per business day in the bi_* views', () => {
  let client: ClickHouseClient;
  let database: string;
  let bi: HttpClient;
  let stores: Store[];
  const sales: SaleCompleted[] = [];
  /** Through the SQL endpoint, as a BI tool reads. */
  const query = async <T>(sql: string): Promise<T[]> => (await bi.query({ query: sql, format: 'JSONEachRow' })).json<T>();
  /** Straight on the embedded client: comparing definitions, not reading as a BI tool. */
  const embeddedQuery = async <T>(sql: string): Promise<T[]> => (await client.query({ query: sql, format: 'JSONEachRow' })).json<T>();
  const publish = async (topic: 'md.stores', record: Store): Promise<void> => {
    const rows = new Map<string, Row[]>();
    warehouseRows(topic, record, 0, { emit: (table, row) => void (rows.get(table) ?? rows.set(table, []).get(table)!).push(row), publish: () => undefined, deliver: () => undefined });
    for (const [table, values] of rows) await client.insert({ table: `${database}.${table}`, values, format: 'JSONEachRow' });
    // As the warehouse does after writing dim_store: vat_rate_periods (0051) refreshed at once, then checked.
    await refreshAndCheckVatRatePeriods(client, database);
  };

  beforeAll(async () => {
    ({ client, database } = await testClickHouse());
    await migrate(client, database);
    await fillCalendar(client, database, '2026-03-20', '2026-04-10');
    await applyReportingCurrency(client, database, 'EUR');
    const sim = new PosSimulator({ seed: 23, stores: 9, skus: 30, window: { kind: 'days', startDay: parseDay('2026-03-26'), days: 5 }, anomalyRate: 0, heartbeats: false });
    const master = sim.masterData();
    stores = master['md.stores'];
    const tables = new Map<string, Row[]>();
    const out = { emit: (table: string, row: Row) => void (tables.get(table) ?? tables.set(table, []).get(table)!).push(row), publish: () => undefined, deliver: () => undefined };
    let offset = 0;
    for (const topic of ['md.stores', 'md.products', 'md.exchange-rates'] as const) for (const record of master[topic]) warehouseRows(topic, record, offset++, out);
    while (!sim.done) {
      for (const s of sim.nextHour().events['pos.sales']) {
        sales.push(s);
        warehouseRows('pos.sales', s, offset++, out);
      }
    }
    for (const [table, values] of tables) await client.insert({ table: `${database}.${table}`, values, format: 'JSONEachRow' });
    await client.insert({ table: `${database}.sales_velocity_1m`, values: velocityMinutes(sales), format: 'JSONEachRow' });
    // Rates written straight into the table, not through the warehouse: refreshed at once (0049's view, as the warehouse refreshes it after its writes), then checked.
    await refreshAndCheckExchangeRates(client, database);
    const lastSale = Math.max(...sales.map((s) => s.occurred_at));
    const closing = await createClosingJob(client, { database, allowedLatenessMs: 2 * DAY_MS, calendarFrom: '2026-03-20', calendarTo: '2026-04-10', raceMarginMs: 0 }).cycle(lastSale);
    expect(closing.closed).toBeGreaterThan(0);
    for (const view of VIEWS) await client.command({ query: oldDefinition(view, database) });

    const config = testConfig();
    const executor = new AdminExecutor({ dataDir: config.clickhouse.mode === 'embedded' ? config.clickhouse.dataDir : '', defaultDatabase: database, sessionTimeoutS: 60 });
    const endpoint = await startSqlEndpoint({ config: { sqlEndpoint: { ...config.sqlEndpoint, port: 0 } }, logger: testLogger(), executor });
    bi = createClient({ url: endpoint.url, database });
    registerCleanup(async () => {
      await bi.close();
      await endpoint.close();
      await executor.close();
    });
  }, 300_000);

  it('gives the rows of the old definitions while no rate changed', async () => {
    // Row by row in JavaScript rather than EXCEPT: EXCEPT of the two rolling views took minutes (each side's window CTEs planned again).
    for (const view of VIEWS) {
      const read = (name: string) => embeddedQuery<Record<string, unknown>>(`SELECT * FROM ${database}.${name} ORDER BY ALL`);
      const [now, before] = [await read(view), await read(`${view}_old`)];
      expect({ view, filled: now.length > 0 || !FILLED.includes(view) }).toEqual({ view, filled: true });
      expect({ view, rows: now }).toEqual({ view, rows: before });
    }
  }, 300_000);

  it('keeps past days unchanged when a store changes its VAT rate, and applies the new rate from its first day', async () => {
    const store = stores.find((s) => s.vat_rate !== null && s.vat_rate > 0)!;
    const oldRate = store.vat_rate!;
    const newRate = Math.round(oldRate * 1000 + 30) / 1000; // three points more
    // Net per business day of the store, from the simulator's sales.
    const net = new Map<string, number>();
    for (const s of sales) if (s.store_id === store.store_id) net.set(localDate(store.time_zone, s.occurred_at), (net.get(localDate(store.time_zone, s.occurred_at)) ?? 0) + s.total);
    const days = [...net.keys()].sort();
    expect(days.length).toBeGreaterThanOrEqual(4);
    const changeDay = days[2]!; // two days before the change, the rest after
    const read = async (): Promise<Map<string, number>> =>
      new Map(
        (await query<{ business_date: string; ex_tax: number }>(
          `SELECT toString(business_date) AS business_date, net_sales_ex_tax AS ex_tax FROM ${database}.bi_store_sales_daily WHERE store_id = '${store.store_id}' ORDER BY business_date`,
        )).map((r) => [r.business_date, r.ex_tax]),
      );

    const before = await read();
    expect([...before.keys()]).toEqual(days);
    for (const day of days) expect(before.get(day)).toBeCloseTo(net.get(day)! / (1 + oldRate) / 100, 6);

    // The chain publishes the new rate as a store version dated the day it takes effect (UTC midnight of that date).
    await publish('md.stores', { ...store, vat_rate: newRate, updated_at: Date.parse(`${changeDay}T00:00:00Z`) });

    const after = await read();
    for (const day of days) {
      const want = day < changeDay ? before.get(day)! : net.get(day)! / (1 + newRate) / 100;
      expect({ day, exTax: after.get(day) }).toEqual({ day, exTax: day < changeDay ? before.get(day) : expect.closeTo(want, 6) });
    }
    // The old definition restates every day at the current rate: the test can tell the two apart.
    const [restated] = await query<{ ex_tax: number }>(
      `SELECT net_sales_ex_tax AS ex_tax FROM ${database}.bi_store_sales_daily_old WHERE store_id = '${store.store_id}' AND business_date = '${days[0]}'`,
    );
    expect(restated!.ex_tax).toBeCloseTo(net.get(days[0]!)! / (1 + newRate) / 100, 6);
    // The product and hourly views agree with the store view, day by day.
    for (const view of ['bi_sales_daily', 'bi_sales_hourly', 'bi_sales']) {
      const rows = await query<{ business_date: string; ex_tax: number }>(
        `SELECT toString(business_date) AS business_date, sum(net_sales_ex_tax) AS ex_tax FROM ${database}.${view} WHERE store_id = '${store.store_id}' GROUP BY business_date ORDER BY business_date`,
      );
      for (const r of rows) expect({ view, day: r.business_date, exTax: r.ex_tax }).toEqual({ view, day: r.business_date, exTax: expect.closeTo(after.get(r.business_date)!, 6) });
    }
  });

  it('starts a rate published after local midnight on that local date in every view, not on its UTC date', async () => {
    const store = stores.find((s) => s.time_zone === 'Europe/Istanbul')!; // UTC+3 all year
    const oldRate = store.vat_rate!;
    const newRate = Math.round(oldRate * 1000 + 40) / 1000;
    const net = new Map<string, number>(); // minor units per local business day, from the simulator's sales
    for (const s of sales) if (s.store_id === store.store_id) net.set(localDate(store.time_zone, s.occurred_at), (net.get(localDate(store.time_zone, s.occurred_at)) ?? 0) + s.total);
    const days = [...net.keys()].sort();
    expect(days.length).toBeGreaterThanOrEqual(4);
    const changeDay = days[2]!;
    // Published at 01:30 in Istanbul on the change day, which is still the day before in UTC.
    const publishedAt = Date.parse(`${changeDay}T01:30:00+03:00`);
    expect({ local: localDate(store.time_zone, publishedAt), utc: new Date(publishedAt).toISOString().slice(0, 10) }).toEqual({ local: changeDay, utc: days[1] });
    await publish('md.stores', { ...store, vat_rate: newRate, updated_at: publishedAt });

    const rateOn = (day: string): number => (day < changeDay ? oldRate : newRate);
    const exTax = (day: string): number => net.get(day)! / (1 + rateOn(day)) / 100; // major units
    const want = days.map((day) => ({ day, exTax: expect.closeTo(exTax(day), 6) }));
    const store_id = store.store_id;
    // Each view summed per business day of the store: every view with a day carries the new rate from its local date on.
    for (const view of ['bi_store_sales_daily', 'bi_sales_daily', 'bi_sales_hourly', 'bi_sales', 'bi_sales_velocity', 'bi_store_revenue_hourly', 'bi_sales_rolling']) {
      const rows = await query<{ day: string; ex_tax: number }>(
        `SELECT toString(business_date) AS day, sum(net_sales_ex_tax) AS ex_tax FROM ${view} WHERE store_id = '${store_id}' GROUP BY day ORDER BY day`,
      );
      expect({ view, days: rows.map((r) => ({ day: r.day, exTax: r.ex_tax })) }).toEqual({ view, days: want });
    }
    // The quadrants sum a period's days, each at its own rate: the month holds days at both, as does the ISO week of the change.
    const periods = new Map<string, number>();
    for (const day of days) {
      for (const key of [`month ${day.slice(0, 7)}-01`, `week ${mondayOf(day)}`]) periods.set(key, (periods.get(key) ?? 0) + exTax(day));
    }
    const quadrants = await query<{ period: string; ex_tax: number; skus: string }>(
      `SELECT concat(period_type, ' ', toString(period_start)) AS period, sum(net_sales_ex_tax) AS ex_tax, count() AS skus
       FROM bi_product_quadrants WHERE scope = 'store' AND store_id = '${store_id}' GROUP BY period ORDER BY period`,
    );
    expect(quadrants.map((q) => ({ period: q.period, exTax: q.ex_tax }))).toEqual([...periods.keys()].sort().map((period) => ({ period, exTax: expect.closeTo(periods.get(period)!, 6) })));
    // Every product sold is classified (none left out for an unknown cost), so the sums above cover the store's sales.
    const skusSold = new Set(sales.filter((s) => s.store_id === store_id && localDate(store.time_zone, s.occurred_at).startsWith(changeDay.slice(0, 7))).flatMap((s) => s.lines.map((l) => l.sku)));
    expect(Number(quadrants.find((q) => q.period.startsWith('month'))!.skus)).toBe(skusSold.size);
  });
});
