import { DAY_MS, HOUR_MS } from '../../lib/domain/time';
import { boostedBetween, cumulativeShares } from './risk';
import { StorePromotionBook, StoreUplift, UPLIFT_TUNING, discountX, fitBeta } from './promotions';

const monday = Date.UTC(2026, 0, 5);

describe('fitBeta (log uplift = beta x -log(1 - discount))', () => {
  it('finds the elasticity that makes the expected units the sold ones, by hand', () => {
    // Half price (x = ln 2), 40 sold where 10 were expected: 2^beta = 4, beta = 2.
    expect(fitBeta([[Math.LN2, 40, 10]], 0, 0)).toBeCloseTo(2, 9);
    // A second discount agreeing with it (25% off, x = ln 4/3; (4/3)^2 = 16/9) leaves it at 2.
    expect(fitBeta([[Math.LN2, 40, 10], [Math.log(4 / 3), 160 / 9, 10]], 0, 0)).toBeCloseTo(2, 9);
  });

  it('is pulled toward the prior by its weight', () => {
    // ln 2 (40 - 10 x 2^beta) = k beta: at beta = 1 the left side is 20 ln 2, so k = 20 ln 2 gives 1.
    expect(fitBeta([[Math.LN2, 40, 10]], 0, 20 * Math.LN2)).toBeCloseTo(1, 9);
    // No evidence: the prior itself.
    expect(fitBeta([], 1.5, 1)).toBeCloseTo(1.5, 9);
  });
});

describe('StoreUplift', () => {
  it('sees no uplift without evidence and the learned one with much of it', () => {
    const u = new StoreUplift();
    expect(u.uplift('Dairy', 50)).toBe(1);
    // 1,000 times the half-price evidence above: the prior (UPLIFT_TUNING.priorUnits) hardly counts.
    for (let i = 0; i < 1000; i++) u.observe('Dairy', 50, 40, 10);
    expect(u.uplift('Dairy', 50)).toBeCloseTo(4, 1);
    expect(u.uplift('Dairy', 0)).toBe(1);
    // A category never promoted takes the store's (all categories: Dairy's here).
    expect(u.uplift('Frozen', 50)).toBeCloseTo(4, 1);
    // Round trip through its snapshot.
    expect(StoreUplift.fromJSON(JSON.parse(JSON.stringify(u.toJSON())) as ReturnType<StoreUplift['toJSON']>).uplift('Dairy', 50)).toBeCloseTo(u.uplift('Dairy', 50), 12);
  });

  it('shrinks little evidence toward no uplift', () => {
    const u = new StoreUplift();
    // One promoted sku-week at 20% off (x = -ln 0.8) that sold twice its 5 expected units: the
    // unshrunk beta is ln 2 / x = 3.11; with the prior of priorUnits expected units it is less.
    u.observe('Dairy', 20, 10, 5);
    const shrunk = u.uplift('Dairy', 20);
    expect(shrunk).toBeGreaterThan(1);
    expect(shrunk).toBeLessThan(2);
    expect(UPLIFT_TUNING.priorUnits).toBeGreaterThan(5);
  });
});

describe('StorePromotionBook', () => {
  const started = { promotion_id: 'P1', phase: 'STARTED' as const, skus: ['A', 'B'], discount_percent: 25, starts_at: monday, ends_at: monday + 5 * DAY_MS, occurred_at: monday };

  it('clips a sku’s promotions to a span, and an early end cuts them short', () => {
    const book = new StorePromotionBook();
    book.apply(started);
    expect(book.spans('A', monday - DAY_MS, monday + DAY_MS)).toEqual([{ id: 'P1', from: monday, to: monday + DAY_MS, discountPercent: 25 }]);
    expect(book.spans('C', monday, monday + DAY_MS)).toEqual([]);
    expect(book.discountOf('P1')).toBe(25);
    expect(book.runningAt('B', monday + 2 * DAY_MS)?.id).toBe('P1');
    book.apply({ ...started, phase: 'ENDED', occurred_at: monday + 2 * DAY_MS });
    expect(book.spans('A', monday, monday + 4 * DAY_MS)).toEqual([{ id: 'P1', from: monday, to: monday + 2 * DAY_MS, discountPercent: 25 }]);
    expect(book.runningAt('B', monday + 3 * DAY_MS)).toBeUndefined();
    // Still known for a late line a day after its end; forgotten once keepEndedMs has passed.
    book.apply({ ...started, promotion_id: 'P2', skus: ['C'], occurred_at: monday + 3 * DAY_MS, starts_at: monday + 3 * DAY_MS, ends_at: monday + 6 * DAY_MS });
    expect(book.discountOf('P1')).toBe(25);
    book.apply({ ...started, promotion_id: 'P3', skus: ['C'], occurred_at: monday + 2 * DAY_MS + UPLIFT_TUNING.keepEndedMs + HOUR_MS, starts_at: monday + 7 * DAY_MS, ends_at: monday + 9 * DAY_MS });
    expect(book.discountOf('P1')).toBeUndefined();
    expect(StorePromotionBook.fromJSON(book.toJSON()).spans('C', monday, monday + 10 * DAY_MS).map((s) => s.id)).toEqual(['P2', 'P3']);
  });

  it('reads no promotions from a snapshot taken before it existed', () => {
    expect(StorePromotionBook.fromJSON(undefined).toJSON()).toEqual([]);
    expect(StoreUplift.fromJSON(undefined).uplift('Dairy', 30)).toBe(1);
  });
});

describe('boostedBetween', () => {
  it('multiplies the promoted part of a span by its factor', () => {
    // A uniform week of 168 units: 1 unit an hour. 10 hours, 2 of them at 3x: 8 + 6 = 14.
    const uniform = cumulativeShares(new Float64Array(168).fill(1 / 168));
    const from = monday + 8 * HOUR_MS;
    const boosts = [{ from: from + 4 * HOUR_MS, to: from + 6 * HOUR_MS, factor: 3 }];
    expect(boostedBetween(168, uniform, undefined, boosts, from, from + 10 * HOUR_MS)).toBeCloseTo(14, 9);
    // A boost outside the span changes nothing.
    expect(boostedBetween(168, uniform, undefined, boosts, from, from + 4 * HOUR_MS)).toBeCloseTo(4, 9);
    expect(discountX(0)).toBe(0);
    expect(discountX(50)).toBeCloseTo(Math.LN2, 12);
  });
});
