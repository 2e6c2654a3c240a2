/**
 * inventory: the views of migrations 0022, 0024 and 0034 on a synthetic quarter of 10 stores x 500
 * SKUs read from the facts (a sale line per store x sku x day, a weekly cycle count and a
 * weekly receipt per store x sku, half the range perishable), each against its baseline in the
 * same run: bi_sales_daily over the same store and days, which reads the same sale facts.
 *   history_sku: one store x sku, every day of bi_inventory_history;
 *   history_store: one store's current day, every sku (what an at-risk page lists from);
 *   at_risk_store: one store's bi_at_risk;
 *   expiring_store: one store's units expiring within 7 days (bi_expiring_stock).
 * The ratio says what the books add over reading the store's sales. The BI closing job runs
 * first, as `run all` runs it: every day but the last is closed, so the views read the closed
 * days' books (inventory_daily, 0034) and the facts of the open day only.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { migrate } from '../../clickhouse/migrate';
import { createClickHouse, type ClickHouseClient } from '../../lib/clients/clickhouse';
import { createClosingJob } from '../../services/bi-rollups/closing';
import { percentile, type Benchmark } from '../harness';

const STORES = 10;
const SKUS = 500;
const DAYS = 91;
const RUNS = 3;
const LAST_DAY = '2026-11-29';
const DATABASE = 'inventory_v1';

async function timeQuery(client: ClickHouseClient, sql: string): Promise<number> {
  const started = performance.now();
  await (await client.query({ query: sql, format: 'JSONEachRow' })).json();
  return performance.now() - started;
}

/** The synthetic quarter, built once per cache folder. */
async function ensureQuarter(client: ClickHouseClient): Promise<number> {
  const exists = await (await client.query({ query: `SELECT count() AS n FROM system.tables WHERE database = '${DATABASE}' AND name = 'bench_loaded'`, format: 'JSONEachRow' })).json<{ n: string }>();
  if (Number(exists[0]?.n) > 0) {
    // The quarter outlives the code: views changed by a later migration must be measured as they are now.
    await migrate(client, DATABASE);
    return 0;
  }
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
  await run(`INSERT INTO ${db}.dim_store_utc_offset (store_id, valid_from, utc_offset_s, time_zone) SELECT ${store('number')}, '2020-01-01 00:00:00', 0, 'UTC' FROM numbers(${STORES})`);
  await run(`INSERT INTO ${db}.dim_product (sku, name, category, brand, unit_cost, price, currency, perishable, shelf_life_days, updated_at)
    SELECT ${sku('number')}, 'bench', ['Produce', 'Pantry'][number % 2 + 1], 'bench', 50 + number % 150, 250, 'EUR', number % 2 = 0, if(number % 2 = 0, 5, NULL), now64(3) FROM numbers(${SKUS})`);
  // n = store x sku x day: one sale line a day of 0-7 units.
  await run(`INSERT INTO ${db}.fact_sale_lines (event_id, line_number, occurred_at, store_id, terminal_id, transaction_id, cashier_id, payment_method, currency, sku, quantity, unit_price, discount, net_amount, promotion_id, source_offset)
    SELECT generateUUIDv4(number), 1, toDateTime64('${LAST_DAY} 12:00:00', 3, 'UTC') - toIntervalDay(number % ${DAYS}), ${store('intDiv(number, ' + SKUS * DAYS + ')')}, 'T1', toString(number), 'C1', 'CARD', 'EUR',
           ${sku('intDiv(number, ' + DAYS + ') % ' + SKUS)}, q, 250, 0, q * 250, NULL, number
    FROM (SELECT number, toInt32(cityHash64(number) % 8) AS q FROM numbers(${STORES * SKUS * DAYS})) WHERE q > 0`);
  // Every 7th day of each store x sku: a count at 06:00 and a receipt of a week's units at 07:00.
  await run(`INSERT INTO ${db}.fact_inventory_movements (event_id, occurred_at, store_id, sku, movement_type, quantity_delta, counted_on_hand, reason, reference_id, unit_cost, source_offset)
    SELECT generateUUIDv4(number), toDateTime64('${LAST_DAY} 06:00:00', 3, 'UTC') - toIntervalDay(7 * (number % 13)) + toIntervalHour(k), ${store('intDiv(number, ' + 13 * SKUS + ')')}, ${sku('intDiv(number, 13) % ' + SKUS)},
           if(k = 0, 'COUNT', 'RECEIPT'), if(k = 0, NULL, 25), if(k = 0, toInt32(cityHash64(number) % 20), NULL), 'bench', if(k = 0, NULL, concat('PO-', toString(number))), if(k = 0, NULL, 100), number * 2 + k
    FROM numbers(${STORES * SKUS * 13}) ARRAY JOIN [0, 1] AS k`);
  await run(`CREATE TABLE ${db}.bench_loaded (loaded_at DateTime) ENGINE = TinyLog COMMENT 'inventory bench: the synthetic quarter is complete'`);
  await run(`INSERT INTO ${db}.bench_loaded VALUES (now())`);
  return (performance.now() - started) / 1000;
}

