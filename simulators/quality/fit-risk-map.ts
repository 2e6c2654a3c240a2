/**
 * Fits the calibration maps of the stock-out risk (streams/stock/risk-calibration-map.ts) and of
 * the oracle (stock-oracle.ts) on the tuning seeds x the three seasons, at the stock-warnings
 * bench's chain size, from the model's own risks (no map applied), and prints them to paste in.
 * The bench scores other seeds (SCORING_SEEDS), so the fit never sees what it is judged on.
 *
 *   node dist/simulators/quality/fit-risk-map.js
 */
import { fitRiskMap, MODEL_RISK, type RiskMap } from '../../streams/stock/risk-calibration-map';
import { TUNING_SEEDS } from './detection-seasons';
import { runCalibration } from './risk-calibration';

export const FIT_CHAIN = { stores: 4, skus: 60 } as const;

const show = (map: RiskMap): string => `{ knots: [${map.knots.map(([x, y]) => `[${x}, ${y}]`).join(', ')}] }`;

if (require.main === module) {
  const report = runCalibration(TUNING_SEEDS, FIT_CHAIN, { stock: { riskMap: null }, oracleMap: MODEL_RISK, keepPairs: true });
  const pairs = report.pairs!;
  process.stdout.write(`model risk on seeds ${TUNING_SEEDS.join(',')}: ece ${report.processor.pooled.ece.toFixed(4)}, oracle ece ${report.oracle.pooled.ece.toFixed(4)}\n`);
  process.stdout.write(`export const FITTED_RISK_MAP: RiskMap = ${show(fitRiskMap(pairs.processor.risk, pairs.processor.outcome))};\n`);
  process.stdout.write(`export const ORACLE_RISK_MAP: RiskMap = ${show(fitRiskMap(pairs.oracle.risk, pairs.oracle.outcome))};\n`);
}
