import type { Alert } from '../../schemas/generated/events';
import { PosSimulator } from '../../simulators/pos/simulator';
import { MemorySink } from '../runtime/memory-sink';
import type { InputRecord } from '../runtime/processor';
import { TestDriver } from '../runtime/test-driver';
import { UPGRADE_STORE } from './legacy-snapshot';
import { DAY_MS, HOUR_MS } from './risk';
import { inMemoryStore } from '../runtime/state-store';
import { KEY_STORE, PROMOTIONS_TOPIC, STOCKOUT_RISK_TABLE, STOCK_INPUTS, STORE_STORE, StockTask, stockProcessor, type KeySnapshot, type PromotionOptions, type StockInput, type StoreSnapshot } from './stock';

const monday = Date.UTC(2026, 0, 5);

/** A little stream builder: offsets per topic, as Kafka would give them. */
class Stream {
  readonly records: InputRecord[] = [];
  private readonly next = new Map<string, number>();
  add(topic: StockInput, value: Record<string, unknown>): void {
    const offset = this.next.get(topic) ?? 0;
    this.next.set(topic, offset + 1);
    this.records.push({ topic, partition: 0, offset, key: 'S1', timestamp: 0, value: { store_id: 'S1', event_id: `e-${topic}-${offset}`, ...value } });
  }
  sale(at: number, units: number, promotionId: string | null = null): void {
    this.add('pos.sales', { occurred_at: at, lines: [{ line_number: 1, sku: 'A', quantity: units, unit_price: 100, discount: 0, promotion_id: promotionId }] });
  }
  /** Another sku's sale: a store selling much more than 'A' keeps the store's hour-of-week shape to itself. */
  otherSale(at: number, units: number): void {
    this.add('pos.sales', { occurred_at: at, lines: [{ line_number: 1, sku: 'B', quantity: units, unit_price: 100, discount: 0, promotion_id: null }] });
  }
  promotion(at: number, id: string, phase: 'STARTED' | 'ENDED', discountPercent: number, startsAt: number, endsAt: number): void {
    this.add(PROMOTIONS_TOPIC, { occurred_at: at, promotion_id: id, phase, skus: ['A'], discount_percent: discountPercent, starts_at: startsAt, ends_at: endsAt });
  }
  receipt(at: number, units: number, po: string): void {
    this.add('inventory.movements', { occurred_at: at, sku: 'A', movement_type: 'RECEIPT', quantity_delta: units, reason: 'supplier delivery', reference_id: po, unit_cost: 50 });
  }
  count(at: number, onHand: number): void {
    this.add('inventory.counts', { occurred_at: at, sku: 'A', on_hand: onHand, counted_by: 'E1' });
  }
  order(at: number, po: string, expectedAt: number, leadDays: number): void {
    this.add('inventory.orders', { occurred_at: at, sku: 'A', order_id: po, quantity: 24, expected_delivery_at: expectedAt, lead_time_days: leadDays });
  }
}

function alertsOf(sink: MemorySink): Alert[] {
  return sink.events.map((e) => e.value as Alert);
}

