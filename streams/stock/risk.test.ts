import { DailyRate, StoreShape, cumulativeShares, demandSurvival, estimateRisk, weekShareBetween, DAY_MS, HOUR_MS } from './risk';

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

describe('shape, rate and risk', () => {
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

  it('is the tail probability of the demand until the delivery', () => {
    const uniform = cumulativeShares(new Float64Array(168).fill(1 / 168));
    // 7 units a day, Poisson days; the delivery in 2 days; 10 on hand: P(Poisson(14) >= 10).
    const e = estimateRisk({ onHand: 10, asOf: monday, perDay: 7, daySize: Number.POSITIVE_INFINITY, cumulative: uniform, deliveryAt: monday + 2 * DAY_MS });
    let below = 0;
    let term = Math.exp(-14);
    for (let i = 0; i < 10; i++) {
      below += term;
      term *= 14 / (i + 1);
    }
    expect(e.risk).toBeCloseTo(1 - below, 10);
    expect(e.expectedUnits).toBeCloseTo(14, 10);
    expect(e.nextDeliveryAt).toBe(monday + 2 * DAY_MS);
    expect(e.hoursToStockout).toBeCloseTo((10 / 7) * 24, 1);
    // Over-dispersed days: the size of the 2-day sum is twice a day's. NB(mean 2, size 2) has
    // P(X >= 3) = 0.3125 (see demandSurvival), so 1 unit a day with day size 1, over 2 days.
    const nb = estimateRisk({ onHand: 3, asOf: monday, perDay: 1, daySize: 1, cumulative: uniform, deliveryAt: monday + 2 * DAY_MS });
    expect(nb.risk).toBeCloseTo(0.3125, 10);
  });
});
