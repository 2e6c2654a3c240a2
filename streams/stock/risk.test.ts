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

  it('takes a day that saw the books empty as at least the rate so far, and leaves out days they stayed empty', () => {
    const censored = new DailyRate();
    const plain = new DailyRate();
    for (const rate of [censored, plain]) {
      rate.add(monday + 9 * HOUR_MS, 10);
      rate.add(monday + DAY_MS + 9 * HOUR_MS, 2); // day 1: 2 sold, then the shelf is empty at noon
    }
    censored.books(monday + DAY_MS + 12 * HOUR_MS, true);
    // Days 2 and 3 empty throughout; the delivery comes on day 4 at 08:00 and 10 sell.
    censored.books(monday + 4 * DAY_MS + 8 * HOUR_MS, false);
    for (const rate of [censored, plain]) rate.add(monday + 4 * DAY_MS + 9 * HOUR_MS, 10);
    // Censored: day 1 counts as max(2, 10) = 10, days 2-3 are left out: every day seen is 10.
    expect(censored.estimate(monday + 5 * DAY_MS).perDay).toBeCloseTo(10, 12);
    // Not told: 10, 2, 0, 0, 10 with weights 0.9^4 .. 1 (times 0.1), bias-corrected by 1 - 0.9^5.
    const w = [0.6561, 0.729, 0.81, 0.9, 1].map((x) => 0.1 * x);
    const mean = (10 * w[0]! + 2 * w[1]! + 10 * w[4]!) / (1 - 0.9 ** 5);
    expect(plain.estimate(monday + 5 * DAY_MS).perDay).toBeCloseTo(mean, 12);
  });

  it('counts a censored day that sold more than the rate as sold, and keeps the outage across a snapshot', () => {
    const rate = new DailyRate();
    rate.add(monday + 9 * HOUR_MS, 4);
    rate.add(monday + DAY_MS + 9 * HOUR_MS, 8);
    rate.books(monday + DAY_MS + 20 * HOUR_MS, true);
    // Day 0: 4 (weight 0.1); day 1: max(8, 4) = 8: (0.9 * 0.1 * 4 + 0.1 * 8) / (1 - 0.81).
    const expected = (0.9 * 0.1 * 4 + 0.1 * 8) / (1 - 0.81);
    expect(rate.estimate(monday + 2 * DAY_MS).perDay).toBeCloseTo(expected, 12);
    // Still empty a week later: the empty days say nothing, before and after a restore.
    const restored = DailyRate.fromJSON(JSON.parse(JSON.stringify(rate.toJSON())));
    expect(rate.estimate(monday + 9 * DAY_MS).perDay).toBeCloseTo(expected, 12);
    expect(restored.estimate(monday + 9 * DAY_MS).perDay).toBeCloseTo(expected, 12);
    // Stock back on day 9: from then on days with no sale count as zero again.
    restored.books(monday + 9 * DAY_MS + 8 * HOUR_MS, false);
    expect(restored.estimate(monday + 11 * DAY_MS).perDay).toBeLessThan(expected);
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
