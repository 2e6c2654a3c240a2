/**
 * The simulator against its own contract: determinism, the event contract, and ground truth
 * that agrees with the events (checked by replaying the events, not by asking the simulator).
 */
import { createHash } from 'node:crypto';
import { contractIssues } from '../../schemas/contract';
import type { InventoryMovement, PriceChanged, PromotionChanged, ReplenishmentOrdered, SaleCompleted, SaleReturned, SaleVoided, StockCounted, TerminalHeartbeat } from '../../schemas/generated/events';
import { ANOMALY_TYPES, type AnomalyLabel } from './anomalies';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../../lib/domain/time';
import { parseDay } from '../../lib/domain/calendar';
import { localPrice } from './chain';
import { type DailyDemandRow, type HourTruth, type HourlyDemandRow, type StockoutRow, CSV_HEADERS, emptyTruth, formatTruth, parseCsv } from './ground-truth';
import type { SimulationOptions } from './options';
import { PosSimulator, mergeRuns } from './simulator';
import { EVENT_TOPICS, type HourEvents, emptyEvents } from './store-sim';

interface Run {
  readonly sim: PosSimulator;
  readonly events: HourEvents;
  readonly hourly: HourlyDemandRow[];
  readonly daily: DailyDemandRow[];
  readonly stockouts: StockoutRow[];
  readonly anomalies: AnomalyLabel[];
}

function simulate(options: SimulationOptions): Run {
  const sim = new PosSimulator(options);
  const events = emptyEvents();
  const run: Run = { sim, events, hourly: [], daily: [], stockouts: [], anomalies: [] };
  const take = (t: HourTruth): void => {
    for (const r of t.hourly) run.hourly.push(r);
    for (const r of t.daily) run.daily.push(r);
    run.stockouts.push(...t.stockouts);
    run.anomalies.push(...t.anomalies);
  };
  while (!sim.done) {
    const hour = sim.nextHour();
    for (const topic of EVENT_TOPICS) for (const e of hour.events[topic]) (events[topic] as unknown[]).push(e);
    take(hour.truth);
  }
  take(sim.finish());
  return run;
}

const options = (overrides: Partial<SimulationOptions> = {}): SimulationOptions => ({
  seed: 7,
  stores: 3,
  skus: 80,
  // Two weeks over Eid al-Fitr (20 March 2026) and Europe's switch to summer time (29 March).
  window: { kind: 'days', startDay: parseDay('2026-03-16'), days: 14 },
  anomalyRate: 4,
  heartbeats: true,
  ...overrides,
});

/** Measured on commit 521df7b (before inventory.orders): event count and digest per topic, and the truth's digest. */
const PINNED = {
  truth: '4474333d1f5813d6',
  'pos.sales': '6846 0ff36f0fbc987c3c',
  'pos.returns': '54 2e3fa67a5271c503',
  'pos.voids': '292 4402638a42914a63',
  'inventory.movements': '616 c9ebe78a7cc8aeb2',
  'inventory.counts': '322 427ad1eb80359a0f',
  'pricing.prices': '9 f25579b05cfe2d50',
  'pricing.promotions': '14 f98e945f9a8057b6',
  'pos.heartbeats': '2830 60d5828776a16f02',
};

const key = (...parts: (string | number)[]): string => parts.join('|');

