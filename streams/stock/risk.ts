/**
 * The stock-out risk of one store x sku, from what events show (pure, no I/O):
 *
 *   demand in an hour  = daily rate of the sku x 7 x share of the store's weekly units in that
 *                        hour of the week (the shape is learned per store: all its skus share
 *                        the opening hours and the evening rush, and there is much more data);
 *   demand until T     ~ negative binomial with that mean and a dispersion learned from the
 *                        sku's day-to-day variance (Poisson when the days vary no more than that);
 *   next delivery      the earliest time goods can arrive: an open order's planned delivery, or
 *                        an order placed at the store's next review (replenishment.ts);
 *   risk               = P(demand before the delivery >= on_hand).
 *
 * With the store's calendar (demand-calendar.ts: holidays by category, from master data) the
 * daily rate is a holiday-free base, each day's units divided by its holiday factor, closed days
 * left out; the demand of a coming local day is that base times the day's factor, and the shape
 * folds a day's units divided by the store's factor (a closed day is not folded: it would teach
 * the shape that the weekday is empty). The rate's days are then the store's local days.
 * Without one, days are UTC days: events carry no time zone, and the shape absorbs the offset.
 */

import { DAY_MS, HOUR_MS } from '../../lib/domain/time';
import { localDaysBetween, type SkuCalendar } from './demand-calendar';

// Re-exported for the stock processor's files and tests, which take the hour and day from here.
export { DAY_MS, HOUR_MS };

const WEEK_HOURS = 168;

export const RISK_TUNING = {
  /**
   * Weight of the newest day in the daily rate: about a two-week memory, so promotions and seasons
   * show within days. Swept again once stock-outs censored the rate (tune-stock-promotions.ts,
   * model risk, recall_vs_oracle; seeds 11-13 / 14-16 / 17-19 / 20-22): 0.1 0.875 / 0.867 / 0.868 /
   * 0.847; 0.06 0.874 / 0.941 / 0.914 / 0.874; 0.03 0.900 / 0.953 / 0.957 / 0.881; 0.02 0.923 /
   * 0.978 / 0.946 / 0.894. Longer memories won there, but not on seeds 4-6 (0.1 1.272, 0.03 1.260)
   * nor on the bench's scoring seeds 1-3 (0.896 against 0.868), so 0.1 stays: the sets disagree by
   * more than the memory moves them.
   */
  rateAlpha: 0.1,
  /** Weight of the newest week in the store's hour-of-week shape (per folded day: 1/7 of it). */
  shapeWeeklyAlpha: 0.3,
  /** Hours-to-stock-out is searched this far ahead; beyond it the row says null. */
  maxHorizonHours: 28 * 24,
} as const;

// ── the demand distribution ─────────────────────────────────────────────────────────────

/**
 * P(X >= k) for X ~ negative binomial with mean `mean` and size `size` (variance mean +
 * mean^2 / size); size = Infinity is the Poisson. Sums the pmf below k in log space, so large
 * means do not underflow.
 */
export function demandSurvival(mean: number, size: number, k: number): number {
  if (k <= 0) return 1;
  if (!(mean > 0)) return 0;
  const poisson = !Number.isFinite(size);
  const sd = Math.sqrt(mean + (poisson ? 0 : (mean * mean) / size));
  // Far in the upper tail the answer is 0 to double precision: skip the sum (most skus, most of the time).
  if (k > mean + 40 * sd + 10) return 0;
  // log pmf(0) and the ratio pmf(i+1)/pmf(i) = (i + size)/(i + 1) * mean/(size + mean).
  const logP0 = poisson ? -mean : size * Math.log(size / (size + mean));
  const q = poisson ? mean : mean / (size + mean);
  let below = 0;
  if (logP0 > -700) {
    let p = Math.exp(logP0);
    for (let i = 0; i < k; i++) {
      below += p;
      p *= poisson ? q / (i + 1) : ((i + size) / (i + 1)) * q;
    }
  } else {
    // pmf(0) underflows (a large mean): the same sum in log space.
    let logP = logP0;
    const logQ = Math.log(q);
    for (let i = 0; i < k; i++) {
      below += Math.exp(logP);
      logP += poisson ? logQ - Math.log(i + 1) : Math.log((i + size) / (i + 1)) + logQ;
    }
  }
  return Math.min(1, Math.max(0, 1 - below));
}

