/**
 * Reorder advice from the forecast distribution. Demand over the lead time plus the review
 * period (the days until the next chance to order) is the sum of the daily forecasts; each
 * day's spread is read from its P10-P90 band as a normal deviation ((P90 - P10) / 2.563) and the
 * days are taken as independent, so the total's deviation is the root of the summed variances.
 * The reorder point is the service-level quantile of that total; the order brings the stock
 * position (on hand + on order) up to it, in whole cases.
 *
 * The lead time and the case pack are the series' own (SupplyTerms, learnt from its purchase
 * orders by the job): a chain-wide lead time under-protects the products whose supplier is slower,
 * and an order the supplier can only ship in cases is rounded up by the supplier anyway.
 */
import { HORIZON } from './features';

/** Width of the 10%-90% band of a standard normal (2 x 1.2816). */
const P10_P90_WIDTH = 2.5631;

/** Inverse of the standard normal CDF (Acklam's rational approximation, |error| < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`probability must be in (0, 1), got ${p}`);
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

export interface ReorderPolicy {
  /** Days from order to delivery, for a series whose own lead time is unknown (no order seen). */
  readonly leadTimeDays: number;
  /** Days until the next order can be placed. */
  readonly reviewDays: number;
  /** Target probability of not running out before the delivery after next. */
  readonly serviceLevel: number;
}

/** What the supplier of one store x sku imposes. */
export interface SupplyTerms {
  /** Days from order to delivery, as the store's last order of the sku announced it. */
  readonly leadTimeDays: number;
  /** Units per case: orders are whole cases (1: any quantity). */
  readonly casePack: number;
}

export interface ReorderAdvice {
  readonly lead_time_days: number;
  readonly demand_lead_time_mean: number;
  readonly reorder_point: number;
  readonly order_quantity: number;
}

/** Advice for one series from its daily P10/P50/P90 (days 1..HORIZON), under its supplier's terms (the policy's lead time, any quantity, when unknown). */
export function reorderAdvice(p10: ArrayLike<number>, p50: ArrayLike<number>, p90: ArrayLike<number>, onHand: number, onOrder: number, policy: ReorderPolicy, terms?: SupplyTerms): ReorderAdvice {
  const leadTimeDays = terms?.leadTimeDays ?? policy.leadTimeDays;
  const casePack = terms?.casePack ?? 1;
  const days = Math.min(HORIZON, leadTimeDays + policy.reviewDays);
  let mean = 0;
  let variance = 0;
  for (let h = 0; h < days; h++) {
    mean += p50[h]!;
    const sd = Math.max(0, p90[h]! - p10[h]!) / P10_P90_WIDTH;
    variance += sd * sd;
  }
  const reorderPoint = mean + normalQuantile(policy.serviceLevel) * Math.sqrt(variance);
  const position = onHand + onOrder;
  const short = reorderPoint - position;
  return { lead_time_days: leadTimeDays, demand_lead_time_mean: mean, reorder_point: reorderPoint, order_quantity: short >= 0 ? Math.ceil(short / casePack) * casePack : 0 };
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/**
 * Units per case read from past order quantities, which are whole cases: their greatest common
 * divisor, once at least two different quantities were seen (a single quantity may be several
 * cases, and a case pack read too large would over-order every time). 1 otherwise.
 */
export function casePackOf(quantities: readonly number[]): number {
  const distinct = [...new Set(quantities.filter((q) => Number.isInteger(q) && q > 0))];
  if (distinct.length < 2) return 1;
  return distinct.reduce(gcd);
}
