/**
 * Retries without duplicates. A terminal that timed out waiting for our 202 sends the same
 * events again; ingest remembers the event_ids of the last `capacity` events Kafka
 * acknowledged (a ring plus a set: O(1) per id, fixed memory), answers a repeat 202 as a
 * duplicate and does not produce it again.
 *
 * While a first request's events are still on their way to Kafka, a second request with the
 * same event_id does not produce it either: it waits for the first one's outcome and answers
 * with it (202 as a duplicate once acknowledged, 503 if the first one failed).
 *
 * This is a best-effort first line only. A retry that comes after `capacity` newer events, or
 * that reaches another ingest instance, or that follows a restart, is produced again, and a
 * request answered 503 may still have reached Kafka. Downstream therefore deduplicates by
 * event_id too: the ClickHouse fact tables are ReplacingMergeTree keyed by event_id and the
 * stream processors treat event_id as the idempotency key (see ARCHITECTURE.md, "Processing
 * guarantees"), so a duplicate in Kafka never counts twice.
 */

/** The last `capacity` acknowledged event_ids, oldest evicted first. */
export interface DedupWindow {
  has(eventId: string): boolean;
  add(eventId: string): void;
  readonly size: number;
  readonly capacity: number;
}

export function createDedupWindow(capacity: number): DedupWindow {
  if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`dedup window capacity must be a positive integer, got ${capacity}`);
  const ring: (string | undefined)[] = new Array<string | undefined>(capacity);
  const ids = new Set<string>();
  let next = 0;
  return {
    capacity,
    get size() {
      return ids.size;
    },
    has: (eventId) => ids.has(eventId),
    add(eventId) {
      if (ids.has(eventId)) return;
      const evicted = ring[next];
      if (evicted !== undefined) ids.delete(evicted);
      ring[next] = eventId;
      ids.add(eventId);
      next = (next + 1) % capacity;
    },
  };
}

export interface Classification {
  /** Indexes of events to produce now. */
  readonly fresh: number[];
  /** Indexes of events Kafka already acknowledged. */
  readonly duplicates: number[];
  /** Indexes of events another request is producing right now... */
  readonly pending: number[];
  /** ...and the outcomes to wait for (one per other request, not one per event). */
  readonly waitFor: Promise<unknown>[];
}

export interface Deduplicator {
  classify(eventIds: readonly string[]): Classification;
  /**
   * Records that `eventIds` are being produced and `outcome` settles when Kafka answered.
   * Call in the same tick as `classify`, so no other request can slip in between.
   */
  track(eventIds: readonly string[], outcome: Promise<unknown>): void;
  readonly window: DedupWindow;
  readonly inFlight: number;
}

export function createDeduplicator(capacity: number): Deduplicator {
  const window = createDedupWindow(capacity);
  const inFlight = new Map<string, Promise<unknown>>();
  return {
    window,
    get inFlight() {
      return inFlight.size;
    },
    classify(eventIds) {
      const fresh: number[] = [];
      const duplicates: number[] = [];
      const pending: number[] = [];
      const waitFor = new Set<Promise<unknown>>();
      eventIds.forEach((id, i) => {
        if (window.has(id)) return void duplicates.push(i);
        const outcome = inFlight.get(id);
        if (outcome) {
          pending.push(i);
          waitFor.add(outcome);
        } else fresh.push(i);
      });
      return { fresh, duplicates, pending, waitFor: [...waitFor] };
    },
    track(eventIds, outcome) {
      for (const id of eventIds) inFlight.set(id, outcome);
      const settle = (acknowledged: boolean): void => {
        for (const id of eventIds) {
          // Acknowledged ids enter the window before they leave the in-flight map, so a request
          // arriving later always finds them in one or the other.
          if (acknowledged) window.add(id);
          if (inFlight.get(id) === outcome) inFlight.delete(id);
        }
      };
      outcome.then(
        () => settle(true),
        () => settle(false),
      );
    },
  };
}
