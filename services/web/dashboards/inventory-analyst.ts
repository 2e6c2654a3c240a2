/**
 * The inventory analyst's dashboard: cover (how many days the stock lasts at the current
 * rate), slow movers and overstock, shrink (the waste the movements record), supplier delays and
 * short deliveries, the product quadrants and the stock near its expiry date.
 *
 * Cover reads bi_stockout_risk (on hand and the sales rate), shrink bi_inventory_daily and
 * near-expiry bi_expiring_stock (0024).
 */
import type { DashboardDefinition } from '../panels';
import { categoryWhere, storeWhere } from './where';

const COVER = `
  SELECT r.store_id AS store_id, r.sku AS sku, ifNull(p.product_name, '') AS product_name, r.units_on_hand AS units_on_hand, round(r.units_sold_per_day, 2) AS units_sold_per_day,
         round(r.units_on_hand / r.units_sold_per_day, 1) AS days_of_cover
  FROM \${database}.bi_stockout_risk AS r
  LEFT JOIN (SELECT sku, toNullable(product_name) AS product_name FROM \${database}.bi_dim_product) AS p ON p.sku = r.sku
  WHERE r.on_hand_known AND r.units_sold_per_day > 0 AND ${storeWhere('r.store_id')} AND ${categoryWhere('r.sku')}`;

/**
 * bi_product_quadrants (0019) for one ISO week at store scope: the view classifies every month and
 * week of the year for each store before a filter on the period can apply (64 s on the BI bench's
 * chain year, past the 30 s limit); this reads that week's days only. Same definitions as the
 * view: a product's margin per unit is (net sales ex VAT - units x unit cost in the store's
 * currency at each day's rates) / units, judged against its category's (in the store, that week)
 * margin per unit weighted by units; popular is a unit share >= 70% of an equal share; a product
 * with a day of unknown cost is left out; net sales in the reporting currency are NULL when a day
 * has no rate.
 */
/** A day's cost of the units sold in the store's currency: same currency needs no rate; otherwise product currency -> base -> store currency. */
const COST_MINOR = 'd.units_sold * p.unit_cost * if(p.currency = s.currency, 1, if(s.currency = base, 1, rs.rate) / if(p.currency = base, 1, rp.rate))';

const QUADRANTS_OF_WEEK = `
  WITH (SELECT any(toString(base_currency)) FROM \${database}.dim_exchange_rate FINAL) AS base,
    per_product AS (
      SELECT d.store_id AS store_id, toString(p.category) AS category, d.sku AS sku,
             sum(d.units_sold) AS units, sum(d.net_sales_minor / (1 + ifNull(s.vat_rate, 0))) AS net_ex_tax_minor,
             sum(${COST_MINOR}) AS cost_minor, countIf(${COST_MINOR} IS NULL) AS days_without_cost,
             if(countIf(d.net_sales_reporting IS NULL) > 0, NULL, sum(d.net_sales_reporting)) AS net_sales_reporting
      FROM \${database}.bi_sales_daily AS d
      INNER JOIN (SELECT store_id, currency, vat_rate FROM \${database}.dim_store FINAL) AS s ON s.store_id = d.store_id
      INNER JOIN (SELECT sku, category, unit_cost, currency FROM \${database}.dim_product FINAL) AS p ON p.sku = d.sku
      LEFT JOIN (SELECT currency, business_date, toNullable(rate) AS rate FROM \${database}.exchange_rate_daily) AS rs ON rs.currency = s.currency AND rs.business_date = d.business_date
      LEFT JOIN (SELECT currency, business_date, toNullable(rate) AS rate FROM \${database}.exchange_rate_daily) AS rp ON rp.currency = p.currency AND rp.business_date = d.business_date
      WHERE d.business_date BETWEEN toMonday({to:Date} + 1) - 7 AND toMonday({to:Date} + 1) - 1
        AND ${storeWhere('d.store_id')} AND ${categoryWhere('d.sku')}
      GROUP BY store_id, category, sku
      HAVING days_without_cost = 0 AND units > 0),
    classified AS (
      SELECT *, (net_ex_tax_minor - cost_minor) / units AS margin, sum(net_ex_tax_minor - cost_minor) OVER w / sum(units) OVER w AS category_margin,
             units / sum(units) OVER w AS share, count() OVER w AS products_in_category
      FROM per_product WINDOW w AS (PARTITION BY store_id, category))
  SELECT multiIf(margin >= category_margin AND share >= 0.7 / products_in_category, 'star', share >= 0.7 / products_in_category, 'plowhorse',
                 margin >= category_margin, 'puzzle', 'dog') AS quadrant,
         count() AS products, round(sum(net_sales_reporting), 2) AS net_sales_reporting
  FROM classified
  GROUP BY quadrant ORDER BY quadrant`;

