/**
 * Forecast accuracy, on points (series x day) where the actual is known: stock-out days are
 * left out before the points reach here, so censored sales are never scored as demand.
 *
 *   WAPE      sum |actual - p50| / sum actual
 *   bias      sum (p50 - actual) / sum actual        (> 0: forecasts run high)
 *   MASE      sum |actual - p50| / sum scale          where scale is the series' in-sample mean
 *             absolute error of the same-weekday-last-week forecast (pooled, so a series with
 *             few points weighs what it contributes)
 *   pinball   mean over points of (pinball(P10) + pinball(P50) + pinball(P90)) / 3, in units
 *   coverage  share of actuals with P10 <= actual <= P90 (0.8 is calibrated)
 */
export const QUANTILES = [0.1, 0.5, 0.9] as const;

export function pinball(actual: number, forecast: number, q: number): number {
  const e = actual - forecast;
  return e >= 0 ? q * e : (q - 1) * e;
}

export interface Metrics {
  readonly wape: number;
  readonly mase: number;
  readonly bias: number;
  readonly pinball: number;
  readonly coverage_p10_p90: number;
  readonly points: number;
}

/** Sums that add up over points and segments; `metricsOf` turns them into Metrics. */
export class MetricSums {
  points = 0;
  actual = 0;
  absError = 0;
  error = 0;
  scale = 0;
  pinball = 0;
  covered = 0;

  add(actual: number, p10: number, p50: number, p90: number, scale: number): void {
    this.points++;
    this.actual += actual;
    this.absError += Math.abs(actual - p50);
    this.error += p50 - actual;
    this.scale += scale;
    this.pinball += (pinball(actual, p10, 0.1) + pinball(actual, p50, 0.5) + pinball(actual, p90, 0.9)) / 3;
    if (actual >= p10 && actual <= p90) this.covered++;
  }

  metrics(): Metrics {
    const n = this.points;
    return {
      wape: this.actual > 0 ? this.absError / this.actual : Number.NaN,
      mase: this.scale > 0 ? this.absError / this.scale : Number.NaN,
      bias: this.actual > 0 ? this.error / this.actual : Number.NaN,
      pinball: n > 0 ? this.pinball / n : Number.NaN,
      coverage_p10_p90: n > 0 ? this.covered / n : Number.NaN,
      points: n,
    };
  }
}

/**
 * Intermittent or smooth (Syntetos-Boylan): a series whose average interval between days with
 * demand (ADI) exceeds 1.32 days is intermittent. `values` are the known daily units (NaN = unknown).
 */
export function isIntermittent(values: ArrayLike<number>): boolean {
  let known = 0;
  let nonZero = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isNaN(v)) continue;
    known++;
    if (v > 0) nonZero++;
  }
  if (nonZero === 0) return true;
  return known / nonZero > 1.32;
}

/** MASE scale of a series: mean |y[t] - y[t-7]| over pairs where both are known; undefined when none. */
export function seasonalScale(values: ArrayLike<number>): number | undefined {
  let sum = 0;
  let n = 0;
  for (let i = 7; i < values.length; i++) {
    const a = values[i]!;
    const b = values[i - 7]!;
    if (Number.isNaN(a) || Number.isNaN(b)) continue;
    sum += Math.abs(a - b);
    n++;
  }
  return n === 0 ? undefined : sum / n;
}
