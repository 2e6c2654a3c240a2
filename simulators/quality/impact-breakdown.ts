/**
 * Where a policy loses its sales: the impact score (impact.ts) split by what a replenishment
 * planner would look at per store x sku, from ground truth over the scored days:
 *   rate       the series' mean demand per day (demand is the same under every policy with
 *              common random numbers, so the bands hold the same series for both);
 *   category   the product's category;
 *   lead       the days from order to delivery the store's supplier needs for it;
 *   pack       days of demand in one case (case pack / mean daily demand): a case that lasts
 *              weeks is stock whoever orders it.
 * And, for advice rows, whether the reorder point covered what came: the share of advice rows
 * whose demand over the protection interval (the lead time plus the review period after the
 * advice's day) exceeded the reorder point, which a service level of p claims is at most 1 - p.
 */
import { parseDay } from '../../lib/domain/calendar';
import type { Chain } from '../pos/chain';
import type { DailyDemandRow } from '../pos/ground-truth';

export type BreakdownDimension = 'rate' | 'category' | 'lead' | 'pack';

/** Upper bounds (exclusive) of the mean-demand bands, units per day. */
export const RATE_BANDS = [0.5, 1, 2, 5, 10] as const;
/** Upper bounds (exclusive) of the days-of-demand-per-case bands. */
export const PACK_BANDS = [3, 7, 14, 28] as const;

/** The band label of `value` among ascending upper bounds: "<b0", "b0-b1", ..., ">=bn". */
export function bandOf(value: number, bounds: readonly number[]): string {
  if (value < bounds[0]!) return `<${bounds[0]}`;
  for (let i = 1; i < bounds.length; i++) if (value < bounds[i]!) return `${bounds[i - 1]}-${bounds[i]}`;
  return `>=${bounds[bounds.length - 1]}`;
}

export interface GroupOutcome {
  series: number;
  demand_units: number;
  /** Lost units and average stock at cost (euro cents), per policy, in `policies` order. */
  lost_units: number[];
  inventory_value: number[];
}

export interface SeriesTerms {
  /** Days from order to delivery for the store x sku. */
  leadTimeDays(storeId: string, sku: string): number;
}

/** Per dimension and group label: lost units and stock of each policy's truth (`runs`, same scored days). */
export function breakdown(runs: readonly (readonly DailyDemandRow[])[], chain: Chain, terms: SeriesTerms, fromDay: number, toDay: number): Map<BreakdownDimension, Map<string, GroupOutcome>> {
  const products = new Map(chain.products.map((p) => [p.product.sku, p]));
  const days = toDay - fromDay + 1;
  const scored = (date: string): boolean => {
    const d = parseDay(date);
    return d >= fromDay && d <= toDay;
  };
  // demand per series from the first run: common random numbers make it every run's
  const demand = new Map<string, number>();
  for (const r of runs[0]!) if (scored(r.date)) demand.set(`${r.store_id}/${r.sku}`, (demand.get(`${r.store_id}/${r.sku}`) ?? 0) + r.demand);
  const labels = (key: string): Record<BreakdownDimension, string> => {
    const [storeId, sku] = key.split('/') as [string, string];
    const p = products.get(sku)!;
    const rate = demand.get(key)! / days;
    return {
      rate: bandOf(rate, RATE_BANDS),
      category: p.category.name,
      lead: `${terms.leadTimeDays(storeId, sku)}d`,
      pack: rate > 0 ? bandOf(p.casePack / rate, PACK_BANDS) : `>=${PACK_BANDS[PACK_BANDS.length - 1]}`,
    };
  };
  const out = new Map<BreakdownDimension, Map<string, GroupOutcome>>((['rate', 'category', 'lead', 'pack'] as const).map((d) => [d, new Map()]));
  const group = (dimension: BreakdownDimension, label: string): GroupOutcome => {
    const groups = out.get(dimension)!;
    let g = groups.get(label);
    if (!g) groups.set(label, (g = { series: 0, demand_units: 0, lost_units: runs.map(() => 0), inventory_value: runs.map(() => 0) }));
    return g;
  };
  const labelOf = new Map([...demand.keys()].map((key) => [key, labels(key)]));
  for (const [key, units] of demand) {
    for (const [dimension, label] of Object.entries(labelOf.get(key)!) as [BreakdownDimension, string][]) {
      const g = group(dimension, label);
      g.series++;
      g.demand_units += units;
    }
  }
  runs.forEach((rows, k) => {
    for (const r of rows) {
      if (!scored(r.date)) continue;
      const cost = products.get(r.sku)!.product.unit_cost;
      for (const [dimension, label] of Object.entries(labelOf.get(`${r.store_id}/${r.sku}`)!) as [BreakdownDimension, string][]) {
        const g = group(dimension, label);
        g.lost_units[k]! += r.lost;
        g.inventory_value[k]! += (r.on_hand * cost) / days;
      }
    }
  });
  return out;
}

/** One advice row as the forecast job wrote it (reorder_recommendation). */
export interface AdviceRow {
  readonly store_id: string;
  readonly sku: string;
  readonly as_of_date: string;
  readonly lead_time_days: number;
  readonly review_days: number;
  readonly demand_lead_time_mean: number;
  readonly reorder_point: number;
}

export interface CoverageOutcome {
  rows: number;
  /** Sum of the advice's expected demand over the protection interval, and of the demand that came. */
  expected_units: number;
  actual_units: number;
  /** Rows whose demand over the protection interval exceeded the reorder point. */
  exceeded: number;
}

/**
 * Per rate band: how the advice's expected demand and reorder point compare with the demand that
 * came over each row's protection interval (days as_of + 1 .. as_of + lead + review), rows whose
 * interval ends after `lastDay` left out.
 */
export function adviceCoverage(advice: readonly AdviceRow[], truth: readonly DailyDemandRow[], fromDay: number, lastDay: number): Map<string, CoverageOutcome> {
  const daily = new Map<string, number>();
  const total = new Map<string, number>();
  for (const r of truth) {
    const d = parseDay(r.date);
    daily.set(`${r.store_id}/${r.sku}/${d}`, r.demand);
    if (d >= fromDay && d <= lastDay) total.set(`${r.store_id}/${r.sku}`, (total.get(`${r.store_id}/${r.sku}`) ?? 0) + r.demand);
  }
  const out = new Map<string, CoverageOutcome>();
  for (const a of advice) {
    const day = parseDay(a.as_of_date);
    const last = day + a.lead_time_days + a.review_days;
    if (day < fromDay || last > lastDay) continue;
    let actual = 0;
    for (let d = day + 1; d <= last; d++) actual += daily.get(`${a.store_id}/${a.sku}/${d}`) ?? 0;
    const band = bandOf((total.get(`${a.store_id}/${a.sku}`) ?? 0) / (lastDay - fromDay + 1), RATE_BANDS);
    const c = out.get(band) ?? { rows: 0, expected_units: 0, actual_units: 0, exceeded: 0 };
    c.rows++;
    c.expected_units += a.demand_lead_time_mean;
    c.actual_units += actual;
    if (actual > a.reorder_point) c.exceeded++;
    out.set(band, c);
  }
  return out;
}
