/**
 * The read API's memory of which stores exist. Every request checks its store (404 for one not
 * in the store master data), and at 200 requests/s that lookup would be half the queries. Only
 * known stores are remembered, so a store added to the master data answers at once. Past
 * KNOWN_STORE_TTL_MS the store is still taken as known while one check runs in the background: a
 * request waiting on that lookup behind a busy engine was the read API's slowest (seconds on the
 * web bench), and a store leaving the master data is rare and answered 404 after the check.
 *
 * It sits on the side of whoever serves the requests: in the read API's worker thread, so that a
 * known store is answered without asking the thread that owns the engine.
 */
import type { ReadQueries, ReadQuerySource } from './queries';

export const KNOWN_STORE_TTL_MS = 60_000; // one minute

/**
 * @param recheck the lookup of a known store past its time (nobody waits on it: a lower lane).
 */
export function rememberKnownStores(source: ReadQuerySource, recheck: (store: string) => Promise<boolean>, now: () => number = Date.now): ReadQueries {
  const knownUntil = new Map<string, number>();
  const rechecking = new Set<string>();
  const lookUp = async (store: string, ask: (store: string) => Promise<boolean>): Promise<boolean> => {
    const known = await ask(store);
    if (known) knownUntil.set(store, now() + KNOWN_STORE_TTL_MS);
    else knownUntil.delete(store);
    return known;
  };
  return {
    forecasts: (...args) => source.forecasts(...args),
    reorderAdvice: (...args) => source.reorderAdvice(...args),
    atRisk: (...args) => source.atRisk(...args),
    alerts: (...args) => source.alerts(...args),
    insightFigures: (...args) => source.insightFigures(...args),
    async storeKnown(store) {
      const until = knownUntil.get(store);
      if (until === undefined) return lookUp(store, (s) => source.storeExists(s));
      if (until <= now() && !rechecking.has(store)) {
        rechecking.add(store);
        // A failed check keeps the store known; the next request past the time checks again.
        lookUp(store, recheck)
          .catch(() => undefined)
          .finally(() => rechecking.delete(store));
      }
      return true;
    },
  };
}
