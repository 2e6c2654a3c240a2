import { MetricSums, isIntermittent, pinball, seasonalScale } from './metrics';
import { type Panel, FEATURE_COLUMNS, HORIZON } from './features';
import { exponentialSmoothing, movingAverage, quantile, seasonalNaive, smoothSeries, tsbSeries } from './baselines';

describe('metrics (hand-computed)', () => {
  test('pinball loss weighs under- and over-forecasts by q and 1 - q', () => {
    expect(pinball(10, 6, 0.9)).toBeCloseTo(3.6); // under by 4: 0.9 x 4
    expect(pinball(10, 14, 0.9)).toBeCloseTo(0.4); // over by 4: 0.1 x 4
    expect(pinball(10, 14, 0.5)).toBeCloseTo(2);
  });

  test('WAPE, bias, MASE, pinball and coverage of three points', () => {
    const m = new MetricSums();
    // actual, p10, p50, p90, scale
    m.add(10, 5, 8, 12, 2); // |e| 2, inside
    m.add(4, 5, 6, 9, 2); // |e| 2, below P10
    m.add(6, 1, 6, 7, 4); // |e| 0, inside
    const r = m.metrics();
    expect(r.wape).toBeCloseTo(4 / 20);
    expect(r.bias).toBeCloseTo((8 - 10 + 6 - 4 + 0) / 20);
    expect(r.mase).toBeCloseTo(4 / 8);
    expect(r.coverage_p10_p90).toBeCloseTo(2 / 3);
    // point 1: 0.1x5 + 0.5x2 + 0.1x2 = 1.7; point 2: 0.9x1 + 0.5x2 + 0.1x5 = 2.4; point 3: 0.1x5 + 0 + 0.1x1 = 0.6
    expect(r.pinball).toBeCloseTo((1.7 + 2.4 + 0.6) / 3 / 3);
    expect(r.points).toBe(3);
  });

  test('Syntetos-Boylan split at an average interval of 1.32 days; unknown days do not count', () => {
    expect(isIntermittent([1, 0, 2, 0, 0, 3])).toBe(true); // 6 / 3 = 2
    expect(isIntermittent([1, 2, 0, 4, 5, Number.NaN])).toBe(false); // 5 / 4 = 1.25
    expect(isIntermittent([0, 0, Number.NaN])).toBe(true);
  });

  test('MASE scale: mean |y[t] - y[t-7]| over known pairs', () => {
    const y = [1, 2, 3, 4, 5, 6, 7, 3, 2, Number.NaN, 4, 5, 6, 9];
    // pairs: |3-1| 2, |2-2| 0, skip NaN, |4-4| 0, |5-5| 0, |6-6| 0, |9-7| 2 -> 4 / 6
    expect(seasonalScale(y)).toBeCloseTo(4 / 6);
    expect(seasonalScale([1, 2])).toBeUndefined();
  });
});

/** A one-series panel whose units are `units` (NaN = after the last observed day); no stock-outs. */
function panelOf(units: number[], stockoutDays: number[] = []): Panel {
  const days = units.length;
  const columns = Object.fromEntries(FEATURE_COLUMNS.map((c) => [c, new Float32Array(days).fill(Number.NaN)])) as unknown as Record<(typeof FEATURE_COLUMNS)[number], Float32Array>;
  columns.units.set(units);
  columns.stockout.fill(0);
  for (const d of stockoutDays) columns.stockout[d] = 1;
  const observed = units.findIndex((u) => Number.isNaN(u));
  return { series: [{ store_id: 'S001', sku: 'SKU1', category: 'Dairy', region: 'France' }], firstDay: 0, days, lastObservedDay: (observed === -1 ? days : observed) - 1, columns };
}

describe('baselines (hand-computed)', () => {
  const week = [1, 2, 3, 4, 5, 6, 7];
  const history = [...week, ...week, ...week, ...week, ...week];
  const future = new Array<number>(HORIZON).fill(Number.NaN);

  test('seasonal naive repeats last week; a perfect weekly series has a zero-width interval', async () => {
    const panel = panelOf([...history, ...future]);
    const f = await seasonalNaive.predict(panel, history.length - 1);
    expect(Array.from(f.p50)).toEqual(week);
    expect(Array.from(f.p10)).toEqual(week);
    expect(Array.from(f.p90)).toEqual(week);
  });

  test('seasonal naive skips a stock-out day: two weeks back instead of the censored value', async () => {
    const units = [...history, ...future];
    const last = history.length - 1;
    units[last - 6] = 0; // the Monday of last week sold nothing because the shelf was empty
    const f = await seasonalNaive.predict(panelOf(units, [last - 6]), last);
    expect(f.p50[0]).toBe(1);
  });

  test('moving average is the mean of the last 28 known days, censored days left out', async () => {
    const units = [...new Array<number>(28).fill(4), ...future];
    units[27] = 0;
    const f = await movingAverage.predict(panelOf(units, [27]), 27);
    expect(f.p50[0]).toBeCloseTo(4);
    expect(f.p10[0]).toBeCloseTo(4);
  });

  test('exponential smoothing learns a pure weekly pattern exactly', async () => {
    const f = await exponentialSmoothing.predict(panelOf([...history, ...future]), history.length - 1);
    for (let h = 0; h < HORIZON; h++) expect(f.p50[h]).toBeCloseTo(week[h]!, 4);
    // by hand: level 4 (mean of two weeks), season = day - 4, errors 0 forever
    const fit = smoothSeries(history, 0.2, 0.1);
    expect(fit.level).toBeCloseTo(4);
    expect(fit.season).toEqual([-3, -2, -1, 0, 1, 2, 3]);
    expect(fit.sse).toBeCloseTo(0);
  });

  test('TSB: demand probability x size, each smoothed', () => {
    // start p = 1, z = 4; day 2 (0): p = 1 + 0.1 x (0 - 1) = 0.9; day 3 (6): p = 0.9 + 0.1 x 0.1 = 0.91, z = 4 + 0.1 x 2 = 4.2
    expect(tsbSeries([4, 0, 6])).toBeCloseTo(0.91 * 4.2);
    expect(tsbSeries([0, 0, Number.NaN])).toBe(0);
  });

  test('quantile interpolates linearly and ignores NaN', () => {
    expect(quantile([1, 2, 3, 4, 5], 0.1)).toBeCloseTo(1.4);
    expect(quantile([5, Number.NaN, 1], 0.5)).toBeCloseTo(3);
  });
});
