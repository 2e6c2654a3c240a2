/**
 * Coalesces the events of concurrent requests into one Kafka produce. An idempotent producer
 * sends one request at a time (lib/events/publisher.ts: sequence numbers must stay in order),
 * so producing each HTTP request on its own caps throughput at one request per broker round
 * trip. Here, while a produce is in flight, newly accepted requests wait in
 * an open batch; when the produce returns, the whole open batch goes out as the next one. An
 * idle service waits `lingerMs` (default: to the end of the current event-loop turn) so
 * requests that arrive together share a produce.
 *
 * A request's events always travel in one produce (all of a request's events are acknowledged
 * together, or none is). One promise per batch, not per event.
 *
 * After a failed produce the batcher refuses new work for `cooldownMs` (the circuit is open):
 * requests get 503 at once instead of piling up behind a broker that is down; the first batch
 * after the cooldown probes Kafka again.
 */
import type { Clock } from './rate-limit';

export interface TopicBatch {
  readonly topic: string;
  readonly events: readonly unknown[];
}

/** The part of lib/events/publisher.ts's EventPublisher the batcher needs. */
export interface BatchPublisher {
  publishMixed(batches: readonly TopicBatch[]): Promise<void>;
}

export interface BatcherOptions {
  /** Milliseconds an idle batcher waits for more requests before producing; 0: end of this event-loop turn. */
  readonly lingerMs: number;
  /** Events in one produce; a larger single request still goes out whole, on its own. */
  readonly maxBatchEvents: number;
  /** Produces in flight at once; the publisher sends them one at a time anyway, 2 lets a batch queue behind the one in flight. */
  readonly maxInFlight: number;
  /** Milliseconds new work is refused after a failed produce. */
  readonly cooldownMs: number;
  readonly clock?: Clock;
  /** Called once per produce, for metrics. */
  readonly onProduced?: (events: number, ms: number, error?: unknown) => void;
}

export const BATCHER_DEFAULTS: BatcherOptions = {
  lingerMs: 0, // produce at the end of the event-loop turn when idle
  maxBatchEvents: 5_000, // ~1 MB of Avro at ~200 bytes an event: under the broker's message.max.bytes per partition
  maxInFlight: 1,
  cooldownMs: 5_000, // five seconds
};

interface Batch {
  readonly byTopic: Map<string, unknown[]>;
  count: number;
  readonly done: Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
}

export type Availability = { readonly ok: true } | { readonly ok: false; readonly retryAfterMs: number; readonly reason: string };

export interface ProduceBatcher {
  /** Queues one request's events; settles when Kafka acknowledged them all, or failed. */
  submit(records: readonly { readonly topic: string; readonly event: unknown }[]): Promise<void>;
  /** Whether new work is accepted now (the circuit is closed). */
  availability(): Availability;
  /** Produces whatever is queued and waits until every produce has settled. */
  flush(): Promise<void>;
  /** Events queued or in flight. */
  readonly pendingEvents: number;
}

