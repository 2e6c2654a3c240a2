import { casePackOf, normalQuantile, reorderAdvice } from './reorder';

test('normal quantiles match the tables', () => {
  expect(normalQuantile(0.5)).toBeCloseTo(0, 8);
  expect(normalQuantile(0.95)).toBeCloseTo(1.644854, 5);
  expect(normalQuantile(0.9)).toBeCloseTo(1.281552, 5);
  expect(normalQuantile(0.01)).toBeCloseTo(-2.326348, 5);
});

test('reorder point and order quantity over lead time + review (hand-computed)', () => {
  // 3 days (2 lead + 1 review) of P50 10 with a P10-P90 band of 2.5631 (one deviation) each:
  // mean 30, deviation sqrt(3), z(0.95) 1.644854 -> reorder point 32.849
  const day = { p10: 8.71845, p50: 10, p90: 11.28155 };
  const f = (k: 'p10' | 'p50' | 'p90'): number[] => new Array<number>(7).fill(day[k]);
  const advice = reorderAdvice(f('p10'), f('p50'), f('p90'), 20, 5, { leadTimeDays: 2, reviewDays: 1, serviceLevel: 0.95 });
  expect(advice.demand_lead_time_mean).toBeCloseTo(30);
  expect(advice.reorder_point).toBeCloseTo(30 + 1.644854 * Math.sqrt(3), 3);
  expect(advice.order_quantity).toBe(8); // ceil(32.849 - 25)
  expect(reorderAdvice(f('p10'), f('p50'), f('p90'), 40, 0, { leadTimeDays: 2, reviewDays: 1, serviceLevel: 0.95 }).order_quantity).toBe(0);
});

test("the series' own lead time and case pack: protection over its lead time, orders in whole cases (hand-computed)", () => {
  // 4 days (3 lead + 1 review) of P50 10, one deviation each: mean 40, reorder point 40 + 1.644854 x 2 = 43.290;
  // position 25 is 18.29 short: 2 cases of 12
  const day = { p10: 8.71845, p50: 10, p90: 11.28155 };
  const f = (k: 'p10' | 'p50' | 'p90'): number[] => new Array<number>(7).fill(day[k]);
  const advice = reorderAdvice(f('p10'), f('p50'), f('p90'), 20, 5, { leadTimeDays: 2, reviewDays: 1, serviceLevel: 0.95 }, { leadTimeDays: 3, casePack: 12 });
  expect(advice.lead_time_days).toBe(3);
  expect(advice.reorder_point).toBeCloseTo(43.29, 2);
  expect(advice.order_quantity).toBe(24);
});

test('case pack: the common divisor of two or more different order quantities, else 1', () => {
  expect(casePackOf([24, 36, 60, 24])).toBe(12);
  expect(casePackOf([48])).toBe(1); // one quantity may be several cases
  expect(casePackOf([48, 48])).toBe(1);
  expect(casePackOf([16, 24])).toBe(8);
  expect(casePackOf([])).toBe(1);
});
