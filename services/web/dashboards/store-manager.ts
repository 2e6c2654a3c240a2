/**
 * The store manager's dashboard, for one store: what is about to run out (with the reorder
 * advice), the alerts still open (acknowledge or snooze them here), and the 7-day forecast band
 * against what actually sold for one product.
 *
 * The at-risk list reads bi_stockout_risk and bi_reorder_recommendation; when the at-risk view
 * of migration 0022 (bi_at_risk) lands, point `at_risk` at it.
 */
import type { DashboardDefinition } from '../panels';
import { categoryWhere } from './where';

export const STORE_MANAGER: DashboardDefinition = {
  name: 'store-manager',
  title: 'Store manager',
  audience: 'One store: what runs out next, open alerts, and the forecast for a product',
  defaults: {
    // The first store the user sees (in the region asked for), and that store's best seller over the range.
    sql: `
      WITH chosen AS (
        SELECT if({store:String} != '', {store:String},
                  (SELECT min(store_id) FROM \${database}.bi_dim_store WHERE {region:String} = '' OR region = {region:String})) AS store)
      SELECT (SELECT store FROM chosen) AS store,
             if({sku:String} != '', {sku:String},
                (SELECT argMax(sku, units) FROM (
                   SELECT sku, sum(units_sold) AS units FROM \${database}.bi_sales_daily
                   WHERE store_id = (SELECT store FROM chosen) AND business_date BETWEEN {from:Date} AND {to:Date} AND ${categoryWhere('sku')}
                   GROUP BY sku))) AS sku`,
    fills: ['store', 'sku'],
  },
  panels: [
    {
      id: 'at_risk',
      title: 'At risk of running out',
      caption: 'Products most likely to sell out before their next delivery, with hours left at the current rate and the latest reorder advice. A negative on hand means more was sold than counted and received since the last count: recount it.',
      chart: 'table',
      requires: ['store'],
      sql: `
        SELECT r.sku AS sku, ifNull(p.product_name, '') AS product_name, round(r.stockout_risk, 3) AS stockout_risk, round(r.hours_to_stockout, 1) AS hours_to_stockout,
               r.units_on_hand AS units_on_hand, round(r.units_sold_per_day, 2) AS units_sold_per_day,
               toString(r.next_delivery_expected_at) AS next_delivery_expected_at,
               if(a.sku = '', NULL, a.units_to_order) AS units_to_order, if(a.sku = '', NULL, round(a.reorder_point, 1)) AS reorder_point
        FROM \${database}.bi_stockout_risk AS r
        LEFT JOIN (
          SELECT sku, argMax(units_to_order, as_of_date) AS units_to_order, argMax(reorder_point, as_of_date) AS reorder_point
          FROM \${database}.bi_reorder_recommendation WHERE store_id = {store:String} GROUP BY sku) AS a ON a.sku = r.sku
        LEFT JOIN (SELECT sku, toNullable(product_name) AS product_name FROM \${database}.bi_dim_product) AS p ON p.sku = r.sku
        WHERE r.store_id = {store:String} AND r.stockout_risk IS NOT NULL AND ${categoryWhere('r.sku')}
        ORDER BY r.stockout_risk DESC, r.sku
        LIMIT 20`,
    },
    {
      id: 'open_alerts',
      title: 'Open alerts',
      caption: 'Alerts of the store raised and not resolved, newest first (times in the store\'s local time), with what was done about them.',
      chart: 'table',
      requires: ['store'],
      // The latest acknowledgement or snooze of each (bi_alert_actions, migration 0033): the page's buttons add to it.
      sql: `
        SELECT o.alert_id AS alert_id, o.raised_at AS raised_at, o.alert_type AS alert_type, o.severity AS severity, o.alert_sku AS sku, ifNull(p.product_name, '') AS product_name, o.reason AS reason,
               if(a.alert_id = '', '', a.last_action) AS last_action, if(a.alert_id = '', '', a.last_by) AS acted_by,
               if(a.alert_id = '', '', toString(a.last_at)) AS acted_at, if(a.alert_id = '' OR a.last_until IS NULL, '', toString(a.last_until)) AS snoozed_until
        FROM (
          SELECT alert_id, any(alert_type) AS alert_type, argMinIf(severity, occurred_at, alert_state = 'RAISED') AS severity, any(sku) AS alert_sku,
                 argMinIf(reason, occurred_at, alert_state = 'RAISED') AS reason, minIf(occurred_at, alert_state = 'RAISED') AS raised_at
          FROM \${database}.bi_alerts
          WHERE store_id = {store:String} AND ${categoryWhere('ifNull(sku, \'\')')}
          GROUP BY alert_id
          HAVING countIf(alert_state = 'RAISED') > 0 AND countIf(alert_state = 'RESOLVED') = 0) AS o
        LEFT JOIN (
          SELECT alert_id, argMax(action, acted_at) AS last_action, argMax(acted_by, acted_at) AS last_by, max(acted_at) AS last_at, argMax(snoozed_until, acted_at) AS last_until
          FROM \${database}.bi_alert_actions WHERE store_id = {store:String} GROUP BY alert_id) AS a ON a.alert_id = o.alert_id
        LEFT JOIN (SELECT sku, toNullable(product_name) AS product_name FROM \${database}.bi_dim_product) AS p ON p.sku = o.alert_sku
        ORDER BY raised_at DESC, alert_id
        LIMIT 50`,
    },
    {
      id: 'forecast_band',
      title: 'Forecast band vs actual sales',
      caption: 'Units per day of the chosen product: the P10-P90 band and P50 of the latest forecast made before each day, the next 7 days ahead, and units sold.',
      chart: 'band',
      x: 'day',
      series: ['units_p10', 'units_p50', 'units_p90', 'units_sold'],
      requires: ['store', 'sku'],
      sql: `
        SELECT day,
               argMaxIf(p10, made, made IS NOT NULL) AS units_p10, argMaxIf(p50, made, made IS NOT NULL) AS units_p50,
               argMaxIf(p90, made, made IS NOT NULL) AS units_p90, sum(sold) AS units_sold
        FROM (
          SELECT forecast_date AS day, p10, p50, p90, CAST(NULL AS Nullable(Int64)) AS sold, CAST(origin_date AS Nullable(Date)) AS made
          FROM \${database}.demand_forecast FINAL
          WHERE store_id = {store:String} AND sku = {sku:String} AND origin_date < forecast_date
            AND forecast_date BETWEEN {from:Date} AND {to:Date} + 7
          UNION ALL
          SELECT business_date, NULL, NULL, NULL, units_sold, NULL
          FROM \${database}.bi_sales_daily
          WHERE store_id = {store:String} AND sku = {sku:String} AND business_date BETWEEN {from:Date} AND {to:Date})
        GROUP BY day ORDER BY day`,
    },
  ],
};