// ── the store's hour-of-week shape ──────────────────────────────────────────────────────

export interface StoreShapeSnapshot {
  readonly weights: number[];
  readonly day: number | null;
  readonly today: number[];
  readonly foldedDays: number;
}

/** Share of a store's weekly units per UTC hour of the week, learned a whole day at a time. */
export class StoreShape {
  /** Decayed units per hour of the week, from folded (complete) days only. */
  private weights = new Float64Array(WEEK_HOURS);
  /** UTC day being accumulated, and its units per hour. */
  private day: number | undefined;
  private today = new Float64Array(24);
  /** Complete days folded in: the shape only changes when this does. */
  foldedDays = 0;

  /**
   * Adds units sold at `at`; answers true when a day was folded (the shape changed).
   * `dayFactor` (of a UTC day) is the store's holiday factor: a day's units are divided by it
   * when folded, and a day it puts at 0 (closed) is not folded.
   */
  add(at: number, units: number, dayFactor?: (utcDay: number) => number): boolean {
    const day = Math.floor(at / DAY_MS);
    let folded = false;
    if (this.day === undefined) this.day = day;
    if (day > this.day) {
      this.fold(dayFactor?.(this.day) ?? 1);
      this.day = day;
      folded = true;
    }
    // A late sale of an already folded day is not worth a refold: the shape is an average.
    if (day === this.day) this.today[Math.floor((at - day * DAY_MS) / HOUR_MS)]! += units;
    return folded;
  }

  private fold(factor: number): void {
    const keep = 1 - RISK_TUNING.shapeWeeklyAlpha;
    const dow = (this.day! + 3) % 7; // 1970-01-01 was a Thursday: 0 = Monday
    for (let h = 0; h < 24 && factor > 0; h++) {
      const w = dow * 24 + h;
      const units = this.today[h]! / factor;
      // The first time an hour of the week is seen it takes the value as is.
      this.weights[w] = this.foldedDays < 7 ? units : keep * this.weights[w]! + (1 - keep) * units;
    }
    this.today.fill(0);
    this.foldedDays++;
  }

  /**
   * Shares of the week (summing to 1), by hour of the week: after a week of history straight from
   * the learned weights, before that from the hour-of-day profile of the days seen, and uniform
   * before any complete day.
   */
  shares(): Float64Array {
    const out = new Float64Array(WEEK_HOURS);
    if (this.foldedDays >= 7) {
      const total = this.weights.reduce((a, b) => a + b, 0);
      if (total > 0) {
        for (let w = 0; w < WEEK_HOURS; w++) out[w] = this.weights[w]! / total;
        return out;
      }
    }
    const byHour = new Float64Array(24);
    for (let w = 0; w < WEEK_HOURS; w++) byHour[w % 24]! += this.weights[w]!;
    const total = byHour.reduce((a, b) => a + b, 0);
    for (let w = 0; w < WEEK_HOURS; w++) out[w] = total > 0 ? byHour[w % 24]! / total / 7 : 1 / WEEK_HOURS;
    return out;
  }

  toJSON(): StoreShapeSnapshot {
    return { weights: [...this.weights], day: this.day ?? null, today: [...this.today], foldedDays: this.foldedDays };
  }

  static fromJSON(s: StoreShapeSnapshot): StoreShape {
    const shape = new StoreShape();
    shape.weights = Float64Array.from(s.weights);
    shape.day = s.day ?? undefined;
    shape.today = Float64Array.from(s.today);
    shape.foldedDays = s.foldedDays;
    return shape;
  }
}

