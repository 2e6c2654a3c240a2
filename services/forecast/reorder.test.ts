import { casePackOf, countQuantile, expectedUnitsShort, fillRateLevel, normalCdf, normalQuantile, reorderAdvice } from './reorder';

test('normal quantiles match the tables', () => {
  expect(normalQuantile(0.5)).toBeCloseTo(0, 8);
  expect(normalQuantile(0.95)).toBeCloseTo(1.644854, 5);
  expect(normalQuantile(0.9)).toBeCloseTo(1.281552, 5);
  expect(normalQuantile(0.01)).toBeCloseTo(-2.326348, 5);
});

test('count quantiles: Poisson, negative binomial, normal for large means (hand-computed)', () => {
  // Poisson(1.6): cdf 0.2019, 0.5249, 0.7834, 0.9212, 0.9763
  expect(countQuantile(1.6, 1, 0.9)).toBe(3);
  expect(countQuantile(1.6, 1.6, 0.95)).toBe(4);
  // negative binomial of mean 2, variance 4 (r 2, success 0.5): P(k) = (k + 1) / 2^(k + 2), cdf 0.25, 0.5, 0.6875, 0.8125, 0.8906, 0.9375
  expect(countQuantile(2, 4, 0.8)).toBe(3);
  expect(countQuantile(2, 4, 0.9)).toBe(5);
  // mean 200, deviation 20: ceil(200 + 1.644854 x 20) = ceil(232.897)
  expect(countQuantile(200, 400, 0.95)).toBe(233);
  expect(countQuantile(0, 0, 0.9)).toBe(0);
  expect(() => countQuantile(1, 1, 1)).toThrow(RangeError);
});

test("order-up-to level over lead time + review from a skewed forecast, in the series' case pack (hand-computed)", () => {
  // 3 days (2 lead + 1 review) of P10 0, P50 0.5, P90 1.5: Swanson mean 0.3 x 0 + 0.4 x 0.5 + 0.3 x 1.5 = 0.65 a day, 1.95 in all;
  // band variance 3 x (1.5 / 2.5631)^2 = 1.03 < 1.95, so Poisson(1.95): cdf 0.1423, 0.4197, 0.6902, 0.8660, 0.9517 -> level 4 at 0.9
  const f = (v: number): number[] => new Array<number>(7).fill(v);
  const policy = { leadTimeDays: 2, reviewDays: 1, serviceLevel: 0.9 };
  const advice = reorderAdvice(f(0), f(0.5), f(1.5), 1, 0, policy, { leadTimeDays: 2, casePack: 6 });
  expect(advice.demand_lead_time_mean).toBeCloseTo(1.95, 6);
  expect(advice.reorder_point).toBe(4);
  expect(advice.order_quantity).toBe(6); // 3 short: one case of 6
  expect(reorderAdvice(f(0), f(0.5), f(1.5), 3, 1, policy).order_quantity).toBe(0); // position 4 is the level
  expect(reorderAdvice(f(0), f(0.5), f(1.5), 2, 0, policy).order_quantity).toBe(2); // no known pack: the units short
});

test("the series' own lead time: protection over its lead time (hand-computed)", () => {
  // a symmetric band of one deviation a day around 10: mean 10 a day (Swanson's rule keeps the P50), variance 1 a day,
  // under the Poisson's: 4 days (3 lead + 1 review) are Poisson(40), whose 0.95 quantile is 51 (cdf(50) 0.9473, cdf(51) 0.9613)
  const day = { p10: 8.71845, p50: 10, p90: 11.28155 };
  const f = (k: 'p10' | 'p50' | 'p90'): number[] => new Array<number>(7).fill(day[k]);
  const advice = reorderAdvice(f('p10'), f('p50'), f('p90'), 20, 5, { leadTimeDays: 2, reviewDays: 1, serviceLevel: 0.95 }, { leadTimeDays: 3, casePack: 12 });
  expect(advice.lead_time_days).toBe(3);
  expect(advice.demand_lead_time_mean).toBeCloseTo(40, 4);
  expect(advice.reorder_point).toBe(51);
  expect(advice.order_quantity).toBe(36); // 26 short: 3 cases of 12
});

