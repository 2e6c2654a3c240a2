/**
 * The shape every bi_* view owes a chain analyst, checked on every view the migrations create,
 * read from system.columns (so a view added later is held to it without being named here):
 *  - money: every money column that can be summed across stores has a twin in the reporting
 *    currency (`x_reporting`, or `x_minor`'s twin `x_reporting`), the view says which currency
 *    its local amounts are in (`currency`) and which the twins are in (`reporting_currency`),
 *    and revenue (net sales, refunds) has its ex-tax twin; a money column without a twin must
 *    be listed below with the reason it is never summed across stores;
 *  - local time: a view with a UTC instant carries the store's business_date and local_hour,
 *    unless listed below with the reason;
 *  - every column has a comment, and no column is UInt64 (Power BI cannot load it).
 * Then every view is read once on a small data set, so a view that only fails when it runs is
 * caught too, and the local day and the twins of one sale are set against hand-computed values.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { migrate } from '../../clickhouse/migrate';
import { applyReportingCurrency } from '../../clickhouse/reporting-currency';
import { loadSmallBiDataSet } from '../harness/bi-data';
import { testClickHouse } from '../harness/fixtures';
import { refreshAndCheckExchangeRates } from '../harness/exchange-rates';
import { refreshAndCheckVatRatePeriods } from '../harness/vat-rates';

interface Column {
  table: string;
  name: string;
  type: string;
  comment: string;
}

/** Money columns that get no reporting twin, and why none of them is summed across stores. */
const NOT_SUMMED: Readonly<Record<string, string>> = {
  'bi_sales.unit_price': 'a price per unit: revenue is net_sales, which has its twins',
  'bi_sales.unit_price_minor': 'a price per unit',
  'bi_dim_product.unit_cost': 'master data: the cost of one unit in the product currency, not an amount taken',
  'bi_dim_product.unit_cost_minor': 'master data, per unit',
  'bi_dim_product.shelf_price': 'master data: the list price of one unit',
  'bi_dim_product.shelf_price_minor': 'master data, per unit',
  'bi_inventory_movements.unit_cost': 'the cost of one unit received, as the receipt states it',
  'bi_inventory_movements.unit_cost_minor': 'the cost of one unit received',
  'bi_product_quadrants.unit_margin': 'a margin per unit, compared within one scope and category, in its currency',
  'bi_product_quadrants.category_avg_margin': 'an average margin per unit of one scope and category',
};

/** Views with UTC instants and no business_date / local_hour, and why. */
const NO_LOCAL_TIME: Readonly<Record<string, string>> = {
  bi_demand_forecast: 'forecast_date is already the store-local date; generated_at is when the job ran',
  bi_stockout_risk: 'the current state per store x sku; its instants are points, not a period that a day cuts',
  bi_sales_rolling_rate: 'trailing rates over the last 1 and 24 hours as of the newest minute',
  bi_alert_deliveries: "webhook attempts to subscribers, not a store's event",
  bi_promotion_uplift: 'compares exact instants shifted by whole weeks, which keeps every local weekday and hour',
  bi_dim_store_history: "deleted_at is a master-data change, not a store's business",
  bi_dim_product_history: 'deleted_at is a master-data change',
  bi_model_runs: 'started_at and finished_at are when a job ran for the whole chain; its data range is in business dates',
};

