import { parseDay } from '../../lib/domain/calendar';
import type { HourTruth, OrderRow } from './ground-truth';
import type { SimulationOptions } from './options';
import { AdviceBook, OWN_POLICY, type OrderingPolicy, advisedPolicy, nextUtcHour, scaledOwnPolicy } from './ordering';
import { PosSimulator } from './simulator';

const base: SimulationOptions = { seed: 11, stores: 3, skus: 40, window: { kind: 'days', startDay: parseDay('2026-03-02'), days: 21 }, anomalyRate: 1, heartbeats: false };

/** A policy unlike the store's own: twice its quantities, and a case of every sku on Mondays. */
const generous: OrderingPolicy = {
  name: 'generous',
  reviewsAfterClosing: () => false,
  quantities: (review) => {
    const own = review.inventory.ownOrderQuantities();
    return own.map((q) => (q > 0 ? 2 * q : (review.localDay + 3) % 7 === 0 ? 6 : 0));
  },
};

interface RunOutcome {
  readonly demand: string[];
  readonly sold: number;
  readonly orders: OrderRow[];
}

function run(options: SimulationOptions, beforeHour: (sim: PosSimulator) => void = () => undefined): RunOutcome {
  const sim = new PosSimulator(options);
  const demand: string[] = [];
  const orders: OrderRow[] = [];
  let sold = 0;
  const collect = (truth: HourTruth): void => {
    for (const r of truth.daily) {
      demand.push(`${r.store_id}/${r.sku}/${r.date}=${r.demand}`);
      sold += r.sold;
    }
    orders.push(...truth.orders);
  };
  while (!sim.done) {
    beforeHour(sim);
    collect(sim.nextHour().truth);
  }
  collect(sim.finish());
  return { demand, sold, orders };
}

describe('ordering policies under common random numbers', () => {
  it('give two policies the same demand, store by store, sku by sku, day by day, and different orders', () => {
    const own = run({ ...base, commonRandomNumbers: true, ordering: OWN_POLICY });
    const other = run({ ...base, commonRandomNumbers: true, ordering: generous });
    expect(own.demand.length).toBe(3 * 40 * 21);
    expect(other.demand).toEqual(own.demand);
    const orderKey = (o: OrderRow): string => `${o.store_id}/${o.sku}/${o.date}/${o.quantity}`;
    expect(other.orders.map(orderKey)).not.toEqual(own.orders.map(orderKey));
    expect(other.orders.reduce((n, o) => n + o.quantity, 0)).toBeGreaterThan(own.orders.reduce((n, o) => n + o.quantity, 0));
    // More stock sells more of the same demand: the runs differ where the policy acts.
    expect(other.sold).toBeGreaterThan(own.sold);
  });

  it('hold over months with anomalies, between a starved and an overstocked store (phantoms start when the books allow)', () => {
    const long: SimulationOptions = { ...base, seed: 7, skus: 50, window: { kind: 'days', startDay: parseDay('2026-05-04'), days: 91 } };
    const starved = run({ ...long, commonRandomNumbers: true, ordering: scaledOwnPolicy(0.5) });
    const stocked = run({ ...long, commonRandomNumbers: true, ordering: scaledOwnPolicy(1.5) });
    expect(stocked.demand).toEqual(starved.demand);
    expect(stocked.sold).toBeGreaterThan(starved.sold);
  });

  it('shifts demand between policies without them (the reason they exist)', () => {
    const own = run({ ...base, ordering: OWN_POLICY });
    const other = run({ ...base, ordering: generous });
    expect(other.demand).not.toEqual(own.demand);
  });

  it('leave a default run as it was: the own policy is the default one', () => {
    const implicit = run(base);
    const explicit = run({ ...base, ordering: OWN_POLICY });
    expect(explicit).toEqual(implicit);
  });

  it('order exactly the advice handed over, one review after each closing, and refuse a review with none', () => {
    const book = new AdviceBook();
    const handed: string[] = [];
    const advised = run({ ...base, commonRandomNumbers: true, ordering: advisedPolicy(book) }, (sim) => {
      for (const { storeId, localDay } of sim.pendingReviews()) {
        // Advice made up here: 7 units of every third sku, varying by day.
        const lines = sim.chain.products.filter((p) => (p.index + localDay) % 3 === 0).map((p) => ({ sku: p.product.sku, quantity: 1 + ((p.index * 7 + localDay) % 9) }));
        book.provide(storeId, localDay, lines);
        for (const l of lines) handed.push(`${storeId}/${l.sku}/${localDay}/${l.quantity}`);
      }
    });
    const placed = advised.orders.map((o) => `${o.store_id}/${o.sku}/${parseDay(o.date)}/${o.quantity}`);
    expect(placed.length).toBeGreaterThan(100);
    // the last day's review would run after the window: nothing handed for it
    expect(placed.sort()).toEqual(handed.sort());
    const own = run({ ...base, commonRandomNumbers: true, ordering: OWN_POLICY });
    expect(advised.demand).toEqual(own.demand);

    const forgetful = new PosSimulator({ ...base, commonRandomNumbers: true, ordering: advisedPolicy(new AdviceBook()) });
    expect(() => {
      while (!forgetful.done) forgetful.nextHour();
    }).toThrow(/no advice was handed over for store S00\d on 2026-03-02/);
  });

  it("review every store at the chain's nightly run: the orders of a night are all placed in its UTC hour, for the day each store closed", () => {
    const book = new AdviceBook();
    const handed: string[] = [];
    const reviewHours = new Set<number>();
    const sim = new PosSimulator({ ...base, commonRandomNumbers: true, ordering: advisedPolicy(book, 'advice', 4) });
    while (!sim.done) {
      const due = sim.pendingReviews();
      if (due.length > 0) reviewHours.add(sim.now);
      for (const { storeId, localDay } of due) {
        const lines = sim.chain.products.filter((p) => (p.index + localDay) % 4 === 0).map((p) => ({ sku: p.product.sku, quantity: 6 }));
        book.provide(storeId, localDay, lines);
        for (const l of lines) handed.push(`${storeId}/${l.sku}/${localDay}/${l.quantity}`);
      }
      const batch = sim.nextHour();
      for (const o of batch.events['inventory.orders']) expect(new Date(o.occurred_at).getUTCHours()).toBe(4);
      for (const o of batch.truth.orders) expect(handed).toContain(`${o.store_id}/${o.sku}/${parseDay(o.date)}/${o.quantity}`);
    }
    // one review hour a night, every one at 04:00 UTC, on most of the 21 nights
    expect([...reviewHours].every((h) => new Date(h).getUTCHours() === 4)).toBe(true);
    expect(reviewHours.size).toBeGreaterThanOrEqual(18);
    expect(() => advisedPolicy(book, 'advice', 24)).toThrow(/whole hour 0-23/);
  });
});

test('the next UTC hour at or after an instant', () => {
  const midnight = Date.UTC(2026, 2, 2);
  expect(nextUtcHour(midnight + 20 * 3_600_000, 4)).toBe(midnight + 28 * 3_600_000);
  expect(nextUtcHour(midnight + 4 * 3_600_000, 4)).toBe(midnight + 4 * 3_600_000);
  expect(nextUtcHour(midnight + 3 * 3_600_000, 4)).toBe(midnight + 4 * 3_600_000);
});
