/**
 * Answers kept for a short time and shared by identical requests. Store systems poll the same
 * few lists (a store's at-risk page every few seconds from each till and back-office PC), and
 * embedded ClickHouse runs one query at a time: measured here, the at-risk query alone takes
 * 9-16 ms on a loaded 2-core machine, so 200 requests/s of per-request queries queue without
 * bound (bench/benchmarks/read-api.ts). Within `ttlMs` an identical request (same route, store
 * and parameters) gets the same answer; requests that arrive while the first is computed wait
 * for that one query instead of starting their own.
 *
 * Once an answer is older than `ttlMs`, the next request starts one refresh and, while it runs,
 * it and the others still get the previous answer (stale while revalidate): no request waits
 * on the refresh, which is what kept p99 at ~70 ms when expired entries made requests wait.
 * An answer is therefore at most `ttlMs` plus one query old. The rows come from tables the
 * processors rewrite every flush (STREAM_FLUSH_INTERVAL_MS, 500 ms by default), so a second is
 * as fresh as a poll can tell. A failed computation is not kept (and a failed refresh drops
 * the old answer). ttlMs 0 turns it off.
 */
export interface ResponseCache {
  get<T>(key: string, compute: () => Promise<T>): Promise<T>;
  readonly size: number;
}

const MAX_ENTRIES = 10_000; // distinct requests kept at once; beyond it the oldest half is dropped

interface Entry {
  /** When the answer was asked for; it is fresh until fetchedAt + ttlMs. */
  fetchedAt: number;
  /** The answer being computed or computed. */
  value: Promise<unknown>;
  /** The computed answer, once there is one (what is served while a refresh runs). */
  settled?: { value: unknown };
  refreshing: boolean;
}

export function createResponseCache(ttlMs: number, now: () => number = Date.now): ResponseCache {
  const entries = new Map<string, Entry>();

  const start = <T>(key: string, compute: () => Promise<T>, entry: Entry | undefined): Promise<T> => {
    const value = compute();
    const target: Entry = entry ?? { fetchedAt: now(), value, refreshing: false };
    if (!entry) entries.set(key, target);
    value.then(
      (v) => {
        if (entries.get(key) !== target) return;
        target.settled = { value: v };
        target.value = value;
        target.fetchedAt = entry ? now() : target.fetchedAt;
        target.refreshing = false;
      },
      () => {
        if (entries.get(key) === target) entries.delete(key);
      },
    );
    return value;
  };

  return {
    get size() {
      return entries.size;
    },
    get<T>(key: string, compute: () => Promise<T>): Promise<T> {
      if (ttlMs <= 0) return compute();
      const hit = entries.get(key);
      if (!hit) {
        if (entries.size >= MAX_ENTRIES) [...entries.keys()].slice(0, MAX_ENTRIES / 2).forEach((k) => entries.delete(k));
        return start(key, compute, undefined);
      }
      if (now() - hit.fetchedAt < ttlMs || !hit.settled) return hit.value as Promise<T>;
      if (!hit.refreshing) {
        hit.refreshing = true;
        // The refresh's failure is handled in start (the entry goes); this request has its answer.
        start(key, compute, hit).catch(() => undefined);
      }
      return Promise.resolve(hit.settled.value as T);
    },
  };
}