const QUERIES = {
  history_sku: `SELECT business_date, units_on_hand, stock_value_at_cost, days_of_cover FROM ${DATABASE}.bi_inventory_history WHERE store_id = 'S001' AND sku = 'SKU-00001'`,
  history_store: `SELECT sku, units_on_hand, days_of_cover FROM ${DATABASE}.bi_inventory_history WHERE store_id = 'S001' AND is_latest`,
  at_risk_store: `SELECT sku, action, reason FROM ${DATABASE}.bi_at_risk WHERE store_id = 'S001'`,
  expiring_store: `SELECT sku, sum(units) AS units FROM ${DATABASE}.bi_expiring_stock WHERE store_id = 'S001' AND days_until_expiry <= 7 GROUP BY sku`,
  baseline: `SELECT sku, sum(units_sold) AS units FROM ${DATABASE}.bi_sales_daily WHERE store_id = 'S001' GROUP BY sku`,
} as const;

export const inventoryBench: Benchmark = {
  name: 'inventory',
  description: `bi_inventory_history, bi_at_risk and bi_expiring_stock on a synthetic quarter of ${STORES} stores x ${SKUS} skus, against the bi_sales_daily read of the same store`,
  async run({ config }) {
    if (config.clickhouse.mode !== 'embedded') throw new Error('inventory measures the embedded engine (unset CLICKHOUSE_URL)');
    const folder = join(config.launcher.cacheDir, 'bench', 'inventory-chdb');
    mkdirSync(folder, { recursive: true });
    const client = createClickHouse({ ...config.clickhouse, dataDir: folder, database: DATABASE });
    try {
      const loadS = await ensureQuarter(client);
      // Closes what is not closed yet (every day on a first run, minutes; nothing after).
      const closingStarted = performance.now();
      await createClosingJob(client, {
        database: DATABASE,
        allowedLatenessMs: config.streams.allowedLatenessMs,
        calendarFrom: config.clickhouseModel.calendar.from,
        calendarTo: config.clickhouseModel.calendar.to,
      }).cycle();
      const closingS = (performance.now() - closingStarted) / 1000;
      const p50 = async (sql: string): Promise<number> => {
        await timeQuery(client, sql); // warm the caches once, as a dashboard would
        const times: number[] = [];
        for (let i = 0; i < RUNS; i++) times.push(await timeQuery(client, sql));
        return Math.round(percentile(times, 50));
      };
      const baseline = await p50(QUERIES.baseline);
      const historySku = await p50(QUERIES.history_sku);
      const historyStore = await p50(QUERIES.history_store);
      const atRisk = await p50(QUERIES.at_risk_store);
      const expiring = await p50(QUERIES.expiring_store);
      return {
        history_sku_p50_ms: historySku,
        history_store_p50_ms: historyStore,
        at_risk_store_p50_ms: atRisk,
        expiring_store_p50_ms: expiring,
        baseline_p50_ms: baseline,
        at_risk_ratio: atRisk / Math.max(1, baseline),
        stores: STORES,
        skus: SKUS,
        days: DAYS,
        load_s: Math.round(loadS),
        closing_s: Math.round(closingS),
      };
    } finally {
      await client.close();
    }
  },
};
