/**
 * Rebuild from the archive (issue 5): two simulated days are produced to stand-in topics and
 * run once through `shelfstream stream velocity warehouse archive` (the original run: its
 * tables, and the raw Parquet archive in MinIO). Then `shelfstream replay rebuild` refills an
 * empty database with the second day, read back from the archive alone, through the velocity
 * and warehouse processors. The day's aggregates must be the original run's, exactly:
 *
 *   - every 1-minute velocity window (units, revenue, gross, discount, transactions, lines, final);
 *   - every sale line, return line, void and inventory movement of the day in the facts, and the
 *     hourly and daily sales rollups derived from them;
 *   - the bi_* views of the day with their reporting-currency, ex-tax and local-time columns
 *     (migration 0019), both databases converting with the same published rates;
 *   - and, from a source that shares no code with either run, the units and revenue per store of
 *     the day summed straight from the simulator's events.
 *
 * Left out of the comparison: columns that record where a row came from (Kafka offsets, the
 * write time), which name the temporary topics of the rebuild, not the originals. Dimensions
 * come from master data, whose archived records fall outside a day's range: a rebuild of a
 * range refills the facts and windows of the range.
 *
 * Embedded ClickHouse has one owner process per data folder: the test migrates and closes, each
 * CLI run owns the folder while it runs, and the test reopens it to compare.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fillCalendar } from '../../clickhouse/calendar';
import { migrate } from '../../clickhouse/migrate';
import { applyReportingCurrency } from '../../clickhouse/reporting-currency';
import { createClosingJob } from '../../services/bi-rollups/closing';
import { createClickHouse } from '../../lib/clients/clickhouse';
import { createKafka, createProducer } from '../../lib/clients/kafka';
import { createSchemaRegistry } from '../../lib/clients/registry';
import { EventCodec } from '../../lib/events/codec';
import { loadCatalog } from '../../schemas/catalog';
import type { SaleCompleted, TopicName } from '../../schemas/generated/events';
import { parseDay } from '../../lib/domain/calendar';
import { PosSimulator } from '../../simulators/pos/simulator';
import { WAREHOUSE_INPUTS } from '../../streams/warehouse/warehouse';
import { startCli } from '../harness/cli';
import { createTestTopic, registerCleanup, testAdmin, testConfig, testLogger, uniqueName } from '../harness/fixtures';
import { refreshAndCheckExchangeRates } from '../harness/exchange-rates';

const DAY_MS = 86_400_000;
const FIRST_DAY = '2026-03-02';
const PARTITIONS = 2;

describe('replay rebuild from the Parquet archive', () => {
  // Two CLI pipelines and a dozen view comparisons: on the shared 2-core machine under load this
  // ran past jest's default 2 minutes.
  it("refills an empty database with one day's aggregates equal to the original run's and to the simulator's totals", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'shelfstream-rebuild-'));
    const originalDb = uniqueName('shelfstream_original', '_');
    const rebuiltDb = uniqueName('shelfstream_rebuilt', '_');
    const config = testConfig({ SHELFSTREAM_DATA_DIR: dataDir });
    if (config.clickhouse.mode !== 'embedded') throw new Error('this test hands an embedded ClickHouse folder to the CLI');
    const chConfig = { ...config.clickhouse, dataDir: join(dataDir, 'clickhouse') };
    const env = { ...process.env, SHELFSTREAM_DATA_DIR: dataDir, STREAM_FLUSH_INTERVAL_MS: '300', STREAM_SESSION_TIMEOUT_MS: '6000', SHELFSTREAM_LOG_LEVEL: 'warn' };

    // Two days of four stores; the second is the one rebuilt.
    const sim = new PosSimulator({ seed: 31, stores: 4, skus: 150, window: { kind: 'days', startDay: parseDay(FIRST_DAY), days: 2 }, anomalyRate: 1, heartbeats: false });
    const events = new Map<string, { store_id: string; occurred_at?: number }[]>(WAREHOUSE_INPUTS.map((t) => [t, []]));
    const master = sim.masterData();
    events.get('md.stores')!.push(...master['md.stores']);
    events.get('md.products')!.push(...(master['md.products'] as unknown as { store_id: string }[]));
    events.get('md.exchange-rates')!.push(...(master['md.exchange-rates'] as unknown as { store_id: string }[]));
    while (!sim.done) {
      const hour = sim.nextHour();
      for (const t of WAREHOUSE_INPUTS) if (!t.startsWith('md.')) events.get(t)!.push(...(hour.events[t as keyof typeof hour.events] as { store_id: string }[]));
    }
    sim.finish();
    // Published in event-time order, as store systems publish live (an hour batch lists each
    // store's hour in turn, which a partition's watermark would take for hours-late events).
    for (const list of events.values()) list.sort((a, b) => (a.occurred_at ?? 0) - (b.occurred_at ?? 0));
    // The UTC day of the second date (the stores' local days straddle UTC midnight).
    const dayFrom = (parseDay(FIRST_DAY) + 1) * DAY_MS;
    const dayTo = dayFrom + DAY_MS;

    // The simulator's own totals of the day, per store.
    const truth = new Map<string, { units: number; revenue: number }>();
    for (const sale of events.get('pos.sales') as unknown as SaleCompleted[]) {
      if (sale.occurred_at < dayFrom || sale.occurred_at >= dayTo) continue;
      const t = truth.get(sale.store_id) ?? { units: 0, revenue: 0 };
      for (const line of sale.lines) {
        t.units += line.quantity;
        t.revenue += line.quantity * line.unit_price - line.discount;
      }
      truth.set(sale.store_id, t);
    }
    expect(truth.size).toBe(4);

    const setup = createClickHouse(chConfig);
    for (const database of [originalDb, rebuiltDb]) {
      await migrate(setup, database);
      // What init writes: the calendar the rates are carried over, and the reporting currency.
      await fillCalendar(setup, database, '2026-02-01', '2026-03-31');
      await applyReportingCurrency(setup, database, 'EUR');
    }
    await setup.close();

    const admin = await testAdmin(config);
    const standIns: Record<string, string> = {};
    for (const t of WAREHOUSE_INPUTS) standIns[t] = await createTestTopic(admin, { partitions: PARTITIONS, prefix: `rebuild-${t.replace('.', '-')}` });
    const group = uniqueName('test.rebuild-original');
    registerCleanup(() => admin.deleteGroups([group]).catch(() => undefined));
    const codec = await EventCodec.create(createSchemaRegistry(config.registry), config.registry, loadCatalog());
    const producer = createProducer(createKafka(config.kafka, testLogger(), 'test'));
    await producer.connect();
    registerCleanup(() => producer.disconnect());
    for (const t of WAREHOUSE_INPUTS) {
      const list = events.get(t)!;
      const keyOf = (v: { store_id: string; sku?: string; currency?: string; rate_date?: number }): string =>
        t === 'md.products' ? v.sku! : t === 'md.exchange-rates' ? `${v.currency}:${v.rate_date}` : v.store_id;
      for (let i = 0; i < list.length; i += 5_000) {
        await producer.send({ topic: standIns[t]!, acks: -1, messages: list.slice(i, i + 5_000).map((v) => ({ key: keyOf(v), value: codec.encode(t as TopicName, v as never) })) });
      }
    }
    const topicFlags = WAREHOUSE_INPUTS.flatMap((t) => ['--topic', `${t}=${standIns[t]}`]);

    // The original run: both days through the processors and into the archive.
    expect(await startCli(['stream', 'velocity', 'warehouse', 'archive', '--group', group, '--no-metrics', '--stop-when-idle', '3000', ...topicFlags], { env: { ...env, CLICKHOUSE_DATABASE: originalDb } }).exited).toBe(0);

    // The rebuild: the second day, from the archive alone, into the empty database.
    const range = ['--from', new Date(dayFrom).toISOString(), '--to', new Date(dayTo).toISOString()];
    for (const processor of ['velocity', 'warehouse']) {
      const inputs = processor === 'velocity' ? ['pos.sales'] : WAREHOUSE_INPUTS;
      expect(await startCli(['replay', 'rebuild', processor, ...range, ...inputs.flatMap((t) => ['--topic', `${t}=${standIns[t]}`])], { env: { ...env, CLICKHOUSE_DATABASE: rebuiltDb } }).exited).toBe(0);
    }

    const client = createClickHouse(chConfig);
    try {
      // The rebuilt database closes its business days into the 0010 aggregates; the original
      // does not, so its BI views read the facts: the comparison below checks one against the other.
      // A rebuild of a time range does not re-read the compacted store topic: the time zones come
      // from the original run's dimension. No lateness: the one day rebuilt must close.
      await client.command({ query: `INSERT INTO ${rebuiltDb}.dim_store SELECT * FROM ${originalDb}.dim_store` });
      await client.command({ query: `INSERT INTO ${rebuiltDb}.dim_exchange_rate SELECT * FROM ${originalDb}.dim_exchange_rate` });
      // Copied by hand, not landed by the warehouse: refreshed at once (as the warehouse refreshes it after its writes), then checked.
      await refreshAndCheckExchangeRates(client, rebuiltDb);
      const closing = await createClosingJob(client, { database: rebuiltDb, allowedLatenessMs: 0, calendarFrom: '2020-01-01', calendarTo: '2030-12-31', raceMarginMs: 0 }).cycle();
      expect(closing.closed).toBeGreaterThan(0);
      // The original's views read every day from the facts; the job (a lateness longer than the
      // data: nothing closes) gives it the stores' UTC offsets, as `run all` would.
      expect((await createClosingJob(client, { database: originalDb, allowedLatenessMs: 365 * 86_400_000, calendarFrom: '2020-01-01', calendarTo: '2030-12-31' }).cycle()).closed).toBe(0);
      const rows = async (sql: (db: string) => string): Promise<[unknown[], unknown[]]> => {
        const read = async (db: string): Promise<unknown[]> => (await client.query({ query: sql(db), format: 'JSONCompactEachRow', query_params: { from: dayFrom / 1000, to: dayTo / 1000 } })).json<unknown[]>();
        return [await read(originalDb), await read(rebuiltDb)];
      };
      const day = (column: string): string => `${column} >= toDateTime({from:UInt32}, 'UTC') AND ${column} < toDateTime({to:UInt32}, 'UTC')`;
      const compared: Record<string, number> = {};
      const same = async (what: string, sql: (db: string) => string, required = true): Promise<void> => {
        const [original, rebuilt] = await rows(sql);
        if (required && original.length === 0) throw new Error(`the original run left no ${what} in the day`);
        expect({ what, rows: rebuilt }).toEqual({ what, rows: original });
        compared[what] = original.length;
      };
      await same('velocity 1-minute windows', (db) => `SELECT window_start, store_id, sku, units, revenue, gross_revenue, discount, transactions, lines, is_final FROM ${db}.sales_velocity_1m FINAL WHERE ${day('window_start')} ORDER BY store_id, sku, window_start`);
      await same('sale lines', (db) => `SELECT event_id, line_number, occurred_at, store_id, terminal_id, transaction_id, sku, quantity, unit_price, discount, net_amount, promotion_id FROM ${db}.fact_sale_lines FINAL WHERE ${day('occurred_at')} ORDER BY event_id, line_number`);
      await same('return lines', (db) => `SELECT * EXCEPT (source_offset) FROM ${db}.fact_return_lines FINAL WHERE ${day('occurred_at')} ORDER BY ALL`, false);
      await same('voids', (db) => `SELECT * EXCEPT (source_offset) FROM ${db}.fact_voids FINAL WHERE ${day('occurred_at')} ORDER BY ALL`, false);
      await same('inventory movements', (db) => `SELECT * EXCEPT (source_offset) FROM ${db}.fact_inventory_movements FINAL WHERE ${day('occurred_at')} ORDER BY ALL`);
      await same('price changes', (db) => `SELECT * EXCEPT (source_offset) FROM ${db}.fact_price_changes FINAL WHERE ${day('occurred_at')} ORDER BY ALL`, false);
      await same('promotion starts and ends', (db) => `SELECT * EXCEPT (source_offset) FROM ${db}.fact_promotions FINAL WHERE ${day('occurred_at')} ORDER BY ALL`, false);
      await same('hourly sales (bi_sales_hourly)', (db) => `SELECT * FROM ${db}.bi_sales_hourly WHERE ${day('hour_start_utc')} ORDER BY ALL`);
      await same('daily sales (bi_sales_daily)', (db) => `SELECT * FROM ${db}.bi_sales_daily WHERE sales_date = toDate(toDateTime({from:UInt32}, 'UTC')) ORDER BY ALL`);
      await same('store sales per business day (bi_store_sales_daily)', (db) => `SELECT * FROM ${db}.bi_store_sales_daily WHERE business_date = toDate(toDateTime({from:UInt32}, 'UTC')) ORDER BY ALL`);
      await same('sale lines (bi_sales)', (db) => `SELECT * FROM ${db}.bi_sales WHERE ${day('sold_at')} ORDER BY ALL`);
      await same('return lines (bi_returns)', (db) => `SELECT * FROM ${db}.bi_returns WHERE ${day('returned_at')} ORDER BY ALL`, false);
      await same('voids (bi_voids)', (db) => `SELECT * FROM ${db}.bi_voids WHERE ${day('voided_at')} ORDER BY ALL`, false);
      await same('velocity minutes (bi_sales_velocity)', (db) => `SELECT * FROM ${db}.bi_sales_velocity WHERE ${day('minute_start_utc')} ORDER BY ALL`);
      await same('store revenue per hour (bi_store_revenue_hourly)', (db) => `SELECT * FROM ${db}.bi_store_revenue_hourly WHERE ${day('hour_start_utc')} ORDER BY ALL`);
      // The twins compared above are figures, not NULLs on both sides.
      const [converted] = await (
        await client.query({
          query: `SELECT countIf(net_sales_reporting IS NULL OR net_sales_ex_tax_reporting IS NULL) AS missing, count() AS days FROM ${rebuiltDb}.bi_store_sales_daily`,
          format: 'JSONEachRow',
        })
      ).json<{ missing: string; days: string }>();
      expect(Number(converted!.days)).toBeGreaterThan(0);
      expect(Number(converted!.missing)).toBe(0);

      // The simulator's totals of the day, per store.
      const totals = await (
        await client.query({
          query: `SELECT store_id, sum(units) AS units, sum(revenue) AS revenue FROM ${rebuiltDb}.sales_velocity_1m FINAL WHERE ${day('window_start')} GROUP BY store_id ORDER BY store_id`,
          format: 'JSONEachRow',
          query_params: { from: dayFrom / 1000, to: dayTo / 1000 },
        })
      ).json<{ store_id: string; units: string; revenue: string }>();
      expect(Object.fromEntries(totals.map((t) => [t.store_id, { units: Number(t.units), revenue: Number(t.revenue) }]))).toEqual(Object.fromEntries(truth));
      process.stdout.write(`rebuild: compared ${Object.entries(compared).map(([w, n]) => `${n} ${w}`).join(', ')}\n`);
    } finally {
      await client.close();
    }
  }, 300_000);
});
