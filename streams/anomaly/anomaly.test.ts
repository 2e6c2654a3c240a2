import { randomUUID } from 'node:crypto';
import type { Alert, SaleCompleted, SaleVoided } from '../../schemas/generated/events';
import { MemorySink } from '../runtime/memory-sink';
import type { InputRecord } from '../runtime/processor';
import { PosSimulator } from '../../simulators/pos/simulator';
import { TestDriver } from '../runtime/test-driver';
import { ANOMALIES_TABLE, ANOMALY_INPUTS, AnomalyTask, anomalyProcessor } from './anomaly';
import { forgetPromotionsBefore, notePromotion, promotionAt } from './promotions';
import { inMemoryAnomalyState } from './state';
import { BookHistory } from './book-history';
import { ewUpdate, emptySeries, expectedUnits, hourOfWeek, nbLogP0, nbLogRatio, nbLogSurvival, nbLogSurvivalRatio, poissonUpperLog10 } from './baseline';
import { dropDecision, emptyEvidence, isPhantomCandidate, isPriceError, isVoidBurst, phantomDecision, spikeDecision, stepCensored, stepDemand, stepSilence } from './detectors';
import { LocalClock } from './local-time';

const MONDAY = Date.UTC(2026, 1, 2, 0, 0, 0); // 2026-02-02 was a Monday

describe('baselines', () => {
  it('numbers the hours of the week from Monday 00:00 UTC', () => {
    expect(hourOfWeek(MONDAY)).toBe(0);
    expect(hourOfWeek(MONDAY + 59 * 60_000)).toBe(0);
    expect(hourOfWeek(MONDAY + 25 * 3_600_000)).toBe(25);
    expect(hourOfWeek(MONDAY - 3_600_000)).toBe(167); // Sunday 23:00
  });

  it('averages exactly until 1/alpha observations, then weights the new one by alpha', () => {
    expect(ewUpdate(0, 0, 4, 0.1)).toBe(4);
    expect(ewUpdate(4, 1, 2, 0.1)).toBe(3); // (4 + 2) / 2
    expect(ewUpdate(4, 20, 2, 0.1)).toBeCloseTo(3.8, 12); // 4 + 0.1 x (2 - 4)
  });

  it("shrinks a slot toward the series' level x the store's hour-of-week shape", () => {
    const store = emptySeries();
    store.level = 10;
    store.slotMean[5] = 20;
    store.slotN[5] = 1; // shape 2 in slot 5
    const series = emptySeries();
    series.level = 2; // prior 2 x 2 = 4
    series.slotMean[5] = 6;
    series.slotN[5] = 8; // weight 8 / (8 + 8) = 0.5
    expect(expectedUnits(series, store, 5)).toBeCloseTo(5, 12);
    series.slotN[5] = 0; // no history in the slot: the prior alone
    expect(expectedUnits(series, store, 5)).toBeCloseTo(4, 12);
  });

  it('computes negative-binomial and Poisson tails by hand', () => {
    expect(nbLogP0(2, 2)).toBeCloseTo(2 * Math.log(0.5), 12);
    expect(nbLogRatio(0, 2, 2, 3)).toBeCloseTo(2 * Math.log(4 / 8), 12);
    expect(nbLogRatio(6, 2, 2, 3)).toBeCloseTo(6 * Math.log(1.5) + 2 * Math.log(0.5), 12);
    // P(X >= 2 | 1) = 1 - e^-1 - e^-1
    expect(poissonUpperLog10(2, 1)).toBeCloseTo(Math.log10(1 - 2 * Math.exp(-1)), 10);
  });
});

describe('local hours of the week', () => {
  it("numbers a store's slots in its own time zone, daylight-saving time included", () => {
    const newYork = new LocalClock('America/New_York');
    // Monday 2026-02-02 09:00 in New York is 14:00 UTC (UTC-5): slot 9.
    expect(hourOfWeek(newYork.local(Date.UTC(2026, 1, 2, 14)))).toBe(9);
    // Monday 2026-03-09 09:00, after the change of 8 March, is 13:00 UTC (UTC-4): slot 9 again.
    expect(hourOfWeek(newYork.local(Date.UTC(2026, 2, 9, 13)))).toBe(9);
    expect(hourOfWeek(Date.UTC(2026, 2, 9, 13))).toBe(13); // in UTC the slot would have moved
    expect(new LocalClock('Not/AZone').timeZone).toBe('UTC');
  });
});

