/**
 * stock-warnings: are the stock processor's warnings as good as can be known, and is its risk
 * calibrated? In one run over scoring seeds x the three seasons (simulators/quality/
 * risk-calibration.ts): the processor's hourly risk and the oracle's (stock-oracle.ts: the
 * shelf, the true demand mean and the true next delivery) against ground truth.
 *
 *   ece               expected calibration error of the processor's risk (target <= 0.03);
 *   recall_vs_oracle  the processor's recall 24 h ahead / the oracle's, each at 20% false
 *                     warnings, the issue's rate, over thresholds at each risk's own quantiles
 *                     and read between neighbouring operating points (warning-frontier.ts;
 *                     target >= 0.9); recall_vs_oracle_grid: the first reading (thresholds every
 *                     hundredth, the best point at <= 20%), whose figure moved with the grid.
 * Per season the same two, and the oracle's own figures beside them. The calibration map the
 * processor applies was fitted on the tuning seeds (risk-calibration-map.ts), never these.
 *
 * What limits recall_vs_oracle (measured on the tuning seeds 11-13, recall at <= 20% false over
 * the oracle's, normal / year-end / Ramadan): the delivery horizon is not the limit (the true
 * mean demand with the processor's own horizon and books: 1.07 / 1.22 / 1.08); the demand is.
 * The holiday calendar (streams/stock/demand-calendar.ts) took the processor from 0.64 / 0.29 /
 * 0.76 to 0.64 / 0.89 / 0.84. In the normal season, the true mean of the past week in place of
 * the rolling rate (no foresight) would give 0.89: the rest is the noise of a 10-day rate of a
 * few units a day, and what no rate foresees and the oracle knows, the simulator's demand
 * anomalies (without them the ratio is 0.75) and promotions (7-12% of the stock-outs start
 * during one or the day after). A longer memory (rateAlpha 0.05: 0.59 / 0.97 / 0.89; 0.07:
 * 0.63 / 0.88) or clipping a day's units at 2-3 sd (3: 0.59 / 0.81 / 0.84) did not help it.
 * Nor did pooling the rate within the store (2026-12-07, commit 3b01aef, reverted): the store's
 * level of units times the sku's long-run share, with the own rate's dispersion taken weekday-free,
 * gained on the tuning seeds (pooled 0.768 -> 0.828; 0.57 / 0.86 / 0.84 -> 0.57 / 0.89 / 0.94) and
 * on seeds 14-16 (0.817 -> 0.857) but lost on the scoring seeds (0.786 -> 0.740; 0.64 / 0.75 /
 * 1.00 -> 0.58 / 0.75 / 0.86). The normal season did not move under any variant (0.53-0.61 on the
 * tuning seeds): there the noise of the rate's mean is not what limits; a short-memory store level
 * was worse (weight 0.3: 0.761, 0.5: 0.706), so fast seasons are not it either. Per season on 3
 * seeds the figure moves by 0.05-0.15 between seed sets, more than any variant tried.
 * Promotions are an input since 2026-12-07 (branch s13-promo; streams/stock/promotions.ts): the
 * task reads pricing.promotions and multiplies a promoted sku's expected demand inside the
 * horizon by an uplift its store learns (log uplift = beta x -log(1 - discount), per category,
 * shrunk toward the store's and that toward none). Model risk, simulators/quality/
 * tune-stock-promotions.ts, every variant fed the same simulations: tuning seeds 11-13 0.768
 * (0.571 / 0.863 / 0.838) -> 0.840 (0.697 / 0.854 / 0.861); seeds 14-16 0.817 (0.614 / 0.880 /
 * 0.907) -> 0.898 (0.645 / 0.914 / 0.971). Handed the simulator's true uplift instead (an upper
 * bound, not landed): 0.879 (0.734 / 0.924 / 0.887) and 0.913. Dividing a promoted line's units by
 * the uplift before they enter the rate lost both times (learned: 0.828 and 0.869; true: 0.854):
 * a rate that learned the promotion warns of the empty shelves it leaves behind. The prior's
 * weight hardly matters (5 expected units: 0.822, 20: 0.840, 60: 0.835), nor does learning with
 * every promoted sale instead of at the end (0.834-0.855; 0.901 on 14-16). On the scoring seeds
 * (map refitted on 11-13, run once): 0.786 (0.64 / 0.75 / 1.00), ece 0.0071 -> 0.886 (0.86 / 0.86
 * / 1.06), ece 0.0080. What is left: the learned uplift reaches about two thirds of the true one's
 * gain on the tuning seeds (evidence per store and category is a few promotions in a seven-week run),
 * and the normal season's rate noise and the demand anomalies only the oracle foresees.
 * Stock-outs censor the rate since 2026-12-07 (risk.ts: DailyRate.books): a day that saw the books
 * empty counts as the larger of its units and the rate, whole empty days are left out. Model
 * risk, not censored -> censored: tuning seeds 0.840 -> 0.875; held out 14-16 0.898 -> 0.867,
 * 17-19 0.840 -> 0.868, 20-22 0.788 -> 0.847 (every season of every set gained); scoring seeds
 * (map refitted on 11-13, run once) 0.886 -> 0.896 (0.79 / 0.94 / 1.08), ece 0.0071.
 */