const MONEY = /(^|_)(sales|price|cost|discount|refund|value|revenue|margin|amount)(_|$)/;
const NUMBER = /^(Nullable\()?(U?Int\d+|Float\d+|Decimal)/;
/** Amounts that include VAT and are revenue: each has its ex-tax twin. */
const TAXED_REVENUE = ['net_sales', 'refund'];

/** Business names: `Business date` in the views that use spaced names is business_date. */
const normal = (name: string): string => name.toLowerCase().replace(/ /g, '_');

describe('bi_* views: reporting currency, ex tax, local time', () => {
  let client: ClickHouseClient;
  let database: string;
  let views: Map<string, Column[]>;

  beforeAll(async () => {
    ({ client, database } = await testClickHouse());
    await migrate(client, database);
    const columns = await (
      await client.query({
        query: `SELECT c.table AS table, c.name AS name, c.type AS type, c.comment AS comment FROM system.columns AS c
          INNER JOIN system.tables AS t ON t.database = c.database AND t.name = c.table
          WHERE c.database = {db:String} AND t.engine = 'View' AND c.table LIKE 'bi\\_%' ORDER BY c.table, c.position`,
        query_params: { db: database },
        format: 'JSONEachRow',
      })
    ).json<Column>();
    views = new Map();
    for (const c of columns) (views.get(c.table) ?? views.set(c.table, []).get(c.table)!).push({ ...c, name: normal(c.name) });
  });

  it('finds the views', () => {
    expect(views.size).toBeGreaterThanOrEqual(25);
  });

  it('gives every summable money column a reporting-currency twin, and says which currencies the amounts are in', () => {
    const missing: string[] = [];
    for (const [view, columns] of views) {
      const names = new Set(columns.map((c) => c.name));
      // A discount_percent is a ratio, not an amount.
      const money = columns.filter((c) => NUMBER.test(c.type) && MONEY.test(c.name) && !/_(reporting|percent)$/.test(c.name));
      if (money.length === 0) continue;
      if (!names.has('currency')) missing.push(`${view}: no currency column for its local amounts`);
      let twins = 0;
      for (const c of money) {
        const twin = `${c.name.replace(/_minor$/, '')}_reporting`;
        if (names.has(twin)) twins++;
        else if (!NOT_SUMMED[`${view}.${c.name}`]) missing.push(`${view}.${c.name}: no ${twin} and not listed as never summed`);
      }
      if (twins > 0 && !names.has('reporting_currency')) missing.push(`${view}: *_reporting columns without reporting_currency`);
    }
    expect(missing).toEqual([]);
  });

  it('puts revenue excluding tax beside revenue including it', () => {
    const missing: string[] = [];
    for (const [view, columns] of views) {
      const names = new Set(columns.map((c) => c.name));
      for (const base of TAXED_REVENUE) {
        for (const suffix of ['', '_reporting']) {
          if (names.has(`${base}${suffix}`) && !names.has(`${base}_ex_tax${suffix}`)) missing.push(`${view}.${base}${suffix}: no ${base}_ex_tax${suffix}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it("gives every view with a UTC instant the store's business date and local hour", () => {
    const missing: string[] = [];
    for (const [view, columns] of views) {
      if (NO_LOCAL_TIME[view] || !columns.some((c) => /DateTime/.test(c.type))) continue;
      const names = new Set(columns.map((c) => c.name));
      for (const local of ['business_date', 'local_hour']) if (!names.has(local)) missing.push(`${view}: no ${local}`);
    }
    expect(missing).toEqual([]);
  });

  it('comments every column and has no UInt64', () => {
    const bad: string[] = [];
    for (const [view, columns] of views) {
      for (const c of columns) {
        if (c.comment.trim() === '') bad.push(`${view}.${c.name}: no comment`);
        if (/UInt64/.test(c.type)) bad.push(`${view}.${c.name}: ${c.type}`);
      }
    }
    expect(bad).toEqual([]);
  });

  describe('on a small data set', () => {
    beforeAll(async () => {
      await loadSmallBiDataSet(client, database);
      await applyReportingCurrency(client, database, 'EUR');
      const insert = (table: string, values: object[]) => client.insert({ table: `${database}.${table}`, values, format: 'JSONEachRow' });
      // Lyon 5.5% VAT, Dubai 5%; 4.2 AED to the euro on 2 November, carried to the 3rd. EUR is the base (1).
      await insert('dim_store', [
        { store_id: 'S001', name: 'Lyon Part-Dieu', region: 'France', time_zone: 'Europe/Paris', size_class: 'LARGE', currency: 'EUR', opened_on: '2019-04-01', vat_rate: 0.055, updated_at: '2026-02-01 00:00:00.000' },
        { store_id: 'S002', name: 'Dubai Mall', region: 'United Arab Emirates', time_zone: 'Asia/Dubai', size_class: 'HYPERMARKET', currency: 'AED', opened_on: '2021-09-15', vat_rate: 0.05, updated_at: '2026-02-01 00:00:00.000' },
      ]);
      await insert('dim_exchange_rate', [
        { currency: 'EUR', base_currency: 'EUR', rate_date: '2026-11-01', rate: 1, source: 'test', updated_at: '2026-11-01 00:00:00.000' },
        { currency: 'AED', base_currency: 'EUR', rate_date: '2026-11-02', rate: 4.2, source: 'test', updated_at: '2026-11-01 00:00:00.000' },
      ]);
      // Written straight into the table, not through the warehouse: refreshed at once (as the warehouse refreshes it after its writes), then checked.
      await refreshAndCheckExchangeRates(client, database);
      // Winter offsets: Paris +1, Dubai +4 (no DST there).
      await insert('dim_store_utc_offset', [
        { store_id: 'S001', valid_from: '2026-10-25 01:00:00', utc_offset_s: 3600, time_zone: 'Europe/Paris' },
        { store_id: 'S002', valid_from: '2020-01-01 00:00:00', utc_offset_s: 14400, time_zone: 'Asia/Dubai' },
      ]);
      // The stores and their offsets, written by hand too: vat_rate_periods (0051) refreshed the same way.
      await refreshAndCheckVatRatePeriods(client, database);
    });

    it('reads every view', async () => {
      const failures: string[] = [];
      for (const view of views.keys()) {
        try {
          await (await client.query({ query: `SELECT * FROM ${database}.\`${view}\``, format: 'JSONEachRow' })).json();
        } catch (e) {
          failures.push(`${view}: ${(e as Error).message.split('\n')[0]}`);
        }
      }
      expect(failures).toEqual([]);
    });

    it("converts a sale at its business date's rate, takes its VAT out, and dates it on the store's clock", async () => {
      // Dubai: 6 x 1.29 AED at 18:40 UTC on 3 November = 22:40 local, still the 3rd.
      // 7.74 AED / 4.2 = 1.842857 EUR; ex VAT 7.74 / 1.05 = 7.371429 AED, / 4.2 = 1.755102 EUR.
      const [line] = await (
        await client.query({
          query: `SELECT business_date, local_hour, currency, reporting_currency, net_sales_reporting, net_sales_ex_tax, net_sales_ex_tax_reporting FROM ${database}.bi_sales WHERE store_id = 'S002'`,
          format: 'JSONEachRow',
        })
      ).json<{ business_date: string; local_hour: number; currency: string; reporting_currency: string; net_sales_reporting: number; net_sales_ex_tax: number; net_sales_ex_tax_reporting: number }>();
      expect(line).toMatchObject({ business_date: '2026-11-03', local_hour: 22, currency: 'AED', reporting_currency: 'EUR' });
      expect(line!.net_sales_reporting).toBeCloseTo(7.74 / 4.2, 9);
      expect(line!.net_sales_ex_tax).toBeCloseTo(7.74 / 1.05, 9);
      expect(line!.net_sales_ex_tax_reporting).toBeCloseTo(7.74 / 1.05 / 4.2, 9);

      // Lyon's day, from the facts (not closed): 2 x 1.29 + 8.99 - 0.90 = 10.67 EUR; ex VAT 10.67 / 1.055.
      const [day] = await (
        await client.query({
          query: `SELECT business_date, currency, net_sales_minor, net_sales_reporting, net_sales_ex_tax_reporting, discount_reporting FROM ${database}.bi_store_sales_daily WHERE store_id = 'S001'`,
          format: 'JSONEachRow',
        })
      ).json<{ business_date: string; currency: string; net_sales_minor: number; net_sales_reporting: number; net_sales_ex_tax_reporting: number; discount_reporting: number }>();
      expect(day).toMatchObject({ business_date: '2026-11-03', currency: 'EUR', net_sales_minor: 1067 });
      expect(day!.net_sales_reporting).toBeCloseTo(10.67, 9);
      expect(day!.net_sales_ex_tax_reporting).toBeCloseTo(10.67 / 1.055, 9);
      expect(day!.discount_reporting).toBeCloseTo(0.9, 9);
    });

    it('leaves the twins empty, not zero, where the rate or the VAT rate is unknown', async () => {
      // The refund of 3 November in Lyon: 8.09 EUR. A store nobody published has neither.
      const insert = (table: string, values: object[]) => client.insert({ table: `${database}.${table}`, values, format: 'JSONEachRow' });
      await insert('fact_voids', [
        { event_id: 'e1d2c3b4-a5f6-4e7d-8c9b-0a1f2e3d4c5b', occurred_at: '2026-11-03 10:00:00.000', store_id: 'S404', terminal_id: 'T1', transaction_id: 'TX-9', cashier_id: 'C1', supervisor_id: null, line_count: 1, void_total: 500, reason: 'test', currency: 'USD', source_offset: 20 },
      ]);
      const [refund] = await (await client.query({ query: `SELECT refund_reporting, refund_ex_tax FROM ${database}.bi_returns`, format: 'JSONEachRow' })).json<{ refund_reporting: number; refund_ex_tax: number }>();
      expect(refund!.refund_reporting).toBeCloseTo(8.09, 9);
      expect(refund!.refund_ex_tax).toBeCloseTo(8.09 / 1.055, 9);
      const voids = await (await client.query({ query: `SELECT void_value, void_value_reporting FROM ${database}.bi_voids WHERE store_id = 'S404'`, format: 'JSONEachRow' })).json();
      expect(voids).toEqual([{ void_value: 5, void_value_reporting: null }]);
    });
  });
});
