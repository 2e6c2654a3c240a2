/**
 * impact-diagnose: where the advice loses sales against the own rule, on tuning seeds only
 * (never 101/202/303), at impact-quick's scale. Per seed, the own rule and the advice at
 * ADVICE_POLICY with common random numbers; from ground truth, lost units and stock at cost split
 * by mean demand per day, category, lead time and days of demand per case
 * (simulators/quality/impact-breakdown.ts), and per demand band how often the demand over an
 * advice row's protection interval exceeded its reorder point (a service level p claims <= 1 - p).
 *
 * Prints a `BENCH impact-diagnose` line per dimension and group (pooled over the seeds); the
 * summary is the pooled lost-sales and inventory ratios (advice / own).
 */
import { formatDay } from '../../lib/domain/calendar';
import { type AdviceRow, type BreakdownDimension, type CoverageOutcome, type GroupOutcome, adviceCoverage, breakdown } from '../../simulators/quality/impact-breakdown';
import { scoreOutcome } from '../../simulators/quality/impact';
import { type Benchmark, formatBenchLine } from '../harness';
import { ADVICE_POLICY, IMPACT_QUICK_SCALE, START, loopServices, runAdvised, runOwn } from './impact';

/** Tuning seeds: 7 is impact-tune's; 8 and 9 added for the diagnosis. Never a scoring seed. */
const DIAGNOSE = { seeds: [7, 8, 9], scale: IMPACT_QUICK_SCALE } as const;

const ratio = (a: number, b: number): number => (b === 0 ? (a === 0 ? 1 : Number.POSITIVE_INFINITY) : a / b);

export const impactDiagnoseBench: Benchmark = {
  name: 'impact-diagnose',
  description: `where the advice loses sales: tuning seeds ${DIAGNOSE.seeds.join(', ')}, ${DIAGNOSE.scale.stores} stores x ${DIAGNOSE.scale.skus} skus, ${DIAGNOSE.scale.loopDays} days, service level ${ADVICE_POLICY.serviceLevel} (${ADVICE_POLICY.serviceMeasure ?? 'cycle'})`,
  async run(ctx) {
    const scale = { ...DIAGNOSE.scale, seeds: DIAGNOSE.seeds };
    const fromDay = START + scale.historyDays;
    const toDay = fromDay + scale.loopDays - 1;
    const pooled = new Map<BreakdownDimension, Map<string, GroupOutcome>>();
    const coverage = new Map<string, CoverageOutcome>();
    const totals = { own_lost: 0, advice_lost: 0, own_inventory: 0, advice_inventory: 0 };
    const { client, endpoint, close } = await loopServices(ctx);
    try {
      for (const seed of scale.seeds) {
        const own = runOwn(scale, seed);
        const stores = new Map(own.sim.chain.stores.map((p) => [p.store.store_id, p]));
        const window = (id: string): readonly [number, number] => {
          const clock = own.sim.model.clock(stores.get(id)!);
          return [clock.localMidnight(fromDay), clock.localMidnight(toDay + 1)];
        };
        let advice: AdviceRow[] = [];
        const run = await runAdvised(client, endpoint, scale, seed, 'advice', ctx.logger, ADVICE_POLICY, async (database) => {
          const result = await client.query({
            query: `SELECT store_id, sku, toString(as_of_date) AS as_of_date, lead_time_days, review_days, demand_lead_time_mean, reorder_point FROM ${database}.reorder_recommendation FINAL`,
            format: 'JSONEachRow',
          });
          advice = (await result.json<AdviceRow>()).map((r) => ({ ...r, lead_time_days: Number(r.lead_time_days), review_days: Number(r.review_days) }));
        });
        const o = scoreOutcome(own.truth, own.sim.chain, fromDay, toDay, window);
        const a = scoreOutcome(run.truth, own.sim.chain, fromDay, toDay, window);
        totals.own_lost += o.lost_units;
        totals.advice_lost += a.lost_units;
        totals.own_inventory += o.inventory_value;
        totals.advice_inventory += a.inventory_value;
        process.stdout.write(`${formatBenchLine('impact-diagnose', { seed, lost_sales_ratio: ratio(a.lost_units, o.lost_units), inventory_ratio: ratio(a.inventory_value, o.inventory_value), own_lost: o.lost_units, advice_lost: a.lost_units, demand: o.demand_units })}\n`);
        const lead = new Map(own.sim.stores.map((s) => [s.storeId, s.inventory.leadTimeDays]));
        const skuIndex = new Map(own.sim.chain.products.map((p, j) => [p.product.sku, j]));
        const groups = breakdown([own.truth.daily, run.truth.daily], own.sim.chain, { leadTimeDays: (store, sku) => lead.get(store)![skuIndex.get(sku)!]! }, fromDay, toDay);
        for (const [dimension, byLabel] of groups) {
          const into = pooled.get(dimension) ?? pooled.set(dimension, new Map()).get(dimension)!;
          for (const [label, g] of byLabel) {
            const p = into.get(label) ?? { series: 0, demand_units: 0, lost_units: [0, 0], inventory_value: [0, 0] };
            p.series += g.series;
            p.demand_units += g.demand_units;
            g.lost_units.forEach((v, k) => (p.lost_units[k]! += v));
            g.inventory_value.forEach((v, k) => (p.inventory_value[k]! += v));
            into.set(label, p);
          }
        }
        for (const [band, c] of adviceCoverage(advice, run.truth.daily, fromDay, toDay)) {
          const p = coverage.get(band) ?? { rows: 0, expected_units: 0, actual_units: 0, exceeded: 0 };
          p.rows += c.rows;
          p.expected_units += c.expected_units;
          p.actual_units += c.actual_units;
          p.exceeded += c.exceeded;
          coverage.set(band, p);
        }
        ctx.logger.warn({ seed, from: formatDay(fromDay), to: formatDay(toDay) }, 'impact-diagnose: seed done');
      }
    } finally {
      await close();
    }
    for (const [dimension, byLabel] of pooled) {
      for (const [label, g] of [...byLabel].sort()) {
        process.stdout.write(
          `${formatBenchLine('impact-diagnose', {
            series: g.series,
            demand_per_series_day: g.demand_units / g.series / scale.loopDays,
            own_lost: g.lost_units[0]!,
            advice_lost: g.lost_units[1]!,
            lost_ratio: ratio(g.lost_units[1]!, g.lost_units[0]!),
            own_lost_share: ratio(g.lost_units[0]!, g.demand_units),
            advice_lost_share: ratio(g.lost_units[1]!, g.demand_units),
            inventory_ratio: ratio(g.inventory_value[1]!, g.inventory_value[0]!),
          })} ${dimension}=${label}\n`,
        );
      }
    }
    for (const [band, c] of [...coverage].sort()) {
      process.stdout.write(`${formatBenchLine('impact-diagnose', { rows: c.rows, expected_over_actual: ratio(c.expected_units, c.actual_units), exceeded_share: c.exceeded / c.rows })} coverage_rate=${band}\n`);
    }
    return {
      seeds: scale.seeds.length,
      service_level: ADVICE_POLICY.serviceLevel,
      lost_sales_ratio: ratio(totals.advice_lost, totals.own_lost),
      inventory_ratio: ratio(totals.advice_inventory, totals.own_inventory),
    };
  },
};
