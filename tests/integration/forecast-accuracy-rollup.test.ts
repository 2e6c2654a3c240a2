/**
 * The forecast accuracy inputs per store x category x day (migration 0043,
 * services/forecast/accuracy-rollup.ts) on hand-made forecasts and actuals: the figures worked out
 * in the comments, the same rows as the join the ML performance page ran before (demand_daily x
 * one-day-ahead demand_forecast per store x sku, summed per category), and a rerun after the inputs
 * changed (a newer forecast, a day turned into a stock-out day) replacing rows, never adding.
 */
import { migrate } from '../../clickhouse/migrate';
import { refreshForecastAccuracy } from '../../services/forecast/accuracy-rollup';
import { testClickHouse } from '../harness/fixtures';

describe('forecast accuracy per store x category x day', () => {
  it('holds the scored sums of each day, equal to the join it replaces, and a rerun replaces them', async () => {
    const { client, database } = await testClickHouse();
    await migrate(client, database);
    const insert = (table: string, values: object[]): Promise<unknown> => client.insert({ table: `${database}.${table}`, values, format: 'JSONEachRow' });
    const product = (sku: string, category: string) => ({ sku, name: sku, category, brand: 'B', unit_cost: 100, price: 200, currency: 'EUR', perishable: false, shelf_life_days: null, updated_at: '2026-01-01 00:00:00.000' });
    await insert('dim_product', [product('M1', 'Dairy'), product('M2', 'Dairy'), product('B1', 'Bakery')]);
    const forecast = (store_id: string, sku: string, day: string, p10: number, p50: number, p90: number, generated_at = '2026-03-01 00:00:00.000') =>
      ({ store_id, sku, origin_date: '2026-03-01', forecast_date: day, horizon_days: 1, p10, p50, p90, model_version: 'v1', generated_at }); // prettier-ignore
    const actual = (store_id: string, sku: string, sales_date: string, units: number, stockout = false, refreshed_at = '2026-03-05 00:00:00.000') => ({ store_id, sku, sales_date, units, stockout, refreshed_at });
    await insert('demand_forecast', [
      forecast('S1', 'M1', '2026-03-02', 8, 10, 12), forecast('S1', 'M2', '2026-03-02', 4, 5, 6), forecast('S1', 'B1', '2026-03-02', 1, 2, 3),
      forecast('S2', 'M1', '2026-03-02', 0, 1, 2),
      // Two horizons for the same day: only one day ahead is scored.
      { ...forecast('S1', 'M1', '2026-03-03', 1, 100, 200), origin_date: '2026-02-28', horizon_days: 3 },
      forecast('S1', 'M1', '2026-03-03', 9, 10, 11),
    ]); // prettier-ignore
    await insert('demand_daily', [
      actual('S1', 'M1', '2026-03-02', 12), actual('S1', 'M2', '2026-03-02', 8), actual('S1', 'B1', '2026-03-02', 2),
      actual('S2', 'M1', '2026-03-02', 0, true), // a stock-out day: not scored
      actual('S1', 'M1', '2026-03-03', 10),
    ]); // prettier-ignore
    await refreshForecastAccuracy(client, database, '2026-03-01', '2026-03-05', '2026-03-05 00:00:00.000');

    const view = async (): Promise<Record<string, unknown>[]> =>
      (await client.query({
        query: `SELECT store_id, toString(forecast_date) AS day, category, series_scored, units_sold, abs_error, within_p10_p90, units_p10, units_p50, units_p90
                FROM ${database}.forecast_accuracy_category_daily ORDER BY store_id, day, category`,
        format: 'JSONEachRow',
        clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
      })).json();
    // S1 on 2 March: Dairy M1 12 vs 10 (error 2, inside 8-12) and M2 8 vs 5 (error 3, outside 4-6); Bakery B1 2 vs 2.
    // S1 on 3 March: M1 10 vs the one-day-ahead 10 (the 3-day-ahead 100 is not scored). S2: a stock-out day only.
    const first = [
      { store_id: 'S1', day: '2026-03-02', category: 'Bakery', series_scored: 1, units_sold: 2, abs_error: 0, within_p10_p90: 1, units_p10: 1, units_p50: 2, units_p90: 3 },
      { store_id: 'S1', day: '2026-03-02', category: 'Dairy', series_scored: 2, units_sold: 20, abs_error: 5, within_p10_p90: 1, units_p10: 12, units_p50: 15, units_p90: 18 },
      { store_id: 'S1', day: '2026-03-03', category: 'Dairy', series_scored: 1, units_sold: 10, abs_error: 0, within_p10_p90: 1, units_p10: 9, units_p50: 10, units_p90: 11 },
    ];
    expect(await view()).toEqual(first);

    // What the page computed before, from the base tables: the same rows.
    const replaced = await (await client.query({
      query: `SELECT a.store_id AS store_id, toString(a.sales_date) AS day, p.category AS category, count() AS series_scored, sum(a.units) AS units_sold,
                     sum(abs(toFloat64(a.units) - f.p50)) AS abs_error, countIf(a.units >= f.p10 AND a.units <= f.p90) AS within_p10_p90,
                     sum(f.p10) AS units_p10, sum(f.p50) AS units_p50, sum(f.p90) AS units_p90
              FROM ${database}.demand_daily AS a FINAL
              INNER JOIN (SELECT * FROM ${database}.demand_forecast FINAL WHERE horizon_days = 1) AS f ON f.store_id = a.store_id AND f.sku = a.sku AND f.forecast_date = a.sales_date
              LEFT JOIN (SELECT sku, category FROM ${database}.dim_product FINAL) AS p ON p.sku = a.sku
              WHERE NOT a.stockout
              GROUP BY store_id, day, category ORDER BY store_id, day, category`,
      format: 'JSONEachRow',
      clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
    })).json();
    expect(replaced).toEqual(first);

    // A newer forecast of M2 (P50 8: error 0, inside) and B1's day turned into a stock-out day, then the next predict reruns.
    await insert('demand_forecast', [forecast('S1', 'M2', '2026-03-02', 7, 8, 9, '2026-03-02 00:00:00.000')]);
    await insert('demand_daily', [actual('S1', 'B1', '2026-03-02', 2, true, '2026-03-06 00:00:00.000')]);
    await refreshForecastAccuracy(client, database, '2026-03-01', '2026-03-06', '2026-03-06 00:00:00.000');
    expect(await view()).toEqual([
      { store_id: 'S1', day: '2026-03-02', category: 'Dairy', series_scored: 2, units_sold: 20, abs_error: 2, within_p10_p90: 2, units_p10: 15, units_p50: 18, units_p90: 21 },
      first[2],
    ]);
  }, 60_000);
});
