/**
 * What the stock-out risk claims made true: the risk model (risk.ts) sees only the books, so it
 * misses what they cannot show (theft and phantom stock-outs with units still in the books, late
 * deliveries) and overstates mid-range risks (measured: claims under 0.1 met a stock-out before
 * the next replenishment 13% of the time, claims of 0.75 saw 0.54). A monotone map from the
 * model's risk to the share of stock-outs that followed such claims corrects both ends; being
 * monotone it keeps the model's ranking, so the alerts (decided on the model's risk, with the
 * thresholds tuned on it) raise and resolve exactly as before.
 *
 * The map is a piecewise-linear function through knots (model risk, observed share), fitted by
 * isotonic regression on the simulator's tuning seeds (simulators/quality/fit-risk-map.ts: seeds
 * 11-13 x the three seasons of detection-seasons.ts); the stock-warnings bench scores seeds
 * 1-3, which the fit never saw. Refit when the risk model changes.
 */

export interface RiskMap {
  /** Knots (model risk, calibrated risk), model risk ascending; constant beyond both ends. */
  readonly knots: readonly (readonly [number, number])[];
}

/** The calibrated risk of a model risk (pure, O(log knots)). */
export function calibrateRisk(map: RiskMap, modelRisk: number): number {
  const k = map.knots;
  if (k.length === 0) return modelRisk;
  if (modelRisk <= k[0]![0]) return k[0]![1];
  if (modelRisk >= k[k.length - 1]![0]) return k[k.length - 1]![1];
  let lo = 0;
  let hi = k.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (k[mid]![0] <= modelRisk) lo = mid;
    else hi = mid;
  }
  const [x0, y0] = k[lo]!;
  const [x1, y1] = k[hi]!;
  return x1 === x0 ? y1 : y0 + ((modelRisk - x0) / (x1 - x0)) * (y1 - y0);
}

/**
 * Fits a map by isotonic regression (pool adjacent violators) of outcomes (0/1) on model risks,
 * after grouping the sorted samples into `groups` groups of equal size (equal risks never split),
 * so the map has few knots and each rests on many samples. Pure.
 */
export function fitRiskMap(risk: ArrayLike<number>, outcome: ArrayLike<number>, groups = 200): RiskMap {
  if (risk.length !== outcome.length) throw new RangeError(`${risk.length} risks but ${outcome.length} outcomes`);
  if (risk.length === 0) throw new RangeError('cannot fit a risk map on no samples');
  const order = Array.from({ length: risk.length }, (_, i) => i).sort((a, b) => risk[a]! - risk[b]!);
  const size = Math.max(1, Math.floor(order.length / groups));
  // Blocks of (sum risk, sum outcome, count), grouped then pooled while not increasing.
  const blocks: { x: number; y: number; n: number }[] = [];
  for (let i = 0; i < order.length; ) {
    let end = Math.min(order.length, i + size);
    while (end < order.length && risk[order[end]!] === risk[order[end - 1]!]) end++;
    let x = 0;
    let y = 0;
    for (let j = i; j < end; j++) {
      x += risk[order[j]!]!;
      y += outcome[order[j]!]!;
    }
    blocks.push({ x, y, n: end - i });
    while (blocks.length > 1) {
      const b = blocks[blocks.length - 1]!;
      const a = blocks[blocks.length - 2]!;
      if (a.y / a.n < b.y / b.n) break;
      blocks.splice(blocks.length - 2, 2, { x: a.x + b.x, y: a.y + b.y, n: a.n + b.n });
    }
    i = end;
  }
  return { knots: blocks.map((b) => [round(b.x / b.n, 6), round(b.y / b.n, 4)] as const) };
}

const round = (v: number, digits: number): number => Math.round(v * 10 ** digits) / 10 ** digits;

/** The model's own risk, unmapped (fitting a map needs it). */
export const MODEL_RISK: RiskMap = { knots: [] };

/** Fitted by `node dist/simulators/quality/fit-risk-map.js` (seeds 11-13 x normal, year-end, Ramadan; 4 stores x 60 skus; the risk with the stores' holiday calendars and the promotions' learned uplift). */
export const FITTED_RISK_MAP: RiskMap = { knots: [[0, 0.1035], [0.0001, 0.1391], [0.00028, 0.149], [0.000896, 0.1626], [0.001646, 0.1669], [0.00254, 0.1681], [0.00538, 0.1733], [0.015919, 0.1736], [0.029078, 0.1812], [0.035565, 0.1844], [0.050272, 0.1979], [0.081623, 0.199], [0.130678, 0.2043], [0.161385, 0.2151], [0.18697, 0.2436], [0.22656, 0.283], [0.254565, 0.2871], [0.290814, 0.2871], [0.346246, 0.3281], [0.412605, 0.3423], [0.501597, 0.4501], [0.582055, 0.4621], [0.649429, 0.5215], [0.732382, 0.5667], [0.822928, 0.6447], [0.914871, 0.7963], [0.998191, 0.9903]] };