export const INVENTORY_ANALYST: DashboardDefinition = {
  name: 'inventory-analyst',
  title: 'Inventory analyst',
  audience: 'Cover, slow movers and overstock, shrink, supplier deliveries and product quadrants',
  panels: [
    {
      id: 'days_of_cover',
      title: 'Shortest cover',
      caption: 'Store x product with the fewest days of stock left at the current sales rate (on hand / units sold per day); below zero, more was sold than counted and received: recount.',
      chart: 'bar',
      x: 'item',
      barLabel: ['item', 'product_name'],
      series: ['days_of_cover'],
      sql: `SELECT concat(store_id, ' ', sku) AS item, * FROM (${COVER}) ORDER BY days_of_cover ASC, item LIMIT 15`,
    },
    {
      id: 'overstock',
      title: 'Overstock',
      caption: 'Store x product with the most days of stock at the current sales rate.',
      chart: 'bar',
      x: 'item',
      barLabel: ['item', 'product_name'],
      series: ['days_of_cover'],
      sql: `SELECT concat(store_id, ' ', sku) AS item, * FROM (${COVER}) ORDER BY days_of_cover DESC, item LIMIT 15`,
    },
    {
      id: 'slow_movers',
      title: 'Slow movers',
      caption: 'Products with stock on hand that sold the fewest units over the range (all stores in view).',
      chart: 'table',
      labels: { units_sold: 'Units sold in range' },
      sql: `
        SELECT r.sku AS sku, sum(r.units_on_hand) AS units_on_hand, ifNull(any(s.units), 0) AS units_sold
        FROM \${database}.bi_stockout_risk AS r
        LEFT JOIN (
          SELECT sku, sum(units_sold) AS units FROM \${database}.bi_sales_daily AS d
          WHERE business_date BETWEEN {from:Date} AND {to:Date} AND ${storeWhere('d.store_id')}
          GROUP BY sku) AS s ON s.sku = r.sku
        WHERE r.on_hand_known AND r.units_on_hand > 0 AND ${storeWhere('r.store_id')} AND ${categoryWhere('r.sku')}
        GROUP BY r.sku
        ORDER BY units_sold ASC, units_on_hand DESC, sku
        LIMIT 15`,
    },
    {
      id: 'shrink_by_day',
      title: 'Shrink (waste) by day',
      caption: 'Units written off (SHRINK movements: damage, expiry, theft) per business date.',
      chart: 'bar',
      x: 'business_date',
      series: ['units_shrunk'],
      sql: `
        SELECT business_date, -sum(units_change) AS units_shrunk, sum(movements) AS movements
        FROM \${database}.bi_inventory_daily AS i
        WHERE movement_type = 'SHRINK' AND business_date BETWEEN {from:Date} AND {to:Date} AND ${storeWhere('i.store_id')} AND ${categoryWhere('i.sku')}
        GROUP BY business_date ORDER BY business_date`,
    },
    {
      id: 'supplier_deliveries',
      title: 'Supplier delays and short deliveries',
      caption: 'Per order date: orders received, their mean delay past the expected delivery in hours, and deliveries short of what was ordered.',
      chart: 'line',
      x: 'order_date',
      series: ['mean_delay_hours', 'short_deliveries'],
      sql: `
        SELECT order_date, count() AS orders, countIf(received_at IS NOT NULL) AS received,
               round(avgIf(delivery_delay_hours, received_at IS NOT NULL), 2) AS mean_delay_hours,
               countIf(received_at IS NOT NULL AND units_received < units_ordered) AS short_deliveries
        FROM \${database}.bi_replenishment_orders AS o
        WHERE order_date BETWEEN {from:Date} AND {to:Date} AND ${storeWhere('o.store_id')} AND ${categoryWhere('o.sku')}
        GROUP BY order_date ORDER BY order_date`,
    },
    {
      id: 'product_quadrants',
      title: 'Product quadrants, latest week',
      caption: 'Products per quadrant (margin x popularity within their category and store) in the last ISO week that ended by the range\'s end, and their net sales in the reporting currency.',
      chart: 'bar',
      x: 'quadrant',
      series: ['products'],
      money: ['net_sales_reporting'],
      sql: QUADRANTS_OF_WEEK,
    },
    {
      id: 'near_expiry',
      title: 'Near-expiry stock',
      caption: 'Perishable units on hand that expire within 7 days of the store\'s latest stock day (bi_expiring_stock), soonest first, with their value at cost in the reporting currency.',
      chart: 'table',
      money: ['value_at_cost_reporting'],
      labels: { units: 'Units expiring' },
      sql: `
        SELECT store_id, sku, toString(expiry_date) AS expiry_date, days_until_expiry, units, round(value_at_cost_reporting, 2) AS value_at_cost_reporting
        FROM \${database}.bi_expiring_stock AS e
        WHERE days_until_expiry <= 7 AND ${storeWhere('e.store_id')} AND ${categoryWhere('e.sku')}
        ORDER BY days_until_expiry, value_at_cost_reporting DESC, store_id, sku
        LIMIT 20`,
    },
  ],
};
