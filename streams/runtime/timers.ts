/**
 * Timers (Kafka Streams' punctuators), handed to a task through its context (TaskDeps.timers).
 *
 * Two clocks:
 * - Event time: the task's stream time, the largest `occurred_at` among the records handed to
 *   it (Kafka's record timestamp for a value without one). A timer fires right after the
 *   record that moves stream time past its due time, before the next record, so a clean run,
 *   a replay and a catch-up after a crash fire it at the same point of the record sequence.
 *   Stream time never goes back; a partition that brings nothing does not move it.
 * - Wall clock: the runtime's clock (Date.now in production, the test driver's own clock in
 *   tests). Checked on the runtime's tick (every half flush interval) and before each flush,
 *   so it fires up to half a flush interval late. For work tied to real time: retrying a
 *   delivery, sending what waited too long.
 *
 * A sped-up simulation (the demo runs at 600x) writes simulated times into `occurred_at`, so
 * event-time timers follow the simulation: a 1-hour event-time timer fires every 6 s of real
 * time at 600x, and a replay fires it as often as the live run did. Wall-clock timers do not
 * speed up: they are for deadlines a person or a receiving system sees, which are real time.
 * A test drives both through the test driver (`advanceEventTime` pipes nothing: stream time
 * moves only with records; `advanceWallClock` moves the driver's clock and ticks).
 *
 * What a timer emits goes to the same buffer as record output and is committed under the same
 * rule: offsets move only once it is durable or delivered. A timer's output is not tied to an
 * offset: a task that must not repeat it after a crash keeps what it sent in its state.
 */
import type { RowSink } from './processor';

export type TimerClock = 'event-time' | 'wall-clock';

/** Called with the time it was due for (ms, on its own clock) and where to emit. */
export type Punctuator = (dueMs: number, out: RowSink) => void;

export interface TaskTimers {
  /**
   * Calls `punctuator` every `intervalMs` on `clock`, the first time one interval after the
   * clock's current value. Returns a function that cancels it.
   */
  schedule(clock: TimerClock, intervalMs: number, punctuator: Punctuator): () => void;
  /** The task's stream time (ms): the largest event time handed to it, -Infinity before any. */
  readonly streamTimeMs: number;
}

interface Timer {
  readonly clock: TimerClock;
  readonly intervalMs: number;
  readonly punctuator: Punctuator;
  dueMs: number;
  cancelled: boolean;
}

/** One task's timers, driven by the runtime. */
export class TimerSet implements TaskTimers {
  private readonly timers: Timer[] = [];
  streamTimeMs = Number.NEGATIVE_INFINITY;
  /** True while some event-time timer exists: the per-record check is skipped otherwise. */
  hasEventTimers = false;

  constructor(private readonly wallClock: () => number) {}

  schedule(clock: TimerClock, intervalMs: number, punctuator: Punctuator): () => void {
    if (!(intervalMs > 0) || !Number.isFinite(intervalMs)) throw new RangeError(`a timer interval must be a positive number of ms, got ${intervalMs}`);
    const start = clock === 'wall-clock' ? this.wallClock() : this.streamTimeMs;
    // Before any record, an event-time timer is anchored on the first stream time seen.
    const timer: Timer = { clock, intervalMs, punctuator, dueMs: Number.isFinite(start) ? start + intervalMs : Number.NaN, cancelled: false };
    this.timers.push(timer);
    if (clock === 'event-time') this.hasEventTimers = true;
    return () => {
      timer.cancelled = true;
      const i = this.timers.indexOf(timer);
      if (i >= 0) this.timers.splice(i, 1);
      this.hasEventTimers = this.timers.some((t) => t.clock === 'event-time');
    };
  }

  /** Moves stream time (never back) and fires the event-time timers it passed. */
  observeEventTime(atMs: number, out: RowSink): void {
    if (!(atMs > this.streamTimeMs)) return;
    this.streamTimeMs = atMs;
    if (this.hasEventTimers) this.fire('event-time', atMs, out);
  }

  /** Fires the wall-clock timers that are due at `nowMs`. */
  onWallClock(nowMs: number, out: RowSink): void {
    this.fire('wall-clock', nowMs, out);
  }

  private fire(clock: TimerClock, nowMs: number, out: RowSink): void {
    for (const timer of [...this.timers]) {
      if (timer.clock !== clock || timer.cancelled) continue;
      if (Number.isNaN(timer.dueMs)) {
        timer.dueMs = nowMs + timer.intervalMs;
        continue;
      }
      if (timer.dueMs > nowMs) continue;
      if (clock === 'wall-clock') {
        // Once, however many intervals a stalled process missed (as Kafka Streams does): a
        // wall-clock timer asks "is anything overdue now", and once answers it.
        const due = timer.dueMs;
        timer.dueMs += Math.ceil((nowMs - due + 1) / timer.intervalMs) * timer.intervalMs;
        timer.punctuator(due, out);
        continue;
      }
      // One call per interval passed, each with its own due time: a jump of stream time over
      // three hours fires an hourly timer three times, in a replay as in the live run.
      while (!timer.cancelled && timer.dueMs <= nowMs) {
        const due = timer.dueMs;
        timer.dueMs += timer.intervalMs;
        timer.punctuator(due, out);
      }
    }
  }
}
