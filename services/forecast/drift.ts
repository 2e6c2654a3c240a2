/**
 * Model drift, the pure part: the population stability index (PSI) of a measure between a
 * reference sample and a recent one, and the verdict per category.
 *
 * The samples are store x category x day points. The alerting measure is the forecast error of
 * the day, (units sold - summed P50) / summed P50 of the one-day-ahead forecasts: a category's
 * error summed over its skus, so that a 30% step in demand stands out of the day-to-day noise of
 * single skus (a sku selling 2 a day varies by more than that). A category is flagged when its
 * errors drifted AND its own part of them did: category_error, the category's sales against its
 * forecast divided by the same ratio of the store's other categories that day. A miss the
 * forecast makes across the chain (the weeks after the year-end, whose lags hold closed days and
 * holiday peaks; a calibration set on Ramadan weeks) moves every category's errors together and
 * cancels there; a change in one category's demand does not. (Measured on seed 11 of the
 * forecast-drift bench: at the year-end every category's sales ran 9-34% above the forecast
 * against -5% to +22% before; errors alone flagged 5 of 12 categories there and 6 after
 * Ramadan, errors and category_error none and 1; the Beverages step keeps a category_error PSI
 * of 1.50.) The price: a step of the whole chain's demand alerts no category; its forecast_error
 * PSIs show it.
 *
 * A PSI says that a distribution changed, not how far nor which way, and the yearly seasons
 * change the own part's spread without any step of demand: a model trained on less than a year
 * never saw Frozen or Produce turn at their troughs, and a network retrained with a smaller bias
 * for a small category moves its errors as much as a step does. So the verdict also asks for the
 * step itself: the median of the category's own part moved by at least `minStep` (relative), and
 * the category's forecast got worse (its median error moved away from zero: a retraining that
 * brings a biased category closer to its sales is not drift). Tuned on seeds 11-13 of the
 * forecast-drift bench: the Beverages x1.4 step moved its own part by +22% to +28%; the PSI
 * rule's false flags in the years without a shift moved it by -3% (Frozen after Ramadan), +7%
 * (Produce at the year-end), +12% (Frozen at the year-end) and -18% to -19% (Personal Care, whose
 * errors fell from +38-43% to +17-18%: the second network's smaller bias).
 *
 * Demand features (the day's units against the store x category's reference mean, the share of
 * skus that sold nothing) are measured and stored for diagnosis but never alert: they move with the seasons by design, and
 * a model that follows the season keeps its errors where they were.
 */

/** Bins of the reference distribution (deciles). */
export const PSI_BINS = 10;
/** Floor of a bin's share, so an empty bin costs a bounded amount instead of infinity. */
const PSI_FLOOR = 1e-4;

/**
 * PSI = sum over bins of (q - p) ln(q / p), with p the reference share and q the recent share of
 * each bin. The bins are (-inf, e1], (e1, e2], ..., (ek, +inf) with e the reference's deciles, so
 * each holds about 1/PSI_BINS of it; equal values share a bin (a measure with many zeros gets
 * fewer, wider bins, never a split at random), and a value above everything the reference saw
 * has a bin of its own, even when the reference is a single value.
 */
