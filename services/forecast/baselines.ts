/**
 * The baselines a forecast must beat, behind the same Forecaster interface as the model so the
 * backtest scores every one through the same code: seasonal naive (same weekday last week),
 * moving average (28 days), per-series exponential smoothing with a weekly season, and TSB
 * (Teunter-Syntetos-Babai) for intermittent series. Each gives P10/P50/P90: the point forecast
 * plus the empirical 10% and 90% quantiles of its own recent errors (in-sample), so every
 * forecaster's interval is judged by the same coverage rule.
 *
 * Censored days (stock-outs) are NaN in `known` and skipped: never learned as zero demand.
 */
import { HORIZON, type Panel } from './features';

/** P10/P50/P90 for series x horizon, at index series x HORIZON + (h - 1). */
export interface QuantileForecast {
  readonly p10: Float32Array;
  readonly p50: Float32Array;
  readonly p90: Float32Array;
}

export interface Forecaster {
  readonly name: string;
  /** Forecasts days origin+1 .. origin+HORIZON (panel day indices) for every series. */
  predict(panel: Panel, origin: number): QuantileForecast | Promise<QuantileForecast>;
}

export function emptyForecast(series: number): QuantileForecast {
  const n = series * HORIZON;
  return { p10: new Float32Array(n), p50: new Float32Array(n), p90: new Float32Array(n) };
}

/** Daily units where demand is known: NaN on stock-out days and after the last observed day. */
export function knownUnits(panel: Panel): Float32Array {
  const { units, stockout } = panel.columns;
  const out = new Float32Array(units.length);
  for (let i = 0; i < units.length; i++) out[i] = stockout[i]! > 0 ? Number.NaN : units[i]!;
  return out;
}

