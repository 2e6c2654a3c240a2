/**
 * Warning curves: what a risk is worth as stock-out warnings, over raise thresholds, so the
 * processor's risk and the oracle's (stock-oracle.ts) are judged by one rule in the same run.
 *
 * From a series' hourly risk samples, a warning at threshold t is raised at the first sample
 * with risk >= t while the shelf still holds units (as the risk's owner sees it: the books for
 * the processor, the shelf for the oracle), and stands until the next delivery arrives: what
 * the risk claims is a stock-out before the next replenishment, so that is what the warning is
 * judged on. No resolve on a falling risk: a hysteresis level depends on the risk's scale (a
 * calibrated risk that never falls below its floor would never resolve), while this rule gives
 * the same warnings for any monotone map of a risk, so calibrating cannot move the curve. The
 * spans are scored with the stock quality definitions (stockout-alerts.ts: recall 24 h ahead of
 * the stock-outs the books show, false warnings among decided ones). The processor's own alerts
 * (its thresholds and hysteresis) are scored beside, as alerts_recall24h and alerts_false.
 *
 * recall_vs_oracle compares the two at one false-warning rate, FALSE_RATE_TARGET = 0.2: the rate
 * the warning target of the issue allows (80% warned 24 h ahead at <= 20% false warnings).
 *
 * Two ways to read a curve's recall at that rate. The grid (GRID_THRESHOLDS, every hundredth;
 * recallAt: the best recall of a threshold whose false rate is at most the rate) was the first:
 * its figure depends on where a risk's values fall between the hundredths, so two monotone maps
 * of one risk scored differently (0.770 against 0.750 for a better-ranking risk, 2026-12-06). The
 * headline now takes its thresholds from the risk's own samples (rankThresholds: quantiles, so
 * any strictly monotone map of a risk gives the same warnings) and reads the recall at the rate
 * between the two neighbouring operating points of the frontier (interpolatedRecallAt): the
 * ROC-style interpolation (Provost and Fawcett's convex hull): raising at the one threshold or the
 * other at random reaches every point between them. It is done on the counts, not the ratios,
 * because the false-warning rate is a share of the warnings (like 1 - precision), where a
 * straight line between two points overstates what the mix reaches (Davis and Goadrich, 2006).
 */
import type { StockoutRow } from '../pos/ground-truth';
import { DAY_MS } from '../../lib/domain/time';
import { type AlertSpan, scoreAlerts, WARMUP_DAYS } from './stockout-alerts';

export const FALSE_RATE_TARGET = 0.2;
/** Every hundredth: the first grid, kept to report the old figure beside the new one. */
export const GRID_THRESHOLDS: readonly number[] = Array.from({ length: 99 }, (_, i) => (i + 1) / 100);
/**
 * Thresholds a rank-based curve tries. The decisive ones (about 20% false) raise on a few
 * percent of the samples, so the quantile levels crowd towards the top: with 400 levels at
 * 1 - (1 - i/400)^3, 86 fall in the top 1% of samples and 186 in the top 10%.
 */
export const RANK_THRESHOLD_COUNT = 400;

/** One series' hourly samples, in time order; risk NaN where the owner has none (not trusted yet). */
export interface RiskSeries {
  readonly storeId: string;
  readonly sku: string;
  readonly at: readonly number[];
  readonly risk: ArrayLike<number>;
  readonly onHand: ArrayLike<number>;
  /** Receipt times of the series (any order). */
  readonly receipts: readonly number[];
}

/** Warning spans of one series at threshold `raise` (pure; see the rule above). */
export function warningSpans(series: RiskSeries, raise: number): AlertSpan[] {
  const spans: AlertSpan[] = [];
  const receipts = [...series.receipts].sort((a, b) => a - b);
  let next = 0;
  let raisedAt: number | undefined;
  for (let i = 0; i < series.at.length; i++) {
    const at = series.at[i]!;
    let delivered = false;
    while (next < receipts.length && receipts[next]! <= at) {
      if (i > 0 && receipts[next]! > series.at[i - 1]!) delivered = true;
      next++;
    }
    const risk = series.risk[i]!;
    if (raisedAt !== undefined && delivered) {
      spans.push({ storeId: series.storeId, sku: series.sku, raisedAt, resolvedAt: at });
      raisedAt = undefined;
    }
    if (raisedAt === undefined && risk >= raise && series.onHand[i]! > 0) raisedAt = at;
  }
  if (raisedAt !== undefined) spans.push({ storeId: series.storeId, sku: series.sku, raisedAt, resolvedAt: undefined });
  return spans;
}

/** Counts of one threshold, summed over runs. */
export interface CurvePoint {
  readonly threshold: number;
  eligible: number;
  warned24h: number;
  scored: number;
  falseWarnings: number;
}

/**
 * Thresholds at quantiles of the samples a warning could be raised on (a risk, units on hand),
 * pooled over `series`, crowded towards the top (RANK_THRESHOLD_COUNT); ascending, distinct.
 * Only ranks decide which sample they fall on, so a strictly monotone map of the risk yields
 * the mapped thresholds and the same warnings (pure).
 */
