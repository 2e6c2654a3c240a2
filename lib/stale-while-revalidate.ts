/**
 * Answers shared by identical requests and served stale while one refresh runs: the web app's
 * dashboards (services/web) and the read API's lists (services/read-api) keep their answers here.
 *
 * Why both need it: embedded ClickHouse runs one query at a time, and both are polled (a page by
 * its live feed and by every user opening it, a store's at-risk list every few seconds by each
 * till), so per-request queries queue without bound. An answer is kept under its key (who asks,
 * what, with which parameters) with the data `version` it was computed at (the web app's live
 * fingerprint; the read API has none and passes nothing):
 *
 * - same key, same version, younger than `ttlMs`: the kept answer (or the computation under way,
 *   which identical concurrent requests share);
 * - a new version: computed afresh and waited for, so an answer computed before a change the
 *   caller knows about is never served after it;
 * - same version, older than `ttlMs`: the kept answer at once, and one refresh starts (no request
 *   waits on it). An answer is therefore at most `ttlMs` plus one computation old. `ttlMs` bounds
 *   how long a change the version does not see (a count that came back to a value it had, master
 *   data, rates) goes unseen.
 *
 * The computation is told whether it is a refresh (`background`), so the caller can run it behind
 * the queries people are waiting for (lib/engine-lanes.ts). A failed computation, or an answer
 * `keep` refuses (a page with a failed panel), is not kept; a failed refresh drops the old answer
 * (it may be what went wrong). ttlMs 0 turns the cache off.
 */
export interface StaleWhileRevalidate {
  get<T>(key: string, compute: (background: boolean) => Promise<T>, version?: string): Promise<T>;
  readonly size: number;
}

export interface StaleWhileRevalidateOptions {
  /** How long an answer is served without a refresh while its version holds (ms); 0: never kept. */
  readonly ttlMs: number;
  /** Distinct keys kept at once; beyond it the least recently computed go first. */
  readonly maxEntries: number;
  /** Whether an answer may be kept (default: every answer). */
  readonly keep?: (value: unknown) => boolean;
  readonly now?: () => number;
}

interface Entry {
  readonly version: string;
  /** When the answer was asked for (first computation) or computed (refresh): fresh until fetchedAt + ttlMs. */
  fetchedAt: number;
  /** The answer being computed or computed. */
  value: Promise<unknown>;
  /** The computed answer, once there is one (what is served while a refresh runs). */
  settled?: { value: unknown };
  refreshing: boolean;
}

export function createStaleWhileRevalidate(options: StaleWhileRevalidateOptions): StaleWhileRevalidate {
  const now = options.now ?? Date.now;
  const keep = options.keep ?? (() => true);
  const entries = new Map<string, Entry>();

  const start = <T>(key: string, entry: Entry, compute: (background: boolean) => Promise<T>, background: boolean): Promise<T> => {
    const value = compute(background);
    value.then(
      (v) => {
        if (entries.get(key) !== entry) return;
        if (!keep(v)) {
          entries.delete(key);
          return;
        }
        entry.settled = { value: v };
        entry.value = value;
        if (background) entry.fetchedAt = now();
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
    get<T>(key: string, compute: (background: boolean) => Promise<T>, version = ''): Promise<T> {
      if (options.ttlMs <= 0) return compute(false);
      const hit = entries.get(key);
      if (!hit || hit.version !== version) {
        const entry: Entry = { version, fetchedAt: now(), value: Promise.resolve(undefined), refreshing: false };
        entries.delete(key);
        entries.set(key, entry);
        while (entries.size > options.maxEntries) entries.delete(entries.keys().next().value!);
        entry.value = start(key, entry, compute, false);
        return entry.value as Promise<T>;
      }
      if (!hit.settled || now() - hit.fetchedAt < options.ttlMs) return hit.value as Promise<T>;
      if (!hit.refreshing) {
        hit.refreshing = true;
        // A failed refresh drops the entry (in start); this request has its answer already.
        start(key, hit, compute, true).catch(() => undefined);
      }
      return Promise.resolve(hit.settled.value as T);
    },
  };
}
