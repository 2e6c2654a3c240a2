/**
 * The forecast jobs as the CLI runs them: train (with its backtest and the champion /
 * challenger decision), backtest, predict, promote and rollback.
 */
import { randomUUID } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { ShelfStreamError } from '../../lib/errors';
import { BASELINES, type Forecaster } from './baselines';
import { type BacktestResult, backtest, metricOf, rollingOrigins } from './backtest';
import { HORIZON, type Panel, dayNumber, isoDay, loadPanel } from './features';
import { type PredictSummary, predictAndWrite, writeModelRun } from './jobs';
import { MIN_HISTORY_DAYS, fitModel, lastTrainingOrigin, modelForecaster } from './model';
import { TRAIN_DEFAULTS, type TrainOptions } from './model-artifact';
import { type BlobStore, champion, offerChallenger, readArtifact, readCard, registerModel } from './registry';

export interface JobDeps {
  readonly client: ClickHouseClient;
  readonly database: string;
  readonly store: BlobStore;
  readonly onProgress?: (phase: string, done: number, total: number) => void;
}

async function championForecaster(store: BlobStore): Promise<(Forecaster & { dispose(): void; version: string }) | undefined> {
  const current = await champion(store);
  if (!current) return undefined;
  return { ...modelForecaster(await readArtifact(store, current.version)), version: current.version };
}

/**
 * The champion's procedure (its stored train options, same seed) trained again on the targets
 * before `firstOrigin` only: what the champion would have forecast on the backtest weeks had it
 * not learned them.
 */
async function refitChampion(store: BlobStore, version: string, panel: Panel, firstOrigin: number, categories: readonly string[], onProgress?: JobDeps['onProgress']): Promise<ReturnType<typeof modelForecaster>> {
  const { seed, epochs, batchSize, hidden, learningRate, maxSamples, validationWeeks, blendSmoothing } = (await readArtifact(store, version)).train;
  // a champion from before calibration had no validation window and no blend: its procedure is refitted as it was
  const options: TrainOptions = { seed, epochs, batchSize, hidden, learningRate, maxSamples, validationWeeks: validationWeeks ?? 0, blendSmoothing: blendSmoothing ?? false };
  return modelForecaster(await fitModel(panel, firstOrigin - HORIZON, categories, options, (n) => onProgress?.('train (champion refit)', n, Math.max(1, epochs))));
}

export interface TrainOutcome {
  readonly version: string;
  readonly accepted: boolean;
  readonly champion: string;
  readonly result: BacktestResult;
  /** The registered model's training targets ran up to this local date (the panel's last day). */
  readonly trainedTo: string;
  readonly samples: number;
}

/**
 * Train, judge, retrain, register, offer: the challenger is first trained on targets up to the
 * first backtest origin and backtested beside the champion and the baselines on the weeks after
 * it (nothing scored was learned). The backtest judges the training PROCEDURE; the model that is
 * registered (and becomes champion if the procedure won) is then trained again, same options and
 * seed, on every target up to the panel's last day (the newest weeks calibrate it, see fitModel),
 * so the weeks the forecasts depend on most are not thrown away. The card keeps the backtest
 * metrics and says up to when it learned.
 */
export async function trainOnPanel(store: BlobStore, panel: Panel, weeks: number, options: TrainOptions = TRAIN_DEFAULTS, onProgress?: JobDeps['onProgress']): Promise<TrainOutcome> {
  const origins = rollingOrigins(panel, weeks);
  if (origins.length === 0) throw new ShelfStreamError('INVALID_ARGUMENT', `${isoDay(panel.firstDay)}..${isoDay(panel.lastObservedDay)} is too short for a ${weeks}-week backtest`);
  const lastTargetOrigin = panel.lastObservedDay - panel.firstDay - HORIZON;
  if (lastTrainingOrigin(origins[0]! - HORIZON, options) < MIN_HISTORY_DAYS) {
    const needed = MIN_HISTORY_DAYS + 7 * options.validationWeeks + HORIZON;
    throw new ShelfStreamError('INVALID_ARGUMENT', `${isoDay(panel.firstDay)}..${isoDay(panel.lastObservedDay)} leaves no training history before a ${weeks}-week backtest (${needed} days needed before it: features, ${options.validationWeeks} weeks of calibration)`);
  }
  const categories = [...new Set(panel.series.map((s) => s.category))].sort();
  const epochs = Math.max(1, options.epochs);
  const candidate = await fitModel(panel, origins[0]! - HORIZON, categories, options, (e) => onProgress?.('train (backtest window)', e, epochs));
  const challenger = modelForecaster(candidate);
  const current = await champion(store);
  const contenders: Forecaster[] = [challenger, ...BASELINES];
  // The champion was trained on all its data, which overlaps this backtest: scored as it is, it
  // would be judged on weeks it learned and no retrained model could ever beat it. Its
  // PROCEDURE (stored train options) is refitted on the same window instead, so both are scored
  // out of sample on the same points.
  let refitted: ReturnType<typeof modelForecaster> | undefined;
  if (current) {
    refitted = await refitChampion(store, current.version, panel, origins[0]!, categories, onProgress);
    contenders.push({ name: `champion_${current.version}`, predict: (p, o) => refitted!.predict(p, o) });
  }
  let step = 0;
  let result: BacktestResult;
  try {
    result = await backtest(panel, contenders, origins, undefined, () => onProgress?.('backtest', ++step, origins.length * contenders.length));
  } finally {
    challenger.dispose();
    refitted?.dispose();
  }
  // the same procedure on all the data: targets up to the last observed day
  const artifact = await fitModel(panel, lastTargetOrigin, categories, options, (e) => onProgress?.('train (all data)', e, epochs));
  const trainedTo = isoDay(panel.lastObservedDay);
  const card = await registerModel(store, artifact, {
    kind: artifact.kind,
    metrics: metricOf(result, challenger.name),
    backtest: { from: isoDay(panel.firstDay + origins[0]!), to: isoDay(panel.firstDay + origins.at(-1)! + HORIZON), origins: origins.length },
    data: { from: isoDay(panel.firstDay), to: trainedTo, series: panel.series.length, samples: artifact.train.samples },
    feature_spec: { version: artifact.featureSpec.version, inputs: artifact.featureSpec.inputs, categories },
    seed: options.seed,
  });
  const decision = await offerChallenger(store, card, current ? metricOf(result, `champion_${current.version}`) : undefined);
  return { version: card.version, ...decision, result, trainedTo, samples: artifact.train.samples };
}

