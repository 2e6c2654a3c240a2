/**
 * Answers kept for a short time and shared by identical requests. Store systems poll the same
 * few lists (a store's at-risk page every few seconds from each till and back-office PC), and
 * embedded ClickHouse runs one query at a time: measured here, the at-risk query alone takes
 * about 9-13 ms on a loaded 2-core machine, so 200 requests/s of per-request queries queue
 * without bound. Within `ttlMs` an identical request (same route, store and parameters) gets
 * the same answer, and requests that arrive while it is being computed wait for that one query
 * instead of starting their own. The rows come from tables the processors rewrite every flush
 * (STREAM_FLUSH_INTERVAL_MS, 500 ms by default), so an answer up to a second old is as fresh as
 * a poll can tell. A failed computation is not kept. ttlMs 0 turns it off.
 */
export interface ResponseCache {
  get<T>(key: string, compute: () => Promise<T>): Promise<T>;
  readonly size: number;
}

const MAX_ENTRIES = 10_000; // distinct requests kept at once; beyond it expired entries are swept, then all

export function createResponseCache(ttlMs: number, now: () => number = Date.now): ResponseCache {
  const entries = new Map<string, { until: number; value: Promise<unknown> }>();
  const sweep = (): void => {
    const t = now();
    for (const [key, entry] of entries) if (entry.until <= t) entries.delete(key);
    if (entries.size >= MAX_ENTRIES) entries.clear();
  };
  return {
    get size() {
      return entries.size;
    },
    get<T>(key: string, compute: () => Promise<T>): Promise<T> {
      if (ttlMs <= 0) return compute();
      const hit = entries.get(key);
      if (hit && hit.until > now()) return hit.value as Promise<T>;
      if (entries.size >= MAX_ENTRIES) sweep();
      const value = compute();
      // The clock starts when the answer is asked for: a slow query does not extend its life.
      const entry = { until: now() + ttlMs, value: value as Promise<unknown> };
      entries.set(key, entry);
      value.catch(() => {
        if (entries.get(key) === entry) entries.delete(key);
      });
      return value;
    },
  };
}
