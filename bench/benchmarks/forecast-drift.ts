/**
 * forecast-drift: does the model-drift check flag a real change of demand, and only that?
 *
 * Simulated years of the POS simulator (seeds 12 and 13, 10 stores x 150 skus from 2026-04-01)
 * and the same years with a known shift injected by the simulator: Beverages demand x1.4 from
 * 2026-09-16. At each check date the bench does what production does at a predict
 * origin: a model trained on the history before the reference window (the real training
 * procedure, fitModel), one-day-ahead forecasts for every day of the reference (56 days) and
 * recent (14 days) windows written to demand_forecast beside the days' units in demand_daily,
 * then the real drift check (services/forecast/drift-check.ts: its SQL, PSI and verdict).
 *
 *   - shifted year, checked at 2026-09-29 (the recent window is the shift's first two weeks):
 *     Beverages must be flagged, no other category;
 *   - the year without the shift, checked at the same date, at the year-end (2027-01-06: the
 *     recent window holds Christmas and New Year) and after the end of Ramadan 2027 (2027-03-14:
 *     the last week of Ramadan and Eid al-Fitr in the window): nothing may be flagged, although
 *     demand moves with the seasons.
 *
 * The BENCH line, over the seeds (flagged only when flagged on every seed, flags summed, PSIs at
 * their worst): true_flags (shift checks that flagged the shifted category), missed_shifts,
 * false_flags (any other category flagged at any check), shift_flagged (1 when the shifted
 * category was flagged on every seed), shift_psi, shift_other_flags (other categories flagged at
 * the shift check), shift_max_other_psi, no_shift_flags (flags over the checks of the years
 * without shift), no_shift_max_psi, and per season the flags, the largest error PSI and the
 * feature PSI of the level (which moves with seasons); s<seed>_* per seed, with
 * s<seed>_<check>_flagged_<category>=1 for every category a check flagged. Baselines on the same
 * forecasts: psi_rule_* the rule before the step (the PSIs of the errors and of the category's
 * own part), before_* the errors alone (before issue 15). ordinary_calibration_*: the flags with
 * the networks calibrated on their validation weeks' ordinary days only (model.ts,
 * CalibrationDays).
 *
 * FORECAST_DRIFT_DUMP=<file> writes every forecast of every check; FORECAST_DRIFT_REPLAY=<file>[,...]
 * judges dumped forecasts again with the current rule instead of training (forecast-drift-dump.ts:
 * the points grouped as the check's SQL groups them, then driftByCategory), for every seed and
 * check the dumps hold (replayed=1 in the line).
 */
