/**
 * product-range: the two questions of migration 0016 on a synthetic year of 10 stores x 1,000
 * SKUs (closed days in sales_daily_store_sku, a weekly cycle count per store x sku in the
 * books), each against its baseline in the same run: the bi_sales_daily query that reads the
 * same days, which every product-range view is built on.
 *   quadrants: the quadrants of one store's range for one month, against the units and sales of
 *   that store and month from bi_sales_daily;
 *   rolling: one sku's 7/30/90-day row on one day, against its 30 days from bi_sales_daily.
 * The ratio says what the views add (the category windows; the calendar, the books and the
 * rolling windows) over reading the days they summarise.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { migrate } from '../../clickhouse/migrate';
import { createClickHouse, type ClickHouseClient } from '../../lib/clients/clickhouse';
import { percentile, type Benchmark } from '../harness';

const STORES = 10;
const SKUS = 1_000;
const DAYS = 365;
const RUNS = 9;
const LAST_CLOSED = '2026-11-29';
const MONTH = '2026-10-01';
const DATABASE = 'product_range_v1';

async function timeQuery(client: ClickHouseClient, sql: string): Promise<number> {
  const started = performance.now();
  await (await client.query({ query: sql, format: 'JSONEachRow' })).json();
  return performance.now() - started;
}

/** The synthetic year, built once per cache folder (it takes a minute). */
async function ensureYear(client: ClickHouseClient): Promise<number> {
  const exists = await (await client.query({ query: `SELECT count() AS n FROM system.tables WHERE database = '${DATABASE}' AND name = 'bench_loaded'`, format: 'JSONEachRow' })).json<{ n: string }>();
  if (Number(exists[0]?.n) > 0) return 0;
  const started = performance.now();
  const run = async (query: string): Promise<void> => void (await client.command({ query }));
  await run(`DROP DATABASE IF EXISTS ${DATABASE} SYNC`);
  await run(`CREATE DATABASE ${DATABASE}`);
  await migrate(client, DATABASE);
  const db = DATABASE;
  const store = (n: string) => `concat('S', leftPad(toString(${n} + 1), 3, '0'))`;
  const sku = (n: string) => `concat('SKU-', leftPad(toString(${n} + 1), 5, '0'))`;
  await run(`INSERT INTO ${db}.dim_store (store_id, name, region, time_zone, size_class, currency, opened_on, vat_rate, updated_at)
    SELECT ${store('number')}, 'bench', ['North', 'South'][number % 2 + 1], 'UTC', 'MEDIUM', 'EUR', '2020-01-01', 0.1, now64(3) FROM numbers(${STORES})`);
  await run(`INSERT INTO ${db}.dim_product (sku, name, category, brand, unit_cost, price, currency, perishable, shelf_life_days, updated_at)
    SELECT ${sku('number')}, 'bench', ['Produce', 'Dairy', 'Bakery', 'Pantry'][number % 4 + 1], 'bench', 50 + number % 150, 250, 'EUR', false, NULL, now64(3) FROM numbers(${SKUS})`);
  await run(`INSERT INTO ${db}.sales_daily_store_sku (business_date, store_id, sku, units_sold, net_sales_minor, discount_minor, sale_lines, transactions, closed_at)
    SELECT business_date, ${store('intDiv(s, ' + SKUS + ')')}, ${sku('s % ' + SKUS)}, q, q * 250, 0, q, q, now64(3) - INTERVAL 1 HOUR
    FROM (SELECT intDiv(number, ${DAYS}) AS s, toDate('${LAST_CLOSED}') - number % ${DAYS} AS business_date, toInt64(cityHash64(number) % (1 + cityHash64(s) % 12)) AS q FROM numbers(${STORES * SKUS * DAYS}))
    WHERE q > 0`);
  await run(`INSERT INTO ${db}.days_closed (fact, store_id, business_date, day_start_utc, day_end_utc, closed_at)
    SELECT 'sales', store_id, business_date, toDateTime(business_date, 'UTC'), toDateTime(business_date + 1, 'UTC'), now64(3) - INTERVAL 1 HOUR
    FROM (SELECT DISTINCT store_id, business_date FROM ${db}.sales_daily_store_sku)`);
  await run(`INSERT INTO ${db}.days_touched (fact, store_id, utc_date, touched_at)
    SELECT 'sales', store_id, business_date, now64(3) - INTERVAL 2 HOUR FROM (SELECT DISTINCT store_id, business_date FROM ${db}.sales_daily_store_sku)`);
  // A weekly cycle count per store x sku: the books the stock-out days are read from.
  await run(`INSERT INTO ${db}.fact_inventory_movements (event_id, occurred_at, store_id, sku, movement_type, quantity_delta, counted_on_hand, reason, reference_id, unit_cost, source_offset)
    SELECT generateUUIDv4(number), toDateTime64('${LAST_CLOSED} 06:00:00', 3, 'UTC') - toIntervalDay(7 * (number % 52)), ${store('intDiv(number, ' + 52 * SKUS + ')')}, ${sku('intDiv(number, 52) % ' + SKUS)},
           'COUNT', NULL, toInt32(cityHash64(number) % 20), 'bench', NULL, NULL, number
    FROM numbers(${STORES * SKUS * 52})`);
  await run(`CREATE TABLE ${db}.bench_loaded (loaded_at DateTime) ENGINE = TinyLog COMMENT 'product-range bench: the synthetic year is complete'`);
  await run(`INSERT INTO ${db}.bench_loaded VALUES (now())`);
  return (performance.now() - started) / 1000;
}

