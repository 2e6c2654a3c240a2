/**
 * detection: the anomaly processor's detection quality over the scoring seeds (1-6, never used
 * for tuning) and three seasons (a normal month, the year-end, Ramadan) at the simulator's
 * default anomaly rate, pooled (simulators/quality/detection-seasons.ts). Each run drives the
 * processor's pure task (AnomalyTask into a MemorySink, no broker: the real pipeline would take
 * hours for 18 simulations); the labels are the simulator's ground truth. The worst season is
 * the lowest per-season figure of the four anomaly types together.
 */
import { runSeasons, SCORING_SEEDS } from '../../simulators/quality/detection-seasons';
import type { Benchmark } from '../harness';

export const detectionBench: Benchmark = {
  name: 'detection',
  description: `anomaly detection over seeds ${SCORING_SEEDS.join(',')} x seasons normal, year-end, ramadan at the default anomaly rate, pooled`,
  async run() {
    const report = runSeasons(SCORING_SEEDS);
    const seasons = Object.values(report.bySeason);
    return {
      precision: report.anomalies.precision,
      recall: report.anomalies.recall,
      phantom_precision: report.phantom.precision,
      phantom_recall: report.phantom.recall,
      worst_season_precision: Math.min(...seasons.map((s) => s.anomalies.precision)),
      worst_season_recall: Math.min(...seasons.map((s) => s.anomalies.recall)),
      worst_season_phantom_precision: Math.min(...seasons.map((s) => s.phantom.precision)),
      worst_season_phantom_recall: Math.min(...seasons.map((s) => s.phantom.recall)),
      labels: report.anomalies.labels,
      phantom_labels: report.phantom.labels,
      runs: report.runs.length,
    };
  },
};