export function populationStabilityIndex(reference: readonly number[], recent: readonly number[], bins = PSI_BINS): number {
  if (reference.length === 0 || recent.length === 0) return Number.NaN;
  const sorted = [...reference].sort((a, b) => a - b);
  const edges: number[] = [];
  for (let i = 1; i < bins; i++) {
    const edge = sorted[Math.ceil((i * sorted.length) / bins) - 1]!;
    if (edges.length === 0 || edge > edges[edges.length - 1]!) edges.push(edge);
  }
  // bin of v: the number of edges below v (a value equal to an edge stays in the edge's bin)
  const binOf = (v: number): number => {
    let lo = 0;
    let hi = edges.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (edges[mid]! < v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const p = new Float64Array(edges.length + 1);
  const q = new Float64Array(edges.length + 1);
  for (const v of reference) p[binOf(v)]! += 1;
  for (const v of recent) q[binOf(v)]! += 1;
  let psi = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = Math.max(PSI_FLOOR, p[i]! / reference.length);
    const qi = Math.max(PSI_FLOOR, q[i]! / recent.length);
    psi += (qi - pi) * Math.log(qi / pi);
  }
  return psi;
}

/** One store x category x day of the drift check's input. */
export interface DriftPoint {
  readonly store_id: string;
  readonly category: string;
  /** Business date, YYYY-MM-DD. */
  readonly date: string;
  /** Units sold that day over the category's skus that were not out of stock. */
  readonly units: number;
  /** Summed P50 of the one-day-ahead forecasts of the same skus and day. */
  readonly p50: number;
  /** Skus of the category forecast that day, and how many of them sold nothing. */
  readonly skus: number;
  readonly zero_skus: number;
}

export const DRIFT_MEASURES = ['forecast_error', 'category_error', 'units_level', 'zero_share'] as const;
export type DriftMeasure = (typeof DRIFT_MEASURES)[number];

export interface DriftWindows {
  /** First and last business date of each window, inclusive (YYYY-MM-DD). */
  readonly referenceFrom: string;
  readonly referenceTo: string;
  readonly recentFrom: string;
  readonly recentTo: string;
}

export interface DriftPolicy {
  readonly psiThreshold: number;
  /** Fewer points than this on either side: measured, never drifted (a PSI of a few points is noise). */
  readonly minPoints: number;
  /** Least move of the median of the category's own part (relative, 0.15 = 15%) that a flag needs. */
  readonly minStep: number;
}

export interface DriftRow {
  readonly category: string;
  readonly measure: DriftMeasure;
  readonly psi: number;
  readonly drifted: boolean;
  readonly reference_mean: number;
  readonly recent_mean: number;
  /** Medians of the measure in each window: the step is read from them (a mean follows a few outliers). */
  readonly reference_median: number;
  readonly recent_median: number;
  readonly reference_points: number;
  readonly recent_points: number;
}

/** A sum of forecasts below one unit says nothing about a relative error: such days are left out. */
const MIN_FORECAST_UNITS = 1;

const mean = (xs: readonly number[]): number => (xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length);

function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * The relative move of a ratio less 1 (an error, an own part) from the reference median to the
 * recent one: (1 + recent) / (1 + reference) - 1, so +0.4 is sales 40% higher against the
 * forecast than before, whatever the level before. NaN when the reference median sold nothing.
 */
export function medianStep(row: Pick<DriftRow, 'reference_median' | 'recent_median'>): number {
  return 1 + row.reference_median > 0 ? (1 + row.recent_median) / (1 + row.reference_median) - 1 : Number.NaN;
}

/** The category's forecast got worse: its median error is further from zero than before. */
export function errorsGrew(errors: Pick<DriftRow, 'reference_median' | 'recent_median'>): boolean {
  return Math.abs(errors.recent_median) > Math.abs(errors.reference_median);
}

/** The drift rows of every category present in the points, sorted by category then measure. */
export function driftByCategory(points: readonly DriftPoint[], windows: DriftWindows, policy: DriftPolicy): DriftRow[] {
  const inReference = (p: DriftPoint): boolean => p.date >= windows.referenceFrom && p.date <= windows.referenceTo;
  const inRecent = (p: DriftPoint): boolean => p.date >= windows.recentFrom && p.date <= windows.recentTo;
  const byCategory = new Map<string, DriftPoint[]>();
  for (const p of points) (byCategory.get(p.category) ?? byCategory.set(p.category, []).get(p.category)!).push(p);
  // every category's units and summed P50 per store x day: the rest of the store is the total less the category
  const storeDay = new Map<string, { units: number; p50: number }>();
  for (const p of points) {
    const key = `${p.store_id}|${p.date}`;
    const total = storeDay.get(key) ?? storeDay.set(key, { units: 0, p50: 0 }).get(key)!;
    total.units += p.units;
    total.p50 += p.p50;
  }
  const rows: DriftRow[] = [];
  for (const category of [...byCategory.keys()].sort()) {
    const own = byCategory.get(category)!;
    // a store's level is its own: the units of a big store are not a shift against a small one
    const level = new Map<string, number>();
    const refByStore = new Map<string, number[]>();
    for (const p of own) if (inReference(p)) (refByStore.get(p.store_id) ?? refByStore.set(p.store_id, []).get(p.store_id)!).push(p.units);
    for (const [store, units] of refByStore) level.set(store, mean(units));
    const measureOf: Record<DriftMeasure, (p: DriftPoint) => number | undefined> = {
      forecast_error: (p) => (p.p50 >= MIN_FORECAST_UNITS ? (p.units - p.p50) / p.p50 : undefined),
      category_error: (p) => {
        const total = storeDay.get(`${p.store_id}|${p.date}`)!;
        const restUnits = total.units - p.units;
        const restP50 = total.p50 - p.p50;
        // the rest selling nothing is no yardstick: left out (a ratio of 0 would be infinite)
        if (p.p50 < MIN_FORECAST_UNITS || restP50 < MIN_FORECAST_UNITS || restUnits <= 0) return undefined;
        return p.units / p.p50 / (restUnits / restP50) - 1;
      },
      units_level: (p) => {
        const l = level.get(p.store_id);
        return l !== undefined && l > 0 ? p.units / l : undefined;
      },
      zero_share: (p) => (p.skus > 0 ? p.zero_skus / p.skus : undefined),
    };
    const measured: DriftRow[] = [];
    for (const measure of DRIFT_MEASURES) {
      const reference: number[] = [];
      const recent: number[] = [];
      for (const p of own) {
        const side = inReference(p) ? reference : inRecent(p) ? recent : undefined;
        const v = side && measureOf[measure](p);
        if (side && v !== undefined && Number.isFinite(v)) side.push(v);
      }
      const psi = populationStabilityIndex(reference, recent);
      const enough = reference.length >= policy.minPoints && recent.length >= policy.minPoints;
      measured.push({
        category,
        measure,
        psi: Number.isNaN(psi) ? 0 : psi,
        drifted: enough && psi > policy.psiThreshold,
        reference_mean: mean(reference),
        recent_mean: mean(recent),
        reference_median: median(reference),
        recent_median: median(recent),
        reference_points: reference.length,
        recent_points: recent.length,
      });
    }
    // the errors alert only when the category's own part of them drifted too and stepped, and the
    // forecast got worse; a store selling one category has no rest to measure against, and there
    // the errors alone decide (their PSI and their own step)
    const errors = measured.find((r) => r.measure === 'forecast_error')!;
    const ownPart = measured.find((r) => r.measure === 'category_error')!;
    const judged = ownPart.reference_points >= policy.minPoints && ownPart.recent_points >= policy.minPoints;
    const yardstick = judged ? ownPart : errors;
    const stepped = yardstick.drifted && Math.abs(medianStep(yardstick)) >= policy.minStep && errorsGrew(errors);
    rows.push(...measured.map((r) => (r.measure === 'forecast_error' ? { ...r, drifted: r.drifted && stepped } : r)));
  }
  return rows;
}

/** Only the forecast errors alert; the features are there to say why. */
export function alertingRows(rows: readonly DriftRow[]): DriftRow[] {
  return rows.filter((r) => r.measure === 'forecast_error');
}

/**
 * The numbers a MODEL_DRIFT alert carries. A bias over a window with no forecast error in it
 * (no forecast of a unit or more, every day a stock-out or a holiday) is undefined: it is left
 * out rather than sent as NaN, which the alert contract's map of doubles would carry to every
 * subscriber and which JSON cannot even write.
 */
export function driftMeasures(row: DriftRow, threshold: number): Record<string, number> {
  const measures: Record<string, number> = {
    psi: row.psi,
    threshold,
    reference_bias: row.reference_mean,
    recent_bias: row.recent_mean,
    reference_points: row.reference_points,
    recent_points: row.recent_points,
  };
  return Object.fromEntries(Object.entries(measures).filter(([, value]) => Number.isFinite(value)));
}

/** What a subscriber reads: the PSI, the threshold and the bias before and after, in words. */
export function driftReason(row: DriftRow, windows: DriftWindows, threshold: number): string {
  const pct = (x: number): string => `${x >= 0 ? '+' : ''}${Math.round(x * 100)}%`;
  return (
    `forecast errors of ${row.category} drifted: PSI ${row.psi.toFixed(2)} (threshold ${threshold}) between ${windows.referenceFrom}..${windows.referenceTo} and ${windows.recentFrom}..${windows.recentTo}; ` +
    `sales ran ${pct(row.recent_mean)} against the forecast, ${pct(row.reference_mean)} before`
  );
}
