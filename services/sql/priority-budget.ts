/**
 * The nice value of a BI query's engine threads (SQL_ENDPOINT_THREAD_NICE), within a budget.
 *
 * Why raised: a dashboard query's engine threads at a lower nice value than the stream
 * processors' thread go first when both want the two cores, so a query issued while a processor
 * catches up is not slowed by it. On the bi-query bench (8 clients, one query each every 2 s,
 * beside the velocity processor), in one series on a quiet machine, alternately: p95 75, 76 and
 * 76 ms at nice -10 against 82, 82 and 86 at nice 0, the processor's rate ratio 0.84-1.08
 * against 0.94-1.00.
 *
 * Why a budget: a raised query also takes the cores from the processors for as long as it
 * runs, and BI clients can keep the pool busy (8 clients of queries that take seconds, as on
 * the bi-starvation bench). So the raised value is for a light, interactive load: once the
 * raised queries ran for more than `share` query-seconds per second over the last `windowMs`
 * (0.5: half a query at a time on average, at most SQL_MAX_THREADS engine threads each), the
 * next queries run at nice 0 until that falls back under the share; the raised share then
 * settles at the budget instead of the whole pool. Queries at nice 0 or above are not counted:
 * they take nothing from the processors that an unprioritised query would not.
 */

export interface PriorityBudgetOptions {
  /** The raised nice value (below 0); 0 or above turns the budget off: every query gets it. */
  readonly nice: number;
  /** Query-seconds per second the raised queries may run, averaged over the window. */
  readonly share: number;
  readonly windowMs: number;
}

export interface PriorityTicket {
  /** The nice value the query runs at. */
  readonly nice: number;
  /** Call once the query has finished (answered, failed or refused). */
  end(nowMs: number): void;
}

export interface PriorityBudget {
  /** The nice value for a query starting at `nowMs`. */
  begin(nowMs: number): PriorityTicket;
  /** Raised query-seconds per second over the window ending at `nowMs`. */
  busy(nowMs: number): number;
}

/** A raised query's run: `endMs` undefined while it runs. */
interface Run {
  readonly startMs: number;
  endMs: number | undefined;
}

const UNRAISED: PriorityTicket = { nice: 0, end: () => undefined };

export function createPriorityBudget(options: PriorityBudgetOptions): PriorityBudget {
  const { nice, share, windowMs } = options;
  if (!(windowMs > 0)) throw new RangeError(`priority budget: windowMs must be > 0, got ${windowMs}`);
  if (!(share >= 0)) throw new RangeError(`priority budget: share must be >= 0, got ${share}`);
  const runs: Run[] = [];

  function busy(nowMs: number): number {
    const from = nowMs - windowMs;
    // Runs that ended before the window can no longer count (runs end in about start order).
    while (runs.length > 0 && runs[0]!.endMs !== undefined && runs[0]!.endMs <= from) runs.shift();
    let ms = 0;
    for (const run of runs) ms += Math.max(0, Math.min(run.endMs ?? nowMs, nowMs) - Math.max(run.startMs, from));
    return ms / windowMs;
  }

  return {
    busy,
    begin(nowMs) {
      if (nice >= 0) return { nice, end: () => undefined };
      if (busy(nowMs) >= share) return UNRAISED;
      const run: Run = { startMs: nowMs, endMs: undefined };
      runs.push(run);
      return {
        nice,
        end(endMs) {
          run.endMs ??= Math.max(endMs, run.startMs);
        },
      };
    },
  };
}