describe('StockTask alerts', () => {
  // Deliveries every 5 days at 08:00 bring 50 units; 10 units sell a day at 12:00 and 16:00.
  // One cycle is short (the third delivery brings 5), so the books run dry before the next.
  function story(): Stream {
    const s = new Stream();
    s.count(monday + 7 * HOUR_MS, 20);
    for (let d = 0; d < 20; d++) {
      const day = monday + d * DAY_MS;
      if (d % 5 === 0) s.receipt(day + 8 * HOUR_MS, d === 10 ? 5 : 50, `PO-${d}`);
      s.sale(day + 12 * HOUR_MS, 5);
      s.sale(day + 16 * HOUR_MS, 5);
    }
    return s;
  }

  it('warns before the books run dry, raises one alert per situation and resolves it when a delivery comes', () => {
    const task = new StockTask(0);
    const sink = new MemorySink();
    for (const r of story().records) task.process(r, sink);
    const alerts = alertsOf(sink);
    const risk = alerts.filter((a) => a.alert_type === 'STOCKOUT_RISK');
    const out = alerts.filter((a) => a.alert_type === 'OUT_OF_STOCK');
    // Books by hand: 20 + 50 at day 0, -10 a day: 20 after day 4 and again after day 9 (day 5
    // brought 50); day 10 brings only 5: 25, 15, 5, and 0 at day 12 12:00 (sale offset 24). Day
    // 15 brings 50 back (25 after the sales of days 12-14), which runs dry at day 17 12:00 (offset 34).
    expect(out.map((a) => [a.state, a.occurred_at])).toEqual([
      ['RAISED', monday + 12 * DAY_MS + 12 * HOUR_MS],
      ['RESOLVED', monday + 15 * DAY_MS + 8 * HOUR_MS],
      ['RAISED', monday + 17 * DAY_MS + 12 * HOUR_MS],
    ]);
    expect(out[0]!.alert_id).toBe('stock:OUT_OF_STOCK:S1:A:pos.sales/0/24');
    // The short delivery makes the stock-out likely before it happens: the risk alert is
    // raised before day 12 12:00, and resolved by the day 15 delivery at the latest.
    const firstRisk = risk.find((a) => a.state === 'RAISED' && a.occurred_at >= monday + 10 * DAY_MS)!;
    expect(firstRisk.occurred_at).toBeLessThan(monday + 12 * DAY_MS + 12 * HOUR_MS);
    const resolved = risk.find((a) => a.alert_id === firstRisk.alert_id && a.state === 'RESOLVED')!;
    expect(resolved.occurred_at).toBeLessThanOrEqual(monday + 15 * DAY_MS + 8 * HOUR_MS);
    const open = new Set<string>();
    for (const a of risk) {
      if (a.state === 'RAISED') {
        expect(open.size).toBe(0); // never two open for one sku
        open.add(a.alert_id);
      } else {
        expect(open.has(a.alert_id)).toBe(true);
        open.delete(a.alert_id);
      }
    }
  });

  it('raises OUT_OF_STOCK once when the books reach zero and resolves it on the receipt', () => {
    const s = new Stream();
    s.count(monday + 7 * HOUR_MS, 12);
    for (let d = 0; d < 4; d++) {
      s.sale(monday + d * DAY_MS + 12 * HOUR_MS, 3); // 12 units gone after day 3
      s.sale(monday + d * DAY_MS + 13 * HOUR_MS, 0);
    }
    s.receipt(monday + 5 * DAY_MS + 8 * HOUR_MS, 30, 'PO-1');
    const task = new StockTask(0);
    const sink = new MemorySink();
    for (const r of s.records) task.process(r, sink);
    const out = alertsOf(sink).filter((a) => a.alert_type === 'OUT_OF_STOCK');
    expect(out.map((a) => a.state)).toEqual(['RAISED', 'RESOLVED']);
    expect(out[0]!.alert_id).toBe(out[1]!.alert_id);
    expect(out[0]!.occurred_at).toBe(monday + 3 * DAY_MS + 12 * HOUR_MS);
  });

  it('does not raise a stock-out risk while the books are unknown (no count yet)', () => {
    const s = new Stream();
    for (let d = 0; d < 10; d++) s.sale(monday + d * DAY_MS + 12 * HOUR_MS, 5);
    const task = new StockTask(0);
    const sink = new MemorySink();
    for (const r of s.records) task.process(r, sink);
    expect(sink.events).toHaveLength(0);
  });
});

describe('StockTask deliveries from replenishment orders', () => {
  const at = (d: number, h: number, m = 0): number => monday + d * DAY_MS + h * HOUR_MS + m * 60_000;

  it('expects the open order, an overdue one the next morning, and with none a reorder at the next review', () => {
    const s = new Stream();
    s.count(at(0, 7), 50);
    s.sale(at(0, 12), 2);
    s.order(at(0, 20), 'PO-1', at(2, 6, 15), 2); // Monday's review: due Wednesday morning
    s.sale(at(1, 12), 2);
    s.sale(at(2, 10), 2); // Wednesday, PO-1 not received yet
    s.receipt(at(2, 10, 30), 24, 'PO-1');
    s.sale(at(2, 12), 2);
    const task = new StockTask(0);
    const sink = new MemorySink();
    const expectedAfter = (offset: number): string => {
      const rows = sink.rowsOf(STOCKOUT_RISK_TABLE);
      return String(rows[rows.length - 1]!.next_delivery_expected_at) + ` after record ${offset}`;
    };
    const seen: string[] = [];
    s.records.forEach((r, i) => {
      task.process(r, sink);
      task.punctuate(sink);
      if (i >= 3) seen.push(expectedAfter(i));
    });
    const iso = (ms: number): string => new Date(ms).toISOString();
    expect(seen).toEqual([
      // Tuesday noon: PO-1 (Wednesday 06:15) comes before a reorder at Tuesday's review (Thursday).
      `${iso(at(2, 6, 15))} after record 3`,
      // Wednesday 10:00, PO-1 overdue: the next receiving slot, Thursday 06:15.
      `${iso(at(3, 6, 15))} after record 4`,
      // Received; then no open order: Wednesday's review at 20:00 plus 2 days, Friday 06:15.
      `${iso(at(4, 6, 15))} after record 5`,
      `${iso(at(4, 6, 15))} after record 6`,
    ]);
  });
});