test('expected units short of a count: E[(D - s)+] falls by P(D > s) per unit (hand-computed)', () => {
  const poisson = expectedUnitsShort(1.95, 1.95, 0.05);
  [1.95, 1.0923, 0.512, 0.2022, 0.0682, 0.02].forEach((v, s) => expect(poisson[s]).toBeCloseTo(v, 3));
  expect(poisson).toHaveLength(6); // stops at the first value under the floor
  // negative binomial, mean 2, variance 4 (r 2, q 0.5): P(0..2) 0.25, 0.25, 0.1875
  [2, 1.25, 0.75, 0.4375].forEach((v, s) => expect(expectedUnitsShort(2, 4, 0.4)[s]).toBeCloseTo(v, 6));
  expect(expectedUnitsShort(0, 0, 0)).toEqual([0]);
  expect(normalCdf(1.2816)).toBeCloseTo(0.9, 4);
  expect(normalCdf(-1.96)).toBeCloseTo(0.025, 4);
});

test('fill rate: the level at which one cycle goes at most the allowed units short, less what the next delivery cannot reach (hand-computed)', () => {
  // Poisson(40) over lead + review, Poisson(30) over the lead: shortage per cycle 0.6105 at 46, 0.4608 at 47
  expect(fillRateLevel({ mean: 40, variance: 40 }, { mean: 30, variance: 30 }, 0.5)).toBe(47);
  // Poisson(1.95) and Poisson(1.3): 0.1457 at 3, 0.0548 at 4, 0.0173 at 5
  expect(fillRateLevel({ mean: 1.95, variance: 1.95 }, { mean: 1.3, variance: 1.3 }, 0.065)).toBe(4);
  expect(fillRateLevel({ mean: 1.95, variance: 1.95 }, { mean: 1.3, variance: 1.3 }, 0.0325)).toBe(5);
  // negative binomials (4, 8) and (2, 4): 1.1562 at 3, 0.8437 at 4, 0.5898 at 5, 0.3984 at 6
  expect(fillRateLevel({ mean: 4, variance: 8 }, { mean: 2, variance: 4 }, 0.85)).toBe(4);
  expect(fillRateLevel({ mean: 4, variance: 8 }, { mean: 2, variance: 4 }, 0.5)).toBe(6);
  // normal above a mean of 100: mean 200, sd 20, 2 units: G(z) = 0.1 at z = 0.9024, level ceil(218.05); the lead's term is 3.9 sd away
  expect(fillRateLevel({ mean: 200, variance: 400 }, { mean: 150, variance: 300 }, 2)).toBe(219);
  expect(fillRateLevel({ mean: 0, variance: 0 }, { mean: 0, variance: 0 }, 0.1)).toBe(0);
  expect(() => fillRateLevel({ mean: 1, variance: 1 }, { mean: 1, variance: 1 }, 0)).toThrow(RangeError);
});

test('fill rate against a cycle service level: a fast series holds less, a slow one more (hand-computed)', () => {
  // fast: 10 a day with a one-deviation band, lead 3 + review 1: Poisson(40), Poisson(30) over the lead; a cycle of 10 a day,
  // 0.5 units short at fill rate 0.95: level 47, against the cycle 0.95 quantile 51
  const fast = { p10: 8.71845, p50: 10, p90: 11.28155 };
  const f = (k: 'p10' | 'p50' | 'p90'): number[] => new Array<number>(7).fill(fast[k]);
  const fillRate = { leadTimeDays: 2, reviewDays: 1, serviceLevel: 0.95, serviceMeasure: 'fill-rate' } as const;
  expect(reorderAdvice(f('p10'), f('p50'), f('p90'), 0, 0, fillRate, { leadTimeDays: 3, casePack: 1 }).reorder_point).toBe(47);
  // slow: Swanson mean 0.65 a day, lead 2 + review 1: Poisson(1.95), Poisson(1.3); 0.0325 units short at 0.95: level 5,
  // against the cycle 0.95 quantile 4 (cdf(4) 0.9517)
  const g = (v: number): number[] => new Array<number>(7).fill(v);
  expect(reorderAdvice(g(0), g(0.5), g(1.5), 0, 0, fillRate).reorder_point).toBe(5);
  expect(reorderAdvice(g(0), g(0.5), g(1.5), 0, 0, { ...fillRate, serviceMeasure: 'cycle' }).reorder_point).toBe(4);
});

test('case pack: the common divisor of two or more different order quantities, else 1', () => {
  expect(casePackOf([24, 36, 60, 24])).toBe(12);
  expect(casePackOf([48])).toBe(1); // one quantity may be several cases
  expect(casePackOf([48, 48])).toBe(1);
  expect(casePackOf([16, 24])).toBe(8);
  expect(casePackOf([])).toBe(1);
});
