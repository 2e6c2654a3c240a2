/**
 * The BI side of the ClickHouse model on the configured ClickHouse (embedded chDB by default):
 * comments everywhere, bi_* views Power BI can load, rollups that stay exact when the facts are
 * replayed or an insert is retried, the date dimension from the simulator's holiday rules,
 * configurable retention, and the BI user's row-policy logic.
 */
import { randomUUID } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { accessStatements, applyBiAccess, policyCondition, storeTables } from '../../clickhouse/access';
import { fillCalendar } from '../../clickhouse/calendar';
import { migrate } from '../../clickhouse/migrate';
import { applyRetention } from '../../clickhouse/retention';
import { testClickHouse, testConfig } from '../harness/fixtures';

async function rows<T>(client: ClickHouseClient, query: string, params: Record<string, unknown> = {}): Promise<T[]> {
  return (await client.query({ query, query_params: params, format: 'JSONEachRow' })).json<T>();
}

/** Inserts as the stream sink does: one block, a deduplication token, dedup into the views. */
async function sinkInsert(client: ClickHouseClient, table: string, values: readonly object[], token: string): Promise<void> {
  await client.insert({
    table,
    values: [...values],
    format: 'JSONEachRow',
    clickhouse_settings: {
      insert_deduplication_token: token,
      insert_deduplicate: 1,
      deduplicate_blocks_in_dependent_materialized_views: 1,
      max_insert_block_size: String(Math.max(1_048_576, values.length + 1)),
    },
  });
}

const DEFAULT_RETENTION = { factDays: 730, velocityDays: 400, alertsDays: 365, rollupDays: 1095 };

