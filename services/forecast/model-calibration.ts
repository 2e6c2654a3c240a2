/**
 * Calibration of the network's quantiles on a held-out validation window (see model.ts): the
 * optional blend with exponential smoothing, the per-weekday factors, and applying them.
 */
import type { QuantileForecast } from './baselines';
import { HORIZON } from './features';
import type { Calibration } from './model-artifact';
import type { RawQuantiles } from './model-network';

/** The network's P50 blended with exponential smoothing's (both in scaled units): (1 - w) x net + w x ets. */
export function blendSmoothing(raw: RawQuantiles, smoothing: Float32Array, weight: number): RawQuantiles {
  if (weight === 0) return raw;
  const mid = new Float32Array(raw.mid.length);
  for (let j = 0; j < mid.length; j++) mid[j] = (1 - weight) * raw.mid[j]! + (weight * smoothing[j]!) / raw.scale[Math.floor(j / HORIZON)]!;
  return { ...raw, mid };
}

/** Blend weights tried on the validation window. */
const SMOOTHING_WEIGHTS = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];

/** The weight whose blended P50 has the least absolute error (units) on the validation window. */
export function chooseSmoothingWeight(raws: readonly RawQuantiles[], smoothing: readonly Float32Array[], actuals: readonly Float32Array[]): number {
  let best = 0;
  let bestError = Number.POSITIVE_INFINITY;
  for (const w of SMOOTHING_WEIGHTS) {
    let error = 0;
    raws.forEach((raw, k) => {
      const y = actuals[k]!;
      const e = smoothing[k]!;
      for (let j = 0; j < y.length; j++) {
        if (Number.isNaN(y[j]!)) continue;
        const sc = raw.scale[Math.floor(j / HORIZON)]!;
        error += Math.abs(y[j]! - Math.max(0, (1 - w) * raw.mid[j]! * sc + w * e[j]!));
      }
    });
    if (error < bestError) [best, bestError] = [w, error];
  }
  return best;
}

/**
 * Turns raw quantiles into forecasts in units with a calibration (identity when absent):
 * P50 = p50Factor x mid, P10 = P50 - lowFactor x gap, P90 = P50 + highFactor x gap, by the
 * target day's weekday, then clipped to 0 <= P10 <= P50 <= P90.
 */
export function applyCalibration(raw: RawQuantiles, calibration: Calibration | undefined, out: QuantileForecast): void {
  const rows = raw.scale.length;
  for (let s = 0; s < rows; s++) {
    const sc = raw.scale[s]!;
    for (let h = 0; h < HORIZON; h++) {
      const j = s * HORIZON + h;
      const w = raw.weekday[j]! - 1;
      const mid = raw.mid[j]! * (calibration?.p50Factor[w] ?? 1);
      const p50 = Math.max(0, mid * sc);
      out.p50[j] = p50;
      out.p10[j] = Math.max(0, Math.min((mid - raw.low[j]! * (calibration?.lowFactor[w] ?? 1)) * sc, p50));
      out.p90[j] = Math.max(p50, (mid + raw.high[j]! * (calibration?.highFactor[w] ?? 1)) * sc);
    }
  }
}

/** The q-quantile (nearest rank from above) of values, with weights when given. */
function weightedQuantile(values: Float64Array, weights: Float64Array | undefined, q: number): number {
  const order = Array.from({ length: values.length }, (_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const total = weights ? weights.reduce((a, b) => a + b, 0) : values.length;
  let acc = 0;
  for (const i of order) {
    acc += weights ? weights[i]! : 1;
    if (acc >= q * total) return values[i]!;
  }
  return values[order.at(-1)!] ?? Number.NaN;
}

/** Tail probability each side of the P10-P90 band (the band should hold 80%). */
const TAIL = 0.1;

/**
 * Calibration from forecasts on a validation window the network did not learn (the weeks just
 * before the data it will be judged or used on), per weekday of the target day (the band is
 * wider on busy days, and a horizon day is a fixed weekday for a fixed origin weekday):
 *  - P50 factor: the weighted median of actual / P50 with weights P50, i.e. the factor that
 *    minimises the absolute error in units (what WAPE sums) on the validation window;
 *  - band factors (split-conformal): the factor on the P10 gap is the 90% quantile of
 *    (P50 - actual) / gap, so that 10% of validation actuals fall below P10, and likewise for
 *    the P90 gap, so each tail holds 10% by construction on validation, whatever the pinball
 *    loss ended at (the network's own quantiles came out too narrow on the held-out weeks).
 */
export function calibrate(raws: readonly RawQuantiles[], actuals: readonly Float32Array[], smoothingWeight: number): Calibration {
  const p50Factor: number[] = [];
  const lowFactor: number[] = [];
  const highFactor: number[] = [];
  let points = 0;
  for (let w = 1; w <= 7; w++) {
    const ratio: number[] = [];
    const weight: number[] = [];
    const cases: { mid: number; low: number; high: number; y: number }[] = [];
    raws.forEach((raw, k) => {
      const y = actuals[k]!;
      for (let j = 0; j < y.length; j++) {
        const a = y[j]!;
        if (Number.isNaN(a) || raw.weekday[j] !== w) continue;
        const s = Math.floor(j / HORIZON);
        const sc = raw.scale[s]!;
        cases.push({ mid: raw.mid[j]! * sc, low: raw.low[j]! * sc, high: raw.high[j]! * sc, y: a });
        if (raw.mid[j]! > 0) {
          ratio.push(a / (raw.mid[j]! * sc));
          weight.push(raw.mid[j]! * sc);
        }
      }
    });
    points += cases.length;
    const m = ratio.length === 0 ? 1 : weightedQuantile(Float64Array.from(ratio), Float64Array.from(weight), 0.5);
    p50Factor.push(m);
    // a zero gap: below / above the band whenever the actual is below / above P50 at all
    const below = Float64Array.from(cases, (c) => (Math.max(0, c.mid * m) - c.y) / Math.max(c.low, 1e-9));
    const above = Float64Array.from(cases, (c) => (c.y - Math.max(0, c.mid * m)) / Math.max(c.high, 1e-9));
    lowFactor.push(cases.length === 0 ? 1 : Math.max(0, weightedQuantile(below, undefined, 1 - TAIL)));
    highFactor.push(cases.length === 0 ? 1 : Math.max(0, weightedQuantile(above, undefined, 1 - TAIL)));
  }
  return { smoothingWeight, p50Factor, lowFactor, highFactor, points };
}
