/**
 * The executive dashboard: how the chain is selling, in the reporting currency, against the same
 * days a week earlier; which categories lead and lag; how much is out of stock; what is open.
 */
import type { DashboardDefinition } from '../panels';
import { categoryWhere, storeWhere } from './where';

/** Daily net sales per store converted at that day's rate (sales_in_reporting), over the range and the week before it. */
const SALES_IN_REPORTING = `
  sales_in_reporting AS (
    SELECT s.business_date AS business_date, s.store_id AS store_id, st.region AS region, s.sku AS sku, p.category AS product_category, s.units_sold AS units_sold,
           toFloat64(s.net_sales) * x.to_reporting AS amount
    FROM \${database}.bi_sales_daily AS s
    INNER JOIN \${database}.bi_dim_store AS st ON st.store_id = s.store_id
    LEFT JOIN \${database}.bi_dim_product AS p ON p.sku = s.sku
    LEFT JOIN \${database}.exchange_rate_daily AS x ON x.currency = st.currency AND x.business_date = s.business_date
    WHERE s.business_date BETWEEN {from:Date} - 7 AND {to:Date}
      AND ${storeWhere('s.store_id')} AND ${categoryWhere('s.sku')})`;

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
      sql: `
        WITH ${SALES_IN_REPORTING},
          daily AS (SELECT business_date, sum(amount) AS revenue FROM sales_in_reporting GROUP BY business_date)
        SELECT toString(d.business_date) AS business_date, round(d.revenue, 2) AS revenue, round(w.revenue, 2) AS revenue_week_before
        FROM daily AS d LEFT JOIN daily AS w ON w.business_date = d.business_date - 7
        WHERE d.business_date BETWEEN {from:Date} AND {to:Date}
        ORDER BY d.business_date`,
    },
    {
      id: 'revenue_by_region',
      title: 'Revenue by region vs the week before',
      caption: 'Net sales over the range and over the same days shifted one week earlier, in the reporting currency.',
      chart: 'bar',
      x: 'region',
      series: ['revenue', 'revenue_week_before'],
      sql: `
        WITH ${SALES_IN_REPORTING}
        SELECT region,
               round(sumIf(amount, business_date BETWEEN {from:Date} AND {to:Date}), 2) AS revenue,
               round(sumIf(amount, business_date BETWEEN {from:Date} - 7 AND {to:Date} - 7), 2) AS revenue_week_before
        FROM sales_in_reporting GROUP BY region ORDER BY region`,
    },
    {
      id: 'revenue_by_hour',
      title: 'Revenue by hour of the day vs the week before',
      caption: 'Net sales per local hour over the range and over the week before it, in the reporting currency.',
      chart: 'bar',
      x: 'local_hour',
      series: ['revenue', 'revenue_week_before'],
      sql: `
        SELECT h.local_hour AS local_hour,
               round(sumIf(toFloat64(h.net_sales) * x.to_reporting, h.business_date BETWEEN {from:Date} AND {to:Date}), 2) AS revenue,
               round(sumIf(toFloat64(h.net_sales) * x.to_reporting, h.business_date BETWEEN {from:Date} - 7 AND {to:Date} - 7), 2) AS revenue_week_before
        FROM \${database}.bi_sales_hourly AS h
        INNER JOIN \${database}.bi_dim_store AS st ON st.store_id = h.store_id
        LEFT JOIN \${database}.exchange_rate_daily AS x ON x.currency = st.currency AND x.business_date = h.business_date
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
      sql: `
        WITH ${SALES_IN_REPORTING}
        SELECT if(product_category = '', '(unknown)', product_category) AS category, round(sum(amount), 2) AS revenue, sum(units_sold) AS units
        FROM sales_in_reporting WHERE business_date BETWEEN {from:Date} AND {to:Date}
        GROUP BY product_category ORDER BY revenue DESC, category LIMIT 5`,
    },
    {
      id: 'bottom_categories',
      title: 'Bottom 5 categories',
      caption: 'Categories with the least net sales over the range, in the reporting currency.',
      chart: 'bar',
      x: 'category',
      series: ['revenue'],
      sql: `
        WITH ${SALES_IN_REPORTING}
        SELECT if(product_category = '', '(unknown)', product_category) AS category, round(sum(amount), 2) AS revenue, sum(units_sold) AS units
        FROM sales_in_reporting WHERE business_date BETWEEN {from:Date} AND {to:Date}
        GROUP BY product_category ORDER BY revenue ASC, category LIMIT 5`,
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
