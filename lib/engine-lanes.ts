/**
 * Who goes first on the embedded engine. chDB runs one query at a time for the whole process,
 * so whatever is handed to it first is answered first: when the web app refreshed a page it
 * handed over every panel at once (a dozen queries of up to seconds each on a year of data), and
 * a store system's read API request that came a moment later waited for all of them (read API
 * p99 68 s on the web bench against a target of 50 ms).
 *
 * Three priorities:
 * - `interactive`: a store system waiting on the read API (small, indexed queries). Runs at once.
 * - `page`: a person waiting on a dashboard that is not cached (a miss).
 * - `refresh`: recomputing an answer nobody waits for (stale while revalidate).
 *
 * `page` and `refresh` work waits in a queue and runs at most `queuedConcurrency` at a time
 * (one: then the engine holds at most one of them when an API query arrives), pages before
 * refreshes, and only while no interactive query is running, so a burst of API requests goes
 * through between two panel queries. A queued task never waits for interactive work longer than
 * `maxDeferMs`: a steady API load cannot starve the pages.
 *
 * One set of lanes per process (`ENGINE_LANES`), since the engine is one per process; factories
 * take one as a dependency so tests can give their own.
 */
export type EnginePriority = 'interactive' | 'page' | 'refresh';

export interface EngineLanes {
  run<T>(priority: EnginePriority, work: () => Promise<T>): Promise<T>;
  /** Queued work waiting now, and interactive work running now. */
  readonly waiting: number;
  readonly interactive: number;
}

export interface EngineLanesOptions {
  /** Queued (page, refresh) tasks running at once. */
  readonly queuedConcurrency: number;
  /** Longest a queued task waits for interactive work to finish before it starts anyway (ms). */
  readonly maxDeferMs: number;
  readonly now?: () => number;
}

export const ENGINE_LANES_DEFAULTS: EngineLanesOptions = {
  queuedConcurrency: 1, // the engine runs one query at a time: more only queues inside it, out of our control
  maxDeferMs: 250, // a quarter of the page's 1 s target; an API query takes a few ms
};

interface Queued {
  readonly enqueuedAt: number;
  readonly start: () => void;
}

export function createEngineLanes(options: EngineLanesOptions = ENGINE_LANES_DEFAULTS): EngineLanes {
  const now = options.now ?? Date.now;
  const queues: Record<'page' | 'refresh', Queued[]> = { page: [], refresh: [] };
  let interactive = 0;
  let runningQueued = 0;
  let timer: NodeJS.Timeout | undefined;

  const oldest = (): Queued | undefined => {
    const [p, r] = [queues.page[0], queues.refresh[0]];
    return p && r ? (p.enqueuedAt <= r.enqueuedAt ? p : r) : (p ?? r);
  };

  function pump(): void {
    while (runningQueued < options.queuedConcurrency) {
      const first = oldest();
      if (!first) return;
      const overdue = now() - first.enqueuedAt >= options.maxDeferMs;
      if (interactive > 0 && !overdue) {
        // Look again when the oldest task has waited its longest, unless interactive work ends first.
        if (!timer) {
          timer = setTimeout(() => {
            timer = undefined;
            pump();
          }, options.maxDeferMs - (now() - first.enqueuedAt));
          timer.unref();
        }
        return;
      }
      // Pages before refreshes, except a refresh that has waited its longest.
      const next = overdue && first === queues.refresh[0] ? queues.refresh.shift()! : (queues.page.shift() ?? queues.refresh.shift()!);
      runningQueued++;
      next.start();
    }
  }

  return {
    async run<T>(priority: EnginePriority, work: () => Promise<T>): Promise<T> {
      if (priority === 'interactive') {
        interactive++;
        try {
          return await work();
        } finally {
          interactive--;
          if (interactive === 0) pump();
        }
      }
      await new Promise<void>((resolve) => {
        queues[priority].push({ enqueuedAt: now(), start: resolve });
        pump();
      });
      try {
        return await work();
      } finally {
        runningQueued--;
        pump();
      }
    },
    get waiting() {
      return queues.page.length + queues.refresh.length;
    },
    get interactive() {
      return interactive;
    },
  };
}

/** The process's lanes: the web app and the read API share the one embedded engine. */
export const ENGINE_LANES: EngineLanes = createEngineLanes();