const QUERIES = {
  quadrants: `SELECT sku, quadrant FROM ${DATABASE}.bi_product_quadrants WHERE scope = 'store' AND store_id = 'S001' AND period_type = 'month' AND period_start = '${MONTH}'`,
  quadrants_baseline: `SELECT sku, sum(units_sold) AS units, sum(net_sales_minor) AS net FROM ${DATABASE}.bi_sales_daily
    WHERE store_id = 'S001' AND business_date >= '${MONTH}' AND business_date < toDate('${MONTH}') + INTERVAL 1 MONTH GROUP BY sku`,
  rolling: `SELECT avg_units_7d, avg_units_30d, avg_units_90d, stockout_days_30d FROM ${DATABASE}.bi_sales_rolling WHERE store_id = 'S001' AND sku = 'SKU-00001' AND business_date = '${LAST_CLOSED}'`,
  rolling_baseline: `SELECT sum(units_sold) / 30 AS avg_units FROM ${DATABASE}.bi_sales_daily WHERE store_id = 'S001' AND sku = 'SKU-00001' AND business_date > toDate('${LAST_CLOSED}') - 30`,
} as const;

export const productRangeBench: Benchmark = {
  name: 'product-range',
  description: `bi_product_quadrants and bi_sales_rolling on a synthetic year of ${STORES} stores x ${SKUS} skus, each against the bi_sales_daily read of the same days`,
  async run({ config }) {
    if (config.clickhouse.mode !== 'embedded') throw new Error('product-range measures the embedded engine (unset CLICKHOUSE_URL)');
    const folder = join(config.launcher.cacheDir, 'bench', 'product-range-chdb');
    mkdirSync(folder, { recursive: true });
    const client = createClickHouse({ ...config.clickhouse, dataDir: folder, database: DATABASE });
    try {
      const loadS = await ensureYear(client);
      const p50 = async (sql: string): Promise<number> => {
        await timeQuery(client, sql); // warm the caches once, as a dashboard would
        const times: number[] = [];
        for (let i = 0; i < RUNS; i++) times.push(await timeQuery(client, sql));
        return Math.round(percentile(times, 50));
      };
      // Alternate view and baseline so a busy machine weighs on both alike.
      const quadrants = await p50(QUERIES.quadrants);
      const quadrantsBase = await p50(QUERIES.quadrants_baseline);
      const rolling = await p50(QUERIES.rolling);
      const rollingBase = await p50(QUERIES.rolling_baseline);
      return {
        quadrants_p50_ms: quadrants,
        quadrants_baseline_p50_ms: quadrantsBase,
        quadrants_ratio: quadrants / Math.max(1, quadrantsBase),
        rolling_p50_ms: rolling,
        rolling_baseline_p50_ms: rollingBase,
        rolling_ratio: rolling / Math.max(1, rollingBase),
        stores: STORES,
        skus: SKUS,
        days: DAYS,
        load_s: Math.round(loadS),
      };
    } finally {
      await client.close();
    }
  },
};