/** Hour of the week (0 = Monday 00:00 UTC) of an instant. */
export function hourOfWeek(at: number): number {
  const day = Math.floor(at / DAY_MS);
  return ((day + 3) % 7) * 24 + Math.floor((at - day * DAY_MS) / HOUR_MS);
}

/**
 * Cumulative shares: cumulative[w] = sum of shares[0..w-1] (169 entries, the last is 1), so the
 * share between two instants costs O(1) however far apart they are.
 */
export function cumulativeShares(shares: Float64Array): Float64Array {
  const c = new Float64Array(WEEK_HOURS + 1);
  for (let w = 0; w < WEEK_HOURS; w++) c[w + 1] = c[w]! + shares[w]!;
  return c;
}

/** Share of the week's units from the start of the week (Monday 00:00 UTC) to `at`, plus whole weeks since the epoch. */
function weekPosition(cumulative: Float64Array, at: number): number {
  const weekMs = WEEK_HOURS * HOUR_MS;
  // Weeks counted from Monday 1970-01-05 (the epoch was a Thursday).
  const fromMonday = at - 4 * DAY_MS;
  const week = Math.floor(fromMonday / weekMs);
  const inWeek = fromMonday - week * weekMs;
  const w = Math.floor(inWeek / HOUR_MS);
  const part = (inWeek - w * HOUR_MS) / HOUR_MS;
  return week * cumulative[WEEK_HOURS]! + cumulative[w]! + part * (cumulative[w + 1]! - cumulative[w]!);
}

/** Expected share of a week's units between `from` and `to` (partial hours pro rata). */
export function weekShareBetween(cumulative: Float64Array, from: number, to: number): number {
  return to <= from ? 0 : weekPosition(cumulative, to) - weekPosition(cumulative, from);
}

// ── the sku's daily rate ────────────────────────────────────────────────────────────────

export interface DailyRateSnapshot {
  readonly day: number | null;
  readonly firstDay: number | null;
  readonly units: number;
  readonly m1: number;
  readonly m2: number;
  readonly weight: number;
  /** Absent in snapshots from before stock-outs were censored. */
  readonly outSince?: number | null;
  readonly censored?: boolean;
}

/**
 * Units per UTC day, exponentially weighted (with the bias correction that makes the first days
 * count fully), and the day-to-day variance for the dispersion. Days with no sale count as 0.
 *
 * Sales are demand only while there is stock: told when the books run empty (`books`), a day
 * that saw them empty counts as the larger of its units and the rate so far (what it sold is a
 * lower bound of what was asked for), and whole days they stayed empty are left out, as closed
 * days are. Without it every stock-out taught the rate that demand had fallen, just before the
 * next one.
 */
export class DailyRate {
  private day: number | undefined;
  private firstDay: number | undefined;
  private units = 0;
  private m1 = 0;
  private m2 = 0;
  private weight = 0;
  /** When the books ran empty, while they stay so. */
  private outSince: number | undefined;
  /** The current day saw the books empty. */
  private censored = false;

  /** `closed` (of a day) leaves the days it names out of the rate: a day the store stayed shut sold nothing, and says nothing of demand. */
  add(at: number, units: number, closed?: (day: number) => boolean): void {
    const day = Math.floor(at / DAY_MS);
    if (this.day === undefined) this.day = this.firstDay = day;
    this.advance(day, closed);
    // A late sale of a folded day is added to the current one: the total stays right.
    this.units += units;
  }

  /**
   * The books at `at` (in the rate's time) hold no units (`out`) or some. Only a change matters:
   * the stock task says it after every entry of the key's books.
   */
  books(at: number, out: boolean, closed?: (day: number) => boolean): void {
    if (out === this.out) return;
    const day = Math.floor(at / DAY_MS);
    if (this.day === undefined) this.day = this.firstDay = day;
    this.advance(day, closed);
    this.outSince = out ? at : undefined;
    if (out) this.censored = true;
  }

  /** Whether the books were empty when last told (`books`). */
  get out(): boolean {
    return this.outSince !== undefined;
  }