export async function trainJob(deps: JobDeps, range: { from: string; to: string; weeks: number }, options: TrainOptions = TRAIN_DEFAULTS): Promise<TrainOutcome> {
  const startedAt = new Date();
  const panel = await loadPanel(deps.client, deps.database, range);
  const outcome = await trainOnPanel(deps.store, panel, range.weeks, options, deps.onProgress);
  await writeModelRun(deps.client, deps.database, outcome.result, { runId: randomUUID(), runType: 'TRAIN', modelVersion: outcome.version, accepted: outcome.accepted, dataFrom: range.from, dataTo: range.to, startedAt });
  return outcome;
}

/**
 * Backtest on request: the champion beside the baselines. A champion that learned any of the
 * backtest weeks (its card's data reach past the first origin, the usual case once it was
 * retrained on all data) is scored as its procedure refitted before the first origin, so its
 * figures are out of sample like the baselines'.
 */
export async function backtestJob(deps: JobDeps, range: { from: string; to: string; weeks: number }): Promise<BacktestResult> {
  const startedAt = new Date();
  const panel = await loadPanel(deps.client, deps.database, range);
  const origins = rollingOrigins(panel, range.weeks);
  if (origins.length === 0) throw new ShelfStreamError('INVALID_ARGUMENT', `${range.from}..${range.to} is too short for a ${range.weeks}-week backtest`);
  const current = await champion(deps.store);
  let model: (Forecaster & { dispose(): void }) | undefined;
  if (current) {
    const card = await readCard(deps.store, current.version);
    const categories = [...new Set(panel.series.map((s) => s.category))].sort();
    const learnedBacktest = dayNumber(card.data.to) > panel.firstDay + origins[0]!;
    model = learnedBacktest ? await refitChampion(deps.store, current.version, panel, origins[0]!, categories, deps.onProgress) : modelForecaster(await readArtifact(deps.store, current.version));
  }
  const contenders: Forecaster[] = model ? [model, ...BASELINES] : [...BASELINES];
  let step = 0;
  try {
    const result = await backtest(panel, contenders, origins, undefined, () => deps.onProgress?.('backtest', ++step, origins.length * contenders.length));
    await writeModelRun(deps.client, deps.database, result, { runId: randomUUID(), runType: 'BACKTEST', modelVersion: current?.version ?? '', accepted: false, dataFrom: range.from, dataTo: range.to, startedAt });
    return result;
  } finally {
    model?.dispose();
  }
}

/** History the predict job reads before the origin (the 28-day windows and 3 weeks of same-weekday lags, plus the store weekday index). */
export const PREDICT_HISTORY_DAYS = 63;

export async function predictJob(deps: JobDeps, to: string): Promise<PredictSummary & { version: string }> {
  const current = await championForecaster(deps.store);
  if (!current) throw new ShelfStreamError('INVALID_ARGUMENT', 'no champion model: run `shelfstream forecast train` first');
  const toDay = Math.round(Date.parse(`${to}T00:00:00Z`) / 86_400_000);
  const panel: Panel = await loadPanel(deps.client, deps.database, { from: isoDay(toDay - PREDICT_HISTORY_DAYS), to });
  try {
    return { ...(await predictAndWrite(deps.client, deps.database, panel, current, current.version)), version: current.version };
  } finally {
    current.dispose();
  }
}
