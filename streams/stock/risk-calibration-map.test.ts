import { calibrateRisk, FITTED_RISK_MAP, fitRiskMap, MODEL_RISK } from './risk-calibration-map';

test('calibrateRisk interpolates between knots and is flat beyond them', () => {
  const map = { knots: [[0.1, 0.2], [0.5, 0.4], [0.9, 0.9]] as const };
  expect(calibrateRisk(map, 0)).toBe(0.2);
  expect(calibrateRisk(map, 0.3)).toBeCloseTo(0.3, 10);
  expect(calibrateRisk(map, 0.7)).toBeCloseTo(0.65, 10);
  expect(calibrateRisk(map, 1)).toBe(0.9);
  expect(calibrateRisk(MODEL_RISK, 0.37)).toBe(0.37);
});

test('fitRiskMap pools adjacent violators (hand-computed) and never splits equal risks', () => {
  // Groups of 2: (0.1: 0, 1) -> 0.5, (0.2: 0, 0) -> 0 violates and pools with it: 0.15 -> 0.25;
  // (0.8: 1, 1) -> 1.
  const map = fitRiskMap([0.1, 0.1, 0.2, 0.2, 0.8, 0.8], [0, 1, 0, 0, 1, 1], 3);
  expect(map.knots).toEqual([
    [0.15, 0.25],
    [0.8, 1],
  ]);
  expect(fitRiskMap([0.3, 0.3, 0.3, 0.3], [1, 0, 0, 0], 4).knots).toEqual([[0.3, 0.25]]);
  expect(() => fitRiskMap([0.1], [])).toThrow(/outcomes/);
});

test('the fitted map is a probability, non-decreasing in the model risk', () => {
  let before = -1;
  for (let r = 0; r <= 1; r += 0.01) {
    const c = calibrateRisk(FITTED_RISK_MAP, r);
    expect(c).toBeGreaterThanOrEqual(before);
    expect(c).toBeGreaterThanOrEqual(0);
    expect(c).toBeLessThanOrEqual(1);
    before = c;
  }
});