  /** Folds the days before `day` in. */
  private advance(day: number, closed?: (day: number) => boolean): void {
    if (day <= this.day!) return;
    const s = this.folded(day, closed);
    this.m1 = s.m1;
    this.m2 = s.m2;
    this.weight = s.weight;
    this.units = 0;
    this.day = day;
    this.censored = this.outSince !== undefined;
  }

  /** Moments as if every day before `day` were complete (the current one and empty days since). */
  private folded(day: number, closed?: (day: number) => boolean): { m1: number; m2: number; weight: number } {
    const a = RISK_TUNING.rateAlpha;
    if (this.day === undefined || day <= this.day) return { m1: this.m1, m2: this.m2, weight: this.weight };
    // A day that saw the books empty sold at most what it had: its demand was at least that, and the rate so far is the better guess when it sold less.
    const units = this.censored && this.weight > 0 ? Math.max(this.units, this.m1 / this.weight) : this.units;
    let m1 = (1 - a) * this.m1 + a * units;
    let m2 = (1 - a) * this.m2 + a * units * units;
    let weight = (1 - a) * this.weight + a;
    // Days the books stayed empty throughout say nothing of demand: left out, as closed days are.
    if (this.outSince !== undefined) return { m1, m2, weight };
    let empty = Math.min(day - this.day - 1, 365);
    if (closed) for (let d = this.day + 1; d < day && d <= this.day + 365; d++) if (closed(d)) empty--;
    const k = Math.pow(1 - a, empty);
    m1 *= k;
    m2 *= k;
    weight = weight * k + (1 - k);
    return { m1, m2, weight };
  }

  /** Complete days of history before `at`. */
  historyDays(at: number): number {
    return this.firstDay === undefined ? 0 : Math.floor(at / DAY_MS) - this.firstDay;
  }

  /** Units per day and the negative binomial size of one day's units, as of `at`. */
  estimate(at: number, closed?: (day: number) => boolean): { perDay: number; daySize: number } {
    const s = this.folded(Math.floor(at / DAY_MS), closed);
    if (s.weight <= 0) return { perDay: 0, daySize: Number.POSITIVE_INFINITY };
    const mean = s.m1 / s.weight;
    const variance = Math.max(0, s.m2 / s.weight - mean * mean);
    // Over-dispersion only when clearly above Poisson; a floor on the size keeps a few noisy days from making the tail absurd.
    const daySize = variance > mean * 1.05 ? Math.max(0.5, (mean * mean) / (variance - mean)) : Number.POSITIVE_INFINITY;
    return { perDay: mean, daySize };
  }

  toJSON(): DailyRateSnapshot {
    return { day: this.day ?? null, firstDay: this.firstDay ?? null, units: this.units, m1: this.m1, m2: this.m2, weight: this.weight, outSince: this.outSince ?? null, censored: this.censored };
  }

  static fromJSON(s: DailyRateSnapshot): DailyRate {
    const r = new DailyRate();
    r.day = s.day ?? undefined;
    r.firstDay = s.firstDay ?? undefined;
    r.units = s.units;
    r.m1 = s.m1;
    r.m2 = s.m2;
    r.weight = s.weight;
    r.outSince = s.outSince ?? undefined;
    r.censored = s.censored ?? false;
    return r;
  }
}

// ── putting it together ─────────────────────────────────────────────────────────────────

export interface RiskInputs {
  readonly onHand: number;
  readonly asOf: number;
  readonly perDay: number;
  readonly daySize: number;
  /** cumulativeShares() of the store's shape. */
  readonly cumulative: Float64Array;
  /** When the next delivery can come (replenishment.ts: earliestDelivery). */
  readonly deliveryAt: number;
  /** The store x sku's holiday calendar: perDay is then a holiday-free base, scaled by each coming day's factor. */
  readonly calendar?: SkuCalendar;
  /** Spans of the horizon whose demand is a multiple of the base (promotions.ts: the sku's promotions and their uplift). */
  readonly boosts?: readonly DemandBoost[];
}

