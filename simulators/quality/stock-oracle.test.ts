import { oracleRisk, TrueDemandMeans } from './stock-oracle';

const H = 3_600_000;

describe('oracleRisk', () => {
  it('is 1 on an empty shelf and 0 with no demand ahead', () => {
    expect(oracleRisk(0, 0, 10 * H, [1, 1], 0)).toBe(1);
    expect(oracleRisk(3, 0, 10 * H, [0, 0, 0], 0)).toBe(0);
  });

  it('one hour: the negative binomial of size 2 with that mean (hand-computed)', () => {
    // mean 2, size 2: p = size/(size+mean) = 0.5; P(X=0) = 0.25, P(X=1) = 2 * 0.25 * 0.5 = 0.25;
    // P(X >= 2) = 0.5.
    expect(oracleRisk(2, 0, H, [2], 0)).toBeCloseTo(0.5, 10);
  });

  it('sums the hours until the delivery, partial hours pro rata, and none after it', () => {
    // Half of hour 0 (mean 2 -> 1) and half of hour 1 (mean 2 -> 1): mean 2, variance 2 + (1 + 1) / 2 = 3:
    // the matched size is 2 * 4 / 2 = 4; P(X >= 1) = 1 - (4/6)^4.
    expect(oracleRisk(1, 0.5 * H, 1.5 * H, [2, 2, 100], 0)).toBeCloseTo(1 - (4 / 6) ** 4, 10);
  });
});

test('TrueDemandMeans: an hour is what the day total grew by, or the whole total on a new day', () => {
  const m = new TrueDemandMeans(0);
  m.record('S1', ['A', 'B'], { localDay: 10, units: Float64Array.from([1, 0.5]) }, 0);
  m.record('S1', ['A', 'B'], { localDay: 10, units: Float64Array.from([3, 0.5]) }, H);
  m.record('S1', ['A', 'B'], { localDay: 11, units: Float64Array.from([0.25, 0]) }, 2 * H);
  expect(m.of('S1/A')).toEqual([1, 2, 0.25]);
  expect(m.of('S1/B')).toEqual([0.5, 0, 0]);
  expect(m.of('S2/A')).toEqual([]);
});
