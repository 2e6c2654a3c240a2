/**
 * The oracle of stock-out warnings (issue 17, item 3): the best risk that can be known of "the
 * shelf runs out before the next replenishment", to judge the stock processor's risk against.
 *
 * It knows what no store system can: the physical units on the shelf (theft and phantom
 * inventory included), the true mean of every future hour's demand (the simulator's demand
 * model, promotions and holidays included), and when the next delivery really lands (the true
 * purchase orders with their lateness: the next receipt of the run). What it cannot know is the
 * demand draw itself, so its risk is P(demand from now until that receipt >= units on the shelf)
 * under the simulator's own demand distribution: hourly negative binomial, size DEMAND_DISPERSION,
 * independent hours. The sum of independent negative binomials with one size but different means
 * is not negative binomial; it is approximated by the one with the same mean and variance.
 */
import { DEMAND_DISPERSION } from '../pos/demand';
import { demandSurvival, HOUR_MS } from '../../streams/stock/risk';
import type { RiskMap } from '../../streams/stock/risk-calibration-map';

/**
 * P(demand in [from, to) >= onHand), from the true mean demand of each hour, `hourMeans[i]` for
 * the hour starting at `firstHour + i * HOUR_MS` (partial hours pro rata; hours past the end of
 * the array have no demand). Pure.
 */
export function oracleRisk(onHand: number, from: number, to: number, hourMeans: ArrayLike<number>, firstHour: number): number {
  if (onHand <= 0) return 1;
  let mean = 0;
  let squares = 0;
  const first = Math.max(0, Math.floor((from - firstHour) / HOUR_MS));
  const last = Math.min(hourMeans.length - 1, Math.ceil((to - firstHour) / HOUR_MS) - 1);
  for (let i = first; i <= last; i++) {
    const start = firstHour + i * HOUR_MS;
    const part = (Math.min(to, start + HOUR_MS) - Math.max(from, start)) / HOUR_MS;
    if (part <= 0) continue;
    const m = hourMeans[i]! * part;
    mean += m;
    squares += m * m;
  }
  if (!(mean > 0)) return 0;
  // Variance of the sum: sum(m + m^2/k); the matching size is k * mean^2 / sum(m^2).
  const size = (DEMAND_DISPERSION * mean * mean) / squares;
  return demandSurvival(mean, size, onHand);
}

/**
 * Per store, the true mean demand of every sku in every simulated hour, recorded from the
 * simulator's running daily totals (the hour's mean is what the total grew by since the hour
 * before, or the whole total on a new local day).
 */
export class TrueDemandMeans {
  /** Per series key `store/sku`: mean per hour from the run's start. */
  private readonly means = new Map<string, number[]>();
  private readonly previous = new Map<string, { localDay: number; units: Float64Array }>();

  constructor(readonly firstHour: number) {}

  /** Records the hour just simulated for one store (`skus` by product index). */
  record(storeId: string, skus: readonly string[], today: { readonly localDay: number; readonly units: Float64Array }, hourStart: number): void {
    const index = Math.round((hourStart - this.firstHour) / HOUR_MS);
    const before = this.previous.get(storeId);
    const sameDay = before !== undefined && before.localDay === today.localDay;
    for (let j = 0; j < skus.length; j++) {
      const key = `${storeId}/${skus[j]!}`;
      const series = this.means.get(key) ?? this.means.set(key, []).get(key)!;
      while (series.length < index) series.push(0);
      series[index] = today.units[j]! - (sameDay ? before.units[j]! : 0);
    }
    this.previous.set(storeId, { localDay: today.localDay, units: Float64Array.from(today.units) });
  }

  of(series: string): readonly number[] {
    return this.means.get(series) ?? [];
  }
}

/**
 * The oracle's risk made calibrated: the demand model alone overstates mid-range risks a little
 * (returns put units back on the shelf, which it does not foresee). Fitted like the processor's
 * map (fit-risk-map.ts) on the tuning seeds; monotone, so the oracle's warnings do not change.
 */
export const ORACLE_RISK_MAP: RiskMap = { knots: [[0, 0.0005], [0, 0.0008], [0, 0.0014], [0.000012, 0.0017], [0.000046, 0.002], [0.000076, 0.0021], [0.000142, 0.0025], [0.000302, 0.0037], [0.00057, 0.0058], [0.0009, 0.0069], [0.001152, 0.0076], [0.00146, 0.0087], [0.002232, 0.0125], [0.00303, 0.0132], [0.003604, 0.02], [0.004233, 0.0209], [0.005481, 0.023], [0.006914, 0.0255], [0.009505, 0.0272], [0.012517, 0.0326], [0.013463, 0.0354], [0.01729, 0.0359], [0.021459, 0.0425], [0.025686, 0.0501], [0.031835, 0.0565], [0.036078, 0.0614], [0.042665, 0.0756], [0.048675, 0.0769], [0.051792, 0.0799], [0.055072, 0.0852], [0.059735, 0.0894], [0.067219, 0.0973], [0.073968, 0.0986], [0.079568, 0.0995], [0.086968, 0.1178], [0.093236, 0.1232], [0.096553, 0.1285], [0.104913, 0.1295], [0.113437, 0.1318], [0.117253, 0.1487], [0.121065, 0.1516], [0.134821, 0.1553], [0.151608, 0.1646], [0.15814, 0.1756], [0.167256, 0.19], [0.179223, 0.1924], [0.199707, 0.1992], [0.218821, 0.2045], [0.224647, 0.211], [0.230487, 0.2119], [0.236674, 0.2181], [0.259143, 0.2256], [0.293976, 0.2403], [0.312782, 0.2473], [0.324716, 0.2508], [0.337148, 0.2785], [0.345786, 0.2833], [0.358651, 0.2948], [0.386019, 0.3092], [0.410228, 0.3109], [0.446558, 0.3221], [0.4848, 0.3261], [0.496589, 0.3616], [0.50806, 0.3699], [0.533613, 0.3758], [0.574793, 0.3929], [0.604321, 0.4301], [0.637756, 0.4418], [0.672082, 0.4467], [0.709202, 0.4964], [0.771952, 0.5179], [0.82429, 0.5641], [0.852257, 0.6015], [0.881895, 0.6345], [0.914217, 0.7078], [0.949251, 0.7611], [0.987792, 0.9068], [0.999998, 1]] };
