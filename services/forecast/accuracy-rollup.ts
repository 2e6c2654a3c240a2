/**
 * The accuracy inputs the ML performance dashboard reads (forecast_accuracy_daily, migration 0043):
 * per store and day, by category, the one-day-ahead forecasts scored against the units sold.
 *
 * Rewritten by each predict over the days it has just refreshed in demand_daily (the only writer
 * of demand_daily and demand_forecast), after both inserts: one row per store and day that has
 * daily rows, so a rerun replaces every row it covers (ReplacingMergeTree versioned by
 * computed_at), and a day whose series all turned into stock-out days gets empty arrays instead of
 * keeping its old figures.
 */
import { bindDatabase } from '../../clickhouse/sql';
import type { ClickHouseClient } from '../../lib/clients/clickhouse';

const REFRESH = `
  INSERT INTO \${database}.forecast_accuracy_daily
    (forecast_date, store_id, categories, series_scored, units_sold, abs_error, within_p10_p90, units_p10, units_p50, units_p90, computed_at)
  SELECT k.sales_date, k.store_id, s.categories, s.scored, s.units, s.err, s.within, s.p10, s.p50, s.p90, toDateTime64({computed:String}, 3, 'UTC')
  FROM (SELECT DISTINCT store_id, sales_date FROM \${database}.demand_daily FINAL WHERE sales_date BETWEEN {from:Date} AND {to:Date}) AS k
  LEFT JOIN
  (
    SELECT day, store, groupArray(category) AS categories, groupArray(n) AS scored, groupArray(u) AS units, groupArray(e) AS err,
           groupArray(w) AS within, groupArray(q10) AS p10, groupArray(q50) AS p50, groupArray(q90) AS p90
    FROM
    (
      -- Aliases apart from the joined columns' names: an alias named store_id makes the ON clause ambiguous.
      SELECT a.sales_date AS day, a.store_id AS store, ifNull(toString(p.category), '') AS category,
             toInt64(count()) AS n, sum(a.units) AS u, sum(abs(toFloat64(a.units) - f.p50)) AS e,
             toInt64(countIf(a.units >= f.p10 AND a.units <= f.p90)) AS w, sum(f.p10) AS q10, sum(f.p50) AS q50, sum(f.p90) AS q90
      FROM (SELECT store_id, sku, sales_date, units, stockout FROM \${database}.demand_daily FINAL WHERE sales_date BETWEEN {from:Date} AND {to:Date}) AS a
      INNER JOIN (SELECT store_id, sku, forecast_date, p10, p50, p90 FROM \${database}.demand_forecast FINAL WHERE horizon_days = 1 AND forecast_date BETWEEN {from:Date} AND {to:Date}) AS f
        ON f.store_id = a.store_id AND f.sku = a.sku AND f.forecast_date = a.sales_date
      LEFT JOIN (SELECT sku, toNullable(category) AS category FROM \${database}.dim_product FINAL) AS p ON p.sku = a.sku
      WHERE NOT a.stockout
      GROUP BY day, store, category
    )
    GROUP BY day, store
  ) AS s ON s.store = k.store_id AND s.day = k.sales_date`;

/**
 * Rewrites the accuracy rows of the days from..to (ISO dates) from demand_daily and demand_forecast.
 * @param computedAt the version, 'YYYY-MM-DD hh:mm:ss.sss' UTC: the predict's own time.
 */
export async function refreshForecastAccuracy(client: ClickHouseClient, database: string, from: string, to: string, computedAt: string): Promise<void> {
  await client.command({ query: bindDatabase(REFRESH, database), query_params: { from, to, computed: computedAt } });
}
