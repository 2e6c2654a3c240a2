import { DailyRate, DeliveryCadence, StoreShape, cumulativeShares, demandSurvival, estimateRisk, weekShareBetween, DAY_MS, HOUR_MS } from './risk';

describe('demandSurvival', () => {
  it('matches hand-computed Poisson and negative binomial tails', () => {
    // Poisson(2): P(X >= 3) = 1 - e^-2 (1 + 2 + 2).
    expect(demandSurvival(2, Number.POSITIVE_INFINITY, 3)).toBeCloseTo(1 - 5 * Math.exp(-2), 12);
    // NB(mean 2, size 1) is geometric with P(X >= k) = (2/3)^k.
    expect(demandSurvival(2, 1, 3)).toBeCloseTo(8 / 27, 12);
    // NB(mean 2, size 2): pmf(x) = (x + 1) / 2^(x + 2), so P(X >= 3) = 1 - (1/4 + 2/8 + 3/16).
    expect(demandSurvival(2, 2, 3)).toBeCloseTo(0.3125, 12);
    expect(demandSurvival(2, 2, 0)).toBe(1);
    expect(demandSurvival(0, 2, 1)).toBe(0);
  });

  it('stays finite where pmf(0) underflows (large means)', () => {
    // Poisson(1000): the median is 1000; P(X >= 1000) is a little above one half.
    const p = demandSurvival(1000, Number.POSITIVE_INFINITY, 1000);
    expect(p).toBeGreaterThan(0.5);
    expect(p).toBeLessThan(0.53);
    expect(demandSurvival(1000, Number.POSITIVE_INFINITY, 2000)).toBe(0);
  });
});

describe('shape, rate and cadence', () => {
  const monday = Date.UTC(2026, 0, 5); // a Monday

  it('integrates a uniform shape over any span', () => {
    const uniform = cumulativeShares(new Float64Array(168).fill(1 / 168));
    expect(weekShareBetween(uniform, monday + 5 * HOUR_MS, monday + 5 * HOUR_MS + 7 * DAY_MS)).toBeCloseTo(1, 12);
    expect(weekShareBetween(uniform, monday + 0.5 * HOUR_MS, monday + 2 * HOUR_MS)).toBeCloseTo(1.5 / 168, 12);
  });

  it('learns the hours a store sells in from whole days', () => {
    const shape = new StoreShape();
    for (let d = 0; d < 8; d++) shape.add(monday + d * DAY_MS + 10 * HOUR_MS, 6); // every day at 10:00
    const shares = shape.shares();
    // 7 days folded, all units at 10:00: each day's 10:00 holds 1/7 of the week.
    expect(shares[10]).toBeCloseTo(1 / 7, 12);
    expect(shares[11]).toBe(0);
  });

  it('weighs days with no sale as zero', () => {
    const rate = new DailyRate();
    rate.add(monday, 10);
    // Day 0 folded with 10 units, day 1 empty: bias-corrected mean (0.9 * 0.1 * 10) / (1 - 0.81).
    expect(rate.estimate(monday + 2 * DAY_MS).perDay).toBeCloseTo((0.9 * 0.1 * 10) / (1 - 0.81), 12);
  });

  it('expects the next delivery from the last receipt and past intervals', () => {
    const c = new DeliveryCadence();
    c.add(monday, 'PO-1');
    c.add(monday + 4 * DAY_MS, 'PO-2');
    c.add(monday + 4 * DAY_MS, 'PO-2'); // one order received in two parts: one delivery
    c.add(monday + 10 * DAY_MS, 'PO-3');
    // Intervals 4 and 6 days; from day 10, at day 12 both are ahead.
    expect(c.expectedDates(monday + 12 * DAY_MS)).toEqual([monday + 14 * DAY_MS, monday + 16 * DAY_MS]);
    // At day 17 both are past: overdue, the next slot at the receipt's time of day.
    expect(c.expectedDates(monday + 17 * DAY_MS + HOUR_MS)).toEqual([monday + 18 * DAY_MS]);
  });

  it('averages the tail probability over the expected delivery dates', () => {
    const uniform = cumulativeShares(new Float64Array(168).fill(1 / 168));
    // 7 units a day, Poisson days; deliveries in 1 or 2 days; 10 on hand.
    const e = estimateRisk({ onHand: 10, asOf: monday, perDay: 7, daySize: Number.POSITIVE_INFINITY, cumulative: uniform, deliveryDates: [monday + DAY_MS, monday + 2 * DAY_MS] });
    const poissonTail = (mean: number, k: number): number => {
      let below = 0;
      let term = Math.exp(-mean);
      for (let i = 0; i < k; i++) {
        below += term;
        term *= mean / (i + 1);
      }
      return 1 - below;
    };
    expect(e.risk).toBeCloseTo((poissonTail(7, 10) + poissonTail(14, 10)) / 2, 10);
    expect(e.hoursToStockout).toBeCloseTo((10 / 7) * 24, 1);
  });
});
