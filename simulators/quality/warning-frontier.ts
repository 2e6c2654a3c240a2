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
 * the warning target of the issue allows (80% warned 24 h ahead at <= 20% false warnings). At
 * a rate, a curve's recall is the best recall of its thresholds whose false rate is at most it.
 */
import type { StockoutRow } from '../pos/ground-truth';
import { DAY_MS } from '../../lib/domain/time';
import { type AlertSpan, scoreAlerts, WARMUP_DAYS } from './stockout-alerts';

export const FALSE_RATE_TARGET = 0.2;
/** Every hundredth: the frontier's recall at a false rate is read off the nearest threshold below it. */
export const THRESHOLDS: readonly number[] = Array.from({ length: 99 }, (_, i) => (i + 1) / 100);

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

export function emptyCurve(): CurvePoint[] {
  return THRESHOLDS.map((threshold) => ({ threshold, eligible: 0, warned24h: 0, scored: 0, falseWarnings: 0 }));
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

export interface Frontier {
  readonly points: readonly { threshold: number; recall24h: number; falseRate: number }[];
}

export function frontier(curve: readonly CurvePoint[]): Frontier {
  return { points: curve.map((p) => ({ threshold: p.threshold, recall24h: p.eligible ? p.warned24h / p.eligible : 0, falseRate: p.scored ? p.falseWarnings / p.scored : 0 })) };
}

/** The best recall 24 h ahead among thresholds with a false-warning rate at most `falseRate` (0 when none). */
export function recallAt(f: Frontier, falseRate: number): { recall24h: number; threshold: number | null } {
  let best = { recall24h: 0, threshold: null as number | null };
  for (const p of f.points) if (p.falseRate <= falseRate && p.recall24h > best.recall24h) best = { recall24h: p.recall24h, threshold: p.threshold };
  return best;
}
