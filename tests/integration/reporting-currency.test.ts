/**
 * Chain and region revenue in the reporting currency and excluding tax, and revenue per local
 * business day, read through the SQL endpoint as a BI tool reads them, against the simulator's
 * own figures: five days of nine stores (every region of the simulated chain: six currencies,
 * time zones from New York to Dubai, over the European DST change), landed as the warehouse
 * processor lands them, some days closed by the BI closing job and the last ones still read from
 * the facts.
 *
 * Expected values do not touch the SQL: each sale's total and tax are the simulator's (tax_total
 * is what its till computed, rounded per sale), its business date comes from Intl in the
 * store's IANA zone, and its rate is the one the simulator published for that day (units per
 * euro, the reporting currency here).
 */
import { createClient, type ClickHouseClient as HttpClient } from '@clickhouse/client';
import type { ClickHouseClient } from '@clickhouse/client';
import { fillCalendar } from '../../clickhouse/calendar';
import { migrate } from '../../clickhouse/migrate';
import { applyReportingCurrency } from '../../clickhouse/reporting-currency';
import type { ExchangeRate, SaleCompleted, Store } from '../../schemas/generated/events';
import { AdminExecutor, startSqlEndpoint } from '../../services/sql';
import { createClosingJob } from '../../services/bi-rollups/closing';
import { parseDay } from '../../lib/domain/calendar';
import { PosSimulator } from '../../simulators/pos/simulator';
import type { Row } from '../../streams/runtime/processor';
import { warehouseProcessor, warehouseRows } from '../../streams/warehouse/warehouse';
import { registerCleanup, testClickHouse, testConfig, testLogger, waitFor } from '../harness/fixtures';

const DAY_MS = 86_400_000;

/** The store's calendar date of an instant, from the IANA zone (not from the views' offsets table). */
function localDate(timeZone: string, at: number): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

interface Expected {
  net: number; // minor units, local currency
  netEur: number; // euros
  exTaxEur: number; // euros, from the till's own tax
  roundingEur: number; // euros: half a minor unit of tax per sale, converted
}

function add(map: Map<string, Expected>, key: string, net: number, rate: number, tax: number): void {
  const e = map.get(key) ?? { net: 0, netEur: 0, exTaxEur: 0, roundingEur: 0 };
  e.net += net;
  e.netEur += net / rate / 100;
  e.exTaxEur += (net - tax) / rate / 100;
  e.roundingEur += 0.5 / rate / 100;
  map.set(key, e);
}

