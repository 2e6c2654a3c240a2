/**
 * Dashboard answers shared by identical requests while the data behind them has not changed.
 *
 * A page's panels read tables the processors rewrite once per flush (STREAM_FLUSH_INTERVAL_MS)
 * and that the closing and forecast jobs rewrite on their schedules; between two writes, the same
 * user asking the same dashboard with the same filters gets the same rows. So an answer is kept
 * under (user, dashboard, filters) together with the data version it was computed at: the live
 * fingerprint (dashboard-data.ts: row counts of the tables a flush or a job writes, as the user
 * sees them). A request whose fingerprint differs computes afresh and replaces the entry.
 *
 * Why that is correct with live updates: the live feed (server-sent events) sends `changed` when
 * it sees a new fingerprint, and the page then asks again; that request reads the fingerprint
 * again, which is the new one (or a newer one), so it can never be answered from an entry computed
 * before the change it was told about.
 *
 * A count can come back to a value it had (a replaced row inserted, then merged away between two
 * checks), and some inputs are not counted (master data, rates); `ttlMs` bounds how long such a
 * change goes unseen. Past it, the next request starts one refresh and still gets the kept answer
 * (no request waits on it): an answer is at most `ttlMs` plus one computation old. Concurrent
 * identical requests wait for the one computation. A failed computation, or an answer that
 * `keep` refuses (a panel that failed), is not kept. ttlMs 0 turns it off.
 */
export interface PageCache {
  get<T>(key: string, version: string, compute: () => Promise<T>): Promise<T>;
  readonly size: number;
}

export interface PageCacheOptions {
  /** How long an answer is served without a refresh while its version holds (ms); 0: never kept. */
  readonly ttlMs: number;
  /** Distinct (user, dashboard, filters) kept at once; the least recently computed go first. */
  readonly maxEntries: number;
  /** Whether an answer may be kept (a page with a failed panel is not). */
  readonly keep?: (value: unknown) => boolean;
  readonly now?: () => number;
}

interface Entry {
  readonly version: string;
  fetchedAt: number;
  value: Promise<unknown>;
  settled?: { value: unknown };
  refreshing: boolean;
}

export function createPageCache(options: PageCacheOptions): PageCache {
  const now = options.now ?? Date.now;
  const keep = options.keep ?? (() => true);
  const entries = new Map<string, Entry>();

  const compute = <T>(key: string, entry: Entry, run: () => Promise<T>): Promise<T> => {
    const value = run();
    value.then(
      (v) => {
        if (entries.get(key) !== entry) return;
        if (!keep(v)) {
          entries.delete(key);
          return;
        }
        entry.settled = { value: v };
        entry.value = value;
        entry.fetchedAt = now();
        entry.refreshing = false;
      },
      () => {
        if (entries.get(key) === entry) entries.delete(key);
      },
    );
    return value;
  };

  return {
    get size() {
      return entries.size;
    },
    get<T>(key: string, version: string, run: () => Promise<T>): Promise<T> {
      if (options.ttlMs <= 0) return run();
      const hit = entries.get(key);
      if (!hit || hit.version !== version) {
        const entry: Entry = { version, fetchedAt: now(), value: Promise.resolve(undefined), refreshing: false };
        entries.delete(key);
        entries.set(key, entry);
        while (entries.size > options.maxEntries) entries.delete(entries.keys().next().value!);
        entry.value = compute(key, entry, run);
        return entry.value as Promise<T>;
      }
      if (!hit.settled || now() - hit.fetchedAt < options.ttlMs) return hit.value as Promise<T>;
      if (!hit.refreshing) {
        hit.refreshing = true;
        // A failed refresh drops the entry (in compute); this request has its answer already.
        compute(key, hit, run).catch(() => undefined);
      }
      return Promise.resolve(hit.settled.value as T);
    },
  };
}