export function createProduceBatcher(publisher: BatchPublisher, options: Partial<BatcherOptions> = {}): ProduceBatcher {
  const o: BatcherOptions = { ...BATCHER_DEFAULTS, ...options };
  const clock = o.clock ?? performance.now.bind(performance);
  let open: Batch | undefined;
  const ready: Batch[] = [];
  const outstanding = new Set<Promise<void>>();
  let inFlight = 0;
  let pendingEvents = 0;
  let timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  let blockedUntil = 0;
  let lastError = '';

  const newBatch = (): Batch => {
    let resolve!: () => void;
    let reject!: (error: unknown) => void;
    const done = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // Callers attach their own handlers; this one keeps an unobserved failure from crashing the process.
    done.catch(() => undefined);
    return { byTopic: new Map(), count: 0, done, resolve, reject };
  };

  const cancelTimer = (): void => {
    if (timer === undefined) return;
    if (o.lingerMs > 0) clearTimeout(timer as NodeJS.Timeout);
    else clearImmediate(timer as NodeJS.Immediate);
    timer = undefined;
  };

  const dispatch = (batch: Batch): void => {
    inFlight++;
    const started = clock();
    const batches = [...batch.byTopic].map(([topic, events]) => ({ topic, events }));
    const produced = (async () => publisher.publishMixed(batches))().then(
      () => {
        o.onProduced?.(batch.count, clock() - started);
        batch.resolve();
      },
      (error: unknown) => {
        blockedUntil = clock() + o.cooldownMs;
        lastError = error instanceof Error ? error.message : String(error);
        o.onProduced?.(batch.count, clock() - started, error);
        batch.reject(error);
      },
    );
    const settled = produced.finally(() => {
      inFlight--;
      pendingEvents -= batch.count;
      outstanding.delete(settled);
      pump(true);
    });
    outstanding.add(settled);
  };

  const sealOpen = (): void => {
    cancelTimer();
    if (open && open.count > 0) ready.push(open);
    open = undefined;
  };

  const dispatchOpen = (): void => {
    cancelTimer();
    const batch = open;
    open = undefined;
    if (batch && batch.count > 0) dispatch(batch);
  };

  /**
   * Sends what may be sent now. The open batch goes out at once when a produce has just
   * returned (it gathered while waiting) or when it is full; on an idle producer it lingers.
   * While the producer is busy it stays open and keeps gathering.
   */
  const pump = (afterProduce = false): void => {
    while (inFlight < o.maxInFlight && ready.length > 0) dispatch(ready.shift()!);
    if (!open || inFlight >= o.maxInFlight) return;
    if (afterProduce || inFlight > 0 || open.count >= o.maxBatchEvents) return dispatchOpen();
    timer ??= o.lingerMs > 0 ? setTimeout(lingerElapsed, o.lingerMs) : setImmediate(lingerElapsed);
  };

  /** The linger timer fired: send the open batch if the producer is still free. */
  const lingerElapsed = (): void => {
    timer = undefined;
    if (inFlight < o.maxInFlight) dispatchOpen();
  };

  return {
    get pendingEvents() {
      return pendingEvents;
    },
    availability() {
      const wait = blockedUntil - clock();
      return wait > 0 ? { ok: false, retryAfterMs: wait, reason: `Kafka did not acknowledge the last batch (${lastError})` } : { ok: true };
    },
    submit(records) {
      if (open && open.count > 0 && open.count + records.length > o.maxBatchEvents) sealOpen();
      open ??= newBatch();
      const batch = open;
      for (const { topic, event } of records) {
        let events = batch.byTopic.get(topic);
        if (!events) batch.byTopic.set(topic, (events = []));
        events.push(event);
      }
      batch.count += records.length;
      pendingEvents += records.length;
      pump();
      return batch.done;
    },
    async flush() {
      sealOpen();
      pump();
      while (outstanding.size > 0 || ready.length > 0) {
        await Promise.allSettled([...outstanding]);
        pump();
      }
    },
  };
}

/**
 * A batcher that encodes each event when its request is accepted rather than when its batch
 * is produced: the event's object graph (parsed from the request's JSON) can then die at once,
 * and the batcher holds only the encoded bytes. With requests waiting 10-50 ms for Kafka, the
 * objects otherwise outlived a scavenge or two and were copied each time (--trace-gc on the
 * ingest benchmark: 550 scavenges of ~7 ms on average in 45 s).
 */
export function encodeOnSubmit(batcher: ProduceBatcher, encode: (topic: string, event: unknown) => unknown): ProduceBatcher {
  return {
    get pendingEvents() {
      return batcher.pendingEvents;
    },
    availability: () => batcher.availability(),
    flush: () => batcher.flush(),
    submit: (records) => {
      const encoded = new Array<{ topic: string; event: unknown }>(records.length);
      for (let i = 0; i < records.length; i++) encoded[i] = { topic: records[i]!.topic, event: encode(records[i]!.topic, records[i]!.event) };
      return batcher.submit(encoded);
    },
  };
}