describe('censored hours (the shelf ran empty)', () => {
  it('reads a negative-binomial tail by hand: size 1 is geometric, P(X >= x) = q^x', () => {
    // k = 1, mu = 3: q = 3/4.
    expect(nbLogSurvival(4, 3, 1)).toBeCloseTo(4 * Math.log(0.75), 9);
    expect(nbLogSurvival(0, 3, 1)).toBe(0);
    // Demand x3 makes selling at least 4 more likely: (9/10)^4 against (3/4)^4.
    expect(nbLogSurvivalRatio(4, 3, 1, 3)).toBeCloseTo(4 * Math.log(0.9 / 0.75), 9);
    expect(nbLogSurvivalRatio(0, 3, 1, 3)).toBe(0); // selling nothing of an empty shelf says nothing
  });

  it('lets a sell-out add to a spike and clears drop and silence evidence', () => {
    const e = emptyEvidence();
    for (let h = 0; h < 6; h++) stepDemand(e, 0, 2, 2);
    expect(e.drop).toBeGreaterThan(0);
    expect(e.zeroHours).toBe(6);
    stepCensored(e, 0, 2, 2);
    expect(e).toMatchObject({ spike: 0, drop: 0, zeroHours: 0, zeroExpected: 0 });
    stepCensored(e, 8, 2, 2);
    expect(e.spike).toBeCloseTo(nbLogSurvival(8, 6, 2) - nbLogSurvival(8, 2, 2), 9);
  });

  it('finds the lowest the books stood in a span, whatever order counts and deltas arrive in', () => {
    const books = new BookHistory();
    books.applyDelta(4_000, -1);
    books.applyCount(5_000, 30); // read ahead of the rest
    books.applyDelta(3_000, 24); // delivered
    books.applyDelta(2_000, -5); // sold out
    books.applyCount(1_000, 5);
    books.applyDelta(1_000, 7); // a correction stamped with its count: covered by it
    expect(books.levelAt(500)).toBeUndefined(); // before the first count
    expect(books.levelAt(2_500)).toBe(0);
    expect(books.levelAt(4_500)).toBe(23);
    expect(books.levelAt(5_000)).toBe(30);
    expect(books.lowest(1_500, 4_500)).toBe(0);
    expect(books.lowest(3_500, 4_500)).toBe(23);
    expect(books.lowest(0, 1_500)).toBe(5); // from the first count on
    expect(BookHistory.fromJSON(books.toJSON()).lowest(1_500, 4_500)).toBe(0);
    expect(new BookHistory().lowest(0, 1)).toBeUndefined();
    // Before any count: the books hold at least what was received less what was sold.
    const uncounted = new BookHistory();
    uncounted.applyDelta(1_000, 291);
    uncounted.applyDelta(2_000, -40);
    expect(uncounted.levelAt(2_500)).toBeUndefined();
    expect(uncounted.atLeast(2_500)).toBe(251);
    uncounted.forgetBefore(1_500);
    expect(uncounted.atLeast(2_500)).toBe(251);
  });

  it('leaves a drop made of one silence to phantom inventory, and raises none on empty books', () => {
    const e = emptyEvidence();
    stepDemand(e, 1, 2, 2);
    for (let h = 0; h < 12; h++) stepDemand(e, 0, 2, 2);
    expect(e.drop).toBeGreaterThanOrEqual(9);
    expect(isPhantomCandidate(e, { known: true, onHand: 20 })).toBe(true);
    expect(dropDecision(e, false, { known: true, onHand: 20 })).toBeUndefined();
    expect(dropDecision(e, false, { known: true, onHand: 0 })).toBeUndefined();
    stepDemand(e, 1, 2, 2); // a sale: customers buy, only less
    stepDemand(e, 0, 2, 2);
    expect(isPhantomCandidate(e, { known: true, onHand: 20 })).toBe(false);
    expect(dropDecision(e, false, { known: true, onHand: 20 })).toBe('raise');
  });
});