import { type WriteStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { createClickHouse } from '../../lib/clients/clickhouse';
import type { Logger } from '../../lib/logger';
import type { DriftConfig } from '../../lib/config';
import { parseDay } from '../../lib/domain/calendar';
import type { DemandShift } from '../../simulators/pos/options';
import { type DriftRow, driftByCategory } from '../../services/forecast/drift';
import { MIN_POINTS, driftCheck, driftWindows } from '../../services/forecast/drift-check';
import { HORIZON, type Panel, dayNumber, isoDay, loadPanel } from '../../services/forecast/features';
import { type CalibrationDays, calibrateModel, fitModel, isHoliday, modelForecaster } from '../../services/forecast/model';
import { type ModelArtifact, TRAIN_DEFAULTS } from '../../services/forecast/model-artifact';
import { loadSimulatedHistory } from '../../simulators/quality/forecast-history';
import type { BenchMetrics, Benchmark } from '../harness';
import { dumpLine, readDumpedChecks } from './forecast-drift-dump';

// Seeds 11-13 chose the rules: holiday days left out of the check (a year-end run of seed 11
// flagged 5 of 12 categories with no change at all), a category's errors judged against the rest
// of its store (the weeks after the year-end and after Ramadan), then the step of its own part
// and the direction of its errors (the seasons' remaining false flags on 11-13). Seeds 21-23,
// which the rules never saw, are the figures that count; FORECAST_DRIFT_SEEDS=11,12 runs others
// (comma-separated). Each seed takes 6 trainings: about 12 minutes on a quiet machine.
const DEFAULT_SEEDS = [21, 22, 23];
const STORES = 10;
const SKUS = 150;
// Dates within the tables' TTL (demand_forecast keeps 400 days from today): the simulator runs to 2030.
const START = '2026-04-01';
const SHIFT_DAY = '2026-09-16';
const SHIFT_CHECK = '2026-09-29';
const SEASON_CHECKS = { normal: SHIFT_CHECK, year_end: '2027-01-06', ramadan: '2027-03-14' } as const;
type Season = keyof typeof SEASON_CHECKS;
const POLICY: DriftConfig = { psiThreshold: 0.25, minStep: 0.15, recentDays: 14, referenceDays: 56 };
/** The calibration fitModel uses (every validation day) and the holiday-free one, measured beside it. */
const CALIBRATIONS: readonly CalibrationDays[] = ['all', 'ordinary'];

const seconds = (since: number): number => (performance.now() - since) / 1000;

interface CheckOutcome {
  /** Categories the check flagged (drift.ts: the PSIs, the step of the own part, errors further from zero). */
  readonly flagged: readonly string[];
  /** Categories whose errors and own part drifted by PSI alone: the rule before the step. */
  readonly flaggedOnPsi: readonly string[];
  /** Categories whose errors alone drifted: the verdict before issue 15. */
  readonly flaggedOnErrors: readonly string[];
  readonly errorPsi: ReadonlyMap<string, number>;
  readonly maxLevelPsi: number;
}

/** Per calibration: the shifted year's check, and the year without shift at each season (a replay holds the checks its dumps hold). */
type SeedOutcome = Record<CalibrationDays, { shift?: CheckOutcome; seasons: Partial<Record<Season, CheckOutcome>> }>;

/** The verdicts of one check from its drift rows: the check's own, and the two baselines recomputed from the same PSIs. */
function outcomeOf(rows: readonly DriftRow[]): CheckOutcome {
  const judged = (r: DriftRow): boolean => r.reference_points >= MIN_POINTS && r.recent_points >= MIN_POINTS;
  const psiDrifted = (r: DriftRow | undefined): boolean => r !== undefined && judged(r) && r.psi > POLICY.psiThreshold;
  const errors = rows.filter((r) => r.measure === 'forecast_error');
  const ownPart = new Map(rows.filter((r) => r.measure === 'category_error').map((r) => [r.category, r]));
  return {
    flagged: errors.filter((r) => r.drifted).map((r) => r.category),
    flaggedOnPsi: errors.filter((r) => psiDrifted(r) && (psiDrifted(ownPart.get(r.category)) || !judged(ownPart.get(r.category)!))).map((r) => r.category),
    flaggedOnErrors: errors.filter(psiDrifted).map((r) => r.category),
    errorPsi: new Map(errors.map((r) => [r.category, r.psi])),
    maxLevelPsi: Math.max(0, ...rows.filter((r) => r.measure === 'units_level').map((r) => r.psi)),
  };
}

/** Loads the simulated history (to `lastDay`) into its own database and answers its panel. */
async function simulatedPanel(client: ClickHouseClient, database: string, seed: number, lastDay: string, shift: DemandShift | undefined, logger: Logger): Promise<Panel> {
  const t = performance.now();
  const start = parseDay(START);
  const days = parseDay(lastDay) - start + 1;
  const history = await loadSimulatedHistory(
    client,
    database,
    { seed, stores: STORES, skus: SKUS, window: { kind: 'days', startDay: start, days }, anomalyRate: 1, heartbeats: false, ...(shift ? { demandShift: shift } : {}) },
    { from: isoDay(start - 60), to: isoDay(start + days + 30) },
  );
  const panel = await loadPanel(client, database, { from: START, to: lastDay });
  logger.warn({ database, seed, rows: history.rows, s: seconds(t) }, 'simulated history and features');
  return panel;
}

/**
 * The two networks production would have used for a check at `asOf` (it retrains weekly): one
 * trained before the reference window forecasts it, one trained up to the day before the recent
 * window forecasts that (targets up to the day before the first forecast day: nothing the check
 * scores was learned). Trained once, each calibrated both ways, on the year without shift: the
 * shift starts after both networks' data, so the shifted year's check uses the same networks
 * (the simulator's days before the shift are the same, seed for seed).
 */
interface WindowModel {
  readonly from: number;
  readonly to: number;
  readonly artifacts: Record<CalibrationDays, ModelArtifact>;
}

async function windowModels(panel: Panel, asOf: string, calibrations: readonly CalibrationDays[], logger: Logger): Promise<WindowModel[]> {
  const windows = driftWindows(asOf, POLICY);
  const first = dayNumber(windows.referenceFrom) - panel.firstDay; // panel index of the first day forecast
  const recentFirst = dayNumber(windows.recentFrom) - panel.firstDay;
  const last = dayNumber(asOf) - panel.firstDay;
  const categories = [...new Set(panel.series.map((s) => s.category))].sort();
  const models: WindowModel[] = [];
  for (const [from, to] of [
    [first, recentFirst - 1],
    [recentFirst, last],
  ] as const) {
    const t = performance.now();
    const lastOrigin = from - 1 - HORIZON;
    const trained = await fitModel(panel, lastOrigin, categories, TRAIN_DEFAULTS);
    const ordinary = calibrations.includes('ordinary') ? { ...trained, calibration: await calibrateModel(panel, trained, lastOrigin, TRAIN_DEFAULTS, 'ordinary') } : trained;
    const p50 = (a: ModelArtifact): number[] => (a.calibration?.p50Factor ?? []).map((f) => Number(f.toFixed(3)));
    logger.warn({ asOf, trainedTo: isoDay(panel.firstDay + from - 1), trainS: seconds(t), samples: trained.train.samples, p50All: p50(trained), p50Ordinary: p50(ordinary) }, 'trained');
    models.push({ from, to, artifacts: { all: trained, ordinary } });
  }
  return models;
}

/**
 * What production does at the predict origin `asOf`: one-day-ahead forecasts for every day of
 * both windows, written with the day's units (stock-out days flagged as the forecast job flags
 * them), then the real drift check. `version` orders the writes: demand_forecast keeps the
 * newest row per key, so a later variant replaces the forecasts of an earlier one.
 */
async function checkAt(client: ClickHouseClient, database: string, panel: Panel, asOf: string, models: readonly WindowModel[], calibration: CalibrationDays, version: number, logger: Logger, dump?: WriteStream): Promise<CheckOutcome> {
  const t = performance.now();
  const forecasts: unknown[][] = [];
  const daily: unknown[][] = [];
  const { units, stockout } = panel.columns;
  const generatedAt = new Date(Date.UTC(2026, 0, 1) + version * 1000).toISOString().replace('T', ' ').replace('Z', '');
  for (const { from, to, artifacts } of models) {
    const model = modelForecaster(artifacts[calibration]);
    try {
      for (let origin = from - 1; origin < to; origin++) {
        const f = await model.predict(panel, origin);
        const day = isoDay(panel.firstDay + origin + 1);
        panel.series.forEach((s, i) => {
          const sold = units[i * panel.days + origin + 1]!;
          const out = stockout[i * panel.days + origin + 1]! > 0;
          forecasts.push([s.store_id, s.sku, isoDay(panel.firstDay + origin), day, 1, f.p10[i * HORIZON]!, f.p50[i * HORIZON]!, f.p90[i * HORIZON]!, 'bench', generatedAt]);
          daily.push([s.store_id, s.sku, day, sold, out, generatedAt]);
          dump?.write(dumpLine({ database, asOf, calibration, store_id: s.store_id, sku: s.sku, category: s.category, region: s.region, date: day, units: sold, stockout: out, p10: f.p10[i * HORIZON]!, p50: f.p50[i * HORIZON]!, p90: f.p90[i * HORIZON]!, holiday: isHoliday(panel, i, origin + 1) }));
        });
      }
    } finally {
      model.dispose();
    }
  }
  await client.insert({ table: `${database}.demand_forecast`, columns: ['store_id', 'sku', 'origin_date', 'forecast_date', 'horizon_days', 'p10', 'p50', 'p90', 'model_version', 'generated_at'], values: forecasts, format: 'JSONCompactEachRow' });
  await client.insert({ table: `${database}.demand_daily`, columns: ['store_id', 'sku', 'sales_date', 'units', 'stockout', 'refreshed_at'], values: daily, format: 'JSONCompactEachRow' });
  const d = await driftCheck({ client, database, publishAlerts: async () => undefined }, asOf, POLICY);
  const errors = d.rows.filter((r) => r.measure === 'forecast_error');
  const psiOf = (rows: typeof errors): Record<string, number> => Object.fromEntries(rows.map((r) => [r.category, Number(r.psi.toFixed(3))]));
  logger.warn({ asOf, calibration, forecasts: forecasts.length, s: seconds(t), drifted: d.drifted, errorPsi: psiOf(errors), categoryErrorPsi: psiOf(d.rows.filter((r) => r.measure === 'category_error')) }, 'drift check');
  return outcomeOf(d.rows);
}

async function runSeed(client: ClickHouseClient, seed: number, stamp: number, calibrations: readonly CalibrationDays[], logger: Logger, dump?: WriteStream): Promise<SeedOutcome> {
  const shift: DemandShift = { category: SHIFTED_CATEGORY, fromDay: parseDay(SHIFT_DAY), factor: SHIFT_FACTOR };
  const plainDb = `bench_drift_plain_${seed}_${stamp}`;
  const shiftedDb = `bench_drift_shift_${seed}_${stamp}`;
  const plain = await simulatedPanel(client, plainDb, seed, SEASON_CHECKS.ramadan, undefined, logger);
  const shifted = await simulatedPanel(client, shiftedDb, seed, SHIFT_CHECK, shift, logger);
  let version = 0;
  const outcome: SeedOutcome = { all: { seasons: {} }, ordinary: { seasons: {} } };
  for (const [season, asOf] of Object.entries(SEASON_CHECKS) as [Season, string][]) {
    const models = await windowModels(plain, asOf, calibrations, logger);
    for (const calibration of calibrations) {
      outcome[calibration].seasons[season] = await checkAt(client, plainDb, plain, asOf, models, calibration, ++version, logger, dump);
      if (season === 'normal') outcome[calibration].shift = await checkAt(client, shiftedDb, shifted, asOf, models, calibration, ++version, logger, dump);
    }
  }
  return outcome;
}

const SHIFTED_CATEGORY = 'Beverages';
const SHIFT_FACTOR = 1.4;

/** Which verdict: the check's, the PSI rule's before the step, or the errors' alone (before issue 15). */
type Verdict = 'flagged' | 'flaggedOnPsi' | 'flaggedOnErrors';

const SEASONS = Object.keys(SEASON_CHECKS) as Season[];

/** The checks of one seed and calibration that ran (or that the dumps held), named as in the BENCH line. */
function checksOf(o: SeedOutcome[CalibrationDays]): { name: string; shifted: boolean; outcome: CheckOutcome }[] {
  return [
    ...(o.shift ? [{ name: 'shift', shifted: true, outcome: o.shift }] : []),
    ...SEASONS.flatMap((season) => {
      const outcome = o.seasons[season];
      return outcome ? [{ name: season, shifted: false, outcome }] : [];
    }),
  ];
}

/** The figures of one calibration and verdict over the seeds: flagged only when flagged on every seed, flags summed, PSIs at their worst. */
function figures(outcomes: readonly SeedOutcome[], calibration: CalibrationDays, verdict: Verdict): Record<string, number> {
  const runs = outcomes.map((o) => o[calibration]);
  const shifts = runs.flatMap((r) => (r.shift ? [r.shift] : []));
  const plain = (season: Season): CheckOutcome[] => runs.flatMap((r) => (r.seasons[season] ? [r.seasons[season]] : []));
  const allPlain = SEASONS.flatMap(plain);
  const max = (xs: readonly number[]): number => Math.max(0, ...xs);
  const others = (c: CheckOutcome): number[] => [...c.errorPsi].filter(([k]) => k !== SHIFTED_CATEGORY).map(([, psi]) => psi);
  const trueFlags = shifts.filter((c) => c[verdict].includes(SHIFTED_CATEGORY)).length;
  const shiftOtherFlags = shifts.reduce((n, c) => n + c[verdict].filter((k) => k !== SHIFTED_CATEGORY).length, 0);
  const noShiftFlags = allPlain.reduce((n, c) => n + c[verdict].length, 0);
  const out: Record<string, number> = {
    true_flags: trueFlags,
    missed_shifts: shifts.length - trueFlags,
    false_flags: shiftOtherFlags + noShiftFlags,
    shift_flagged: shifts.length > 0 && trueFlags === shifts.length ? 1 : 0,
    shift_checks: shifts.length,
    shift_psi: shifts.length > 0 ? Math.min(...shifts.map((c) => c.errorPsi.get(SHIFTED_CATEGORY) ?? 0)) : 0,
    shift_other_flags: shiftOtherFlags,
    shift_max_other_psi: max(shifts.flatMap(others)),
    no_shift_checks: allPlain.length,
    no_shift_flags: noShiftFlags,
    no_shift_max_psi: max(allPlain.flatMap((c) => [...c.errorPsi.values()])),
  };
  for (const season of SEASONS) {
    out[`no_shift_${season}_flags`] = plain(season).reduce((n, c) => n + c[verdict].length, 0);
    out[`no_shift_${season}_max_error_psi`] = max(plain(season).flatMap((c) => [...c.errorPsi.values()]));
    out[`no_shift_${season}_max_level_psi`] = max(plain(season).map((c) => c.maxLevelPsi));
  }
  return out;
}

/** A category's name as a BENCH key: letters and digits, the rest an underscore ('Meat & Fish' -> Meat_Fish). */
const keyOf = (category: string): string => category.replace(/[^A-Za-z0-9]+/g, '_');

/**
 * One seed's figures under `prefix`: per check the flags, the largest error PSI and, with
 * `named`, <check>_flagged_<category>=1 for each category flagged, so the line says which.
 */
function seedFigures(prefix: string, o: SeedOutcome[CalibrationDays], verdict: Verdict, named: boolean): Record<string, number> {
  const out: Record<string, number> = {};
  for (const { name, outcome } of checksOf(o)) {
    out[`${prefix}${name}_flags`] = outcome[verdict].length;
    if (name === 'shift') out[`${prefix}shift_psi`] = outcome.errorPsi.get(SHIFTED_CATEGORY) ?? 0;
    else out[`${prefix}${name}_max_error_psi`] = Math.max(0, ...outcome.errorPsi.values());
    if (named) for (const category of outcome[verdict]) out[`${prefix}${name}_flagged_${keyOf(category)}`] = 1;
  }
  return out;
}

const prefixed = (prefix: string, figures: Record<string, number>): Record<string, number> => Object.fromEntries(Object.entries(figures).map(([k, v]) => [`${prefix}${k}`, v]));

function seedsToRun(): number[] {
  const raw = process.env['FORECAST_DRIFT_SEEDS'];
  if (!raw) return DEFAULT_SEEDS;
  const seeds = raw.split(',').map((x) => Number(x.trim()));
  if (seeds.some((x) => !Number.isInteger(x))) throw new Error(`FORECAST_DRIFT_SEEDS must be whole numbers separated by commas, got '${raw}'`);
  return seeds;
}

/** The figures of the checks' own verdict, then of the two baselines, over the seeds and per seed. */
function benchFigures(seeds: readonly number[], outcomes: readonly SeedOutcome[]): BenchMetrics {
  return {
    ...figures(outcomes, 'all', 'flagged'),
    psi_threshold: POLICY.psiThreshold,
    min_step: POLICY.minStep,
    // the baselines, same forecasts: the PSIs of errors and own part without the step, and the errors alone
    ...prefixed('psi_rule_', figures(outcomes, 'all', 'flaggedOnPsi')),
    ...prefixed('before_', figures(outcomes, 'all', 'flaggedOnErrors')),
    ...Object.fromEntries(
      outcomes.flatMap((o, i) => [
        ...Object.entries(seedFigures(`s${seeds[i]}_`, o.all, 'flagged', true)),
        ...Object.entries(seedFigures(`psi_rule_s${seeds[i]}_`, o.all, 'flaggedOnPsi', true)),
        ...Object.entries(seedFigures(`before_s${seeds[i]}_`, o.all, 'flaggedOnErrors', false)),
      ]),
    ),
    seeds: seeds.length,
    categories: Math.max(0, ...outcomes.flatMap((o) => checksOf(o.all).map((c) => c.outcome.errorPsi.size))),
  };
}

/** FORECAST_DRIFT_REPLAY: the checks of dumped forecasts judged again by the current rule, no training. */
async function replayBench(files: readonly string[], logger: Logger): Promise<BenchMetrics> {
  const started = performance.now();
  const bySeed = new Map<number, SeedOutcome>();
  const seasonOf = new Map<string, Season>(Object.entries(SEASON_CHECKS).map(([season, asOf]) => [asOf, season as Season]));
  for (const { check, points } of (await readDumpedChecks(files)).values()) {
    const season = seasonOf.get(check.asOf);
    if (!season || (check.shifted && check.asOf !== SHIFT_CHECK)) throw new Error(`the dump holds a check at ${check.asOf} (seed ${check.seed}${check.shifted ? ', shifted' : ''}) that this bench does not make`);
    const rows = driftByCategory(points, driftWindows(check.asOf, POLICY), { psiThreshold: POLICY.psiThreshold, minPoints: MIN_POINTS, minStep: POLICY.minStep });
    const outcome = outcomeOf(rows);
    const seed = bySeed.get(check.seed) ?? bySeed.set(check.seed, { all: { seasons: {} }, ordinary: { seasons: {} } }).get(check.seed)!;
    if (check.shifted) seed[check.calibration].shift = outcome;
    else seed[check.calibration].seasons[season] = outcome;
    logger.warn({ seed: check.seed, shifted: check.shifted, asOf: check.asOf, calibration: check.calibration, flagged: outcome.flagged, flaggedOnPsi: outcome.flaggedOnPsi, errorPsi: Object.fromEntries([...outcome.errorPsi].map(([c, psi]) => [c, Number(psi.toFixed(3))])) }, 'drift check replayed');
  }
  const seeds = [...bySeed.keys()].sort((a, b) => a - b);
  return { ...benchFigures(seeds, seeds.map((s) => bySeed.get(s)!)), replayed: 1, bench_s: seconds(started) };
}

export const forecastDriftBench: Benchmark = {
  name: 'forecast-drift',
  description: `model drift check on simulated years (${STORES} stores x ${SKUS} skus, seeds ${DEFAULT_SEEDS.join(', ')} unless FORECAST_DRIFT_SEEDS names others): ${SHIFTED_CATEGORY} x${SHIFT_FACTOR} from ${SHIFT_DAY} flagged, and nothing at three seasons of the years without the shift; baselines: the PSI rule without the step, and forecast errors alone; FORECAST_DRIFT_REPLAY re-judges dumped forecasts`,
  async run({ config, logger }) {
    const replay = process.env['FORECAST_DRIFT_REPLAY'];
    if (replay) return replayBench(replay.split(',').map((f) => f.trim()).filter((f) => f !== ''), logger);
    const seeds = seedsToRun();
    // the holiday-free calibration doubles the forecasts of every check: FORECAST_DRIFT_ORDINARY=0 leaves it out
    const calibrations = process.env['FORECAST_DRIFT_ORDINARY'] === '0' ? CALIBRATIONS.filter((c) => c !== 'ordinary') : CALIBRATIONS;
    const dataDir = mkdtempSync(join(tmpdir(), 'bench-drift-'));
    const client = createClickHouse(config.clickhouse.mode === 'embedded' ? { ...config.clickhouse, dataDir } : config.clickhouse);
    // one JSON array a line: database (seed, shifted or plain), asOf, calibration, store, sku, category, region, date, units, stock-out, P10, P50, P90, holiday
    const dumpFile = process.env['FORECAST_DRIFT_DUMP'];
    const dump = dumpFile ? createWriteStream(dumpFile) : undefined;
    const stamp = Date.now();
    const started = performance.now();
    try {
      const outcomes: SeedOutcome[] = [];
      for (const seed of seeds) outcomes.push(await runSeed(client, seed, stamp, calibrations, logger, dump));
      return {
        ...benchFigures(seeds, outcomes),
        // the calibration without holiday days, with the check's verdict and with the baseline's
        ...(calibrations.includes('ordinary')
          ? {
              ordinary_calibration_no_shift_flags: figures(outcomes, 'ordinary', 'flagged')['no_shift_flags']!,
              ordinary_calibration_before_no_shift_flags: figures(outcomes, 'ordinary', 'flaggedOnErrors')['no_shift_flags']!,
            }
          : {}),
        replayed: 0,
        bench_s: seconds(started),
      };
    } finally {
      await new Promise<void>((resolve) => (dump ? dump.end(resolve) : resolve()));
      await client.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
};
