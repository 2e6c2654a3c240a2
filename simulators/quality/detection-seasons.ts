/**
 * Detection quality beyond one seed: the anomaly processor scored (anomaly-detection.ts, its
 * definitions) over several seeds and three seasons, at the simulator's default anomaly rate,
 * pooled. Pooled means the counts add up (labels found over labels, true alerts over alerts),
 * so a season or seed with more labels weighs more, as it would in a year of alerts.
 *
 *   normal     October 2026: no holiday in any culture;
 *   year-end   the weeks from early December to the first days of January (Christmas shopping,
 *              closed days, New Year's Eve);
 *   ramadan    Ramadan 1448 (2027-02-08 to 2027-03-08) and Eid al-Fitr: the muslim regions'
 *              hour profile turns over (quiet while fasting, a rush before iftar).
 * Each season has three weeks of warm-up before it (the baselines learn an hour-of-week
 * profile), so the season's first days are judged against the weeks before it, as in a store.
 *
 * Seeds: the detectors' constants were tuned on TUNING_SEEDS; the benchmark scores SCORING_SEEDS,
 * which tuning never saw. The labels are the simulator's ground truth, independent of the processor.
 */
import type { AnomalyType } from '../pos/anomalies';
import { type QualityOptions, type QualityReport, type TypeFigures, runDetection, score } from './anomaly-detection';

export interface Season {
  readonly name: string;
  /** First day of the warm-up, YYYY-MM-DD. */
  readonly start: string;
  readonly warmupDays: number;
  readonly scoredDays: number;
}

export const SEASONS: readonly Season[] = [
  { name: 'normal', start: '2026-09-07', warmupDays: 21, scoredDays: 28 },
  { name: 'year-end', start: '2026-11-16', warmupDays: 21, scoredDays: 35 },
  { name: 'ramadan', start: '2027-01-14', warmupDays: 21, scoredDays: 35 },
];

export const TUNING_SEEDS: readonly number[] = [11, 12, 13];
export const SCORING_SEEDS: readonly number[] = [1, 2, 3, 4, 5, 6];

/** The chain of every run: the simulator's default size. */
export const CHAIN = { stores: 10, skus: 200 } as const;

export interface PooledFigures {
  readonly labels: number;
  readonly found: number;
  readonly alerts: number;
  readonly truePositives: number;
  readonly recall: number;
  readonly precision: number;
}

export interface SeasonsReport {
  /** Pooled over every seed and season. */
  readonly anomalies: PooledFigures;
  readonly phantom: PooledFigures;
  readonly byType: Readonly<Record<AnomalyType, PooledFigures>>;
  /** Pooled over the seeds, per season (the four anomaly types together). */
  readonly bySeason: Readonly<Record<string, { anomalies: PooledFigures; phantom: PooledFigures }>>;
  readonly runs: readonly { seed: number; season: string; report: QualityReport }[];
}

export function pool(figures: readonly TypeFigures[]): PooledFigures {
  const sum = (f: (t: TypeFigures) => number): number => figures.reduce((a, t) => a + f(t), 0);
  const labels = sum((t) => t.labels);
  const found = sum((t) => t.found);
  const alerts = sum((t) => t.alerts);
  const truePositives = sum((t) => t.truePositives);
  return { labels, found, alerts, truePositives, recall: labels ? found / labels : 1, precision: alerts ? truePositives / alerts : 1 };
}

export function seasonOptions(seed: number, season: Season, anomalyRate = 1): QualityOptions {
  return { seed, ...CHAIN, start: season.start, warmupDays: season.warmupDays, scoredDays: season.scoredDays, tailDays: 1, anomalyRate };
}

/** Runs every seed x season (each a separate simulation through an AnomalyTask) and pools them. */
export function runSeasons(seeds: readonly number[], seasons: readonly Season[] = SEASONS, onRun?: (seed: number, season: string, report: QualityReport) => void): SeasonsReport {
  const runs: { seed: number; season: string; report: QualityReport }[] = [];
  for (const season of seasons) {
    for (const seed of seeds) {
      const run = runDetection(seasonOptions(seed, season));
      const report = score(run.alerts, run.labels, run.stockouts, run.scoredFrom, run.scoredTo, run.end, run.events);
      runs.push({ seed, season: season.name, report });
      onRun?.(seed, season.name, report);
    }
  }
  const types = Object.keys(runs[0]?.report.byType ?? {}) as AnomalyType[];
  const byType = Object.fromEntries(types.map((t) => [t, pool(runs.map((r) => r.report.byType[t]))])) as Record<AnomalyType, PooledFigures>;
  const bySeason = Object.fromEntries(
    seasons.map((s) => {
      const of = runs.filter((r) => r.season === s.name);
      return [s.name, { anomalies: pool(of.map((r) => r.report.anomalies)), phantom: pool(of.map((r) => r.report.byType.PHANTOM_INVENTORY)) }];
    }),
  );
  return { anomalies: pool(runs.map((r) => r.report.anomalies)), phantom: byType.PHANTOM_INVENTORY, byType, bySeason, runs };
}

export function formatFigures(name: string, f: PooledFigures): string {
  return `${name.padEnd(20)} labels=${f.labels} found=${f.found} recall=${f.recall.toFixed(3)} alerts=${f.alerts} tp=${f.truePositives} precision=${f.precision.toFixed(3)}`;
}

/** `node dist/simulators/quality/detection-seasons.js [tuning|scoring|seed,...]`: the pooled figures, every type and season. */
if (require.main === module) {
  const which = process.argv[2] ?? 'tuning';
  const seeds = which === 'tuning' ? TUNING_SEEDS : which === 'scoring' ? SCORING_SEEDS : which.split(',').map(Number);
  const report = runSeasons(seeds, SEASONS, (seed, season, r) =>
    process.stdout.write(`${season} seed=${seed} ${formatFigures('anomalies', r.anomalies)} | phantom R=${r.byType.PHANTOM_INVENTORY.recall.toFixed(2)} P=${r.byType.PHANTOM_INVENTORY.precision.toFixed(2)}\n`),
  );
  for (const [t, f] of Object.entries(report.byType)) process.stdout.write(`${formatFigures(t, f)}\n`);
  for (const [s, f] of Object.entries(report.bySeason)) process.stdout.write(`${formatFigures(`${s} anomalies`, f.anomalies)}\n${formatFigures(`${s} phantom`, f.phantom)}\n`);
  process.stdout.write(`${formatFigures('POOLED anomalies', report.anomalies)}\n${formatFigures('POOLED phantom', report.phantom)}\n`);
}
