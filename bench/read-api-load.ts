/**
 * What store systems ask the read API in the web bench: each store's at-risk list (the 50 stores
 * of the synthetic year in turn, 50 rows) at a fixed rate, open loop: each request is timed from
 * when it was due, so a stall of the server counts for every request it delayed. Samples are
 * those latencies (ms). Before anything is timed, one request per store, one after another:
 * every store's answer in the API's cache and this client's code compiled, the same way in a
 * child process and in the bench's own (bench/load-child.ts).
 */
import { Agent, get as httpGet } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeThisThreadRealtime, reniceThisThread } from '../lib/thread-priority';
import { watchThread } from '../lib/thread-stats';
import { serveLoad, type PreparedLoad } from './load-child';

export interface ReadApiLoadArgs {
  /** The read API's base URL. */
  readonly url: string;
  /** An API key whose scope holds every store. */
  readonly key: string;
  readonly ratePerS: number;
  /**
   * The nice value this generator's thread asks for (lib/thread-priority.ts): the store systems it
   * stands for are other machines, whose sending and reading never wait for this machine's cores;
   * here they would, and that wait would count as the server's. 0: unchanged.
   */
  readonly nice: number;
  /**
   * The real-time (SCHED_RR) priority this generator's thread asks for, for the same reason as
   * `nice`, which the kernel's session autogroups defeat (lib/thread-priority.ts). What is timed
   * does not change: open loop, each request from when it was due. 0: unchanged.
   */
  readonly rtPriority: number;
}

const STORES = Array.from({ length: 50 }, (_, i) => `S${String(i + 1).padStart(3, '0')}`);

/** One request's time (ms): how late it was sent after it was due, the server's part (its Server-Timing `app`), the whole. */
export interface RequestTiming {
  readonly lateMs: number;
  readonly appMs: number;
  readonly latencyMs: number;
}

/**
 * Where the slowest requests' time went: those at or above the p99 latency, averaged: sent late
 * (this generator's loop or process held up: `tail_late_ms`), the server's own handling
 * (`tail_app_ms`), and the rest (`tail_transit_ms`: the kernel, the server's thread not reading
 * the socket, this process not reading the answer). Pure, for the unit test.
 */
export function splitTail(timings: readonly RequestTiming[]): Record<string, number> {
  if (timings.length === 0) return {};
  const sorted = [...timings].sort((a, b) => a.latencyMs - b.latencyMs);
  const tail = sorted.slice(Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99)));
  const mean = (f: (t: RequestTiming) => number): number => tail.reduce((sum, t) => sum + f(t), 0) / tail.length;
  return {
    tail_requests: tail.length,
    tail_latency_ms: mean((t) => t.latencyMs),
    tail_late_ms: mean((t) => t.lateMs),
    tail_app_ms: mean((t) => t.appMs),
    tail_transit_ms: mean((t) => t.latencyMs - t.lateMs - t.appMs),
  };
}

/** The `app` duration of a Server-Timing header (ms), 0 when absent. */
export function serverAppMs(header: string | string[] | undefined): number {
  const match = /(?:^|,)\s*app;dur=([0-9.]+)/.exec(Array.isArray(header) ? header.join(',') : (header ?? ''));
  return match ? Number(match[1]) : 0;
}

/**
 * Requests at `ratePerS` until `until()` says stop; each request's latency in ms from when it was
 * due, with its split (RequestTiming). `call` answers the server's part of its time (ms).
 */
export async function openLoop(call: () => Promise<number>, ratePerS: number, until: () => boolean): Promise<RequestTiming[]> {
  const intervalMs = 1000 / ratePerS;
  const timings: RequestTiming[] = [];
  const start = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; !until(); i++) {
    const due = start + i * intervalMs;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const lateMs = Math.max(0, performance.now() - due);
    inFlight.push(
      call().then((appMs) => void timings.push({ lateMs, appMs, latencyMs: performance.now() - due })),
    );
  }
  await Promise.all(inFlight);
  return timings;
}

export async function prepareReadApiLoad(args: ReadApiLoadArgs): Promise<PreparedLoad> {
  // Refused (no CAP_SYS_NICE), the generator runs at its priority and its report says so.
  const reniced = args.nice !== 0 && reniceThisThread(args.nice).applied;
  const realtime = args.rtPriority !== 0 && makeThisThreadRealtime(args.rtPriority).applied;
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const atRisk = (store: string): Promise<number> =>
    new Promise((resolve, reject) => {
      httpGet(`${args.url}/v1/stores/${store}/at-risk?limit=50`, { agent, headers: { authorization: `Bearer ${args.key}` } }, (response) => {
        const appMs = serverAppMs(response.headers['server-timing']);
        response.resume();
        response.on('end', () => (response.statusCode === 200 ? resolve(appMs) : reject(new Error(`read API answered ${response.statusCode} for ${store}`))));
        response.on('error', reject);
      }).on('error', reject);
    });
  for (const store of STORES) await atRisk(store);
  let next = 0;
  let report: Record<string, number> = {};
  return {
    run: async (until) => {
      // This process's own thread over the run: a generator that waits for a core sends late and reads late.
      const thread = watchThread();
      const timings = await openLoop(() => atRisk(STORES[next++ % STORES.length]!), args.ratePerS, until);
      const own = thread.take();
      thread.stop();
      report = {
        ...splitTail(timings),
        generator_nice: reniced ? args.nice : 0,
        generator_rt_priority: realtime ? args.rtPriority : 0,
        generator_loop_max_ms: own.loopMaxMs,
        generator_gc_max_ms: own.gcMaxMs,
        generator_run_queue_wait_ms_per_s: (own.runQueueWaitMs / own.wallMs) * 1000,
        generator_cpu_ms_per_s: (own.cpuMs / own.wallMs) * 1000,
      };
      return timings.map((t) => t.latencyMs);
    },
    report: () => report,
    close: async () => agent.destroy(),
  };
}

if (require.main === module) serveLoad(prepareReadApiLoad);