describe('reporting currency and local days against the simulator, through the SQL endpoint', () => {
  let embedded: ClickHouseClient;
  let database: string;
  let bi: HttpClient;
  let stores: Store[];
  let rates: ExchangeRate[];
  const sales: SaleCompleted[] = [];
  const rateOf = (currency: string, date: string): number => {
    const day = parseDay(date);
    // The simulator publishes every currency every day of the run: the day's own rate.
    const r = rates.find((x) => x.currency === currency && x.rate_date === day);
    if (!r) throw new Error(`the simulator published no ${currency} rate for ${date}`);
    return r.rate;
  };
  const query = async <T>(sql: string): Promise<T[]> => (await bi.query({ query: sql, format: 'JSONEachRow' })).json<T>();

  beforeAll(async () => {
    ({ client: embedded, database } = await testClickHouse());
    await migrate(embedded, database);
    await fillCalendar(embedded, database, '2026-03-20', '2026-04-10');
    await applyReportingCurrency(embedded, database, 'EUR');

    const sim = new PosSimulator({ seed: 11, stores: 9, skus: 40, window: { kind: 'days', startDay: parseDay('2026-03-26'), days: 5 }, anomalyRate: 0, heartbeats: false });
    const master = sim.masterData();
    stores = master['md.stores'];
    rates = master['md.exchange-rates'];
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
    const warehouse = warehouseProcessor();
    for (const [table, values] of tables) {
      await embedded.insert({ table: `${database}.${table}`, values, format: 'JSONEachRow' });
      await warehouse.afterWrite?.[table]?.(embedded, database);
    }

    // Close the days that are over two days before the last sale: the first days come from the
    // closing job's aggregates, the last ones from the facts.
    const lastSale = Math.max(...sales.map((s) => s.occurred_at));
    const closing = await createClosingJob(embedded, { database, allowedLatenessMs: 2 * DAY_MS, calendarFrom: '2026-03-20', calendarTo: '2026-04-10', raceMarginMs: 0 }).cycle(lastSale);
    expect(closing.closed).toBeGreaterThan(0);

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

  /** Expected figures per key, from the simulator's sales. */
  function expected(key: (store: Store, date: string) => string): Map<string, Expected> {
    const byStore = new Map(stores.map((s) => [s.store_id, s]));
    const out = new Map<string, Expected>();
    for (const s of sales) {
      const store = byStore.get(s.store_id)!;
      const date = localDate(store.time_zone, s.occurred_at);
      add(out, key(store, date), s.total, rateOf(s.currency, date), s.tax_total);
    }
    return out;
  }

  it('runs stores in at least three time zones and six currencies, with days that UTC would cut elsewhere', () => {
    expect(new Set(stores.map((s) => s.time_zone)).size).toBeGreaterThanOrEqual(3);
    expect(new Set(stores.map((s) => s.currency)).size).toBe(6);
    const zone = new Map(stores.map((s) => [s.store_id, s.time_zone]));
    const shifted = sales.filter((s) => localDate(zone.get(s.store_id)!, s.occurred_at) !== new Date(s.occurred_at).toISOString().slice(0, 10));
    // New York closes at 23:00 local, after midnight UTC: its last sales of a day fall on the next UTC date.
    expect(shifted.length).toBeGreaterThan(20);
  });

  it('gives each store its revenue per local business day, in its currency and in the reporting currency', async () => {
    const want = expected((store, date) => `${store.store_id} ${date}`);
    const got = await query<{ store_id: string; business_date: string; net_sales_minor: string; net_sales_reporting: number; currency: string; reporting_currency: string }>(
      'SELECT store_id, business_date, net_sales_minor, net_sales_reporting, currency, reporting_currency FROM bi_store_sales_daily ORDER BY store_id, business_date',
    );
    expect(got.map((r) => `${r.store_id} ${r.business_date}`).sort()).toEqual([...want.keys()].sort());
    const currency = new Map(stores.map((s) => [s.store_id, s.currency]));
    for (const r of got) {
      const e = want.get(`${r.store_id} ${r.business_date}`)!;
      expect({ day: `${r.store_id} ${r.business_date}`, net: Number(r.net_sales_minor), currency: r.currency, reporting: r.reporting_currency }).toEqual({
        day: `${r.store_id} ${r.business_date}`,
        net: e.net,
        currency: currency.get(r.store_id),
        reporting: 'EUR',
      });
      expect(r.net_sales_reporting).toBeCloseTo(e.netEur, 6);
    }
    // The same days through the product-level view.
    const perSku = await query<{ k: string; net: string }>("SELECT concat(store_id, ' ', toString(business_date)) AS k, sum(net_sales_minor) AS net FROM bi_sales_daily GROUP BY k");
    expect(Object.fromEntries(perSku.map((r) => [r.k, Number(r.net)]))).toEqual(Object.fromEntries([...want].map(([k, e]) => [k, e.net])));
  });

  it('sums the chain and each region in the reporting currency, with and without tax', async () => {
    const regions = expected((store) => store.region);
    const got = await query<{ region: string; revenue: number; revenue_ex_tax: number }>(
      `SELECT s.region AS region, sum(d.net_sales_reporting) AS revenue, sum(d.net_sales_ex_tax_reporting) AS revenue_ex_tax
       FROM bi_store_sales_daily AS d INNER JOIN bi_dim_store AS s ON s.store_id = d.store_id GROUP BY region ORDER BY region`,
    );
    expect(got.map((r) => r.region)).toEqual([...regions.keys()].sort());
    for (const r of got) {
      const e = regions.get(r.region)!;
      expect(r.revenue).toBeCloseTo(e.netEur, 6);
      // The till rounds each sale's tax to a minor unit; the view takes VAT out of the day's total.
      expect(Math.abs(r.revenue_ex_tax - e.exTaxEur)).toBeLessThanOrEqual(e.roundingEur);
    }
    const chain = [...regions.values()].reduce((a, e) => ({ netEur: a.netEur + e.netEur, exTaxEur: a.exTaxEur + e.exTaxEur, roundingEur: a.roundingEur + e.roundingEur }), { netEur: 0, exTaxEur: 0, roundingEur: 0 });
    const [total] = await query<{ revenue: number; revenue_ex_tax: number; lines_revenue: number }>(
      'SELECT (SELECT sum(net_sales_reporting) FROM bi_store_sales_daily) AS revenue, (SELECT sum(net_sales_ex_tax_reporting) FROM bi_store_sales_daily) AS revenue_ex_tax, (SELECT sum(net_sales_reporting) FROM bi_sales) AS lines_revenue',
    );
    expect(total!.revenue).toBeCloseTo(chain.netEur, 6);
    expect(total!.lines_revenue).toBeCloseTo(chain.netEur, 6);
    expect(Math.abs(total!.revenue_ex_tax - chain.exTaxEur)).toBeLessThanOrEqual(chain.roundingEur);
    // Summing local amounts across currencies would be far off: the check above is not a tautology.
    const naive = sales.reduce((n, s) => n + s.total, 0) / 100;
    expect(Math.abs(naive - chain.netEur) / chain.netEur).toBeGreaterThan(0.5);
  });

  it('takes a corrected rate written by hand within the refresh period, without a rebuild', async () => {
    const store = stores.find((s) => s.currency === 'GBP')!;
    const [day] = await query<{ business_date: string; net_sales_minor: string }>(
      `SELECT business_date, net_sales_minor FROM bi_store_sales_daily WHERE store_id = '${store.store_id}' ORDER BY business_date LIMIT 1`,
    );
    const corrected = rateOf('GBP', day!.business_date) * 1.1;
    const rows: Row[] = [];
    warehouseRows('md.exchange-rates', { currency: 'GBP', base_currency: 'EUR', rate_date: parseDay(day!.business_date), rate: corrected, source: 'correction', updated_at: Date.now() }, 0, {
      emit: (_table, row) => void rows.push(row),
      publish: () => undefined,
      deliver: () => undefined,
    });
    // Straight into the table, as an operator's INSERT would: no writer asks for a refresh, so the
    // scheduled one (every 10 s, migration 0049) must bring it.
    await embedded.insert({ table: `${database}.dim_exchange_rate`, values: rows, format: 'JSONEachRow' });
    const want = Number(day!.net_sales_minor) / corrected / 100;
    const after = await waitFor(
      async () => {
        const [row] = await query<{ net_sales_reporting: number }>(
          `SELECT net_sales_reporting FROM bi_store_sales_daily WHERE store_id = '${store.store_id}' AND business_date = '${day!.business_date}'`,
        );
        return row !== undefined && Math.abs(row.net_sales_reporting - want) < 1e-6 ? row : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250, what: 'the corrected GBP rate in bi_store_sales_daily' },
    );
    expect(after.net_sales_reporting).toBeCloseTo(want, 6);
  });
});
