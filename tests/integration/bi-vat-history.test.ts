/**
 * VAT per business day (migrations 0044, 0045) on five simulated days of nine stores, landed as
 * the warehouse processor lands them, the first days closed by the BI closing job and the last
 * ones read from the facts (both branches of each view).
 *
 * 1. The rewritten views give the rows the old definitions gave: 0019's text of bi_sales_daily,
 *    bi_store_sales_daily, bi_sales_hourly, bi_sales and bi_returns, created beside them under other names, compared
 *    both ways with EXCEPT.
 * 2. A VAT rate change in the middle of the days: expected values from the simulator's sales
 *    (each sale's total) and the store's rates, in JavaScript; days before the change keep their
 *    revenue excluding tax, to the value, and days from it use the new rate.
 */
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
import { PosSimulator } from '../../simulators/pos/simulator';
import type { Row } from '../../streams/runtime/processor';
import { warehouseRows } from '../../streams/warehouse/warehouse';
import { testClickHouse } from '../harness/fixtures';

const DAY_MS = 86_400_000;
const VIEWS = ['bi_sales_daily', 'bi_store_sales_daily', 'bi_sales_hourly', 'bi_sales', 'bi_returns'] as const;
/** Views the simulated sales fill (no returns are landed here: bi_returns is compared empty). */
const FILLED: readonly string[] = ['bi_sales_daily', 'bi_store_sales_daily', 'bi_sales_hourly', 'bi_sales'];

function localDate(timeZone: string, at: number): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

/** 0019's statement that creates `view`, renamed to `${view}_0019`. */
function oldDefinition(view: string, database: string): string {
  const text = bindDatabase(readFileSync(join(__dirname, '../../clickhouse/migrations/0019_reporting_currency_views.sql'), 'utf8'), database);
  const statement = splitStatements(text).find((s) => s.includes(`CREATE OR REPLACE VIEW ${database}.${view}\n`));
  if (!statement) throw new Error(`0019 does not create ${view}`);
  return statement.replace(`VIEW ${database}.${view}\n`, `VIEW ${database}.${view}_0019\n`);
}

describe('VAT per business day in the daily and hourly sales views', () => {
  let client: ClickHouseClient;
  let database: string;
  let stores: Store[];
  const sales: SaleCompleted[] = [];
  const query = async <T>(sql: string): Promise<T[]> => (await client.query({ query: sql, format: 'JSONEachRow' })).json<T>();
  const publish = async (topic: 'md.stores', record: Store): Promise<void> => {
    const rows = new Map<string, Row[]>();
    warehouseRows(topic, record, 0, { emit: (table, row) => void (rows.get(table) ?? rows.set(table, []).get(table)!).push(row), publish: () => undefined, deliver: () => undefined });
    for (const [table, values] of rows) await client.insert({ table: `${database}.${table}`, values, format: 'JSONEachRow' });
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
    const lastSale = Math.max(...sales.map((s) => s.occurred_at));
    const closing = await createClosingJob(client, { database, allowedLatenessMs: 2 * DAY_MS, calendarFrom: '2026-03-20', calendarTo: '2026-04-10', raceMarginMs: 0 }).cycle(lastSale);
    expect(closing.closed).toBeGreaterThan(0);
    for (const view of VIEWS) await client.command({ query: oldDefinition(view, database) });
  }, 300_000);

  it('gives the rows of the old definitions while no rate changed', async () => {
    for (const view of VIEWS) {
      const [counts] = await query<{ rows: string; missing: string; extra: string }>(
        `SELECT (SELECT count() FROM ${database}.${view}) AS rows,
                (SELECT count() FROM (SELECT * FROM ${database}.${view}_0019 EXCEPT SELECT * FROM ${database}.${view})) AS missing,
                (SELECT count() FROM (SELECT * FROM ${database}.${view} EXCEPT SELECT * FROM ${database}.${view}_0019)) AS extra`,
      );
      expect({ view, rows: Number(counts!.rows) > 0 || !FILLED.includes(view), missing: Number(counts!.missing), extra: Number(counts!.extra) }).toEqual({ view, rows: true, missing: 0, extra: 0 });
    }
  });

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
      `SELECT net_sales_ex_tax AS ex_tax FROM ${database}.bi_store_sales_daily_0019 WHERE store_id = '${store.store_id}' AND business_date = '${days[0]}'`,
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
});
