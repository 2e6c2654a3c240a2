/**
 * The inventory analyst's dashboard: cover (how many days the stock lasts at the current
 * rate), slow movers and overstock, shrink (the waste the movements record), supplier delays and
 * short deliveries, and the product quadrants.
 *
 * Cover reads bi_stockout_risk (on hand and the sales rate) and shrink bi_inventory_daily; when
 * the days-of-cover and near-expiry views of migration 0022 land, point `days_of_cover`,
 * `overstock` and `shrink_by_day` at them.
 */
import type { DashboardDefinition } from '../panels';
import { categoryWhere, storeWhere } from './where';

const COVER = `
  SELECT store_id, sku, units_on_hand, round(units_sold_per_day, 2) AS units_sold_per_day,
         round(units_on_hand / units_sold_per_day, 1) AS days_of_cover
  FROM \${database}.bi_stockout_risk AS r
  WHERE on_hand_known AND units_sold_per_day > 0 AND ${storeWhere('r.store_id')} AND ${categoryWhere('r.sku')}`;

export const INVENTORY_ANALYST: DashboardDefinition = {
  name: 'inventory-analyst',
  title: 'Inventory analyst',
  audience: 'Cover, slow movers and overstock, shrink, supplier deliveries and product quadrants',
  panels: [
    {
      id: 'days_of_cover',
      title: 'Shortest cover',
      caption: 'Store x product with the fewest days of stock left at the current sales rate (on hand / units sold per day).',
      chart: 'bar',
      x: 'item',
      series: ['days_of_cover'],
      sql: `SELECT concat(store_id, ' ', sku) AS item, * FROM (${COVER}) ORDER BY days_of_cover ASC, item LIMIT 15`,
    },
    {
      id: 'overstock',
      title: 'Overstock',
      caption: 'Store x product with the most days of stock at the current sales rate.',
      chart: 'bar',
      x: 'item',
      series: ['days_of_cover'],
      sql: `SELECT concat(store_id, ' ', sku) AS item, * FROM (${COVER}) ORDER BY days_of_cover DESC, item LIMIT 15`,
    },
    {
      id: 'slow_movers',
      title: 'Slow movers',
      caption: 'Products with stock on hand that sold the fewest units over the range (all stores in view).',
      chart: 'table',
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
      caption: 'Products per quadrant (margin x popularity within their category) in the last ISO week that ended by the range\'s end.',
      chart: 'bar',
      x: 'quadrant',
      series: ['products'],
      sql: `
        SELECT quadrant, count() AS products, round(sum(net_sales), 2) AS net_sales
        FROM \${database}.bi_product_quadrants AS q
        WHERE scope = 'store' AND period_type = 'week'
          AND period_start = toMonday({to:Date} + 1) - 7
          AND ${storeWhere('q.store_id')} AND ({category:String} = '' OR q.category = {category:String})
        GROUP BY quadrant ORDER BY quadrant`,
    },
  ],
};