describe('POS simulator', () => {
  let run: Run;
  beforeAll(() => {
    run = simulate(options());
  });

  const sales = (): SaleCompleted[] => run.events['pos.sales'];
  const storeOf = (storeId: string) => run.sim.chain.stores.find((s) => s.store.store_id === storeId)!;
  const productOf = (sku: string) => run.sim.chain.products.find((p) => p.product.sku === sku)!;

  describe('determinism', () => {
    const small = (seed: number, storeIndices?: number[]): Run =>
      simulate(options({ seed, stores: 3, skus: 30, window: { kind: 'days', startDay: parseDay('2026-06-01'), days: 3 }, ...(storeIndices ? { storeIndices } : {}) }));

    it('gives the same events and ground truth for the same seed, others for another', () => {
      const a = small(42);
      const b = small(42);
      const c = small(43);
      expect(JSON.stringify(b.events)).toBe(JSON.stringify(a.events));
      expect(JSON.stringify([b.hourly, b.daily, b.stockouts, b.anomalies])).toBe(JSON.stringify([a.hourly, a.daily, a.stockouts, a.anomalies]));
      expect(a.events['pos.sales'].length).toBeGreaterThan(100);
      expect(JSON.stringify(c.events['pos.sales'])).not.toBe(JSON.stringify(a.events['pos.sales']));
    });

    it('gives a store the same events whichever shard simulates it', () => {
      const all = small(42);
      const alone = small(42, [1]);
      const only = (r: Run): unknown[] => EVENT_TOPICS.flatMap((t) => (r.events[t] as { store_id: string }[]).filter((e) => e.store_id === 'S002'));
      expect(only(alone).length).toBeGreaterThan(0);
      expect(JSON.stringify(only(alone))).toBe(JSON.stringify(only(all)));
    });
  });

  // Figures of this run taken before replenishment orders were published (commit 521df7b):
  // adding an event type must not move a single draw of the model, so the ground truth and the
  // events of every topic that existed then stay byte for byte what they were.
  it('keeps the ground truth and the events of the older topics byte for byte', () => {
    const digest = (value: unknown): string => createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16);
    const older = ['pos.sales', 'pos.returns', 'pos.voids', 'inventory.movements', 'inventory.counts', 'pricing.prices', 'pricing.promotions', 'pos.heartbeats'] as const;
    // Purchase order ids carry the day they were placed on (orderIdOf) instead of a count per
    // store since then: mapped back to that count (the n-th order a store placed was PO-<store>-n),
    // the RECEIPT movements' reference_id is what it was, so the movements are the pinned bytes.
    const legacyIds = new Map<string, string>();
    const placedByStore = new Map<string, number>();
    for (const o of run.events['inventory.orders'] as ReplenishmentOrdered[]) {
      const n = (placedByStore.get(o.store_id) ?? 0) + 1;
      placedByStore.set(o.store_id, n);
      legacyIds.set(o.order_id, `PO-${o.store_id}-${n}`);
    }
    const withLegacyIds = (events: readonly InventoryMovement[]): InventoryMovement[] =>
      events.map((m) => (m.reference_id !== null && legacyIds.has(m.reference_id) ? { ...m, reference_id: legacyIds.get(m.reference_id)! } : m));
    const pinnedForm = (t: (typeof older)[number]): unknown => (t === 'inventory.movements' ? withLegacyIds(run.events[t] as InventoryMovement[]) : run.events[t]);
    const figures = {
      truth: digest([run.hourly, run.daily, run.stockouts, run.anomalies]),
      ...Object.fromEntries(older.map((t) => [t, `${run.events[t].length} ${digest(pinnedForm(t))}`])),
    };
    expect(figures).toEqual(PINNED);
    expect(legacyIds.size).toBeGreaterThan(50);
  });

  it('gives every purchase order an id of its store and day, unique across runs of other days', () => {
    const orders = run.events['inventory.orders'] as ReplenishmentOrdered[];
    expect(new Set(orders.map((o) => o.order_id)).size).toBe(orders.length);
    for (const o of orders) {
      // The store's local day: the order is placed at the nightly review, within a day of its UTC instant.
      const stamp = new RegExp(`^PO-${o.store_id}-(\\d{4})(\\d{2})(\\d{2})-\\d+$`).exec(o.order_id);
      expect(stamp).not.toBeNull();
      const [, y, m, d] = stamp!;
      expect(Math.abs(Date.UTC(Number(y), Number(m) - 1, Number(d)) - new Date(o.occurred_at).getTime())).toBeLessThan(2 * DAY_MS);
    }
    // A run of the next two weeks (as a realtime run after this backfill) places no order of the same id.
    const later = simulate(options({ window: { kind: 'days', startDay: parseDay('2026-03-30'), days: 14 } }));
    const ids = new Set(orders.map((o) => o.order_id));
    const laterOrders = later.events['inventory.orders'] as ReplenishmentOrdered[];
    expect(laterOrders.length).toBeGreaterThan(50);
    expect(laterOrders.filter((o) => ids.has(o.order_id))).toEqual([]);
  });

  it('emits only events that satisfy the contract', () => {
    const now = run.sim.end + DAY_MS;
    const failures: string[] = [];
    for (const topic of EVENT_TOPICS) {
      expect(run.events[topic].length).toBeGreaterThan(0);
      for (const event of run.events[topic]) {
        const issues = contractIssues(topic, event, now);
        if (issues.length > 0 && failures.length < 5) failures.push(`${topic}: ${JSON.stringify(issues)} in ${JSON.stringify(event)}`);
      }
    }
    const master = run.sim.masterData();
    for (const topic of ['md.stores', 'md.products', 'md.exchange-rates'] as const) {
      expect(master[topic].length).toBeGreaterThan(0);
      for (const record of master[topic]) {
        const issues = contractIssues(topic, record, now);
        if (issues.length > 0 && failures.length < 5) failures.push(`${topic}: ${JSON.stringify(issues)}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('emits each store’s events in event-time order', () => {
    for (const topic of EVENT_TOPICS) {
      const last = new Map<string, number>();
      for (const e of run.events[topic] as { store_id: string; occurred_at: number }[]) {
        expect(e.occurred_at).toBeGreaterThanOrEqual(last.get(e.store_id) ?? 0);
        last.set(e.store_id, e.occurred_at);
      }
    }
  });

  it('counts what it emits', () => {
    for (const topic of EVENT_TOPICS) expect(run.sim.counts[topic]).toBe(run.events[topic].length);
  });

  describe('ground truth', () => {
    it('has the units of the sale events per store x SKU x hour', () => {
      const fromEvents = new Map<string, number>();
      for (const s of sales()) {
        const hour = Math.floor(s.occurred_at / HOUR_MS) * HOUR_MS;
        for (const l of s.lines) fromEvents.set(key(s.store_id, l.sku, hour), (fromEvents.get(key(s.store_id, l.sku, hour)) ?? 0) + l.quantity);
      }
      const fromTruth = new Map(run.hourly.filter((r) => r.sold > 0).map((r) => [key(r.store_id, r.sku, r.hour_start), r.sold]));
      expect(fromTruth.size).toBeGreaterThan(1000);
      expect(fromTruth).toEqual(fromEvents);
    });

    it('splits demand into sold and lost, never below zero, hourly and daily', () => {
      for (const r of [...run.hourly, ...run.daily]) {
        expect(r.sold + r.lost).toBe(r.demand);
        expect(Math.min(r.sold, r.lost, r.on_hand)).toBeGreaterThanOrEqual(0);
      }
      for (const r of run.daily) expect(r.book_on_hand).toBeGreaterThanOrEqual(0);
      expect(run.hourly.some((r) => r.lost > 0)).toBe(true);
    });

    it('sums hourly demand into the daily rows of the store’s local date', () => {
      const byDay = new Map<string, { demand: number; sold: number; expected: number }>();
      for (const r of run.hourly) {
        const day = run.sim.model.clock(storeOf(r.store_id)).localDay(r.hour_start);
        const k = key(r.store_id, r.sku, day);
        const acc = byDay.get(k) ?? { demand: 0, sold: 0, expected: 0 };
        acc.demand += r.demand;
        acc.sold += r.sold;
        byDay.set(k, acc);
      }
      expect(run.daily.length).toBe(3 * 80 * 14);
      for (const d of run.daily) {
        const acc = byDay.get(key(d.store_id, d.sku, parseDay(d.date))) ?? { demand: 0, sold: 0 };
        expect([d.demand, d.sold]).toEqual([acc.demand, acc.sold]);
      }
    });

    it('moves the book on_hand exactly as the events say', () => {
      // Replaying the events a store system sees: sales, restocked returns, stock movements.
      const deltas = new Map<string, number>();
      const add = (storeId: string, sku: string, at: number, delta: number): void => {
        const k = key(storeId, sku, run.sim.model.clock(storeOf(storeId)).localDay(at));
        deltas.set(k, (deltas.get(k) ?? 0) + delta);
      };
      for (const s of sales()) for (const l of s.lines) add(s.store_id, l.sku, s.occurred_at, -l.quantity);
      for (const r of run.events['pos.returns'] as SaleReturned[]) for (const l of r.lines) if (l.restockable) add(r.store_id, l.sku, r.occurred_at, l.quantity);
      for (const m of run.events['inventory.movements'] as InventoryMovement[]) add(m.store_id, m.sku, m.occurred_at, m.quantity_delta);
      const book = new Map<string, number>();
      let checked = 0;
      for (const d of run.daily) {
        const previous = book.get(key(d.store_id, d.sku));
        if (previous !== undefined) {
          expect(d.book_on_hand - previous).toBe(deltas.get(key(d.store_id, d.sku, parseDay(d.date))) ?? 0);
          checked++;
        }
        book.set(key(d.store_id, d.sku), d.book_on_hand);
      }
      expect(checked).toBe(3 * 80 * 13);
    });

    it('has stock-out intervals exactly where on_hand is 0', () => {
      const intervals = new Map<string, StockoutRow[]>();
      for (const i of run.stockouts) {
        expect(i.end).toBeGreaterThan(i.start);
        intervals.set(key(i.store_id, i.sku), [...(intervals.get(key(i.store_id, i.sku)) ?? []), i]);
      }
      expect(run.stockouts.length).toBeGreaterThan(10);
      // No sale while the shelf is empty (the basket that took the last unit sells at `start`).
      for (const s of sales()) {
        for (const l of s.lines) {
          const inside = (intervals.get(key(s.store_id, l.sku)) ?? []).find((i) => s.occurred_at > i.start && s.occurred_at < i.end);
          expect(inside).toBeUndefined();
        }
      }
      // An interval ends when units arrive: a delivery or a restocked return at that instant.
      const arrivals = new Set<string>();
      for (const m of run.events['inventory.movements'] as InventoryMovement[]) if (m.quantity_delta > 0) arrivals.add(key(m.store_id, m.sku, m.occurred_at));
      for (const r of run.events['pos.returns'] as SaleReturned[]) for (const l of r.lines) if (l.restockable) arrivals.add(key(r.store_id, l.sku, r.occurred_at));
      for (const i of run.stockouts) if (!i.censored) expect(arrivals.has(key(i.store_id, i.sku, i.end))).toBe(true);
      // At every local midnight, on_hand is 0 exactly when an interval spans that instant.
      for (const d of run.daily) {
        const dayEnd = run.sim.model.clock(storeOf(d.store_id)).localMidnight(parseDay(d.date) + 1);
        const covering = (intervals.get(key(d.store_id, d.sku)) ?? []).some((i) => i.start < dayEnd && i.end >= dayEnd);
        expect([d.date, d.on_hand === 0]).toEqual([d.date, covering]);
      }
      // Demand is lost only in an hour touched by a stock-out.
      for (const r of run.hourly.filter((h) => h.lost > 0)) {
        const touched = (intervals.get(key(r.store_id, r.sku)) ?? []).some((i) => i.start < r.hour_start + HOUR_MS && i.end > r.hour_start);
        expect(touched).toBe(true);
      }
    });

    it('simulates the documented demand model, anomalies and promotions included', () => {
      const promotions = run.events['pricing.promotions'] as PromotionChanged[];
      const ends = new Map(promotions.filter((p) => p.phase === 'ENDED').map((p) => [p.promotion_id, p.occurred_at]));
      const promotionAt = (storeId: string, sku: string, at: number): number =>
        promotions.find((p) => p.phase === 'STARTED' && p.store_id === storeId && p.skus.includes(sku) && p.starts_at <= at && at < (ends.get(p.promotion_id) ?? Infinity))?.discount_percent ?? 0;
      const anomalyAt = (storeId: string, sku: string, at: number): number =>
        run.anomalies.find((a) => (a.type === 'DEMAND_SPIKE' || a.type === 'DEMAND_DROP') && a.store_id === storeId && a.sku === sku && a.start <= at && at < a.end)?.magnitude ?? 1;
      let promoted = 0;
      for (const r of run.hourly) {
        const percent = promotionAt(r.store_id, r.sku, r.hour_start);
        if (percent > 0) promoted++;
        const mean = run.sim.model.factors(storeOf(r.store_id), productOf(r.sku), r.hour_start, percent, anomalyAt(r.store_id, r.sku, r.hour_start)).mean;
        expect(r.expected).toBeCloseTo(mean, 9);
      }
      expect(promoted).toBeGreaterThan(0);
    });

    it('writes and reads back the CSV format', () => {
      const truth = emptyTruth();
      const rows = run.hourly.slice(0, 50);
      for (const r of rows) truth.hourly.push(r.store_id, r.sku, r.hour_start, r.expected, r.demand, r.sold, r.lost, r.on_hand);
      truth.stockouts.push(...run.stockouts.slice(0, 3));
      const bytes = formatTruth(truth);
      const text = (b: Uint8Array): string => Buffer.from(b).toString();
      expect(parseCsv(`${CSV_HEADERS.hourly}\n${text(bytes.hourly)}`)).toEqual(rows.map((r) => ({ ...r, hour_start: new Date(r.hour_start).toISOString(), expected: Math.round(r.expected * 10_000) / 10_000 })));
      const stockouts = parseCsv(`${CSV_HEADERS.stockouts}\n${text(bytes.stockouts)}`);
      expect(stockouts).toEqual(run.stockouts.slice(0, 3).map((s) => ({ ...s, start: new Date(s.start).toISOString(), end: new Date(s.end).toISOString() })));
    });
  });

  describe('anomalies', () => {
    const of = (type: AnomalyLabel['type']): AnomalyLabel[] => run.anomalies.filter((a) => a.type === type);

    it('labels every type with a store, a SKU or a terminal, and a time range', () => {
      for (const type of ANOMALY_TYPES) expect(of(type).length).toBeGreaterThan(0);
      for (const a of run.anomalies) {
        expect(a.end).toBeGreaterThan(a.start);
        expect(storeOf(a.store_id)).toBeDefined();
        expect(a.type === 'VOID_BURST' ? a.terminal_id : a.sku).toBeTruthy();
      }
    });

    it('shows a void burst at its terminal', () => {
      const voids = run.events['pos.voids'] as SaleVoided[];
      const beats = run.events['pos.heartbeats'] as TerminalHeartbeat[];
      let visible = 0;
      for (const a of of('VOID_BURST')) {
        const at = (e: { store_id: string; terminal_id: string; occurred_at: number }): boolean => e.store_id === a.store_id && e.terminal_id === a.terminal_id && e.occurred_at >= a.start && e.occurred_at < a.end;
        const openHours = beats.filter(at).length; // one heartbeat per terminal per open hour
        if (openHours === 0) continue;
        visible++;
        const burst = voids.filter(at);
        expect(burst.length).toBeGreaterThanOrEqual(0.5 * a.magnitude * openHours);
        expect(burst.every((v) => v.supervisor_id === null)).toBe(true);
      }
      expect(visible).toBeGreaterThan(0);
      // Outside bursts a terminal voids rarely: well under one void per open hour.
      const inBurst = (v: SaleVoided): boolean => of('VOID_BURST').some((a) => a.store_id === v.store_id && a.terminal_id === v.terminal_id && v.occurred_at >= a.start && v.occurred_at < a.end);
      expect(voids.filter((v) => !inBurst(v)).length).toBeLessThan(0.1 * beats.length);
    });

    it('rings wrong prices only during a price error, and shelf prices otherwise', () => {
      // Shelf price: the catalogue's, in the store's currency, then each PriceChanged.
      const changes = run.events['pricing.prices'] as PriceChanged[];
      const shelf = (storeId: string, sku: string, at: number): number => {
        let price = localPrice(productOf(sku).product.price, storeOf(storeId).region);
        for (const c of changes) if (c.store_id === storeId && c.sku === sku && c.effective_at <= at) price = c.new_price;
        return price;
      };
      let wrong = 0;
      for (const s of sales()) {
        for (const l of s.lines) {
          const error = of('PRICE_ERROR').find((a) => a.store_id === s.store_id && a.sku === l.sku && s.occurred_at >= a.start && s.occurred_at < a.end);
          const expected = error ? Math.max(1, Math.round(shelf(s.store_id, l.sku, s.occurred_at) * error.magnitude)) : shelf(s.store_id, l.sku, s.occurred_at);
          expect(l.unit_price).toBe(expected);
          if (error) wrong++;
        }
      }
      expect(wrong).toBeGreaterThan(0);
    });

    it('hides phantom inventory from the books until a count or a delivery', () => {
      const counts = run.events['inventory.counts'] as StockCounted[];
      const movements = run.events['inventory.movements'] as InventoryMovement[];
      for (const a of of('PHANTOM_INVENTORY')) {
        // Nothing sells while the shelf is secretly empty...
        const sold = sales().some((s) => s.store_id === a.store_id && s.occurred_at > a.start && s.occurred_at < a.end && s.lines.some((l) => l.sku === a.sku));
        expect(sold).toBe(false);
        // ...a stock-out nobody could see opens (the books still show stock)...
        const hidden = run.stockouts.find((i) => i.store_id === a.store_id && i.sku === a.sku && i.start <= a.start && i.end >= a.start);
        expect(hidden).toBeDefined();
        expect(hidden!.book_on_hand_at_start).toBeGreaterThan(0);
        // ...until a count finds the truth and corrects the books, or goods arrive.
        if (a.ended_by === 'count') {
          expect(counts.find((c) => c.store_id === a.store_id && c.sku === a.sku && c.occurred_at === a.end)?.on_hand).toBe(0);
          expect(movements.find((m) => m.store_id === a.store_id && m.sku === a.sku && m.occurred_at === a.end && m.movement_type === 'COUNT_CORRECTION')!.quantity_delta).toBeLessThan(0);
        } else if (a.ended_by === 'receipt') {
          expect(movements.some((m) => m.store_id === a.store_id && m.sku === a.sku && m.occurred_at === a.end && m.movement_type === 'RECEIPT')).toBe(true);
        }
      }
      expect(of('PHANTOM_INVENTORY').some((a) => a.ended_by === 'count')).toBe(true);
    });

    it('shows demand spikes and drops in the true demand', () => {
      for (const type of ['DEMAND_SPIKE', 'DEMAND_DROP'] as const) {
        let expected = 0;
        let demand = 0;
        for (const a of of(type)) {
          for (const r of run.hourly) {
            if (r.store_id === a.store_id && r.sku === a.sku && r.hour_start >= a.start && r.hour_start < a.end) {
              expected += r.expected;
              demand += r.demand;
            }
          }
        }
        if (type === 'DEMAND_SPIKE') expect(demand).toBeGreaterThan(0);
        // The draws follow the raised or lowered mean (loosely: counts are noisy).
        expect(demand).toBeLessThanOrEqual(3 * expected + 10);
        expect(demand).toBeGreaterThanOrEqual(expected / 3 - 10);
      }
    });
  });

  it('also runs cycle counts, shrink, deliveries, returns and price changes', () => {
    const movements = run.events['inventory.movements'] as InventoryMovement[];
    for (const type of ['RECEIPT', 'SHRINK', 'COUNT_CORRECTION'] as const) expect(movements.some((m) => m.movement_type === type)).toBe(true);
    expect(movements.filter((m) => m.movement_type === 'SHRINK').every((m) => m.quantity_delta < 0)).toBe(true);
    const returns = run.events['pos.returns'] as SaleReturned[];
    const transactions = new Set(sales().map((s) => key(s.store_id, s.transaction_id)));
    for (const r of returns) if (r.original_transaction_id) expect(transactions.has(key(r.store_id, r.original_transaction_id))).toBe(true);
    // Returns and voids stay rare: under 2% of sales each, outside void bursts.
    expect(returns.length / sales().length).toBeLessThan(0.02);
    const phases = new Set((run.events['pricing.promotions'] as PromotionChanged[]).map((p) => p.phase));
    expect([...phases].sort()).toEqual(['ENDED', 'STARTED']);
    expect(run.events['pricing.prices'].length).toBeGreaterThan(0);
    // Multi-line baskets.
    const lines = sales().map((s) => s.lines.length);
    expect(Math.max(...lines)).toBeGreaterThan(5);
    expect(lines.reduce((a, b) => a + b, 0) / lines.length).toBeGreaterThan(1.5);
  });
});

describe('replenishment orders', () => {
  // Germany (closed on Sundays, on Good Friday and Easter Monday), Morocco (its clock goes back
  // to UTC+1 after Ramadan) and the UAE, over Eid al-Fitr, the switch to summer time and Easter 2026.
  let run: Run;
  let orders: Map<string, ReplenishmentOrdered>;
  let receipts: InventoryMovement[];
  /** store_id -> local days on which it sold anything: its open days, as the sales events show them. */
  const openDays = new Map<string, Set<number>>();
  const localDay = (storeId: string, at: number): number => run.sim.model.clock(run.sim.stores.find((s) => s.storeId === storeId)!.profile).localDay(at);
  beforeAll(() => {
    run = simulate(options({ seed: 2, stores: 3, skus: 60, window: { kind: 'days', startDay: parseDay('2026-03-16'), days: 24 }, anomalyRate: 1, heartbeats: false }));
    orders = new Map((run.events['inventory.orders'] as ReplenishmentOrdered[]).map((o) => [o.order_id, o]));
    receipts = (run.events['inventory.movements'] as InventoryMovement[]).filter((m) => m.movement_type === 'RECEIPT');
    for (const s of run.events['pos.sales'] as SaleCompleted[]) (openDays.get(s.store_id) ?? openDays.set(s.store_id, new Set()).get(s.store_id)!).add(localDay(s.store_id, s.occurred_at));
  });
  const nextOpenDay = (storeId: string, from: number): number => {
    let d = from;
    while (!openDays.get(storeId)!.has(d)) d++;
    return d;
  };

  it('announces every delivery before it comes: a RECEIPT at the planned slot, or on the next open day when late', () => {
    expect(orders.size).toBe(run.events['inventory.orders'].length); // one event per order
    expect(receipts.length).toBeGreaterThan(300);
    let late = 0;
    for (const m of receipts) {
      const o = orders.get(m.reference_id!)!;
      expect(o).toMatchObject({ store_id: m.store_id, sku: m.sku });
      expect(o.occurred_at).toBeLessThan(m.occurred_at);
      expect(m.quantity_delta).toBeLessThanOrEqual(o.quantity); // some arrive short
      const lag = m.occurred_at - o.expected_delivery_at;
      expect(lag).toBeGreaterThanOrEqual(0);
      // The receipts of one morning are stamped a second apart from the slot.
      if (lag < 15 * MINUTE_MS) continue;
      late++;
      // Late: a day later, or the next day the store opened after that.
      expect({ order: o.order_id, received: localDay(m.store_id, m.occurred_at) }).toEqual({ order: o.order_id, received: nextOpenDay(m.store_id, localDay(m.store_id, o.expected_delivery_at) + 1) });
    }
    // 10% of orders are late (binomial bounds for a few hundred receipts).
    expect(late / receipts.length).toBeGreaterThan(0.04);
    expect(late / receipts.length).toBeLessThan(0.18);
    expect(new Set(receipts.map((m) => m.reference_id)).size).toBe(receipts.length); // one receipt per order
  });

  it('plans a delivery for the day the lead time gives, or the next open day when the store is closed then', () => {
    let moved = 0;
    for (const o of orders.values()) {
      const due = localDay(o.store_id, o.occurred_at) + o.lead_time_days;
      const planned = localDay(o.store_id, o.expected_delivery_at);
      if (planned >= localDay(o.store_id, run.sim.end)) continue; // after the run: its open days are not known
      expect({ order: o.order_id, planned }).toEqual({ order: o.order_id, planned: nextOpenDay(o.store_id, due) });
      if (planned > due) moved++;
    }
    expect(moved).toBeGreaterThan(10); // Sundays and Easter were met
  });

  it('leaves only orders due after the end of the run without a receipt', () => {
    const received = new Set(receipts.map((m) => m.reference_id));
    const open = [...orders.values()].filter((o) => !received.has(o.order_id));
    expect(open.length).toBeGreaterThan(0);
    // Late and across a closed day at most: three days after the planned slot.
    for (const o of open) expect(o.expected_delivery_at).toBeGreaterThan(run.sim.end - 3 * DAY_MS);
  });
});

describe('exchange rates', () => {
  const ratesOf = (startDay: string, days: number) =>
    new PosSimulator({ ...options({ window: { kind: 'days', startDay: parseDay(startDay), days } }) }).masterData()['md.exchange-rates'];

  it('quotes every currency of the chain against the euro on every day of the run, from the master-data day on', () => {
    const rates = ratesOf('2026-03-16', 14);
    const days = [...new Set(rates.map((r) => r.rate_date))].sort((a, b) => a - b);
    // The master data is stamped the day before the first day; the store furthest west (New
    // York, UTC-4 then) closes its 14th local day, 29 March, at 04:00 UTC on 30 March.
    expect(days[0]).toBe(parseDay('2026-03-15'));
    expect(days.at(-1)).toBe(parseDay('2026-03-30'));
    expect(days).toHaveLength(16);
    for (const day of days) {
      expect(rates.filter((r) => r.rate_date === day).map((r) => r.currency).sort()).toEqual(['AED', 'EUR', 'GBP', 'MAD', 'TRY', 'USD']);
    }
    expect(rates.filter((r) => r.currency === 'EUR').every((r) => r.rate === 1 && r.base_currency === 'EUR')).toBe(true);
  });

  it('drifts from day to day near the fixed shelf-price rate', () => {
    const rates = ratesOf('2026-03-16', 14).filter((r) => r.currency === 'GBP').sort((a, b) => a.rate_date - b.rate_date);
    const moves = rates.slice(1).map((r, i) => r.rate / rates[i]!.rate - 1);
    expect(moves.filter((m) => m !== 0).length).toBe(moves.length);
    // A daily sigma of 0.4%: no day moves by 3%, and the walk stays within 10% of 0.85.
    expect(Math.max(...moves.map(Math.abs))).toBeLessThan(0.03);
    for (const r of rates) expect(Math.abs(r.rate / 0.85 - 1)).toBeLessThan(0.1);
  });

  it('gives a day the same rate whatever the window of the run', () => {
    const long = ratesOf('2026-03-10', 30);
    const short = ratesOf('2026-03-20', 3);
    const key = (r: { currency: string; rate_date: number }) => `${r.currency}|${r.rate_date}`;
    const longRates = new Map(long.map((r) => [key(r), r.rate]));
    expect(short.length).toBeGreaterThan(0);
    for (const r of short) expect(r.rate).toBe(longRates.get(key(r)));
  });
});

describe('simulation options', () => {
  it('reports every invalid option at once', () => {
    expect(() => new PosSimulator({ seed: -1, stores: 0, skus: 10, window: { kind: 'days', startDay: parseDay('2031-01-01'), days: 1 }, anomalyRate: 1, heartbeats: true })).toThrow(
      /seed must be.*stores must be.*start 2031-01-01 is outside 2024-01-01 to 2030-12-31/,
    );
    expect(() => new PosSimulator({ seed: 1, stores: 1, skus: 1, window: { kind: 'days', startDay: parseDay('2030-12-30'), days: 5 }, anomalyRate: 1, heartbeats: true })).toThrow(/days must be a whole number from 1 to 2/);
  });
});

describe('mergeRuns', () => {
  it('merges sorted runs into the stable sort of the whole list', () => {
    let seed = 7;
    const next = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    for (let trial = 0; trial < 200; trial++) {
      const runs = 1 + next(12);
      const list: { occurred_at: number; id: number }[] = [];
      const starts: number[] = [];
      for (let r = 0; r < runs; r++) {
        starts.push(list.length);
        const times = Array.from({ length: next(6) }, () => next(20)).sort((a, b) => a - b);
        for (const t of times) list.push({ occurred_at: t, id: list.length });
      }
      const expected = [...list].sort((a, b) => a.occurred_at - b.occurred_at); // Array.sort is stable
      expect(mergeRuns([...list], starts).map((e) => e.id)).toEqual(expected.map((e) => e.id));
    }
  });

  it('leaves a single run alone and treats what precedes the first start as a run', () => {
    const one = [{ occurred_at: 1 }, { occurred_at: 2 }];
    expect(mergeRuns(one, [0, 2, 2])).toBe(one);
    expect(mergeRuns([{ occurred_at: 5 }, { occurred_at: 1 }], [1]).map((e) => e.occurred_at)).toEqual([1, 5]);
  });
});