describe('ClickHouse model for BI', () => {
  let client: ClickHouseClient;
  let database: string;

  beforeAll(async () => {
    ({ client, database } = await testClickHouse());
    await migrate(client, database);
  });

  it('has a comment on every table, view and column', async () => {
    const tables = await rows<{ name: string; engine: string }>(client, `SELECT name, engine FROM system.tables WHERE database = {db:String} AND comment = ''`, { db: database });
    expect(tables).toEqual([]);
    const columns = await rows<{ table: string; name: string }>(client, `SELECT table, name FROM system.columns WHERE database = {db:String} AND comment = ''`, { db: database });
    expect(columns).toEqual([]);
    // The check covers views and materialized views too, not only tables.
    const kinds = await rows<{ engine: string }>(client, `SELECT DISTINCT engine FROM system.tables WHERE database = {db:String}`, { db: database });
    expect(kinds.map((k) => k.engine)).toEqual(expect.arrayContaining(['View', 'MaterializedView', 'AggregatingMergeTree', 'ReplacingMergeTree']));
  });

  it('gives BI a view over every user-facing table, with no UInt64 column', async () => {
    const views = (await rows<{ name: string }>(client, `SELECT name FROM system.tables WHERE database = {db:String} AND name LIKE 'bi\\_%' AND engine = 'View'`, { db: database })).map((v) => v.name);
    expect(views).toEqual(
      expect.arrayContaining([
        'bi_sales', 'bi_returns', 'bi_voids', 'bi_inventory_movements', 'bi_sales_velocity', 'bi_store_revenue_hourly', 'bi_sales_rolling_rate',
        'bi_alerts', 'bi_dim_store', 'bi_dim_product', 'bi_dim_date', 'bi_holidays', 'bi_sales_hourly', 'bi_sales_daily', 'bi_inventory_hourly', 'bi_inventory_daily', 'bi_store_sales_daily',
        'bi_replenishment_orders', 'bi_product_quadrants', 'bi_sales_rolling',
      ]),
    );
    // The declared types of a view could hide what the query returns; DESCRIBE of a SELECT
    // from the view reports the types a BI tool receives.
    const offending: string[] = [];
    for (const view of views) {
      const described = await rows<{ name: string; type: string }>(client, `DESCRIBE (SELECT * FROM ${database}.${view})`);
      expect(described.length).toBeGreaterThan(0);
      for (const c of described) if (/UInt64|UInt128|UInt256|Int128|Int256|AggregateFunction|Map\(/.test(c.type)) offending.push(`${view}.${c.name}: ${c.type}`);
    }
    expect(offending).toEqual([]);
  });

  it('keeps the sales and inventory rollups exact when facts are replayed with other blocks or an insert is retried', async () => {
    const at = (minute: number): string => `2026-03-02 10:${String(minute).padStart(2, '0')}:00.000`;
    const sale = (event: string, line: number, sku: string, quantity: number, price: number, discount: number, offset: number, minute: number, store = 'S001') => ({
      event_id: event, line_number: line, occurred_at: at(minute), store_id: store, terminal_id: 'T1', transaction_id: `TX-${offset}`, cashier_id: 'C1',
      payment_method: 'CARD', currency: 'EUR', sku, quantity, unit_price: price, discount, net_amount: quantity * price - discount, promotion_id: null, source_offset: offset,
    });
    const [e1, e2, e3, e4] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const lines = [
      sale(e1, 1, 'SKU-A', 2, 199, 0, 10, 1),
      sale(e1, 2, 'SKU-B', 1, 1050, 50, 10, 1),
      sale(e2, 1, 'SKU-A', 3, 199, 100, 11, 20),
      sale(e3, 1, 'SKU-A', 1, 199, 0, 12, 59),
      sale(e4, 1, 'SKU-A', 5, 199, 0, 13, 30, 'S002'),
    ];
    // Hand-computed: S001 SKU-A in 10:00-11:00: 2 + 3 + 1 units, 398 + 497 + 199 net, 100 discount, 3 lines, 3 baskets.
    const expectedA = { units_sold: 6, net_sales_minor: 1094, discount_minor: 100, gross_sales_minor: 1194, sale_lines: 3, transactions: 3 };
    const expectedB = { units_sold: 1, net_sales_minor: 1000, discount_minor: 50, gross_sales_minor: 1050, sale_lines: 1, transactions: 1 };

    const facts = `${database}.fact_sale_lines`;
    // Merges would collapse the replayed fact rows before the control check below can see them.
    await client.command({ query: `SYSTEM STOP MERGES ${facts}` });
    // First pass: three flushes.
    await sinkInsert(client, facts, lines.slice(0, 2), 'warehouse:first:1');
    await sinkInsert(client, facts, lines.slice(2, 4), 'warehouse:first:2');
    await sinkInsert(client, facts, lines.slice(4), 'warehouse:first:3');
    // A retry of the second flush (same token) and a replay with other boundaries and tokens.
    await sinkInsert(client, facts, lines.slice(2, 4), 'warehouse:first:2');
    await sinkInsert(client, facts, lines.slice(0, 3), 'warehouse:replay:1');
    await sinkInsert(client, facts, lines.slice(3), 'warehouse:replay:2');
    await sinkInsert(client, facts, [...lines].reverse(), 'warehouse:replay-all');

    type Rollup = typeof expectedA & { sku: string };
    const hourly = (): Promise<Rollup[]> =>
      rows<Rollup>(
        client,
        `SELECT sku, units_sold, net_sales_minor, discount_minor, gross_sales_minor, sale_lines, transactions
         FROM ${database}.bi_sales_hourly WHERE store_id = 'S001' AND hour_start_utc = '2026-03-02 10:00:00' ORDER BY sku`,
      );
    const daily = (): Promise<Rollup[]> =>
      rows<Rollup>(
        client,
        `SELECT sku, units_sold, net_sales_minor, discount_minor, gross_sales_minor, sale_lines, transactions
         FROM ${database}.bi_sales_daily WHERE store_id = 'S001' AND sales_date = '2026-03-02' ORDER BY sku`,
      );
    const expected = [{ sku: 'SKU-A', ...expectedA }, { sku: 'SKU-B', ...expectedB }];
    const numeric = (r: Rollup[]): Rollup[] => r.map((x) => Object.fromEntries(Object.entries(x).map(([k, v]) => [k, k === 'sku' ? v : Number(v)])) as Rollup);
    expect(numeric(await hourly())).toEqual(expected);
    expect(numeric(await daily())).toEqual(expected);
    // The replay really did add rows a plain sum would count again (before merges)...
    const unmerged = await rows<{ units: string }>(client, `SELECT sum(quantity) AS units FROM ${facts} WHERE store_id = 'S001' AND sku = 'SKU-A'`);
    expect(Number(unmerged[0]!.units)).toBeGreaterThan(6);
    await client.command({ query: `SYSTEM START MERGES ${facts}` });
    // ...while the facts read with FINAL agree with the views, and so do the views after
    // ClickHouse merged the facts' parts (closed days: bi-closing.test.ts).
    const fromFacts = await rows<{ units: string }>(client, `SELECT sum(quantity) AS units FROM ${facts} FINAL WHERE store_id = 'S001' AND sku = 'SKU-A'`);
    expect(Number(fromFacts[0]!.units)).toBe(6);
    expect(numeric(await hourly())).toEqual(expected);
    expect(numeric(await daily())).toEqual(expected);

    // A line re-written with a higher source_offset replaces the old version, as in the fact
    // table's ReplacingMergeTree(source_offset).
    await sinkInsert(client, facts, [{ ...lines[3]!, quantity: 4, net_amount: 4 * 199, source_offset: 40 }], 'warehouse:correction');
    expect(numeric(await hourly())[0]).toEqual({ sku: 'SKU-A', ...expectedA, units_sold: 9, net_sales_minor: 1094 + 3 * 199, gross_sales_minor: 1194 + 3 * 199 });

    // Inventory movements: the same under replay.
    const movement = (event: string, type: string, delta: number | null, counted: number | null, offset: number) => ({
      event_id: event, occurred_at: at(5), store_id: 'S001', sku: 'SKU-A', movement_type: type, quantity_delta: delta, counted_on_hand: counted,
      reason: 'test', reference_id: null, unit_cost: type === 'RECEIPT' ? 120 : null, source_offset: offset,
    });
    const movements = [
      movement(randomUUID(), 'RECEIPT', 24, null, 1),
      movement(randomUUID(), 'RECEIPT', 12, null, 2),
      movement(randomUUID(), 'SHRINK', -2, null, 3),
      movement(randomUUID(), 'COUNT', null, 30, 4),
    ];
    const inv = `${database}.fact_inventory_movements`;
    await sinkInsert(client, inv, movements.slice(0, 3), 'warehouse:inv:1');
    await sinkInsert(client, inv, movements.slice(3), 'warehouse:inv:2');
    await sinkInsert(client, inv, movements.slice(0, 3), 'warehouse:inv:1');
    await sinkInsert(client, inv, movements, 'warehouse:inv:replay');
    for (const view of ['bi_inventory_hourly', 'bi_inventory_daily']) {
      const totals = await rows<{ movement_type: string; movements: string; units_change: string }>(
        client,
        `SELECT movement_type, movements, units_change FROM ${database}.${view} WHERE store_id = 'S001' AND sku = 'SKU-A' ORDER BY movement_type`,
      );
      expect([view, totals.map((t) => [t.movement_type, Number(t.movements), Number(t.units_change)])]).toEqual([
        view,
        [
          ['COUNT', 1, 0],
          ['RECEIPT', 2, 36],
          ['SHRINK', 1, -2],
        ],
      ]);
    }
  });

  it('serves money both in minor units and as an amount', async () => {
    await client.insert({
      table: `${database}.dim_store`,
      format: 'JSONEachRow',
      values: [{ store_id: 'S777', name: 'Dubai Mall', region: 'United Arab Emirates', time_zone: 'Asia/Dubai', size_class: 'LARGE', currency: 'AED', opened_on: '2020-01-01', updated_at: '2026-01-01 00:00:00.000' }],
    });
    await sinkInsert(
      client,
      `${database}.fact_sale_lines`,
      [{ event_id: randomUUID(), line_number: 1, occurred_at: '2026-03-02 21:30:00.000', store_id: 'S777', terminal_id: 'T1', transaction_id: 'X', cashier_id: 'C', payment_method: 'CASH', currency: 'AED', sku: 'SKU-Z', quantity: 3, unit_price: 1999, discount: 5, net_amount: 5992, promotion_id: null, source_offset: 1 }],
      'warehouse:money',
    );
    const [line] = await rows<Record<string, unknown>>(client, `SELECT net_sales_minor, net_sales, discount, unit_price FROM ${database}.bi_sales WHERE store_id = 'S777'`);
    expect(line).toEqual({ net_sales_minor: 5992, net_sales: 59.92, discount: 0.05, unit_price: 19.99 });
    const [hour] = await rows<Record<string, unknown>>(client, `SELECT hour_start_utc, net_sales, gross_sales FROM ${database}.bi_sales_hourly WHERE store_id = 'S777'`);
    expect(hour).toEqual({ hour_start_utc: '2026-03-02 21:00:00', net_sales: 59.92, gross_sales: 59.97 });
  });

  it('shows each replenishment order once with its receipt: open, received late and short, replays included', async () => {
    const order = (event: string, id: string, sku: string, quantity: number, offset: number) => ({
      event_id: event, occurred_at: '2026-03-02 20:00:00.000', store_id: 'S002', sku, order_id: id, quantity, expected_delivery_at: '2026-03-04 06:15:00.000', lead_time_days: 2, source_offset: offset,
    });
    const orders = [order(randomUUID(), 'PO-S002-1', 'SKU-A', 24, 1), order(randomUUID(), 'PO-S002-2', 'SKU-B', 12, 2)];
    await sinkInsert(client, `${database}.fact_replenishment_orders`, orders, 'warehouse:orders:1');
    await sinkInsert(client, `${database}.fact_replenishment_orders`, orders, 'warehouse:orders:replay');
    // PO-1 arrives a day late and 4 units short; PO-2 is still open.
    const receipt = { event_id: randomUUID(), occurred_at: '2026-03-05 06:15:00.000', store_id: 'S002', sku: 'SKU-A', movement_type: 'RECEIPT', quantity_delta: 20, counted_on_hand: null, reason: 'supplier delivery (short)', reference_id: 'PO-S002-1', unit_cost: 120, source_offset: 9 };
    await sinkInsert(client, `${database}.fact_inventory_movements`, [receipt], 'warehouse:orders:receipt');
    await sinkInsert(client, `${database}.fact_inventory_movements`, [receipt], 'warehouse:orders:receipt-replay');
    const found = await rows<Record<string, unknown>>(client, `SELECT order_id, units_ordered, units_received, received_at, delivery_delay_hours, is_open FROM ${database}.bi_replenishment_orders WHERE store_id = 'S002' ORDER BY order_id`);
    expect(found.map((r) => ({ ...r, units_received: Number(r.units_received), is_open: Boolean(r.is_open) }))).toEqual([
      { order_id: 'PO-S002-1', units_ordered: 24, units_received: 20, received_at: '2026-03-05 06:15:00.000', delivery_delay_hours: 24, is_open: false },
      { order_id: 'PO-S002-2', units_ordered: 12, units_received: 0, received_at: null, delivery_delay_hours: null, is_open: true },
    ]);
  });

  it('fills dim_date and the holidays from the shared rules, idempotently', async () => {
    const first = await fillCalendar(client, database, '2026-01-01', '2026-12-31');
    expect(first).toMatchObject({ outcome: 'filled', dates: 365 });
    const second = await fillCalendar(client, database, '2026-01-01', '2026-12-31');
    expect(second.outcome).toBe('unchanged');

    // Calendar attributes against ClickHouse's own date functions, for every date.
    const mismatches = await rows(
      client,
      `SELECT date FROM ${database}.dim_date FINAL
       WHERE iso_week != toISOWeek(date) OR iso_year != toISOYear(date) OR day_of_week != toDayOfWeek(date)
          OR quarter != toQuarter(date) OR month != toMonth(date) OR day_of_year != toDayOfYear(date)
          OR is_weekend != (toDayOfWeek(date) >= 6) OR day_name != dateName('weekday', date) OR month_name != dateName('month', date)`,
    );
    expect(mismatches).toEqual([]);

    // Published dates: Easter Sunday 5 April 2026, Ramadan 1447 from 18 February, Eid al-Fitr 20 March.
    const days = await rows<{ date: string; western_holidays: string; muslim_holidays: string; is_ramadan: boolean }>(
      client,
      `SELECT date, western_holidays, muslim_holidays, is_ramadan FROM ${database}.bi_dim_date WHERE date IN ('2026-04-05', '2026-03-20', '2026-02-18', '2026-12-25') ORDER BY date`,
    );
    expect(days).toEqual([
      { date: '2026-02-18', western_holidays: '', muslim_holidays: 'Ramadan', is_ramadan: true },
      { date: '2026-03-20', western_holidays: 'Eid al-Fitr', muslim_holidays: 'Eid al-Fitr', is_ramadan: false },
      { date: '2026-04-05', western_holidays: 'Easter Sunday', muslim_holidays: '', is_ramadan: false },
      { date: '2026-12-25', western_holidays: 'Christmas Day', muslim_holidays: '', is_ramadan: false },
    ]);
    const ramadanDays = await rows<{ n: string }>(client, `SELECT count() AS n FROM ${database}.bi_holidays WHERE region = 'Morocco' AND holiday_name = 'Ramadan'`);
    expect(Number(ramadanDays[0]!.n)).toBe(30); // 18 February to 19 March 2026
    const easter = await rows<{ region: string; store_closed: boolean }>(
      client,
      `SELECT region, store_closed FROM ${database}.bi_holidays WHERE date = '2026-04-05' ORDER BY region`,
    );
    expect(easter.map((e) => e.region)).toEqual(['France', 'Germany', 'Netherlands', 'Spain', 'United Kingdom', 'United States East']);
    expect(easter.every((e) => e.store_closed)).toBe(true);

    // A holiday left over from an older rule set is removed when the rules change.
    await client.insert({
      table: `${database}.holiday_calendar`,
      format: 'JSONEachRow',
      values: [{ date: '2026-06-01', culture: 'western', holiday_name: 'Dropped holiday', store_closed: false, demand_factor: 1, calendar_version: 'old' }],
    });
    expect(await rows(client, `SELECT region FROM ${database}.dim_holiday WHERE holiday_name = 'Dropped holiday' AND region = 'France'`)).toEqual([{ region: 'France' }]);
    expect((await fillCalendar(client, database, '2026-01-01', '2026-12-31')).outcome).toBe('filled');
    expect(await rows(client, `SELECT * FROM ${database}.dim_holiday WHERE holiday_name = 'Dropped holiday'`)).toEqual([]);
    expect((await fillCalendar(client, database, '2026-01-01', '2026-12-31')).outcome).toBe('unchanged');
  });

  it('sets each table retention from the configuration, only when it differs', async () => {
    const defaults = await applyRetention(client, database, DEFAULT_RETENTION);
    expect(Object.values(defaults).every((o) => o === 'unchanged')).toBe(true);
    expect(Object.keys(defaults)).toEqual(expect.arrayContaining(['fact_sale_lines', 'sales_velocity_1m', 'alerts', 'sales_hourly_store_sku', 'sales_daily_store']));

    const changed = await applyRetention(client, database, { ...DEFAULT_RETENTION, factDays: 90, rollupDays: 2000 });
    expect(changed.fact_sale_lines).toBe('changed from 730 to 90 days');
    expect(changed.fact_inventory_movements).toBe('changed from 730 to 90 days');
    expect(changed.sales_hourly_store_sku).toBe('changed from 1095 to 2000 days');
    expect(changed.alerts).toBe('unchanged');
    const [fact] = await rows<{ q: string }>(client, `SELECT create_table_query AS q FROM system.tables WHERE database = {db:String} AND name = 'fact_sale_lines'`, { db: database });
    expect(fact!.q).toMatch(/TTL toDateTime\(occurred_at\) \+ toIntervalDay\(90\)/);
    expect(Object.values(await applyRetention(client, database, { ...DEFAULT_RETENTION, factDays: 90, rollupDays: 2000 })).every((o) => o === 'unchanged')).toBe(true);
    await applyRetention(client, database, DEFAULT_RETENTION);
  });

  it('BI user: skipped on embedded ClickHouse, statements parse, row-policy conditions select the right stores', async () => {
    const config = testConfig();
    const bi = { user: 'bi_analyst', password: "pa'ss\\word", regions: ['France'], stores: ['S300'] };
    if (config.clickhouse.mode === 'embedded') {
      expect(await applyBiAccess(client, config.clickhouse, bi)).toMatchObject({ outcome: 'skipped' });
      // What the skip rests on: chDB refuses user management. If a chDB release allows it,
      // this fails and the BI user can be applied in embedded mode too.
      await expect(client.command({ query: 'CREATE USER IF NOT EXISTS shelfstream_probe_user' })).rejects.toThrow(/Not enough privileges/);
    }
    const tables = await storeTables(client, database);
    expect(tables).toEqual(expect.arrayContaining(['dim_store', 'fact_sale_lines', 'fact_inventory_movements', 'sales_velocity_1m', 'alerts', 'sales_daily_store_sku']));
    const statements = accessStatements(database, bi, tables);
    for (const statement of statements) await client.query({ query: `EXPLAIN AST ${statement}`, format: 'JSONEachRow' });
    expect(statements.join('\n')).toContain("'pa\\'ss\\\\word'");

    await client.insert({
      table: `${database}.dim_store`,
      format: 'JSONEachRow',
      values: [
        { store_id: 'S100', name: 'Paris', region: 'France', time_zone: 'Europe/Paris', size_class: 'LARGE', currency: 'EUR', opened_on: '2020-01-01', updated_at: '2026-01-01 00:00:00.000' },
        { store_id: 'S200', name: 'Berlin', region: 'Germany', time_zone: 'Europe/Berlin', size_class: 'LARGE', currency: 'EUR', opened_on: '2020-01-01', updated_at: '2026-01-01 00:00:00.000' },
        { store_id: 'S300', name: 'Madrid', region: 'Spain', time_zone: 'Europe/Madrid', size_class: 'LARGE', currency: 'EUR', opened_on: '2020-01-01', updated_at: '2026-01-01 00:00:00.000' },
        // S400 moved from France to Germany: its current region decides.
        { store_id: 'S400', name: 'Lille', region: 'France', time_zone: 'Europe/Paris', size_class: 'SMALL', currency: 'EUR', opened_on: '2020-01-01', updated_at: '2026-01-01 00:00:00.000' },
        { store_id: 'S400', name: 'Lille', region: 'Germany', time_zone: 'Europe/Paris', size_class: 'SMALL', currency: 'EUR', opened_on: '2020-01-01', updated_at: '2026-02-01 00:00:00.000' },
      ],
    });
    const visible = async (scope: { regions: string[]; stores: string[] }, table: string): Promise<string[]> => {
      const policy = accessStatements(database, { ...bi, ...scope }, [table]).find((s) => s.includes(`ROW POLICY`) && s.includes(`ON ${database}.${table}`));
      const stores = await rows<{ store_id: string }>(
        client,
        `SELECT DISTINCT store_id FROM ${database}.${table} FINAL WHERE (${policyCondition(policy!)}) AND store_id IN ('S100', 'S200', 'S300', 'S400') ORDER BY store_id`,
      );
      return stores.map((s) => s.store_id);
    };
    expect(await visible({ regions: ['France'], stores: ['S300'] }, 'dim_store')).toEqual(['S100', 'S300']);
    expect(await visible({ regions: ['Germany'], stores: [] }, 'dim_store')).toEqual(['S200', 'S400']);
    expect(await visible({ regions: [], stores: [] }, 'dim_store')).toEqual(['S100', 'S200', 'S300', 'S400']);
    expect(await visible({ regions: ['Nowhere'], stores: [] }, 'dim_store')).toEqual([]);

    await client.insert({
      table: `${database}.alerts`,
      format: 'JSONEachRow',
      values: ['S100', 'S200', 'S300', 'S400'].map((store, i) => ({
        alert_id: `a${i}`, state: 'RAISED', occurred_at: '2026-03-02 10:00:00.000', store_id: store, sku: null, terminal_id: null, alert_type: 'VOID_BURST',
        severity: 'WARNING', score: 1, reason: 'test', processor: 'anomaly', measures: {}, version: 1,
      })),
    });
    expect(await visible({ regions: ['France'], stores: ['S300'] }, 'alerts')).toEqual(['S100', 'S300']);
    expect(await visible({ regions: ['Germany'], stores: [] }, 'alerts')).toEqual(['S200', 'S400']);
    expect(await visible({ regions: [], stores: [] }, 'alerts')).toEqual(['S100', 'S200', 'S300', 'S400']);
  });
});
