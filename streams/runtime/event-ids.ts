/**
 * Each event counted once: a repeated `event_id` within a horizon of event time is recognised,
 * in a state store of the runtime, so the guard survives restarts.
 *
 * Why: ingest may answer 503 for a request whose events did reach Kafka (its acknowledgement
 * timed out), and the terminal retries with the same event_ids. The warehouse's facts absorb the
 * repeat (keyed by event), but an aggregate (velocity, stock, anomaly) would count it twice.
 *
 * Each id is remembered with the record that brought it first (`topic/offset`): a replay after a
 * restart hands that same record again and it is not a repeat (its effect must be rebuilt: open
 * windows live in memory), while another record with the id is. Ids are saved in segments, one
 * per flush (the ids first seen since the previous one), so a snapshot writes each id once
 * rather than the whole set; a segment is evicted (deleted from the store) once its latest
 * event time is older than the stream time minus the horizon.
 *
 * Horizon and cost: the terminal's retry comes seconds to minutes after the first send, so the
 * default horizon is 10 minutes of event time (STREAM_EVENT_ID_HORIZON_MS). Memory is about
 * 150 bytes per id held (a 36-character UUID and its record in a Map): a partition taking 1,000
 * events/s holds 600,000 ids, about 90 MB; the snapshot adds about 60 bytes of JSON per event
 * to processor_state, written once.
 */
import type { TaskDeps } from './processor';
import type { KeyValueStore, StateStores } from './state-store';

export const EVENT_ID_STORE = 'event-ids';
/** The default horizon (STREAM_EVENT_ID_HORIZON_MS): a terminal retries within seconds to minutes. */
export const DEFAULT_EVENT_ID_HORIZON_MS = 600_000; // 10 minutes of event time

/** One flush's new ids: [event_id, first record as `topic/offset`]. */
interface Segment {
  readonly latestAt: number;
  readonly ids: readonly (readonly [string, string])[];
}

export class EventIdGuard {
  private readonly firstSeen = new Map<string, string>();
  private pending: [string, string][] = [];
  private pendingLatestAt = Number.NEGATIVE_INFINITY;
  private pendingKey: string | undefined;
  /** The largest occurred_at seen (isRepeatedRecord): what `seal` evicts against by default. */
  private streamTimeMs = Number.NEGATIVE_INFINITY;

  private constructor(
    private readonly segments: KeyValueStore<Segment>,
    /** Event time (ms) an id is remembered for after the latest event of its segment. */
    readonly horizonMs: number,
    private readonly onRepeat: () => void,
  ) {
    for (const [, segment] of segments.entries()) for (const [id, first] of segment.ids) this.firstSeen.set(id, first);
  }

  /** `onRepeat` is called for each repeat found (a metric). */
  static async open(stores: StateStores, horizonMs: number, onRepeat: () => void = () => undefined): Promise<EventIdGuard> {
    return new EventIdGuard(await stores.open<Segment>(EVENT_ID_STORE), horizonMs, onRepeat);
  }

  /** `isRepeat` for a record whose value carries event_id and occurred_at (false when it does not). */
  isRepeatedRecord(record: { readonly topic: string; readonly offset: number; readonly value: unknown }): boolean {
    const v = record.value as { event_id?: unknown; occurred_at?: unknown };
    if (typeof v.event_id !== 'string' || typeof v.occurred_at !== 'number') return false;
    if (v.occurred_at > this.streamTimeMs) this.streamTimeMs = v.occurred_at;
    return this.isRepeat(record, v.event_id, v.occurred_at);
  }

  /**
   * True when `eventId` was brought earlier by another record (a repeat to drop); false for its
   * first record, also when a replay hands that record again.
   */
  isRepeat(record: { readonly topic: string; readonly offset: number }, eventId: string, occurredAt: number): boolean {
    const here = `${record.topic}/${record.offset}`;
    const first = this.firstSeen.get(eventId);
    if (first !== undefined) {
      if (first === here) return false;
      this.onRepeat();
      return true;
    }
    this.firstSeen.set(eventId, here);
    this.pending.push([eventId, here]);
    this.pendingKey ??= here;
    if (occurredAt > this.pendingLatestAt) this.pendingLatestAt = occurredAt;
    return false;
  }

  /** Call before each flush (PartitionTask.punctuate): saves the new ids, evicts what is past the horizon. */
  seal(streamTimeMs: number = this.streamTimeMs): void {
    if (this.pending.length > 0) {
      // Keyed by its first record: unique in the partition, and the same after a replay.
      this.segments.put(this.pendingKey!, { latestAt: this.pendingLatestAt, ids: this.pending });
      this.pending = [];
      this.pendingLatestAt = Number.NEGATIVE_INFINITY;
      this.pendingKey = undefined;
    }
    const before = streamTimeMs - this.horizonMs;
    for (const [key, segment] of [...this.segments.entries()]) {
      if (segment.latestAt >= before) continue;
      for (const [id, first] of segment.ids) if (this.firstSeen.get(id) === first) this.firstSeen.delete(id);
      this.segments.delete(key);
    }
  }

  /** Ids remembered (tests, metrics). */
  get size(): number {
    return this.firstSeen.size;
  }
}

/** A task's guard, counting what it drops in repeated_events_total. */
export function openEventIdGuard(deps: Pick<TaskDeps, 'stores' | 'metrics'>, processor: string, horizonMs: number): Promise<EventIdGuard> {
  const repeats = deps.metrics.counter('repeated_events_total', 'records dropped because their event_id was counted already (a retried request)', ['processor']).labels({ processor });
  return EventIdGuard.open(deps.stores, horizonMs, () => repeats.inc());
}