export function rankThresholds(series: readonly RiskSeries[], count = RANK_THRESHOLD_COUNT): number[] {
  const values: number[] = [];
  for (const s of series) {
    for (let i = 0; i < s.at.length; i++) {
      const r = s.risk[i]!;
      if (!Number.isNaN(r) && s.onHand[i]! > 0) values.push(r);
    }
  }
  if (values.length === 0) return [];
  const sorted = Float64Array.from(values).sort();
  const picked = new Set<number>();
  for (let i = 0; i < count; i++) {
    const level = 1 - ((count - i) / count) ** 3;
    picked.add(sorted[Math.min(sorted.length - 1, Math.floor(level * sorted.length))]!);
  }
  return [...picked].sort((a, b) => a - b);
}

export function emptyCurve(thresholds: readonly number[] = GRID_THRESHOLDS): CurvePoint[] {
  return thresholds.map((threshold) => ({ threshold, eligible: 0, warned24h: 0, scored: 0, falseWarnings: 0 }));
}

/** Adds one run's warnings at every threshold to `curve`; warnings are judged from `scoredFrom` on. */
export function addRun(curve: CurvePoint[], run: { series: readonly RiskSeries[]; scoredFrom: number; runEnd: number; stockouts: readonly StockoutRow[]; firstCountAt: ReadonlyMap<string, number> }): void {
  for (const point of curve) {
    const alerts = run.series.flatMap((s) => warningSpans(s, point.threshold));
    // scoreAlerts judges from runStart + its warm-up: place the start so that is `scoredFrom`.
    const r = scoreAlerts({ runStart: run.scoredFrom - WARMUP_DAYS * DAY_MS, runEnd: run.runEnd, stockouts: run.stockouts, alerts, firstCountAt: run.firstCountAt });
    point.eligible += r.eligible;
    point.warned24h += r.warned24h;
    point.scored += r.alertsScored;
    point.falseWarnings += r.falseWarnings;
  }
}

export interface OperatingPoint {
  readonly threshold: number;
  readonly recall24h: number;
  readonly falseRate: number;
  /** The counts behind the two rates, for interpolating between points. */
  readonly counts?: Readonly<Omit<CurvePoint, 'threshold'>>;
}

export interface Frontier {
  readonly points: readonly OperatingPoint[];
}

export function frontier(curve: readonly CurvePoint[]): Frontier {
  return {
    points: curve.map((p) => ({
      threshold: p.threshold,
      recall24h: p.eligible ? p.warned24h / p.eligible : 0,
      falseRate: p.scored ? p.falseWarnings / p.scored : 0,
      counts: { eligible: p.eligible, warned24h: p.warned24h, scored: p.scored, falseWarnings: p.falseWarnings },
    })),
  };
}

/**
 * Recall 24 h ahead at exactly `falseRate`, between the two neighbouring operating points of the
 * frontier: below, the best point with at most that false rate (A); above, the point with the
 * lowest false rate beyond it among those of more recall (B). Raising at A's threshold with
 * chance l and at B's otherwise gives in expectation l x A's counts + (1 - l) x B's; l is solved
 * so the false warnings over the decided warnings equal `falseRate`, and the recall is that mix's
 * (same eligible stock-outs at every threshold). Without counts, or no B, A's recall (pure).
 */
export function interpolatedRecallAt(f: Frontier, falseRate: number): { recall24h: number; threshold: number | null } {
  const below = recallAt(f, falseRate);
  const a = f.points.find((p) => p.threshold === below.threshold);
  let b: OperatingPoint | undefined;
  for (const p of f.points) if (p.falseRate > falseRate && p.recall24h > below.recall24h && (b === undefined || p.falseRate < b.falseRate || (p.falseRate === b.falseRate && p.recall24h > b.recall24h))) b = p;
  const ac = a?.counts ?? { eligible: b?.counts?.eligible ?? 0, warned24h: 0, scored: 0, falseWarnings: 0 };
  const bc = b?.counts;
  if (!bc || bc.eligible === 0 || ac.eligible !== bc.eligible) return below;
  // l x (fA - r sA) + (1 - l) x (fB - r sB) = 0, with fA - r sA <= 0 < fB - r sB.
  const excessA = ac.falseWarnings - falseRate * ac.scored;
  const excessB = bc.falseWarnings - falseRate * bc.scored;
  const l = excessB / (excessB - excessA);
  return { recall24h: (l * ac.warned24h + (1 - l) * bc.warned24h) / bc.eligible, threshold: null };
}

/** The best recall 24 h ahead among thresholds with a false-warning rate at most `falseRate` (0 when none). */
export function recallAt(f: Frontier, falseRate: number): { recall24h: number; threshold: number | null } {
  let best = { recall24h: 0, threshold: null as number | null };
  for (const p of f.points) if (p.falseRate <= falseRate && p.recall24h > best.recall24h) best = { recall24h: p.recall24h, threshold: p.threshold };
  return best;
}