describe('hours on promotion', () => {
  it('knows by event time whether an hour was on promotion, whatever was read since', () => {
    const changes: [number, boolean][] = [];
    notePromotion(changes, 1_000, false); // regular: no change from the default
    notePromotion(changes, 2_000, true);
    notePromotion(changes, 3_000, true);
    notePromotion(changes, 5_000, false);
    notePromotion(changes, 4_000, true); // slightly out of order
    expect(changes).toEqual([[2_000, true], [4_000, true], [5_000, false]]);
    expect(promotionAt(changes, 1_500)).toBe(false);
    expect(promotionAt(changes, 2_500)).toBe(true);
    expect(promotionAt(changes, 6_000)).toBe(false);
    forgetPromotionsBefore(changes, 4_500);
    expect(changes).toEqual([[4_000, true], [5_000, false]]);
  });

  it('still counts a silence towards phantom inventory, and clears spikes and drops', () => {
    const e = emptyEvidence();
    stepDemand(e, 12, 2, 2);
    stepSilence(e, 0, 2, 2);
    stepSilence(e, 0, 2, 2);
    expect(e).toMatchObject({ spike: 0, drop: 0, zeroHours: 2, zeroExpected: 4 });
    expect(e.zeroLogP0).toBeCloseTo(2 * nbLogP0(2, 2), 12);
  });
});

describe('detectors', () => {
  it('raises a spike once the CUSUM passes its threshold and resolves it only after the evidence decays (hysteresis)', () => {
    // mu = 2, k = 2: 12 units add 12 ln 1.5 + 2 ln 0.5 = 3.479 nats; 2 units add -0.575.
    const e = emptyEvidence();
    stepDemand(e, 12, 2, 2);
    stepDemand(e, 12, 2, 2);
    expect(spikeDecision(e, false)).toBeUndefined(); // 6.96 < 10
    stepDemand(e, 12, 2, 2);
    expect(e.spike).toBeCloseTo(3 * (12 * Math.log(1.5) + 2 * Math.log(0.5)), 9);
    expect(spikeDecision(e, false)).toBe('raise'); // 10.44 >= 10
    expect(e.spikeRun).toMatchObject({ hours: 3, observed: 36, expected: 6 });
    const down = 2 * Math.log(1.5) + 2 * Math.log(0.5);
    for (let h = 1; h <= 13; h++) {
      stepDemand(e, 2, 2, 2);
      expect(spikeDecision(e, true)).toBeUndefined(); // still above 10 x 0.25 = 2.5
    }
    stepDemand(e, 2, 2, 2);
    expect(e.spike).toBeCloseTo(3 * (12 * Math.log(1.5) + 2 * Math.log(0.5)) + 14 * down, 9); // 2.39
    expect(spikeDecision(e, true)).toBe('resolve');
  });

  it('raises phantom inventory on a long improbable silence with stock on the books, not on an empty book', () => {
    // Each hour with mu = 2, k = 2 and no sale has P(0) = 1/4: 10 hours give 10^-6.02.
    const e = emptyEvidence();
    for (let h = 0; h < 9; h++) stepDemand(e, 0, 2, 2);
    expect(phantomDecision(e, false, { known: true, onHand: 5 }, 0)).toBeUndefined(); // 10^-5.4
    stepDemand(e, 0, 2, 2);
    expect(phantomDecision(e, false, { known: true, onHand: 5 }, 0)).toBe('raise');
    expect(phantomDecision(e, false, { known: true, onHand: 0 }, 0)).toBeUndefined(); // a visible stock-out
    expect(phantomDecision(e, false, { known: false, onHand: 5 }, 0)).toBeUndefined(); // never counted
    expect(phantomDecision(e, true, { known: true, onHand: 5 }, 0)).toBeUndefined(); // still silent
    expect(phantomDecision(e, true, { known: true, onHand: 5 }, 1)).toBe('resolve'); // it sells again
  });

  it('flags prices 2.5x away from the shelf price either way, not shelf changes', () => {
    expect(isPriceError(1000, 100)).toBe(true);
    expect(isPriceError(1, 100)).toBe(true);
    expect(isPriceError(40, 100)).toBe(true);
    expect(isPriceError(41, 100)).toBe(false);
    expect(isPriceError(112, 100)).toBe(false);
  });

  it('flags void bursts by count and Poisson tail', () => {
    // P(X >= 8 | 0.3) ~ 1.2e-9; P(X >= 8 | 3) ~ 0.012.
    expect(isVoidBurst(8, 0.1)).toBe(true);
    expect(isVoidBurst(7, 0.1)).toBe(false);
    expect(isVoidBurst(8, 3)).toBe(false);
  });
});

