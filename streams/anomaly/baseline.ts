/**
 * Baselines of hourly units, learnt online (pure, no I/O):
 *
 *   - per store x sku: an overall level (exponentially weighted mean over open hours) and a mean
 *     per hour-of-week slot;
 *   - per store: the same for the store's total units, whose slots divided by its level give the
 *     store's hour-of-week shape.
 *
 * The expectation for a sku in slot s shrinks the sku's own slot mean toward level x shape(s)
 * while the slot has little history: weight n / (n + SLOT_PRIOR_WEIGHT) on the slot. Hourly
 * units are modelled as negative binomial around that mean, with a size (overdispersion)
 * estimated per store from the same hours.
 */
import { DISPERSION_MIN_MEAN, DISPERSION_RANGE, HOUR_MS, INITIAL_DISPERSION, LEVEL_ALPHA, SLOTS, SLOT_ALPHA, SLOT_PRIOR_WEIGHT } from './tuning';

/**
 * Hour of the week of a wall time given as epoch ms (a UTC instant, or a local time from
 * LocalClock.local), Monday 00:00 = 0 (1970-01-01 was a Thursday).
 */
export function hourOfWeek(ms: number): number {
  return (((Math.floor(ms / HOUR_MS) + 72) % SLOTS) + SLOTS) % SLOTS;
}

/** Exponentially weighted mean: a running mean until 1/alpha observations, then weight alpha. */
export function ewUpdate(mean: number, n: number, x: number, alpha: number): number {
  const w = Math.max(alpha, 1 / (n + 1));
  return mean + w * (x - mean);
}

export interface SlotSeries {
  /** Exponentially weighted mean of units over every open hour. */
  level: number;
  /** Open hours folded in. */
  hours: number;
  readonly slotMean: number[];
  readonly slotN: number[];
}

export function emptySeries(): SlotSeries {
  return { level: 0, hours: 0, slotMean: new Array<number>(SLOTS).fill(0), slotN: new Array<number>(SLOTS).fill(0) };
}

/** Folds one open hour's units into a series. */
export function foldHour(series: SlotSeries, slot: number, units: number): void {
  series.level = ewUpdate(series.level, series.hours, units, LEVEL_ALPHA);
  series.hours++;
  const n = series.slotN[slot]!;
  series.slotMean[slot] = ewUpdate(series.slotMean[slot]!, n, units, SLOT_ALPHA);
  series.slotN[slot] = n + 1;
}

/** The store's hour-of-week shape in slot s: its slot mean over its level (1 when unknown). */
export function shapeOf(store: SlotSeries, slot: number): number {
  if (store.level <= 0 || store.slotN[slot] === 0) return 1;
  return store.slotMean[slot]! / store.level;
}

/** Expected units of a series in slot s, shrunk toward level x the store's shape. */
export function expectedUnits(series: SlotSeries, store: SlotSeries, slot: number): number {
  const prior = series.level * shapeOf(store, slot);
  const n = series.slotN[slot]!;
  const w = n / (n + SLOT_PRIOR_WEIGHT);
  return w * series.slotMean[slot]! + (1 - w) * prior;
}

// ── negative binomial (mean mu, size k: variance mu + mu^2 / k) ──────────────────────────

/** log P(X = 0). */
export function nbLogP0(mu: number, k: number): number {
  return k * Math.log(k / (k + mu));
}

/**
 * Log-likelihood ratio of x units under mean r x mu against mean mu (same size k): the
 * increment of a CUSUM looking for demand multiplied by r.
 */
export function nbLogRatio(x: number, mu: number, k: number, r: number): number {
  if (mu <= 0) return 0;
  return x * Math.log((r * (k + mu)) / (k + r * mu)) + k * Math.log((k + mu) / (k + r * mu));
}

/** log P(X >= x) for mean mu, size k (upper terms summed from P(X = x), in logs). */
export function nbLogSurvival(x: number, mu: number, k: number): number {
  if (x <= 0) return 0;
  const q = mu / (k + mu);
  // log P(X = x) = log Γ(x + k) - log Γ(k) - log x! + k log(k / (k + mu)) + x log q, by the
  // recurrence P(i + 1) / P(i) = (i + k) / (i + 1) x q.
  let logP = k * Math.log(k / (k + mu));
  for (let i = 0; i < x; i++) logP += Math.log(((i + k) / (i + 1)) * q);
  let sum = 1;
  let term = 1;
  for (let i = x; i < x + 100_000; i++) {
    term *= ((i + k) / (i + 1)) * q;
    sum += term;
    if (term < sum * 1e-12) break;
  }
  return logP + Math.log(sum);
}

/**
 * The same increment as nbLogRatio for an hour whose sales were capped by stock: all that is
 * known is demand >= x, so the ratio is of survival functions. It is never negative (demand
 * x r dominates demand x 1 when r > 1): a sell-out can only add to the evidence of a spike.
 */
export function nbLogSurvivalRatio(x: number, mu: number, k: number, r: number): number {
  if (mu <= 0 || x <= 0) return 0;
  return Math.max(0, nbLogSurvival(x, r * mu, k) - nbLogSurvival(x, mu, k));
}

/** Variance of hourly units of mean mu. */
export function nbVariance(mu: number, k: number): number {
  return mu + (mu * mu) / k;
}

/**
 * The size k of the negative binomial, by the method of moments on Pearson's identity
 * E[(x - mu)^2 - mu] = mu^2 / k, accumulated with exponential weights over hours.
 */
export interface DispersionEstimate {
  /** Weighted sums of mu^2 and of (x - mu)^2 - mu. */
  mu2: number;
  excess: number;
}

export function emptyDispersion(): DispersionEstimate {
  return { mu2: 0, excess: 0 };
}

export function observeDispersion(d: DispersionEstimate, x: number, mu: number): void {
  if (mu < DISPERSION_MIN_MEAN) return;
  const decay = 1 - 1 / 5_000; // a few weeks of a store's series-hours
  d.mu2 = d.mu2 * decay + mu * mu;
  d.excess = d.excess * decay + (x - mu) * (x - mu) - mu;
}

export function dispersionOf(d: DispersionEstimate): number {
  // Until some evidence is in, the prior; Poisson-like data (excess <= 0) gives the upper bound.
  if (d.mu2 < 50) return INITIAL_DISPERSION;
  if (d.excess <= 0) return DISPERSION_RANGE[1];
  return Math.min(DISPERSION_RANGE[1], Math.max(DISPERSION_RANGE[0], d.mu2 / d.excess));
}

/** log10 of the Poisson upper tail P(X >= x) for mean lambda (x small: summed directly). */
export function poissonUpperLog10(x: number, lambda: number): number {
  if (x <= 0) return 0;
  // P(X >= x) = 1 - sum_{i < x} P(i); for tiny tails sum the upper terms instead.
  let term = Math.exp(-lambda);
  for (let i = 1; i <= x; i++) term *= lambda / i; // P(X = x)
  let sum = 0;
  let t = term;
  for (let i = x; i < x + 200; i++) {
    sum += t;
    t *= lambda / (i + 1);
    if (t < sum * 1e-15) break;
  }
  return Math.log10(Math.min(1, sum));
}
