/**
 * The forecast schedule driven by a fake clock. Expected instants and dates are worked out by
 * hand from a calendar (2026-11-23 is a Monday).
 */
import pino from 'pino';
import { type ScheduleClock, nextRun, startForecastSchedule } from './schedule';

const at = (iso: string): number => Date.parse(iso);
const TUESDAY = 2;
const SUNDAY = 7;

test('the next run is the next predict time strictly after now; it trains on the training weekday; it uses the previous UTC date', () => {
  expect(nextRun(at('2026-11-23T09:00:00Z'), { predictAtUtcMinutes: 120, trainWeekday: SUNDAY })).toEqual({ at: at('2026-11-24T02:00:00Z'), train: false, to: '2026-11-23' });
  expect(nextRun(at('2026-11-23T09:00:00Z'), { predictAtUtcMinutes: 120, trainWeekday: TUESDAY }).train).toBe(true);
  expect(nextRun(at('2026-11-23T01:59:59Z'), { predictAtUtcMinutes: 120, trainWeekday: SUNDAY }).at).toBe(at('2026-11-23T02:00:00Z'));
  // exactly at the time: that run is being made, the next one is tomorrow
  expect(nextRun(at('2026-11-23T02:00:00Z'), { predictAtUtcMinutes: 120, trainWeekday: SUNDAY }).at).toBe(at('2026-11-24T02:00:00Z'));
  expect(nextRun(at('2026-11-28T23:30:00Z'), { predictAtUtcMinutes: 23 * 60 + 45, trainWeekday: SUNDAY })).toEqual({ at: at('2026-11-28T23:45:00Z'), train: false, to: '2026-11-27' });
  expect(nextRun(at('2026-11-28T23:50:00Z'), { predictAtUtcMinutes: 23 * 60 + 45, trainWeekday: SUNDAY })).toEqual({ at: at('2026-11-29T23:45:00Z'), train: true, to: '2026-11-28' });
});

class FakeClock implements ScheduleClock {
  time: number;
  timers: { at: number; fn: () => void; id: number }[] = [];
  private ids = 0;
  constructor(start: number) {
    this.time = start;
  }
  now(): number {
    return this.time;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.ids;
    this.timers.push({ at: this.time + ms, fn, id });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }
  /** Moves to the earliest timer and fires it. */
  fire(): void {
    this.timers.sort((a, b) => a.at - b.at);
    const t = this.timers.shift()!;
    this.time = t.at;
    t.fn();
  }
}

async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met within 5 s');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

test('daily predicts, a training first on the training weekday, a failed training does not stop the predict or the schedule', async () => {
  const clock = new FakeClock(at('2026-11-23T09:00:00Z'));
  const calls: string[] = [];
  const schedule = startForecastSchedule(
    { predictAtUtcMinutes: 120, trainWeekday: TUESDAY },
    {
      async train(to) {
        calls.push(`train ${to}`);
        throw new Error('no history');
      },
      async predict(to) {
        calls.push(`predict ${to}`);
      },
    },
    pino({ level: 'silent' }),
    clock,
  );
  expect(schedule.next()).toEqual({ at: at('2026-11-24T02:00:00Z'), train: true, to: '2026-11-23' });
  clock.fire();
  await until(() => clock.timers.length === 1);
  clock.fire();
  await until(() => clock.timers.length === 1 && calls.length === 3);
  expect(calls).toEqual(['train 2026-11-23', 'predict 2026-11-23', 'predict 2026-11-24']);
  expect(schedule.next()).toEqual({ at: at('2026-11-26T02:00:00Z'), train: false, to: '2026-11-25' });
  await schedule.stop();
  expect(clock.timers).toEqual([]);
});

test('stop waits for the run in progress and arms nothing after it', async () => {
  const clock = new FakeClock(at('2026-11-23T09:00:00Z'));
  let finish: () => void = () => undefined;
  let finished = false;
  const schedule = startForecastSchedule(
    { predictAtUtcMinutes: 120, trainWeekday: SUNDAY },
    {
      train: async () => undefined,
      predict: () =>
        new Promise<void>((resolve) => {
          finish = () => {
            finished = true;
            resolve();
          };
        }),
    },
    pino({ level: 'silent' }),
    clock,
  );
  clock.fire();
  const stopping = schedule.stop();
  let stopDone = false;
  void stopping.then(() => (stopDone = true));
  await new Promise((resolve) => setImmediate(resolve));
  expect(stopDone).toBe(false);
  finish();
  await stopping;
  expect(finished).toBe(true);
  expect(clock.timers).toEqual([]);
});
