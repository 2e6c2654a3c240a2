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
export const FITTED_RISK_MAP: RiskMap = { knots: [[0, 0.1027], [0.0001, 0.1416], [0.000281, 0.1476], [0.0005, 0.154], [0.001, 0.1624], [0.002364, 0.165], [0.005012, 0.1726], [0.008546, 0.173], [0.012867, 0.1756], [0.02225, 0.1765], [0.035916, 0.1768], [0.04706, 0.1901], [0.054987, 0.1968], [0.09129, 0.1976], [0.150722, 0.2085], [0.173568, 0.2307], [0.187019, 0.2351], [0.20245, 0.243], [0.219447, 0.263], [0.269175, 0.2835], [0.360402, 0.3221], [0.425896, 0.3354], [0.465537, 0.3917], [0.535549, 0.4139], [0.620847, 0.5045], [0.689526, 0.5134], [0.766503, 0.5376], [0.847296, 0.6496], [0.927582, 0.7828], [0.998389, 0.9923]] };
