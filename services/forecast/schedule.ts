/**
 * The forecast jobs on a clock, for the single-machine mode (`shelfstream run all`): every day at
 * FORECAST_PREDICT_AT_UTC a predict for the 7 days after the previous UTC date; on
 * FORECAST_TRAIN_WEEKDAY a training run first, so that day's forecasts already come from the new
 * champion if it won. One run at a time; a failed job is logged here (where it is handled) and
 * the schedule goes on: a failed training leaves the champion as it was, and predict still runs.
 *
 * The clock is a parameter so the tests drive it without waiting a day.
 */
import type { ForecastConfig } from '../../lib/config';
import type { Logger } from '../../lib/logger';
import { DAY_MS } from '../../lib/domain/time';
import { isoDay } from './features';


export interface ScheduledRun {
  /** When it runs (ms since the epoch, UTC). */
  readonly at: number;
  /** Train before predicting. */
  readonly train: boolean;
  /** The last day of history both jobs use: the UTC date before the run. */
  readonly to: string;
}

/** The first run strictly after `now`. */
export function nextRun(now: number, config: Pick<ForecastConfig, 'predictAtUtcMinutes' | 'trainWeekday'>): ScheduledRun {
  let at = Math.floor(now / DAY_MS) * DAY_MS + config.predictAtUtcMinutes * 60_000;
  if (at <= now) at += DAY_MS;
  const weekday = ((new Date(at).getUTCDay() + 6) % 7) + 1;
  return { at, train: weekday === config.trainWeekday, to: isoDay(Math.floor(at / DAY_MS) - 1) };
}

export interface ScheduleClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const systemClock: ScheduleClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface ScheduledJobs {
  train(to: string): Promise<unknown>;
  predict(to: string): Promise<unknown>;
}

export interface ForecastSchedule {
  /** The run the timer waits for. */
  readonly next: () => ScheduledRun | undefined;
  /** Cancels the timer and waits for a run in progress to finish. */
  stop(): Promise<void>;
}

export function startForecastSchedule(config: Pick<ForecastConfig, 'predictAtUtcMinutes' | 'trainWeekday'>, jobs: ScheduledJobs, logger: Logger, clock: ScheduleClock = systemClock): ForecastSchedule {
  let stopped = false;
  let timer: unknown;
  let upcoming: ScheduledRun | undefined;
  let running: Promise<void> = Promise.resolve();

  const attempt = async (job: 'train' | 'predict', to: string): Promise<void> => {
    const started = clock.now();
    try {
      const outcome = await jobs[job](to);
      logger.info({ job, to, seconds: (clock.now() - started) / 1000, outcome }, `scheduled forecast ${job} done`);
    } catch (error) {
      logger.error({ job, to, err: error }, `scheduled forecast ${job} failed; the schedule goes on`);
    }
  };

  const arm = (): void => {
    if (stopped) return;
    upcoming = nextRun(clock.now(), config);
    const run = upcoming;
    timer = clock.setTimeout(() => {
      running = (async () => {
        if (run.train) await attempt('train', run.to);
        await attempt('predict', run.to);
      })().finally(arm);
    }, Math.max(0, run.at - clock.now()));
    logger.info({ at: new Date(run.at).toISOString(), train: run.train, to: run.to }, 'next scheduled forecast run');
  };
  arm();

  return {
    next: () => upcoming,
    async stop() {
      stopped = true;
      clock.clearTimeout(timer);
      await running;
    },
  };
}