describe('stock on the runtime state stores (crash, restart, replay)', () => {
  const NOW = monday + 60 * DAY_MS; // the wall clock after every simulated event

  /** Simulated events of a small chain, per input topic, in time order. */
  function simulatedEvents(days: number): Map<StockInput, { key: string; value: unknown }[]> {
    const sim = new PosSimulator({ seed: 11, stores: 2, skus: 30, window: { kind: 'days', startDay: Math.floor(monday / DAY_MS), days }, anomalyRate: 1, heartbeats: false });
    const events = new Map<StockInput, { key: string; value: unknown }[]>(STOCK_INPUTS.map((t) => [t, []]));
    while (!sim.done) {
      const hour = sim.nextHour();
      for (const topic of STOCK_INPUTS) for (const value of hour.events[topic]) events.get(topic)!.push({ key: (value as { store_id: string }).store_id, value });
    }
    return events;
  }

  /** Every event in the broker first (a catch-up), then processed, restarting after each crash. */
  async function run(driver: TestDriver, events: Map<StockInput, { key: string; value: unknown }[]>): Promise<void> {
    await driver.pipeAll([...events].map(([topic, records]) => ({ topic, partition: 0, records })));
    for (;;) {
      await driver.flush();
      if (!driver.crashed) return;
      await driver.restart();
    }
  }

  /** Small flushes: many durable points to crash at. Nothing piped to md.stores or md.products: no holiday calendars (demand-calendar.ts). */
  const options = { startMs: NOW, batchSize: 50, maxBufferedRows: 150, flushIntervalMs: 3_600_000 };

  const alertIds = (driver: TestDriver): string[] => [...new Set(driver.publishedValues('shelfstream.alerts').map((a) => `${(a as Alert).alert_id}/${(a as Alert).state}`))].sort();

  it('ends on the same rows and alerts after a crash at any point as a clean run', async () => {
    const events = simulatedEvents(8);
    const clean = new TestDriver(stockProcessor(), options);
    await run(clean, events);
    const cleanRows = clean.finalRows(STOCKOUT_RISK_TABLE, ['store_id', 'sku']);
    expect(cleanRows.length).toBeGreaterThan(20);
    expect(alertIds(clean).length).toBeGreaterThan(0);
    const byKey = (rows: readonly Record<string, unknown>[]): Map<string, unknown> => new Map(rows.map((r) => [`${String(r.store_id)}/${String(r.sku)}`, r]));
    const points = clean.effects.length;
    // About 25 points spread over the run: rows, alerts, snapshots and commits each land last somewhere.
    for (let point = 1; point < points; point += Math.max(1, Math.floor(points / 25))) {
      const driver = new TestDriver(stockProcessor(), options);
      driver.crashAfterEffects(point);
      await run(driver, events);
      expect({ point, rows: byKey(driver.finalRows(STOCKOUT_RISK_TABLE, ['store_id', 'sku'])) }).toEqual({ point, rows: byKey(cleanRows) });
      expect({ point, alerts: alertIds(driver) }).toEqual({ point, alerts: alertIds(clean) });
      expect(driver.deadLetters()).toEqual(clean.deadLetters());
    }
  });

  it('upgrades from the stock_state table of earlier versions once, applying nothing twice', async () => {
    const events = simulatedEvents(6);
    const clean = new TestDriver(stockProcessor(), options);
    await run(clean, events);
    // An earlier version's snapshot after the first half, built by hand in its format: the books
    // and offsets of the clean run's state at that point, written as stock_state rows.
    const sales = events.get('pos.sales')!;
    const cut = (sales[Math.floor(sales.length / 2)]!.value as { occurred_at: number }).occurred_at;
    const half = new Map<StockInput, { key: string; value: unknown }[]>([...events].map(([t, l]) => [t, l.filter((e) => (e.value as { occurred_at: number }).occurred_at < cut)]));
    const first = new TestDriver(stockProcessor(), options);
    await run(first, half);
    const legacyRows: { store_id: string; sku: string; state: string }[] = [];
    for (const [key, value] of (await first.state.loadStore('stock', 0, KEY_STORE)).entries) {
      const k = value as KeySnapshot;
      const [storeId, sku] = key.split('\u0000');
      // Per-key offsets as the old scheme kept them: the last record of each topic applied (the half's last here).
      const last = Object.fromEntries(STOCK_INPUTS.map((t) => [t, half.get(t)!.length - 1]));
      legacyRows.push({ store_id: storeId!, sku: sku!, state: JSON.stringify({ ...k, storeId: undefined, sku: undefined, last }) });
    }
    for (const [storeId, value] of (await first.state.loadStore('stock', 0, STORE_STORE)).entries) {
      legacyRows.push({ store_id: storeId, sku: '', state: JSON.stringify({ ...(value as object), lastSalesOffset: half.get('pos.sales')!.length - 1 }) });
    }
    // The upgraded process: same group as production, no snapshot of its own, committed offsets
    // one batch behind the old snapshot (a crash between the two).
    const upgraded = new TestDriver(stockProcessor(), { ...options, group: 'shelfstream.stock', query: async <T>() => legacyRows as T[] });
    for (const [topic, list] of half) upgraded.setCommitted(topic, 0, Math.max(0, list.length - 20));
    await run(upgraded, events);
    const byKey = (rows: readonly Record<string, unknown>[]): Map<string, unknown> => new Map(rows.map((r) => [`${String(r.store_id)}/${String(r.sku)}`, r]));
    expect(byKey(upgraded.finalRows(STOCKOUT_RISK_TABLE, ['store_id', 'sku']))).toEqual(byKey(clean.finalRows(STOCKOUT_RISK_TABLE, ['store_id', 'sku'])));
    // Its floor is saved: a crash before its next snapshot covers it would not apply anything twice.
    expect((await upgraded.state.loadStore('shelfstream.stock', 0, UPGRADE_STORE)).entries).toEqual([['floor', Object.fromEntries([...half].map(([t, l]) => [t, l.length]))]]);
  });
});