// ── the task, driven record by record ───────────────────────────────────────────────────

function sale(at: number, sku: string, unitPrice: number): SaleCompleted {
  const lines = [{ line_number: 1, sku, quantity: 1, unit_price: unitPrice, discount: 0, promotion_id: null }];
  return { event_id: randomUUID(), occurred_at: at, store_id: 'S1', terminal_id: 'T1', transaction_id: 'X', cashier_id: 'C', payment_method: 'CARD', currency: 'EUR', lines, subtotal: unitPrice, discount_total: 0, tax_total: 0, total: unitPrice };
}

function voided(at: number, terminal: string): SaleVoided {
  return { event_id: randomUUID(), occurred_at: at, store_id: 'S1', terminal_id: terminal, transaction_id: 'V', cashier_id: 'C', supervisor_id: null, currency: 'EUR', line_count: 1, void_total: 100, reason: 'OTHER' };
}

class Feeder {
  private readonly offsets = new Map<string, number>();
  constructor(readonly task: AnomalyTask, readonly sink = new MemorySink()) {}
  feed(topic: string, value: { store_id: string; occurred_at: number }, offset?: number): void {
    const o = offset ?? this.offsets.get(topic) ?? 0;
    this.offsets.set(topic, o + 1);
    const record: InputRecord = { topic, partition: 0, offset: o, key: value.store_id, timestamp: value.occurred_at, value };
    this.task.process(record, this.sink);
  }
  alerts(): Alert[] {
    return this.sink.events.map((e) => e.value as Alert);
  }
}

describe('AnomalyTask', () => {
  const T0 = Date.UTC(2026, 1, 2, 9, 0, 0);

  it('raises one price error for a run of wrong prices and resolves it when the shelf price rings again', () => {
    const f = new Feeder(new AnomalyTask(0));
    f.feed('pos.sales', sale(T0, 'A', 250));
    f.feed('pos.sales', sale(T0 + 60_000, 'A', 2500));
    f.feed('pos.sales', sale(T0 + 120_000, 'A', 2500));
    f.feed('pos.sales', sale(T0 + 180_000, 'A', 260)); // a small shelf change, no error
    const alerts = f.alerts();
    expect(alerts.map((a) => [a.alert_type, a.state, a.sku])).toEqual([
      ['PRICE_ERROR', 'RAISED', 'A'],
      ['PRICE_ERROR', 'RESOLVED', 'A'],
    ]);
    expect(alerts[0]!.alert_id).toBe(alerts[1]!.alert_id);
    expect(alerts[0]!.alert_id).toBe('anomaly:PRICE_ERROR:S1:A:pos.sales/0/1');
    expect(alerts[0]!.reason).toContain('25.00');
    expect(f.sink.rowsOf(ANOMALIES_TABLE).map((r) => r.state)).toEqual(['RAISED', 'RESOLVED']);
  });

  it('raises one void burst at the void that makes the hour improbable, resolves it when a quiet hour closes', () => {
    const f = new Feeder(new AnomalyTask(0));
    for (let i = 0; i < 12; i++) f.feed('pos.voids', voided(T0 + i * 60_000, 'T2'));
    f.feed('pos.voids', voided(T0 + 2 * 3_600_000 + 30 * 60_000, 'T1')); // closes 09:00 and 10:00
    const alerts = f.alerts();
    expect(alerts.map((a) => [a.alert_type, a.state, a.terminal_id])).toEqual([
      ['VOID_BURST', 'RAISED', 'T2'],
      ['VOID_BURST', 'RESOLVED', 'T2'],
    ]);
    expect(alerts[0]!.measures.voids).toBe(8); // raised at the 8th void (offset 7)
    expect(alerts[0]!.alert_id).toBe('anomaly:VOID_BURST:S1:-:pos.voids/0/7');
    expect(alerts[1]!.occurred_at).toBe(T0 + 2 * 3_600_000); // the end of the quiet hour 10:00-11:00
  });

  it('restores its state and does not raise again for records it already covered (replay after a crash)', () => {
    const state = inMemoryAnomalyState();
    const first = new Feeder(new AnomalyTask(0, undefined, state));
    for (let i = 0; i < 10; i++) first.feed('pos.voids', voided(T0 + i * 60_000, 'T2'));
    first.feed('pos.sales', sale(T0, 'A', 250));
    first.feed('pos.sales', sale(T0 + 60_000, 'A', 2500));
    first.task.punctuate();
    expect(first.alerts().map((a) => a.alert_type)).toEqual(['VOID_BURST', 'PRICE_ERROR']);

    // The restart replays the same records from the committed offsets (here: from 0), which the
    // snapshot covered (the runtime's `applied`).
    const covered: Record<string, number> = { 'pos.voids': 10, 'pos.sales': 2 };
    const second = new Feeder(new AnomalyTask(0, undefined, { ...state, applied: (r) => r.offset < (covered[r.topic] ?? 0) }));
    for (let i = 0; i < 10; i++) second.feed('pos.voids', voided(T0 + i * 60_000, 'T2'), i);
    second.feed('pos.sales', sale(T0, 'A', 250), 0);
    second.feed('pos.sales', sale(T0 + 60_000, 'A', 2500), 1);
    expect(second.alerts()).toEqual([]);
    // New records go on from the restored state: the open price error resolves with its id.
    second.feed('pos.sales', sale(T0 + 120_000, 'A', 250), 2);
    expect(second.alerts().map((a) => [a.state, a.alert_id])).toEqual([['RESOLVED', first.alerts()[1]!.alert_id]]);
  });
});

