/**
 * bi_promotion_uplift on a small simulated run, against the simulator itself: the units and
 * baselines of every promotion x sku recomputed here from the sale events (independently of
 * the SQL), and the uplift set against the effect the simulator applied, (1 - discount)^-elasticity
 * of the product's category (simulators/README.md), through its ground truth: the expected
 * demand of each hour, which carries that factor during a promotion and not in the weeks before.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { fillCalendar } from '../../clickhouse/calendar';
import { migrate } from '../../clickhouse/migrate';
import type { PromotionChanged, SaleCompleted } from '../../schemas/generated/events';
import type { Row } from '../../streams/runtime/processor';
import { warehouseRows } from '../../streams/warehouse/warehouse';
import { HOUR_MS } from '../../lib/domain/time';
import { parseDay } from '../../lib/domain/calendar';
import type { HourlyDemandRow } from '../../simulators/pos/ground-truth';
import { PosSimulator } from '../../simulators/pos/simulator';
import { testClickHouse } from '../harness/fixtures';

const WEEK = 7 * 86_400_000;

interface UpliftRow {
  store_id: string;
  promotion_id: string;
  sku: string;
  discount_percent: number;
  started_at: string;
  ended_at: string;
  units_during: number;
  baseline_weeks: number;
  baseline_units: number | null;
  uplift: number | null;
}

describe('bi_promotion_uplift on a simulated run', () => {
  let client: ClickHouseClient;
  let database: string;
  let sim: PosSimulator;
  const sales: SaleCompleted[] = [];
  const promotions: PromotionChanged[] = [];
  const hourly: HourlyDemandRow[] = [];

  beforeAll(async () => {
    ({ client, database } = await testClickHouse());
    await migrate(client, database);
    await fillCalendar(client, database, '2026-04-01', '2026-06-30');
    // Five weeks, no anomalies (a demand spike in a baseline week is not a promotion's doing).
    sim = new PosSimulator({ seed: 5, stores: 4, skus: 120, window: { kind: 'days', startDay: parseDay('2026-04-20'), days: 35 }, anomalyRate: 0, heartbeats: false });
    const tables = new Map<string, Row[]>();
    const out = { emit: (table: string, row: Row) => void (tables.get(table) ?? tables.set(table, []).get(table)!).push(row), publish: () => undefined, deliver: () => undefined };
    const master = sim.masterData();
    for (const p of master['md.products']) warehouseRows('md.products', p, 0, out);
    let offset = 0;
    while (!sim.done) {
      const hour = sim.nextHour();
      for (const s of hour.events['pos.sales']) {
        sales.push(s);
        warehouseRows('pos.sales', s, offset++, out);
      }
      for (const p of hour.events['pricing.promotions']) {
        promotions.push(p);
        warehouseRows('pricing.promotions', p, offset++, out);
      }
      for (const r of hour.truth.hourly) if (r.lost > 0) hourly.push(r);
    }
    for (const r of sim.finish().hourly) if (r.lost > 0) hourly.push(r);
    for (const [table, values] of tables) await client.insert({ table: `${database}.${table}`, values, format: 'JSONEachRow' });
  }, 300_000);

  it('counts the units of each promotion and of the same hours of the weeks before it, as the sale events say', async () => {
    const view = await client.query({ query: `SELECT * FROM ${database}.bi_promotion_uplift ORDER BY store_id, promotion_id, sku`, format: 'JSONEachRow' });
    const rows = await view.json<UpliftRow>();
    const started = promotions.filter((p) => p.phase === 'STARTED');
    expect(rows.length).toBe(started.reduce((n, p) => n + p.skus.length, 0));
    expect(rows.length).toBeGreaterThan(20);

    const firstSale = new Map<string, number>();
    for (const s of sales) if (s.occurred_at < (firstSale.get(s.store_id) ?? Infinity)) firstSale.set(s.store_id, s.occurred_at);
    const unitsIn = (store: string, sku: string, from: number, to: number): number =>
      sales.reduce((n, s) => (s.store_id === store && s.occurred_at >= from && s.occurred_at < to ? n + s.lines.reduce((m, l) => (l.sku === sku ? m + l.quantity : m), 0) : n), 0);
    let withBaseline = 0;
    for (const r of rows) {
      const start = started.find((p) => p.store_id === r.store_id && p.promotion_id === r.promotion_id)!;
      const end = promotions.find((p) => p.phase === 'ENDED' && p.promotion_id === r.promotion_id)?.occurred_at ?? Math.min(start.ends_at, Date.now());
      expect(Date.parse(`${r.started_at}Z`)).toBe(start.occurred_at);
      expect(Date.parse(`${r.ended_at}Z`)).toBe(end);
      expect(r.units_during).toBe(unitsIn(r.store_id, r.sku, start.occurred_at, end));
      const firstWeek = Math.ceil((end - start.occurred_at) / WEEK);
      const weeks = [0, 1, 2, 3].map((k) => firstWeek + k).filter((w) => start.occurred_at - w * WEEK >= firstSale.get(r.store_id)!);
      expect(r.baseline_weeks).toBe(weeks.length);
      if (weeks.length === 0) {
        expect(r.baseline_units).toBeNull();
        continue;
      }
      withBaseline++;
      const base = weeks.reduce((n, w) => n + unitsIn(r.store_id, r.sku, start.occurred_at - w * WEEK, end - w * WEEK), 0) / weeks.length;
      expect(r.baseline_units).toBeCloseTo(base, 9);
      if (base > 0) expect(r.uplift).toBeCloseTo(r.units_during / base, 9);
      else expect(r.uplift).toBeNull();
    }
    expect(withBaseline).toBeGreaterThan(10);
  });

  it('finds the uplift the simulator applied, (1 - discount)^-elasticity, in its expected demand and, pooled, in the units sold plus those the empty shelves lost', async () => {
    // Promotions still running when the run stopped are left out: their window reaches past the
    // simulated time, where nobody shops.
    const view = await client.query({
      query: `SELECT * FROM ${database}.bi_promotion_uplift WHERE baseline_weeks > 0 AND NOT is_running ORDER BY store_id, promotion_id, sku`,
      format: 'JSONEachRow',
    });
    const rows = await view.json<UpliftRow>();
    // The model's mean demand of an hour (what the ground truth's `expected` is, for every hour,
    // not only the hours in which someone came), with whatever promotion ran then.
    const ends = new Map(promotions.filter((p) => p.phase === 'ENDED').map((p) => [p.promotion_id, p.occurred_at]));
    const percentAt = (store: string, sku: string, at: number): number =>
      promotions.find((p) => p.phase === 'STARTED' && p.store_id === store && p.skus.includes(sku) && p.occurred_at <= at && at < (ends.get(p.promotion_id) ?? Infinity))?.discount_percent ?? 0;
    const expectedIn = (store: string, sku: string, from: number, to: number): number => {
      const storeProfile = sim.chain.stores.find((x) => x.store.store_id === store)!;
      const productProfile = sim.chain.products.find((x) => x.product.sku === sku)!;
      let sum = 0;
      // Whole hours inside the window: a promotion starts and ends inside an hour.
      for (let h = Math.ceil(from / HOUR_MS) * HOUR_MS; h + HOUR_MS <= to; h += HOUR_MS) sum += sim.model.factors(storeProfile, productProfile, h, percentAt(store, sku, h), 1).mean;
      return sum;
    };
    // Units customers wanted but could not buy (the shelf was empty), from the ground truth, by
    // the hour the loss happened in.
    const lostIn = (store: string, sku: string, from: number, to: number): number =>
      hourly.reduce((n, h) => (h.store_id === store && h.sku === sku && h.hour_start >= from && h.hour_start < to ? n + h.lost : n), 0);

    let sold = 0;
    let soldBase = 0;
    let wanted = 0;
    let wantedBase = 0;
    let appliedWeighted = 0;
    let expectedBase = 0;
    let expectedDuring = 0;
    let close = 0;
    const report: string[] = [];
    for (const r of rows) {
      const product = sim.chain.products.find((p) => p.product.sku === r.sku)!;
      const applied = Math.pow(1 - r.discount_percent / 100, -product.category.elasticity);
      const start = Date.parse(`${r.started_at}Z`);
      const end = Date.parse(`${r.ended_at}Z`);
      const firstWeek = Math.ceil((end - start) / WEEK);
      const weeks = Array.from({ length: r.baseline_weeks }, (_, k) => firstWeek + k);
      const during = expectedIn(r.store_id, r.sku, start, end);
      const base = weeks.reduce((n, w) => n + expectedIn(r.store_id, r.sku, start - w * WEEK, end - w * WEEK), 0) / weeks.length;
      // The truth's own uplift: the model's mean over the promotion against the same hours weeks
      // before. Weekdays and hours cancel; season and holidays move it a little off the factor.
      const truthUplift = during / base;
      if (Math.abs(truthUplift / applied - 1) < 0.1) close++;
      report.push(`${r.promotion_id} ${r.sku} -${r.discount_percent}% applied ${applied.toFixed(2)} truth ${truthUplift.toFixed(2)} view ${r.uplift?.toFixed(2) ?? 'n/a'}`);
      const lostBase = weeks.reduce((n, w) => n + lostIn(r.store_id, r.sku, start - w * WEEK, end - w * WEEK), 0) / weeks.length;
      sold += r.units_during;
      soldBase += r.baseline_units!;
      wanted += r.units_during + lostIn(r.store_id, r.sku, start, end);
      wantedBase += r.baseline_units! + lostBase;
      appliedWeighted += applied * base;
      expectedBase += base;
      expectedDuring += during;
    }
    expect(close / rows.length).toBeGreaterThanOrEqual(0.9);
    // Pooled over every promotion x sku (single ones are a handful of Poisson draws): the view's
    // units plus the sales the empty shelves lost, against the applied factors weighted by each
    // baseline's expected demand. Units sold alone rise less: a promotion empties shelves.
    const pooledSold = sold / soldBase;
    const pooledWanted = wanted / wantedBase;
    const pooledApplied = appliedWeighted / expectedBase;
    process.stderr.write(
      `promotion uplift: ${rows.length} promotion x sku with a baseline, ${close} with the truth's uplift within 10% of the applied factor; ` +
        `sums: sold ${sold} / ${soldBase.toFixed(1)}, wanted ${wanted} / ${wantedBase.toFixed(1)}, expected ${expectedDuring.toFixed(1)} / ${expectedBase.toFixed(1)}; ` +
        `pooled: units sold ${pooledSold.toFixed(3)}, sold + lost ${pooledWanted.toFixed(3)}, applied ${pooledApplied.toFixed(3)}\n${report.join('\n')}\n`,
    );
    expect(pooledSold).toBeGreaterThan(1);
    expect(Math.abs(pooledWanted / pooledApplied - 1)).toBeLessThan(0.15);
  });
});