/** Demand multiplied by `factor` over [from, to). */
export interface DemandBoost {
  readonly from: number;
  readonly to: number;
  readonly factor: number;
}

export interface RiskEstimate {
  /** P(on_hand runs out before the next delivery). */
  readonly risk: number;
  /** The delivery date the risk was computed for. */
  readonly nextDeliveryAt: number;
  /** Expected units sold until that date. */
  readonly expectedUnits: number;
  /** Hours until expected demand reaches on_hand; null beyond the search horizon or with no demand. */
  readonly hoursToStockout: number | null;
}

export function estimateRisk(inputs: RiskInputs): RiskEstimate {
  const { onHand, asOf, perDay, daySize, cumulative, deliveryAt, calendar, boosts } = inputs;
  const perWeek = perDay * 7;
  const expected = (from: number, to: number): number => boostedBetween(perWeek, cumulative, calendar, boosts, from, to);
  const expectedUnits = expected(asOf, deliveryAt);
  // Days are independent: the size of a sum over d days is d times one day's.
  const size = daySize * Math.max(1 / 24, (deliveryAt - asOf) / DAY_MS);
  const risk = demandSurvival(expectedUnits, size, onHand);
  return { risk, nextDeliveryAt: deliveryAt, expectedUnits, hoursToStockout: perWeek > 0 ? hoursUntil(onHand, asOf, expected, calendar) : onHand <= 0 ? 0 : null };
}

/** expectedBetween, with each boost's span of [from, to) at its factor (spans of one sku do not overlap: one promotion at a time). */
export function boostedBetween(perWeek: number, cumulative: Float64Array, calendar: SkuCalendar | undefined, boosts: readonly DemandBoost[] | undefined, from: number, to: number): number {
  let units = expectedBetween(perWeek, cumulative, calendar, from, to);
  for (const b of boosts ?? []) {
    const a = Math.max(from, b.from);
    const z = Math.min(to, b.to);
    if (z > a) units += (b.factor - 1) * expectedBetween(perWeek, cumulative, calendar, a, z);
  }
  return units;
}

/** Expected units in [from, to): the week's units spread by the shape, times each local day's holiday factor when there is a calendar. */
export function expectedBetween(perWeek: number, cumulative: Float64Array, calendar: SkuCalendar | undefined, from: number, to: number): number {
  if (!calendar) return perWeek * weekShareBetween(cumulative, from, to);
  let units = 0;
  for (const d of localDaysBetween(calendar, from, to)) {
    const f = calendar.factor(d.day);
    if (f > 0) units += f * perWeek * weekShareBetween(cumulative, d.from, d.to);
  }
  return units;
}

/**
 * Hours until the expected demand reaches `onHand`: day by day to the day it is reached (one
 * local day with a calendar, one UTC day without), then bisection within it (the cumulative
 * demand never decreases).
 */
function hoursUntil(onHand: number, asOf: number, expected: (from: number, to: number) => number, calendar: SkuCalendar | undefined): number | null {
  if (onHand <= 0) return 0;
  const limit = asOf + RISK_TUNING.maxHorizonHours * HOUR_MS;
  const dayEnd = (at: number): number => (calendar ? calendar.startOf(calendar.dayOf(at) + 1) : (Math.floor(at / DAY_MS) + 1) * DAY_MS);
  let lo = asOf;
  let before = 0;
  for (;;) {
    if (lo >= limit) return null;
    const end = Math.min(limit, Math.max(dayEnd(lo), lo + 60_000));
    const day = expected(lo, end);
    if (before + day >= onHand) break;
    before += day;
    lo = end;
  }
  let hi = Math.min(limit, Math.max(dayEnd(lo), lo + 60_000));
  const start = lo;
  while (hi - lo > 60_000) {
    const mid = (lo + hi) / 2;
    if (before + expected(start, mid) >= onHand) hi = mid;
    else lo = mid;
  }
  return (hi - asOf) / HOUR_MS;
}