describe('anomaly on the runtime state stores (crash, restart, replay)', () => {
  const START = Date.UTC(2026, 0, 5);
  const NOW = START + 60 * 86_400_000;
  const options = { startMs: NOW, batchSize: 100, maxBufferedRows: 40, flushIntervalMs: 3_600_000, query: async <T>(): Promise<T[]> => [] };

  function simulatedEvents(days: number): { topic: string; partition: number; records: { key: string; value: unknown }[] }[] {
    const sim = new PosSimulator({ seed: 5, stores: 2, skus: 25, window: { kind: 'days', startDay: Math.floor(START / 86_400_000), days }, anomalyRate: 3, heartbeats: false });
    const events = new Map<string, { key: string; value: unknown }[]>(ANOMALY_INPUTS.map((t) => [t, []]));
    while (!sim.done) {
      const hour = sim.nextHour();
      for (const topic of ANOMALY_INPUTS) for (const value of hour.events[topic]) events.get(topic)!.push({ key: (value as { store_id: string }).store_id, value });
    }
    return [...events].map(([topic, records]) => ({ topic, partition: 0, records }));
  }

  async function run(driver: TestDriver, events: ReturnType<typeof simulatedEvents>): Promise<void> {
    await driver.pipeAll(events);
    for (;;) {
      await driver.flush();
      if (!driver.crashed) return;
      await driver.restart();
    }
  }

  const alertsOf = (driver: TestDriver): string[] => [...new Set(driver.publishedValues('shelfstream.alerts').map((a) => JSON.stringify(a)))].sort();
  const anomaliesOf = (driver: TestDriver): string[] => driver.finalRows(ANOMALIES_TABLE, ['alert_id']).map((r) => JSON.stringify(r)).sort();

  it('ends on the same anomalies, alerts and dead letters after a crash at any point as a clean run', async () => {
    const events = simulatedEvents(12);
    const clean = new TestDriver(anomalyProcessor(), options);
    await run(clean, events);
    expect(anomaliesOf(clean).length).toBeGreaterThanOrEqual(3);
    const points = clean.effects.length;
    for (let point = 1; point < points; point += Math.max(1, Math.floor(points / 20))) {
      const driver = new TestDriver(anomalyProcessor(), options);
      driver.crashAfterEffects(point);
      await run(driver, events);
      expect({ point, anomalies: anomaliesOf(driver) }).toEqual({ point, anomalies: anomaliesOf(clean) });
      expect({ point, alerts: alertsOf(driver) }).toEqual({ point, alerts: alertsOf(clean) });
      expect(driver.deadLetters()).toEqual(clean.deadLetters());
    }
  });
});
