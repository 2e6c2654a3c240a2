/**
 * The closed loop is closed: from the loop's first day, every purchase order the simulated
 * stores place is an advice row ShelfStream wrote, and every advice row with units to order is
 * an order. Both sides are read back on their own: the advice with a plain query on ClickHouse
 * (reorder_recommendation, not the endpoint the stores read through), the orders from the
 * simulator's ground truth; the orders' events, through the warehouse's rows, are the
 * replenishment facts.
 *
 * The stores read their advice through the SQL endpoint (ClickHouse's HTTP interface) in the
 * embedded mode, or from the ClickHouse server's own HTTP interface with CLICKHOUSE_URL. The
 * forecaster is the 28-day moving average (a baseline of the forecast job, through the same
 * predict code): what is proved here is the loop, not the model, and training one per test would
 * take minutes.
 */
import { parseDay } from '../../lib/domain/calendar';
import { movingAverage } from '../../services/forecast/baselines';
import { AdminExecutor, startSqlEndpoint } from '../../services/sql';
import type { AdviceEndpoint } from '../../simulators/pos/advice-reader';
import { runClosedLoop } from '../../simulators/quality/closed-loop';
import { registerCleanup, testClickHouse, testConfig, testLogger } from '../harness/fixtures';

const START = parseDay('2026-03-02');
const DAYS = 24;
/** 17 days of the stores' own ordering first: every sku is counted by then (14-day cycle), so its books are known. */
const LOOP_FROM = START + 17;

describe('closed loop', () => {
  it("places exactly the advice ShelfStream wrote, store, sku, day and quantity, from the loop's first day", async () => {
    const config = testConfig();
    const { client, database } = await testClickHouse(config);
    let endpoint: AdviceEndpoint;
    if (config.clickhouse.mode === 'embedded') {
      const executor = new AdminExecutor({ dataDir: config.clickhouse.dataDir, defaultDatabase: database, sessionTimeoutS: 60 });
      const served = await startSqlEndpoint({ config: { sqlEndpoint: { ...config.sqlEndpoint, port: 0 } }, logger: testLogger(), executor });
      registerCleanup(async () => {
        await served.close();
        await executor.close();
      });
      endpoint = { url: served.url };
    } else {
      endpoint = { url: config.clickhouse.url, user: config.clickhouse.user, password: config.clickhouse.password, database };
    }

    const run = await runClosedLoop(client, database, {
      simulation: { seed: 5, stores: 3, skus: 24, window: { kind: 'days', startDay: START, days: DAYS }, anomalyRate: 1, heartbeats: false },
      loopFromDay: LOOP_FROM,
      forecasterFor: () => Promise.resolve({ forecaster: movingAverage, version: 'moving_average' }),
      endpoint,
      // the chain's nightly advice run: every store reviews then, one predict a night serves them all
      nightlyRunUtcHour: 4,
      calendar: { from: '2026-01-01', to: '2026-06-30' },
    });

    const ask = async <T>(query: string): Promise<T[]> => (await client.query({ query, format: 'JSONEachRow' })).json<T>();
    const advised = await ask<{ store_id: string; sku: string; as_of_date: string; order_quantity: string }>(
      `SELECT store_id, sku, toString(as_of_date) AS as_of_date, order_quantity FROM ${database}.reorder_recommendation FINAL WHERE order_quantity > 0`,
    );
    const advice = advised.map((r) => `${r.store_id}/${r.sku}/${r.as_of_date}/${Number(r.order_quantity)}`).sort();
    const loopOrders = run.orders.filter((o) => parseDay(o.date) >= LOOP_FROM);
    const orders = loopOrders.map((o) => `${o.store_id}/${o.sku}/${o.date}/${o.quantity}`).sort();
    // Not vacuous: the loop ran on most of its days in every store and ordered.
    expect(new Set(loopOrders.map((o) => `${o.store_id}/${o.date}`)).size).toBeGreaterThanOrEqual(3 * 4);
    expect(orders.length).toBeGreaterThan(30);
    expect(advice).toEqual(orders);
    // one chain-wide predict per night of the loop, not one per store
    expect(run.predicts).toBeLessThanOrEqual(DAYS - (LOOP_FROM - START));
    // No advice before the loop: the history's orders were the stores' own.
    expect(advised.every((r) => parseDay(r.as_of_date) >= LOOP_FROM)).toBe(true);
    expect(run.orders.some((o) => parseDay(o.date) < LOOP_FROM)).toBe(true);

    // The advice protects each series over its own supplier's lead time: the one its orders
    // announced (ground truth: planned delivery day - order day), not the chain default.
    const leadOf = new Map(run.orders.map((o) => [`${o.store_id}/${o.sku}`, parseDay(o.planned_date) - parseDay(o.date)]));
    const leads = await ask<{ store_id: string; sku: string; lead_time_days: number }>(`SELECT store_id, sku, lead_time_days FROM ${database}.reorder_recommendation FINAL`);
    const known = leads.filter((r) => leadOf.has(`${r.store_id}/${r.sku}`));
    expect(known.length).toBeGreaterThan(leads.length / 2);
    for (const r of known) expect(`${r.store_id}/${r.sku} ${Number(r.lead_time_days)}`).toBe(`${r.store_id}/${r.sku} ${leadOf.get(`${r.store_id}/${r.sku}`)}`);
    // ...and orders whole cases (the simulator's packs), once two different quantities of the sku were seen
    const packOf = new Map(run.sim.chain.products.map((p) => [p.product.sku, p.casePack]));
    const wholeCases = loopOrders.filter((o) => o.quantity % packOf.get(o.sku)! === 0).length;
    expect(wholeCases / loopOrders.length).toBeGreaterThan(0.9);

    // Every order, own and advised, reached the facts as the event the store published.
    const facts = await ask<{ order_id: string; quantity: string }>(`SELECT order_id, quantity FROM ${database}.fact_replenishment_orders FINAL`);
    expect(facts.map((f) => `${f.order_id}/${Number(f.quantity)}`).sort()).toEqual(run.orders.map((o) => `${o.order_id}/${o.quantity}`).sort());
  });
});
