/**
 * Where the calling thread's time went since the last look: its event loop's delay (the loop
 * busy with something else, or the thread not on a core), its garbage collector's pauses, and
 * from the kernel (/proc/thread-self/schedstat, Linux) the CPU it ran and the time it waited
 * runnable for a core. The last separates "the loop was busy" from "the machine was": a delay
 * with the thread waiting in the run queue is CPU starvation, not the loop's own work.
 *
 * Used by the read API's worker thread (its stats are asked for by the web bench) and by the
 * bench's load generators, to split a slow request's time.
 */
import { readFileSync } from 'node:fs';
import { PerformanceObserver, monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { GCProfiler } from 'node:v8';

export interface ThreadStats {
  /** Wall time covered (ms). */
  readonly wallMs: number;
  /** Event-loop delay over the interval (ms; sampled every THREAD_STATS_RESOLUTION_MS). */
  readonly loopP99Ms: number;
  readonly loopMaxMs: number;
  /** Garbage collections on this thread's heap, their total and longest pause (ms). */
  readonly gcCount: number;
  readonly gcTotalMs: number;
  readonly gcMaxMs: number;
  /** CPU this thread ran and time it waited runnable for a core (ms; NaN off Linux). */
  readonly cpuMs: number;
  readonly runQueueWaitMs: number;
  /** Times the thread was put on a core (NaN off Linux): runQueueWaitMs / this is the mean wait per wake-up. */
  readonly timeslices: number;
  /**
   * Bytes allocated on this thread's JS heap: its growth plus what every collection freed (V8's
   * GC profiler, before and after each). Unlike pauses it does not depend on the machine's load,
   * so a change to the per-request work can be compared across runs (bench read-api-alloc).
   */
  readonly heapAllocatedBytes: number;
}

export const THREAD_STATS_RESOLUTION_MS = 10; // the delay histogram's sampling period (ms), as the web bench samples the main thread's

/** The kernel's scheduling counters of the calling thread: run ns, run-queue wait ns, timeslices. */
export function parseSchedstat(text: string): { runNs: number; waitNs: number; timeslices: number } {
  const [run, wait, slices] = text.trim().split(/\s+/).map(Number);
  return { runNs: run ?? NaN, waitNs: wait ?? NaN, timeslices: slices ?? NaN };
}

function readSchedstat(): { runNs: number; waitNs: number; timeslices: number } {
  try {
    return parseSchedstat(readFileSync('/proc/thread-self/schedstat', 'utf8'));
  } catch {
    return { runNs: NaN, waitNs: NaN, timeslices: NaN }; // not Linux, or no schedstat
  }
}

/** Starts watching the calling thread; `take()` answers what happened since the start or the previous take. */
export function watchThread(): { take(): ThreadStats; stop(): void } {
  let loop: IntervalHistogram = monitorEventLoopDelay({ resolution: THREAD_STATS_RESOLUTION_MS });
  loop.enable();
  let gc = { count: 0, totalMs: 0, maxMs: 0 };
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gc.count++;
      gc.totalMs += entry.duration;
      gc.maxMs = Math.max(gc.maxMs, entry.duration);
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  let profiler = new GCProfiler();
  profiler.start();
  let heapUsed = process.memoryUsage().heapUsed;
  let since = performance.now();
  let sched = readSchedstat();
  return {
    take() {
      const now = performance.now();
      const next = readSchedstat();
      const collections = profiler.stop()?.statistics ?? [];
      const freed = collections.reduce((sum, c) => sum + c.beforeGC.heapStatistics.usedHeapSize - c.afterGC.heapStatistics.usedHeapSize, 0);
      const heapUsedNow = process.memoryUsage().heapUsed;
      profiler = new GCProfiler();
      profiler.start();
      const stats: ThreadStats = {
        wallMs: now - since,
        loopP99Ms: loop.count > 0 ? loop.percentile(99) / 1e6 : 0,
        loopMaxMs: loop.count > 0 ? loop.max / 1e6 : 0,
        gcCount: gc.count,
        gcTotalMs: gc.totalMs,
        gcMaxMs: gc.maxMs,
        cpuMs: (next.runNs - sched.runNs) / 1e6,
        runQueueWaitMs: (next.waitNs - sched.waitNs) / 1e6,
        timeslices: next.timeslices - sched.timeslices,
        heapAllocatedBytes: heapUsedNow - heapUsed + freed,
      };
      heapUsed = heapUsedNow;
      loop.disable();
      loop = monitorEventLoopDelay({ resolution: THREAD_STATS_RESOLUTION_MS });
      loop.enable();
      gc = { count: 0, totalMs: 0, maxMs: 0 };
      since = now;
      sched = next;
      return stats;
    },
    stop() {
      loop.disable();
      observer.disconnect();
      profiler.stop();
    },
  };
}
