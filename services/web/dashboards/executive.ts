/**
 * The executive dashboard: how the chain is selling, in the reporting currency, against the same
 * days a week earlier; which categories lead and lag; how much is out of stock; what is open.
 */
import type { DashboardDefinition } from '../panels';
import { categoryWhere, storeWhere } from './where';

/**
 * Net sales in the reporting currency per store and business date over the range and the week
 * before it, as the views convert them (net_sales_reporting: each day at its own rate). Without a
 * category filter, from the per-store days (bi_store_sales_daily: a row per store and day); with
 * one, from the per-category days (store_category_sales_daily, 0043: a row per store, category and
 * day, where the per-product days of bi_sales_daily made revenue by day a 7-14 s panel). The
 * branch not taken is a constant-false filter the engine drops before reading.
 */
const STORE_DAYS = `
  SELECT s.business_date AS business_date, s.store_id AS store_id, s.net_sales_reporting AS amount
  FROM \${database}.bi_store_sales_daily AS s
  WHERE {category:String} = '' AND s.business_date BETWEEN {from:Date} - 7 AND {to:Date} AND ${storeWhere('s.store_id')}
  UNION ALL
  SELECT c.business_date, c.store_id, c.net_sales_reporting
  FROM \${database}.store_category_sales_daily AS c
  WHERE {category:String} != '' AND c.category = {category:String} AND c.business_date BETWEEN {from:Date} - 7 AND {to:Date} AND ${storeWhere('c.store_id')}`;

/**
 * Net sales in the reporting currency per category over the range, from the per-category days
 * (store_category_sales_daily, 0043: a row per store, category and day instead of one per product).
 */
const CATEGORY_SALES = `
  SELECT if(c.category = '', '(unknown)', c.category) AS category, round(sum(c.net_sales_reporting), 2) AS revenue, sum(c.units_sold) AS units
  FROM \${database}.store_category_sales_daily AS c
  WHERE c.business_date BETWEEN {from:Date} AND {to:Date} AND ${storeWhere('c.store_id')} AND ({category:String} = '' OR c.category = {category:String})
  GROUP BY category`;

export const EXECUTIVE: DashboardDefinition = {
  name: 'executive',
  title: 'Executive',
  audience: 'Revenue, categories, stock-outs and open alerts across the stores you can see',
  panels: [
    {
      id: 'revenue_by_day',
      title: 'Revenue by day vs the same day last week',
      caption: 'Net sales per business date in the reporting currency (each store at that day\'s rate).',
      chart: 'line',
      x: 'business_date',
      series: ['revenue', 'revenue_week_before'],
      money: ['revenue', 'revenue_week_before'],
      labels: { revenue_week_before: 'Same day last week' },
      sql: `
        -- Each day counted twice: on its own date, and a week later as that date's week before.
        SELECT toString(day) AS business_date, round(sumIf(amount, shifted = 0), 2) AS revenue, round(sumIf(amount, shifted = 1), 2) AS revenue_week_before
        FROM (SELECT business_date + 7 * shifted AS day, shifted, amount FROM (${STORE_DAYS}) ARRAY JOIN [0, 1] AS shifted)
        WHERE day BETWEEN {from:Date} AND {to:Date}
        GROUP BY day HAVING countIf(shifted = 0) > 0
        ORDER BY day`,
    },
    {
      id: 'revenue_by_region',
      title: 'Revenue by region vs the week before',
      caption: 'Net sales over the range and over the same days shifted one week earlier, in the reporting currency.',
      chart: 'bar',
      x: 'region',
      series: ['revenue', 'revenue_week_before'],
      money: ['revenue', 'revenue_week_before'],
      sql: `
        SELECT st.region AS region,
               round(sumIf(d.amount, d.business_date BETWEEN {from:Date} AND {to:Date}), 2) AS revenue,
               round(sumIf(d.amount, d.business_date BETWEEN {from:Date} - 7 AND {to:Date} - 7), 2) AS revenue_week_before
        FROM (SELECT store_id, business_date, sum(amount) AS amount FROM (${STORE_DAYS}) GROUP BY store_id, business_date) AS d
        INNER JOIN \${database}.bi_dim_store AS st ON st.store_id = d.store_id
        GROUP BY region ORDER BY region`,
    },
    {
      id: 'revenue_by_hour',
      title: 'Revenue by hour of the day vs the week before',
      caption: 'Net sales per local hour over the range and over the week before it, in the reporting currency.',
      chart: 'bar',
      x: 'local_hour',
      series: ['revenue', 'revenue_week_before'],
      money: ['revenue', 'revenue_week_before'],
      sql: `
        SELECT h.local_hour AS local_hour,
               round(sumIf(h.net_sales_reporting, h.business_date BETWEEN {from:Date} AND {to:Date}), 2) AS revenue,
               round(sumIf(h.net_sales_reporting, h.business_date BETWEEN {from:Date} - 7 AND {to:Date} - 7), 2) AS revenue_week_before
        FROM \${database}.bi_sales_hourly AS h
        WHERE h.business_date BETWEEN {from:Date} - 7 AND {to:Date} AND ${storeWhere('h.store_id')} AND ${categoryWhere('h.sku')}
        GROUP BY local_hour ORDER BY local_hour`,
    },
    {
      id: 'top_categories',
      title: 'Top 5 categories',
      caption: 'Categories with the most net sales over the range, in the reporting currency.',
      chart: 'bar',
      x: 'category',
      series: ['revenue'],
      money: ['revenue'],
      labels: { units: 'Units sold' },
      sql: `
        ${CATEGORY_SALES} ORDER BY revenue DESC, category LIMIT 5`,
    },
    {
      id: 'bottom_categories',
      title: 'Bottom 5 categories',
      caption: 'Categories with the least net sales over the range, in the reporting currency.',
      chart: 'bar',
      x: 'category',
      series: ['revenue'],
      money: ['revenue'],
      labels: { units: 'Units sold' },
      sql: `
        ${CATEGORY_SALES} ORDER BY revenue ASC, category LIMIT 5`,
    },
    {
      id: 'stockout_rate',
      title: 'Stock-out rate by store, now',
      caption: 'Share of the products a store tracks that are out of stock at the latest reading, in %.',
      chart: 'bar',
      x: 'store_id',
      series: ['stockout_rate_pct'],
      sql: `
        SELECT store_id, count() AS products_tracked, countIf(out_of_stock) AS products_out_of_stock,
               round(100 * countIf(out_of_stock) / count(), 2) AS stockout_rate_pct
        FROM \${database}.bi_stockout_risk AS r
        WHERE ${storeWhere('r.store_id')} AND ${categoryWhere('r.sku')}
        GROUP BY store_id ORDER BY store_id`,
    },
    {
      id: 'open_alerts',
      title: 'Open alerts by kind',
      caption: 'Alerts raised and not resolved yet, by type.',
      chart: 'bar',
      x: 'alert_type',
      series: ['open_alerts'],
      sql: `
        SELECT alert_type, count() AS open_alerts
        FROM (
          SELECT alert_id, any(alert_type) AS alert_type
          FROM \${database}.bi_alerts AS a
          WHERE ${storeWhere('a.store_id')} AND ({category:String} = '' OR a.sku IN (SELECT sku FROM \${database}.bi_dim_product WHERE category = {category:String}))
          GROUP BY alert_id
          HAVING countIf(alert_state = 'RAISED') > 0 AND countIf(alert_state = 'RESOLVED') = 0)
        GROUP BY alert_type ORDER BY alert_type`,
    },
  ],
};
