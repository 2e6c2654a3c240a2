/**
 * Compares how promotions enter the stock risk (streams/stock/stock.ts: PromotionOptions) on the
 * tuning seeds x the three seasons, every variant fed the same simulations (runSeason's
 * variants), by the stock-warnings bench's figure: recall 24 h ahead at 20% false warnings over
 * the oracle's, pooled and per season. Model risks (no calibration map): the figure ranks risks,
 * and the map is refitted for whichever variant is kept (fit-risk-map.ts).
 *
 * The "true" variants are handed the simulator's own uplift ((1 - discount)^-elasticity of the
 * sku's category): an upper bound of what learning the uplift can give, never what runs.
 *
 *   node dist/simulators/quality/tune-stock-promotions.js [seeds, e.g. 14,15,16]
 */
import { CATEGORIES } from '../pos/chain';
import { promotionUplift } from '../pos/demand';
import { PROMOTION_DEFAULTS, type PromotionOptions, type StockOptions } from '../../streams/stock/stock';
import { TUNING_SEEDS } from './detection-seasons';
import { FIT_CHAIN } from './fit-risk-map';
import { recallVsOracle, runCalibration, type RiskFigures } from './risk-calibration';
import { FALSE_RATE_TARGET, interpolatedRecallAt } from './warning-frontier';

const trueUplift = (category: string, discountPercent: number): number => promotionUplift(discountPercent, CATEGORIES.find((c) => c.name === category)?.elasticity ?? 0);

const VARIANTS: Record<string, PromotionOptions> = {
  'true uplift, demand boosted': { use: true, boostDemand: true, deflateRate: false, upliftOf: trueUplift },
  'true uplift, rate deflated': { use: true, boostDemand: false, deflateRate: true, upliftOf: trueUplift },
  'true uplift, both': { use: true, boostDemand: true, deflateRate: true, upliftOf: trueUplift },
  'learned uplift, both': { use: true, boostDemand: true, deflateRate: true },
  'learned uplift, demand boosted (the default)': PROMOTION_DEFAULTS,
  'learned, boosted, prior 5': { use: true, boostDemand: true, deflateRate: false, priorUnits: 5 },
  'learned, boosted, prior 60': { use: true, boostDemand: true, deflateRate: false, priorUnits: 60 },
  'learned, both, prior 5': { use: true, boostDemand: true, deflateRate: true, priorUnits: 5 },
};

/** Variants of the rate, with promotions as they run (PROMOTION_DEFAULTS). */
const RATE_VARIANTS: Record<string, StockOptions> = {
  'stock-outs not censored': { censorStockouts: false },
  'stock-outs censored (the default)': { censorStockouts: true },
};

if (require.main === module) {
  const started = performance.now();
  // Other seeds than the tuning ones only to see whether a gain holds (never the scoring seeds).
  const seeds = process.argv[2] ? process.argv[2].split(',').map(Number) : TUNING_SEEDS;
  const names = process.argv[3] ? process.argv[3].split('|') : [...Object.keys(VARIANTS), ...Object.keys(RATE_VARIANTS)];
  const variantOf = (n: string): StockOptions => ({ riskMap: null, ...(VARIANTS[n] ? { promotions: VARIANTS[n], censorStockouts: false } : RATE_VARIANTS[n]) });
  const report = runCalibration(seeds, FIT_CHAIN, { stock: { riskMap: null, censorStockouts: false, promotions: { use: false, boostDemand: false, deflateRate: false } }, variants: names.map(variantOf) });
  const show = (name: string, f: RiskFigures): string => {
    const seasons = Object.keys(f.frontierBySeason).map((s) => `${s} ${recallVsOracle(f.frontierBySeason[s]!, report.oracle.frontierBySeason[s]!).toFixed(3)}`);
    return `${name}: recall_vs_oracle ${recallVsOracle(f.frontier, report.oracle.frontier).toFixed(3)} (${seasons.join(', ')}), recall24h ${interpolatedRecallAt(f.frontier, FALSE_RATE_TARGET).recall24h.toFixed(4)}, model-risk ece ${f.pooled.ece.toFixed(4)}`;
  };
  process.stdout.write(`seeds ${seeds.join(',')}, oracle recall24h ${interpolatedRecallAt(report.oracle.frontier, FALSE_RATE_TARGET).recall24h.toFixed(4)}\n`);
  process.stdout.write(`${show('no promotions (main)', report.processor)}\n`);
  report.variants.forEach((f, i) => process.stdout.write(`${show(names[i]!, f)}\n`));
  process.stdout.write(`took ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
}
