/**
 * stock-warnings: is the stock processor's risk calibrated? Its hourly risk against what the
 * simulator's ground truth says happened (a stock-out before the next receipt), pooled over
 * scoring seeds and the three seasons (simulators/quality/risk-calibration.ts). Prints the
 * expected calibration error pooled and per season. Target: ece <= 0.03.
 *
 * Not yet measured here (issue 17, item 3): the oracle's frontier and recall_vs_oracle.
 */
import { SCORING_SEEDS } from '../../simulators/quality/detection-seasons';
import { runCalibration } from '../../simulators/quality/risk-calibration';
import { type Benchmark, formatBenchLine } from '../harness';

/** Three of the detection bench's scoring seeds and a smaller chain: nine simulations within minutes here. */
const SCALE = { seeds: SCORING_SEEDS.slice(0, 3), chain: { stores: 4, skus: 60 } } as const;

export const stockWarningsBench: Benchmark = {
  name: 'stock-warnings',
  description: `risk calibration over seeds ${SCALE.seeds.join(',')} x seasons normal, year-end, ramadan (${SCALE.chain.stores} stores x ${SCALE.chain.skus} skus)`,
  async run() {
    const started = performance.now();
    const report = runCalibration(SCALE.seeds, SCALE.chain);
    for (const b of report.pooled.bins) process.stdout.write(`${formatBenchLine('stock-warnings', { bin_from: b.from, samples: b.samples, mean_risk: b.meanRisk, observed: b.observed })}\n`);
    const seasons = Object.fromEntries(Object.entries(report.bySeason).map(([name, c]) => [`ece_${name.replace('-', '_')}`, c.ece]));
    return Promise.resolve({ ece: report.pooled.ece, ...seasons, samples: report.pooled.samples, undecided: report.undecided, bench_s: (performance.now() - started) / 1000 });
  },
};
