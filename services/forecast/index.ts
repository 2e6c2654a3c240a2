/**
 * The forecast jobs as the CLI runs them: train (with its backtest and the champion /
 * challenger decision), backtest, predict, promote and rollback.
 */
import { randomUUID } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { ShelfStreamError } from '../../lib/errors';
import { BASELINES, type Forecaster } from './baselines';
import { type BacktestResult, backtest, metricOf, rollingOrigins } from './backtest';
import { HORIZON, type Panel, isoDay, loadPanel } from './features';
import { type PredictSummary, predictAndWrite, writeModelRun } from './jobs';
import { MIN_HISTORY_DAYS, TRAIN_DEFAULTS, type TrainOptions, modelForecaster, trainModel, trainingData } from './model';
import { type BlobStore, champion, offerChallenger, readArtifact, registerModel } from './registry';

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

export async function trainJob(deps: JobDeps, range: { from: string; to: string; weeks: number }, options: TrainOptions = TRAIN_DEFAULTS): Promise<{ version: string; accepted: boolean; champion: string; result: BacktestResult }> {
  const startedAt = new Date();
  const panel = await loadPanel(deps.client, deps.database, range);
  const origins = rollingOrigins(panel, range.weeks);
  if (origins.length === 0) throw new ShelfStreamError('INVALID_ARGUMENT', `${range.from}..${range.to} is too short for a ${range.weeks}-week backtest`);
  const categories = [...new Set(panel.series.map((s) => s.category))].sort();
  const data = trainingData(panel, MIN_HISTORY_DAYS, origins[0]! - HORIZON, categories, options);
  const artifact = await trainModel(data, categories, options, (e) => deps.onProgress?.('train', e, options.epochs));
  const challenger = modelForecaster(artifact);
  const current = await championForecaster(deps.store);
  const contenders: Forecaster[] = [challenger, ...BASELINES];
  if (current) contenders.push({ name: `champion_${current.version}`, predict: (p, o) => current.predict(p, o) });
  let step = 0;
  const result = await backtest(panel, contenders, origins, undefined, () => deps.onProgress?.('backtest', ++step, origins.length * contenders.length));
  challenger.dispose();
  current?.dispose();
  const card = await registerModel(deps.store, artifact, {
    kind: artifact.kind,
    metrics: metricOf(result, challenger.name),
    backtest: { from: isoDay(panel.firstDay + origins[0]!), to: isoDay(panel.firstDay + origins.at(-1)! + HORIZON), origins: origins.length },
    data: { from: range.from, to: isoDay(panel.firstDay + origins[0]!), series: panel.series.length, samples: data.rows },
    feature_spec: { version: artifact.featureSpec.version, inputs: artifact.featureSpec.inputs, categories },
    seed: options.seed,
  });
  const decision = await offerChallenger(deps.store, card, current ? metricOf(result, `champion_${current.version}`) : undefined);
  await writeModelRun(deps.client, deps.database, result, { runId: randomUUID(), runType: 'TRAIN', modelVersion: card.version, accepted: decision.accepted, dataFrom: range.from, dataTo: range.to, startedAt });
  return { version: card.version, ...decision, result };
}

export async function backtestJob(deps: JobDeps, range: { from: string; to: string; weeks: number }): Promise<BacktestResult> {
  const startedAt = new Date();
  const panel = await loadPanel(deps.client, deps.database, range);
  const origins = rollingOrigins(panel, range.weeks);
  const current = await championForecaster(deps.store);
  const contenders: Forecaster[] = current ? [current, ...BASELINES] : [...BASELINES];
  let step = 0;
  const result = await backtest(panel, contenders, origins, undefined, () => deps.onProgress?.('backtest', ++step, origins.length * contenders.length));
  current?.dispose();
  await writeModelRun(deps.client, deps.database, result, { runId: randomUUID(), runType: 'BACKTEST', modelVersion: current?.version ?? '', accepted: false, dataFrom: range.from, dataTo: range.to, startedAt });
  return result;
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