describe('StockTask promotions (pricing.promotions)', () => {
  const at = (d: number, h: number, m = 0): number => monday + d * DAY_MS + h * HOUR_MS + m * 60_000;

  /**
   * 40 units counted, 10 units a day (5 at 12:00 and 5 at 16:00) for ten days with a delivery
   * due far away, then (when `promote`) a promotion at 50% off over the next days. The last
   * row's expected units until the delivery are compared with and without it.
   */
  function story(promote: boolean, before?: (s: Stream) => void): Stream {
    const s = new Stream();
    s.count(at(0, 7), 400);
    before?.(s);
    for (let d = 0; d < 10; d++) {
      s.sale(at(d, 12), 5);
      s.sale(at(d, 16), 5);
    }
    // An open order due in 30 days: the horizon is the whole promotion.
    s.order(at(9, 20), 'PO-1', at(40, 6), 30);
    if (promote) s.promotion(at(10, 7, 50), 'P2', 'STARTED', 50, at(10, 7, 50), at(60, 7, 50));
    s.sale(at(10, 12), 5);
    return s;
  }

  function lastRow(s: Stream, promotions?: PromotionOptions): Record<string, unknown> {
    const task = new StockTask(0, promotions ? { promotions } : {});
    const sink = new MemorySink();
    for (const r of s.records) task.process(r, sink);
    task.punctuate(sink);
    const rows = sink.rowsOf(STOCKOUT_RISK_TABLE).filter((r) => r.sku === 'A');
    return rows[rows.length - 1]!;
  }

  it('expects the uplift given over a promotion running through the whole horizon', () => {
    const given: PromotionOptions = { use: true, boostDemand: true, deflateRate: false, upliftOf: () => 3 };
    const plain = lastRow(story(false), given).expected_units_to_delivery as number;
    const promoted = lastRow(story(true), given).expected_units_to_delivery as number;
    expect(plain).toBeGreaterThan(100);
    // The promotion covers the horizon from its start to the delivery: every expected unit times 3.
    expect(promoted / plain).toBeCloseTo(3, 2);
    // Not read at all: the rolling rate alone, as before promotions were an input.
    expect(lastRow(story(true), { ...given, use: false }).expected_units_to_delivery).toBe(plain);
  });

  it('learns the uplift from what an earlier promotion sold over what the rate expected', () => {
    // Ten regular days, then four days of promotion at 50% off selling twice as much (20 a day),
    // ended: 80 sold where the rate (10 a day, the same hours every day) expected a little over
    // 40: the store's shape (B's 100 a day and A's) folded three of the promoted days, 113 units
    // a day instead of 110 once blended at 0.3, so the 4 days hold 70 x 449 / 779 = 40.3. The
    // learned log uplift at 50% is ln 2 x beta: unshrunk log2(80 / 40.3) = 0.99, and the prior
    // pulls the store's toward 0 (ln 2 (80 - 40.3 x 2^beta) = k beta, k = priorUnits x ln(1/0.8)^2
    // = 1.0: 0.964) and the category's toward the store's (= k (beta - 0.964): 0.988), an uplift
    // of 2^0.988 = 1.98.
    const first = (s: Stream): void => {
      s.count(at(-15, 7), 400);
      for (let d = -14; d < 11; d++) {
        s.otherSale(at(d, 12), 50);
        s.otherSale(at(d, 16), 50);
      }
      for (let d = -14; d < -4; d++) {
        s.sale(at(d, 12), 5);
        s.sale(at(d, 16), 5);
      }
      s.promotion(at(-4, 7, 50), 'P1', 'STARTED', 50, at(-4, 7, 50), at(0, 7, 50));
      for (let d = -4; d < 0; d++) {
        s.sale(at(d, 12), 10, 'P1');
        s.sale(at(d, 16), 10, 'P1');
      }
      s.promotion(at(0, 7, 50), 'P1', 'ENDED', 50, at(-4, 7, 50), at(0, 7, 50));
    };
    const learned: PromotionOptions = { use: true, boostDemand: true, deflateRate: false };
    const build = (promote: boolean): Stream => {
      const s = story(promote, first);
      // The count first, as every story has it: move it before the earlier days.
      s.records.sort((a, b) => (a.value as { occurred_at: number }).occurred_at - (b.value as { occurred_at: number }).occurred_at);
      return s;
    };
    const ratio = (lastRow(build(true), learned).expected_units_to_delivery as number) / (lastRow(build(false), learned).expected_units_to_delivery as number);
    expect(ratio).toBeGreaterThan(1.9);
    expect(ratio).toBeLessThan(2);
  });

  it('restores from a snapshot taken before promotions were an input, keeping the books and rates', () => {
    const s = story(false);
    const full = lastRow(s);
    // The first half, snapshotted; its store and key records stripped of what older versions lacked.
    const keys = inMemoryStore<KeySnapshot>();
    const stores = inMemoryStore<StoreSnapshot>();
    const half = s.records.length - 3;
    const first = new StockTask(0, {}, { keys, stores, applied: () => false });
    const sink = new MemorySink();
    for (const r of s.records.slice(0, half)) first.process(r, sink);
    first.punctuate(sink);
    for (const [id, k] of keys.entries()) {
      const { promotion: _p, ...older } = k;
      keys.put(id, older);
    }
    for (const [id, st] of stores.entries()) {
      const { promotions: _b, uplift: _u, ...older } = st;
      stores.put(id, older);
    }
    const restored = new StockTask(0, {}, { keys, stores, applied: () => false });
    const rest = new MemorySink();
    for (const r of s.records.slice(half)) restored.process(r, rest);
    restored.punctuate(rest);
    const rows = rest.rowsOf(STOCKOUT_RISK_TABLE);
    expect(rows[rows.length - 1]).toEqual(full);
  });
});
