/**
 * The demo's forecast: trained and predicted once, as soon as the warehouse has written the
 * backfilled history, rather than at the wall-clock schedule of `run all` (FORECAST_PREDICT_AT_UTC,
 * FORECAST_TRAIN_WEEKDAY), which a demo running at 600x never reaches in a session.
 */
import type { Kafka } from 'kafkajs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClickHouseClient } from '../../lib/clients/clickhouse';
import { predictJob, trainJob } from '../../services/forecast';
import { minimumTrainingDays } from '../../services/forecast/model';
import { openArchiveStore } from '../../streams/archive';
import type { CliContext } from '../context';

/** Backtest weeks of the demo's training: one, the least the training accepts, so the backfill is as short as it can be. */
export const DEMO_BACKTEST_WEEKS = 1;

/** Days of history the demo backfills by default: the fewest its training accepts (70). */
export const DEMO_BACKFILL_DAYS = minimumTrainingDays(DEMO_BACKTEST_WEEKS);

/** How often the warehouse's committed offsets are read while waiting for it. */
const CATCH_UP_POLL_MS = 1_000; // one second

/**
 * End offsets of the topics' partitions that hold records (`topic:partition` -> next offset),
 * read right after the backfill: an empty partition gets no commit to wait for.
 */
export async function topicEnds(kafka: Kafka, topics: readonly string[]): Promise<Map<string, number>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = new Map<string, number>();
    for (const topic of topics) for (const p of await admin.fetchTopicOffsets(topic)) if (Number(p.high) > Number(p.low)) ends.set(`${topic}:${p.partition}`, Number(p.high));
    return ends;
  } finally {
    await admin.disconnect();
  }
}

/**
 * Waits until `groupId` has committed every offset in `ends`: the runtime commits only after the
 * rows are durable, so the backfill is then in the warehouse tables the training reads. False
 * when `signal` aborted first.
 */
export async function waitForCommits(kafka: Kafka, groupId: string, ends: ReadonlyMap<string, number>, signal: AbortSignal): Promise<boolean> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = [...new Set([...ends.keys()].map((k) => k.slice(0, k.lastIndexOf(':'))))];
    while (!signal.aborted) {
      const committed = new Map<string, number>();
      for (const t of await admin.fetchOffsets({ groupId, topics })) for (const p of t.partitions) committed.set(`${t.topic}:${p.partition}`, Number(p.offset));
      if ([...ends].every(([key, end]) => (committed.get(key) ?? -1) >= end)) return true;
      await sleep(CATCH_UP_POLL_MS, undefined, { signal }).catch(() => undefined);
    }
    return false;
  } finally {
    await admin.disconnect();
  }
}

export interface DemoForecastSummary {
  readonly version: string;
  readonly accepted: boolean;
  readonly forecasts: number;
  readonly series: number;
  readonly seconds: number;
}

/** Trains on the `days` up to `lastDay` (YYYY-MM-DD) and predicts from it, on the demo's ClickHouse client. */
export async function trainAndPredictOnce(ctx: CliContext, client: ClickHouseClient, lastDay: string, days: number): Promise<DemoForecastSummary> {
  const started = performance.now();
  const deps = { client, database: ctx.config.clickhouse.database, store: await openArchiveStore(ctx.config) };
  const from = new Date(Date.parse(`${lastDay}T00:00:00Z`) - (days - 1) * 86_400_000).toISOString().slice(0, 10);
  const trained = await trainJob(deps, { from, to: lastDay, weeks: DEMO_BACKTEST_WEEKS });
  const predicted = await predictJob(deps, lastDay);
  return { version: trained.version, accepted: trained.accepted, forecasts: predicted.forecasts, series: predicted.series, seconds: (performance.now() - started) / 1000 };
}