import { SCORING_SEEDS } from '../../simulators/quality/detection-seasons';
import { RISK_TUNING } from '../../streams/stock/risk';
import { recallVsOracle, recallVsOracleOnGrid, runCalibration } from '../../simulators/quality/risk-calibration';
import { FALSE_RATE_TARGET, interpolatedRecallAt, recallAt } from '../../simulators/quality/warning-frontier';
import { type Benchmark, formatBenchLine } from '../harness';

/** Three of the detection bench's scoring seeds and a smaller chain: nine simulations within minutes here. */
const SCALE = { seeds: SCORING_SEEDS.slice(0, 3), chain: { stores: 4, skus: 60 } } as const;

const field = (name: string): string => name.replace('-', '_');

export const stockWarningsBench: Benchmark = {
  name: 'stock-warnings',
  description: `risk calibration and warnings against the oracle over seeds ${SCALE.seeds.join(',')} x seasons normal, year-end, ramadan (${SCALE.chain.stores} stores x ${SCALE.chain.skus} skus)`,
  async run() {
    const started = performance.now();
    const report = runCalibration(SCALE.seeds, SCALE.chain);
    const { processor, oracle } = report;
    const line = (fields: Record<string, number>, season?: string): void => void process.stdout.write(`${formatBenchLine(season ? `stock-warnings season=${season}` : 'stock-warnings', fields)}\n`);
    for (const b of processor.pooled.bins) line({ bin_from: b.from, samples: b.samples, mean_risk: b.meanRisk, observed: b.observed });
    oracle.gridFrontier.points.forEach((o, i) => {
      const p = processor.gridFrontier.points[i]!;
      line({ threshold: o.threshold, processor_recall24h: p.recall24h, processor_false: p.falseRate, oracle_recall24h: o.recall24h, oracle_false: o.falseRate });
    });
    const perSeason: Record<string, number> = {};
    for (const [name, c] of Object.entries(processor.bySeason)) {
      const ratio = recallVsOracle(processor.frontierBySeason[name]!, oracle.frontierBySeason[name]!);
      const onGrid = recallVsOracleOnGrid(processor.gridFrontierBySeason[name]!, oracle.gridFrontierBySeason[name]!);
      line({ recall_vs_oracle: ratio, recall_vs_oracle_grid: onGrid, ece: c.ece, oracle_ece: oracle.bySeason[name]!.ece }, name);
      perSeason[`recall_vs_oracle_${field(name)}`] = ratio;
      perSeason[`recall_vs_oracle_grid_${field(name)}`] = onGrid;
      perSeason[`ece_${field(name)}`] = c.ece;
    }
    return Promise.resolve({
      recall_vs_oracle: recallVsOracle(processor.frontier, oracle.frontier),
      ece: processor.pooled.ece,
      recall_vs_oracle_grid: recallVsOracleOnGrid(processor.gridFrontier, oracle.gridFrontier),
      ...perSeason,
      processor_recall24h: interpolatedRecallAt(processor.frontier, FALSE_RATE_TARGET).recall24h,
      oracle_recall24h: interpolatedRecallAt(oracle.frontier, FALSE_RATE_TARGET).recall24h,
      processor_recall24h_grid: recallAt(processor.gridFrontier, FALSE_RATE_TARGET).recall24h,
      oracle_recall24h_grid: recallAt(oracle.gridFrontier, FALSE_RATE_TARGET).recall24h,
      oracle_ece: oracle.pooled.ece,
      alerts_recall24h: report.alerts.recall24h,
      alerts_false: report.alerts.falseRate,
      samples: processor.pooled.samples,
      undecided: report.undecided,
      // What the run's rate was (a trial of another memory is recorded like any run).
      rate_alpha: RISK_TUNING.rateAlpha,
      bench_s: (performance.now() - started) / 1000,
    });
  },
};
