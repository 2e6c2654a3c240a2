/**
 * Compares variants of the stock processor's daily rate (risk.ts: pooledPerDay, RISK_TUNING.pooling)
 * on the tuning seeds x the three seasons, every variant fed the same simulation (runSeason's
 * variants), by the stock-warnings bench's figure: recall 24 h ahead at 20% false warnings over
 * the oracle's, pooled and per season. Model risks (no calibration map): the figure ranks risks,
 * and the map is refitted for whichever variant is kept (fit-risk-map.ts).
 *
 *   node dist/simulators/quality/tune-stock-rate.js ['[{"storeAlpha":0.3,"shareAlpha":0.03,"credibilityUnits":null}, ...]'] [seeds, e.g. 14,15,16]
 *
 * null credibilityUnits is Infinity (JSON has none): the pooled rate alone. The first line is the
 * sku's own rate alone (credibilityUnits 0), the rate before pooling.
 */
import { RISK_TUNING, type PoolingTuning } from '../../streams/stock/risk';
import { TUNING_SEEDS } from './detection-seasons';
import { FIT_CHAIN } from './fit-risk-map';
import { recallVsOracle, runCalibration, type RiskFigures } from './risk-calibration';
import { FALSE_RATE_TARGET, interpolatedRecallAt } from './warning-frontier';

if (require.main === module) {
  const own: PoolingTuning = { ...RISK_TUNING.pooling, credibilityUnits: 0, ownWeekdayFree: false };
  const asked = process.argv[2] ? (JSON.parse(process.argv[2]) as (Partial<PoolingTuning> & { credibilityUnits?: number | null })[]) : [RISK_TUNING.pooling];
  const variants: PoolingTuning[] = asked.map((v) => ({ ...RISK_TUNING.pooling, ...v, credibilityUnits: v.credibilityUnits === null ? Number.POSITIVE_INFINITY : (v.credibilityUnits ?? RISK_TUNING.pooling.credibilityUnits) }));
  const started = performance.now();
  // Other seeds than the tuning ones only to see whether a gain holds (never the scoring seeds).
  const seeds = process.argv[3] ? process.argv[3].split(',').map(Number) : TUNING_SEEDS;
  const report = runCalibration(seeds, FIT_CHAIN, { stock: { riskMap: null, pooling: own }, variants: variants.map((pooling) => ({ riskMap: null, pooling })) });
  const show = (name: string, f: RiskFigures): string => {
    const seasons = Object.keys(f.frontierBySeason).map((s) => `${s} ${recallVsOracle(f.frontierBySeason[s]!, report.oracle.frontierBySeason[s]!).toFixed(3)}`);
    return `${name}: recall_vs_oracle ${recallVsOracle(f.frontier, report.oracle.frontier).toFixed(3)} (${seasons.join(', ')}), recall24h ${interpolatedRecallAt(f.frontier, FALSE_RATE_TARGET).recall24h.toFixed(4)}, model-risk ece ${f.pooled.ece.toFixed(4)}`;
  };
  process.stdout.write(`seeds ${seeds.join(',')}, oracle recall24h ${interpolatedRecallAt(report.oracle.frontier, FALSE_RATE_TARGET).recall24h.toFixed(4)}\n`);
  process.stdout.write(`${show('own rate', report.processor)}\n`);
  report.variants.forEach((f, i) => process.stdout.write(`${show(JSON.stringify(asked[i]), f)}\n`));
  process.stdout.write(`took ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
}