/** The q-quantile (linear interpolation) of the non-NaN values; NaN when there are none. */
export function quantile(values: readonly number[], q: number): number {
  const v = values.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const pos = (v.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return v[lo]! + (v[hi]! - v[lo]!) * (pos - lo);
}

function setRow(out: QuantileForecast, s: number, h: number, p50: number, lowError: number, highError: number): void {
  const i = s * HORIZON + h - 1;
  const mid = Math.max(0, p50);
  out.p50[i] = mid;
  out.p10[i] = Math.max(0, mid + Math.min(0, Number.isNaN(lowError) ? 0 : lowError));
  out.p90[i] = Math.max(mid, mid + Math.max(0, Number.isNaN(highError) ? 0 : highError));
}

/** How many past days a baseline looks at for its point forecast and error quantiles. */
export const BASELINE_WINDOW = 28;

/** Same weekday last week (two weeks back when last week's was censored). */
export const seasonalNaive: Forecaster = {
  name: 'seasonal_naive',
  predict(panel, origin) {
    const known = knownUnits(panel);
    const out = emptyForecast(panel.series.length);
    for (let s = 0; s < panel.series.length; s++) {
      const base = s * panel.days;
      const y = (d: number): number => (d >= 0 ? known[base + d]! : Number.NaN);
      const errors: number[] = [];
      for (let d = origin - BASELINE_WINDOW + 1; d <= origin; d++) {
        const f = Number.isNaN(y(d - 7)) ? y(d - 14) : y(d - 7);
        errors.push(y(d) - f);
      }
      const lo = quantile(errors, 0.1);
      const hi = quantile(errors, 0.9);
      for (let h = 1; h <= HORIZON; h++) {
        let f = y(origin + h - 7);
        if (Number.isNaN(f)) f = y(origin + h - 14);
        if (Number.isNaN(f)) f = panel.columns.mean_28[base + origin + 1]!;
        setRow(out, s, h, Number.isNaN(f) ? 0 : f, lo, hi);
      }
    }
    return out;
  },
};

/** Mean of the last 28 known days, flat; the interval is the spread of those days. */
export const movingAverage: Forecaster = {
  name: 'moving_average',
  predict(panel, origin) {
    const known = knownUnits(panel);
    const out = emptyForecast(panel.series.length);
    for (let s = 0; s < panel.series.length; s++) {
      const base = s * panel.days;
      const window: number[] = [];
      for (let d = Math.max(0, origin - BASELINE_WINDOW + 1); d <= origin; d++) window.push(known[base + d]!);
      const seen = window.filter((x) => !Number.isNaN(x));
      const mean = seen.length === 0 ? 0 : seen.reduce((a, b) => a + b, 0) / seen.length;
      for (let h = 1; h <= HORIZON; h++) setRow(out, s, h, mean, quantile(window, 0.1) - mean, quantile(window, 0.9) - mean);
    }
    return out;
  },
};

/** Smoothing constants tried per series (level alpha x season gamma); the lowest in-sample one-step squared error wins. */
const ETS_ALPHAS = [0.05, 0.1, 0.2, 0.35, 0.5];
const ETS_GAMMAS = [0.05, 0.15, 0.3];

/**
 * One series through additive exponential smoothing with a weekly season (ETS(A,N,A) with fixed
 * constants): level and 7 seasonal terms, initialised from the first two weeks; unknown days
 * leave the state unchanged. Answers the final state and the one-step errors.
 */
export function smoothSeries(y: ArrayLike<number>, alpha: number, gamma: number): { level: number; season: number[]; errors: number[]; sse: number } {
  const n = y.length;
  const known: number[] = [];
  for (let i = 0; i < Math.min(n, 14); i++) if (!Number.isNaN(y[i]!)) known.push(y[i]!);
  let level = known.length === 0 ? 0 : known.reduce((a, b) => a + b, 0) / known.length;
  const season = new Array<number>(7).fill(0);
  for (let k = 0; k < 7; k++) {
    const vals = [y[k], y[k + 7]].filter((v): v is number => v !== undefined && !Number.isNaN(v));
    season[k] = vals.length === 0 ? 0 : vals.reduce((a, b) => a + b, 0) / vals.length - level;
  }
  const errors: number[] = [];
  let sse = 0;
  for (let t = 0; t < n; t++) {
    const v = y[t]!;
    const k = t % 7;
    if (Number.isNaN(v)) continue;
    const f = level + season[k]!;
    const e = v - f;
    if (t >= 14) {
      errors.push(e);
      sse += e * e;
    }
    const newLevel = level + alpha * e;
    season[k] = season[k]! + gamma * (v - newLevel - season[k]!);
    level = newLevel;
  }
  return { level, season, errors, sse };
}

/** How much history the smoothing sees before an origin (days). */
export const ETS_HISTORY = 112;

/**
 * The smoothing baselines' common walk: each series' known units of the last ETS_HISTORY days
 * up to the origin (`start` is the panel day of y[0]), into one forecast.
 */
function forEachHistory(panel: Panel, origin: number, forecast: (out: QuantileForecast, s: number, y: Float32Array, start: number) => void): QuantileForecast {
  const known = knownUnits(panel);
  const out = emptyForecast(panel.series.length);
  const start = Math.max(0, origin - ETS_HISTORY + 1);
  for (let s = 0; s < panel.series.length; s++) {
    const base = s * panel.days;
    forecast(out, s, known.subarray(base + start, base + origin + 1), start);
  }
  return out;
}

export const exponentialSmoothing: Forecaster = {
  name: 'exponential_smoothing',
  predict(panel, origin) {
    return forEachHistory(panel, origin, (out, s, y, start) => {
      let best: ReturnType<typeof smoothSeries> | undefined;
      for (const a of ETS_ALPHAS) {
        for (const g of ETS_GAMMAS) {
          const fit = smoothSeries(y, a, g);
          if (!best || fit.sse < best.sse) best = fit;
        }
      }
      const recent = best!.errors.slice(-BASELINE_WINDOW * 2);
      const lo = quantile(recent, 0.1);
      const hi = quantile(recent, 0.9);
      for (let h = 1; h <= HORIZON; h++) {
        // season index of day origin + h in the slice that started at `start`
        const k = (origin + h - start) % 7;
        setRow(out, s, h, best!.level + best!.season[k]!, lo, hi);
      }
    });
  },
};

/** TSB smoothing constants: demand probability and demand size. */
export const TSB_ALPHA = 0.1;
export const TSB_BETA = 0.1;

/**
 * TSB: the probability of a day with demand and the size of demand when there is some, smoothed
 * separately (the probability every day, the size only on days with demand); forecast = p x size.
 */
export function tsbSeries(y: ArrayLike<number>, alpha = TSB_ALPHA, beta = TSB_BETA): number {
  let p = Number.NaN;
  let z = Number.NaN;
  for (let t = 0; t < y.length; t++) {
    const v = y[t]!;
    if (Number.isNaN(v)) continue;
    if (Number.isNaN(p)) {
      p = v > 0 ? 1 : 0;
      z = v > 0 ? v : Number.NaN;
      continue;
    }
    p += beta * ((v > 0 ? 1 : 0) - p);
    if (v > 0) z = Number.isNaN(z) ? v : z + alpha * (v - z);
  }
  if (Number.isNaN(p) || Number.isNaN(z)) return 0;
  return p * z;
}

export const tsb: Forecaster = {
  name: 'tsb',
  predict(panel, origin) {
    return forEachHistory(panel, origin, (out, s, y) => {
      const f = tsbSeries(y);
      const recent = Array.from(y.subarray(Math.max(0, y.length - BASELINE_WINDOW * 2)));
      for (let h = 1; h <= HORIZON; h++) setRow(out, s, h, f, quantile(recent, 0.1) - f, quantile(recent, 0.9) - f);
    });
  },
};

export const BASELINES: readonly Forecaster[] = [seasonalNaive, movingAverage, exponentialSmoothing, tsb];
