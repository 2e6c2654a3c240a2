/**
 * The model's inputs (listed in model.ts) built from the feature panel: per series and origin,
 * in units of the series' level, so one network serves slow and fast sellers.
 */
import { knownUnits } from './baselines';
import { HORIZON, type Panel } from './features';

/** Same-weekday lags (in weeks) given for each target day. */
const WEEK_LAGS = [1, 2, 3];
const PER_DAY = ['same_weekday_w1', 'same_weekday_w2', 'same_weekday_w3', 'store_weekday_index', 'holiday_factor', 'store_closed', 'is_ramadan', 'is_eid'] as const;
const PER_ORIGIN = ['lag_1', 'lag_7', 'lag_14', 'lag_28', 'mean_7', 'std_7', 'std_28', 'zero_share_28', 'log_level', 'discount_share', 'price_ratio'] as const;
/** Days of history behind the store weekday index. */
const STORE_INDEX_DAYS = 56;
/** Smallest level a series is scaled by (units per day), so a dormant series does not divide by ~0. */
const MIN_SCALE = 0.2;

export function inputNames(categories: readonly string[]): string[] {
  const names: string[] = [...PER_ORIGIN];
  for (let h = 1; h <= HORIZON; h++) for (const p of PER_DAY) names.push(`${p}_d${h}`);
  for (let d = 1; d <= 7; d++) names.push(`origin_weekday_${d}`);
  for (let m = 1; m <= 12; m++) names.push(`month_${m}`);
  for (const c of categories) names.push(`category_${c}`);
  return names;
}

/** Per store: units on each weekday (1-7) over the store's average day, from known days in the last 8 weeks. */
function storeWeekdayIndex(panel: Panel, known: Float32Array, origin: number): Map<string, number[]> {
  const sums = new Map<string, { total: number[]; days: number[] }>();
  const dow = panel.columns.day_of_week;
  for (let s = 0; s < panel.series.length; s++) {
    const store = panel.series[s]!.store_id;
    let acc = sums.get(store);
    if (!acc) sums.set(store, (acc = { total: new Array<number>(8).fill(0), days: new Array<number>(8).fill(0) }));
    const base = s * panel.days;
    for (let d = Math.max(0, origin - STORE_INDEX_DAYS + 1); d <= origin; d++) {
      const v = known[base + d]!;
      if (Number.isNaN(v)) continue;
      const w = dow[base + d]!;
      acc.total[w]! += v;
      acc.days[w]!++;
    }
  }
  const index = new Map<string, number[]>();
  for (const [store, acc] of sums) {
    const perDay = acc.total.map((t, w) => (acc.days[w]! > 0 ? t / acc.days[w]! : Number.NaN));
    const valid = perDay.slice(1).filter((x) => !Number.isNaN(x));
    const mean = valid.length === 0 ? 0 : valid.reduce((a, b) => a + b, 0) / valid.length;
    index.set(store, perDay.map((x) => (mean > 0 && !Number.isNaN(x) ? x / mean : 1)));
  }
  return index;
}

const orOne = (x: number): number => (Number.isNaN(x) ? 1 : x);
const orZero = (x: number): number => (Number.isNaN(x) ? 0 : x);

/**
 * Inputs for every series at one origin (unnormalised) and each series' scale. Row s of
 * `inputs` is series s; `targets` (scaled units, NaN where unknown) when the days are observed.
 */
export function buildInputs(panel: Panel, origin: number, categories: readonly string[], known = knownUnits(panel), rows?: ArrayLike<number>): { inputs: Float32Array; scale: Float32Array; targets: Float32Array; width: number } {
  const width = inputNames(categories).length;
  const n = rows ? rows.length : panel.series.length;
  const inputs = new Float32Array(n * width);
  const scale = new Float32Array(n);
  const targets = new Float32Array(n * HORIZON).fill(Number.NaN);
  const c = panel.columns;
  const storeIndex = storeWeekdayIndex(panel, known, origin);
  const categoryIndex = new Map(categories.map((cat, i) => [cat, i]));
  for (let row = 0; row < n; row++) {
    const s = rows ? rows[row]! : row;
    const base = s * panel.days;
    const r = base + origin + 1; // the SQL row of the first forecast day holds what is known at the origin
    let level = c.mean_28[r]!;
    if (Number.isNaN(level)) level = c.mean_7[r]!;
    const sc = Math.max(MIN_SCALE, Number.isNaN(level) ? 0 : level);
    scale[row] = sc;
    const x = inputs.subarray(row * width, (row + 1) * width);
    let k = 0;
    const mean28 = orZero(c.mean_28[r]!) / sc;
    const lagOr = (v: number): number => (Number.isNaN(v) ? mean28 : v / sc);
    x[k++] = lagOr(c.lag_1[r]!);
    x[k++] = lagOr(c.lag_7[r]!);
    x[k++] = lagOr(c.lag_14[r]!);
    x[k++] = lagOr(c.lag_28[r]!);
    x[k++] = lagOr(c.mean_7[r]!);
    x[k++] = orZero(c.std_7[r]!) / sc;
    x[k++] = orZero(c.std_28[r]!) / sc;
    x[k++] = orZero(c.zero_share_28[r]!);
    x[k++] = Math.log(sc);
    x[k++] = orZero(c.discount_share[base + origin]!);
    x[k++] = orOne(c.price_ratio[base + origin]!);
    const weekday = storeIndex.get(panel.series[s]!.store_id)!;
    for (let h = 1; h <= HORIZON; h++) {
      const t = base + origin + h;
      for (const w of WEEK_LAGS) {
        const d = origin + h - 7 * w;
        x[k++] = d >= 0 ? lagOr(known[base + d]!) : mean28;
      }
      x[k++] = weekday[c.day_of_week[t]!]!;
      x[k++] = c.holiday_factor[t]!;
      x[k++] = c.store_closed[t]!;
      x[k++] = c.is_ramadan[t]!;
      x[k++] = c.is_eid[t]!;
      if (origin + h <= panel.lastObservedDay - panel.firstDay) targets[row * HORIZON + h - 1] = known[t]! / sc;
    }
    x[k + c.day_of_week[base + origin]! - 1] = 1;
    k += 7;
    x[k + c.month[base + origin]! - 1] = 1;
    k += 12;
    const ci = categoryIndex.get(panel.series[s]!.category);
    if (ci !== undefined) x[k + ci] = 1;
  }
  return { inputs, scale, targets, width };
}
