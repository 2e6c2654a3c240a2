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
 * events/s holds 600,000 ids, about 90 MB; the snapshot adds about 50 bytes of JSON per event
 * to processor_state, written once. CPU, measured on the velocity benchmark (600k sales within
 * 10 minutes, 2026-12-06, loaded machine): 8.4-9.7 us per event against 4.8 without the guard,
 * of which the guard alone (a Map of 600k ids, segments, snapshot JSON) is 2.4 us in isolation.
 * The Map is near the floor: an open-addressing table of each UUID's 128 bits in typed arrays
 * (no string kept, no GC) measured no faster per insert (0.49-0.54 us against 0.40-0.59 us for
 * 300k ids, 2026-12-06); what costs is holding 600k entries at all (cache misses, the old
 * generation growing), which only a shorter horizon reduces. `make bench BENCH=velocity-core`
 * measures the guard's share. A horizon of 0 turns the guard off.
 */
import type { TaskDeps } from './processor';
import type { KeyValueStore, StateStores } from './state-store';

export const EVENT_ID_STORE = 'event-ids';
/** The default horizon (STREAM_EVENT_ID_HORIZON_MS): a terminal retries within seconds to minutes. */
export const DEFAULT_EVENT_ID_HORIZON_MS = 600_000; // 10 minutes of event time

/**
 * One flush's new ids, compact: the ids joined by commas and, for each, its first record as
 * `offset * 64 + i` with `topics[i]` (numbers, not a string per record: the guard was half of
 * velocity's CPU per event with strings and pairs).
 */
interface Segment {
  readonly latestAt: number;
  readonly topics: readonly string[];
  readonly ids: string;
  readonly firsts: readonly number[];
}

/** Topics per guard: far fewer than 64 (a co-partitioned task reads a handful). */
const TOPIC_SLOTS = 64;

export class EventIdGuard {
  /** event_id -> its first record, as `offset * 64 + index in this.topics`. */
  private readonly firstSeen = new Map<string, number>();
  private readonly topics: string[] = [];
  private lastTopic: string | undefined;
  private lastTopicIndex = 0;
  private pendingIds: string[] = [];
  private pendingFirsts: number[] = [];
  private pendingLatestAt = Number.NEGATIVE_INFINITY;
  /** The largest occurred_at seen (isRepeatedRecord): what `seal` evicts against by default. */
  private streamTimeMs = Number.NEGATIVE_INFINITY;

  private constructor(
    private readonly segments: KeyValueStore<Segment>,
    /** Event time (ms) an id is remembered for after the latest event of its segment. */
    readonly horizonMs: number,
    private readonly onRepeat: () => void,
  ) {
    for (const [, segment] of segments.entries()) {
      const ids = segment.ids.split(',');
      for (let i = 0; i < ids.length; i++) this.firstSeen.set(ids[i]!, this.restoredRef(segment, segment.firsts[i]!));
    }
  }

  /** `onRepeat` is called for each repeat found (a metric). */
  static async open(stores: StateStores, horizonMs: number, onRepeat: () => void = () => undefined): Promise<EventIdGuard> {
    return new EventIdGuard(await stores.open<Segment>(EVENT_ID_STORE), horizonMs, onRepeat);
  }

  private topicIndex(topic: string): number {
    if (topic === this.lastTopic) return this.lastTopicIndex;
    let i = this.topics.indexOf(topic);
    if (i < 0) {
      if (this.topics.length >= TOPIC_SLOTS) throw new RangeError(`an event-id guard reads at most ${TOPIC_SLOTS} topics`);
      i = this.topics.push(topic) - 1;
    }
    this.lastTopic = topic;
    this.lastTopicIndex = i;
    return i;
  }

  private restoredRef(segment: Segment, first: number): number {
    const offset = Math.floor(first / TOPIC_SLOTS);
    return offset * TOPIC_SLOTS + this.topicIndex(segment.topics[first % TOPIC_SLOTS]!);
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
    const here = record.offset * TOPIC_SLOTS + this.topicIndex(record.topic);
    const first = this.firstSeen.get(eventId);
    if (first !== undefined) {
      if (first === here) return false;
      this.onRepeat();
      return true;
    }
    this.firstSeen.set(eventId, here);
    this.pendingIds.push(eventId);
    this.pendingFirsts.push(here);
    if (occurredAt > this.pendingLatestAt) this.pendingLatestAt = occurredAt;
    return false;
  }

  /** Call before each flush (PartitionTask.punctuate): saves the new ids, evicts what is past the horizon. */
  seal(streamTimeMs: number = this.streamTimeMs): void {
    if (this.pendingIds.length > 0) {
      // Keyed by its first record: unique in the partition, and the same after a replay.
      const first = this.pendingFirsts[0]!;
      const key = `${this.topics[first % TOPIC_SLOTS]}/${Math.floor(first / TOPIC_SLOTS)}`;
      this.segments.put(key, { latestAt: this.pendingLatestAt, topics: [...this.topics], ids: this.pendingIds.join(','), firsts: this.pendingFirsts });
      this.pendingIds = [];
      this.pendingFirsts = [];
      this.pendingLatestAt = Number.NEGATIVE_INFINITY;
    }
    const before = streamTimeMs - this.horizonMs;
    for (const [key, segment] of [...this.segments.entries()]) {
      if (segment.latestAt >= before) continue;
      const ids = segment.ids.split(',');
      for (let i = 0; i < ids.length; i++) if (this.firstSeen.get(ids[i]!) === this.restoredRef(segment, segment.firsts[i]!)) this.firstSeen.delete(ids[i]!);
      this.segments.delete(key);
    }
  }

  /** Ids remembered (tests, metrics). */
  get size(): number {
    return this.firstSeen.size;
  }
}

/**
 * A task's guard, counting what it drops in repeated_events_total; none when the horizon is 0
 * (the guard off: no memory, no store, no CPU, repeats counted again).
 */
export async function openEventIdGuard(deps: Pick<TaskDeps, 'stores' | 'metrics'>, processor: string, horizonMs: number): Promise<EventIdGuard | undefined> {
  if (horizonMs <= 0) return undefined;
  const repeats = deps.metrics.counter('repeated_events_total', 'records dropped because their event_id was counted already (a retried request)', ['processor']).labels({ processor });
  return EventIdGuard.open(deps.stores, horizonMs, () => repeats.inc());
}
