/**
 * Durable write: one flush's output made durable, then its offsets committed. In this order:
 * dead letters, published events, deliveries, task outputs (the archive's objects), rows table
 * by table in the definition's order (a state snapshot listed last is saved after what it
 * produced), the runtime's state-store snapshots, and only then the commit. The first part
 * (`writeOutput`, up to the rows: what makes a flush visible) and the second (`writeBookkeeping`:
 * snapshots and commit) are separate steps, so the core can start the next flush's output while
 * this one's bookkeeping is still being written (core.ts, flushLocked). Every step retries by the one retry policy while its
 * error says `canRetry`, without limit: a sink that is down pauses the pipeline (back-pressure,
 * heartbeats continue), lag grows, nothing is dropped, and no commit ever covers a record whose
 * output is not durable.
 */
import type { Message } from 'kafkajs';
import { ShelfStreamError, describeError } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import { observeMany, type Metrics } from '../../lib/metrics';
import { withRetry, type RetryOptions } from '../../lib/retry';
import type { BufferedOutput } from './buffer';
import { dedupToken, type SinkWrite } from './clickhouse-sink';
import type { CommitPlan, OffsetCommit } from './commit-plan';
import type { StateSnapshot } from './state-store';

/** Where a flush's output goes: production wires Kafka and ClickHouse, the test driver memory. */
export interface OutputPorts {
  /** Sends to a topic with acks from every in-sync replica; resolves once acknowledged. */
  produce(topic: string, messages: Message[]): Promise<void>;
  /** One insert with its deduplication token. */
  writeRows(write: SinkWrite): Promise<void>;
  /** Saves a task's state-store snapshot (state-store.ts). */
  saveState(snapshots: readonly StateSnapshot[]): Promise<void>;
  /** Commits offsets with their checkpoints as metadata. */
  commit(commits: readonly OffsetCommit[]): Promise<void>;
}

/** What one flush writes, with the offsets it makes safe to commit. */
export interface FlushBatch extends CommitPlan {
  readonly output: BufferedOutput;
  /** Output that is not rows or events (PartitionTask.takeOutput), in task order. */
  readonly taskOutputs: (() => Promise<void>)[];
  /** State-store snapshots, saved after the rows derived from them. */
  readonly stateSnapshots: StateSnapshot[];
  /** When this flush's records were fetched and flushed (the flush_stage_seconds histogram). */
  readonly timing?: FlushTiming;
}

/**
 * Wall-clock instants (ms) in the life of one flush, for the oldest event it carries: together
 * with that event's occurred_at and the end of the row writes they split its event-to-visible
 * time into stages (flush_stage_seconds): in transit (occurred_at to the fetch of the flush's
 * first batch), buffered (to the moment a flush was due), waiting for the previous flush's write
 * (to the moment the buffer was taken) and writing (to the rows being in ClickHouse).
 */
export interface FlushTiming {
  /** The first batch of this flush was handed to the core. */
  readonly firstFetchAt: number;
  /** The flush was asked for (interval passed, buffer full, tick, or an explicit flush). */
  readonly dueAt: number;
  /** The buffer was taken, after the previous flush's output was written. */
  readonly takenAt: number;
}

/** The stages of flush_stage_seconds, in the order they follow each other. */
export const FLUSH_STAGES = ['in_transit', 'buffered', 'waiting_for_previous', 'writing'] as const;

/** Backoff of the durable write's retries (the one retry policy; attempts are unlimited). */
export interface WriteRetry {
  /** First wait's ceiling (ms). */
  readonly initialDelayMs: number;
  /** Longest wait between attempts (ms). */
  readonly maxDelayMs: number;
}

export const DEFAULT_WRITE_RETRY: WriteRetry = {
  initialDelayMs: 200, // first wait 0-200 ms
  maxDelayMs: 10_000, // a sink down for minutes is asked every 10 s at most
};

/** Splits messages into runs whose keys, values and headers add up to at most `maxBytes`. */
export function chunkBySize(messages: readonly Message[], maxBytes: number): Message[][] {
  const chunks: Message[][] = [];
  let current: Message[] = [];
  let bytes = 0;
  for (const m of messages) {
    let size = 64 + (m.key?.length ?? 0) + (m.value?.length ?? 0);
    for (const [k, v] of Object.entries(m.headers ?? {})) size += k.length + (v === undefined ? 0 : String(v).length);
    if (current.length > 0 && bytes + size > maxBytes) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(m);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/**
 * In requests well under the broker's 1 MiB message.max.bytes: a replay full of late events can
 * dead-letter tens of thousands of records in one flush.
 */
const PRODUCE_REQUEST_BYTES = 512 * 1024;

export class DurableWriter {
  private readonly retry: RetryOptions;
  private readonly eventsOut;
  private readonly batchRows;
  private readonly sinkLatency;
  private readonly visible;
  private readonly sinkRetries;
  private readonly stages;

  constructor(
    private readonly processor: string,
    /** Tables in the order a flush writes them (ProcessorDefinition.tables). */
    private readonly tables: readonly string[],
    private readonly deadLetterTopic: string,
    private readonly ports: OutputPorts,
    private readonly log: Logger,
    metrics: Metrics,
    retry: WriteRetry,
    private readonly now: () => number,
  ) {
    this.retry = { retries: Number.POSITIVE_INFINITY, ...retry };
    this.eventsOut = metrics.counter('events_out_total', 'rows written to ClickHouse by a processor', ['processor', 'table']);
    this.batchRows = metrics.histogram('sink_batch_rows', 'rows per ClickHouse insert', [10, 100, 1_000, 10_000, 100_000, 1_000_000], ['processor', 'table']);
    this.sinkLatency = metrics.histogram('sink_batch_latency_seconds', 'duration of a ClickHouse insert', [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], ['processor', 'table']);
    this.visible = metrics.histogram('event_to_visible_seconds', "from an event's occurred_at to its effect being visible in ClickHouse", [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30, 60, 300], ['processor']);
    this.sinkRetries = metrics.counter('sink_retries_total', 'ClickHouse writes retried (the pipeline pauses meanwhile)', ['processor']);
    this.stages = metrics.histogram(
      'flush_stage_seconds',
      "where the oldest event of each flush spent its event-to-visible time: in_transit (to its fetch), buffered (until a flush was due), waiting_for_previous (the previous flush's write), writing",
      [0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 5, 10],
      ['processor', 'stage'],
    );
  }

  /** Output, rows, then the bookkeeping: one flush made durable and committed. */
  async write(batch: FlushBatch, heartbeat?: () => Promise<void>): Promise<void> {
    await this.writeOutput(batch, heartbeat);
    await this.writeBookkeeping(batch, heartbeat);
  }

  /** Everything a flush makes visible (dead letters, events, deliveries, task outputs, rows), in that order. */
  async writeOutput(batch: FlushBatch, heartbeat?: () => Promise<void>): Promise<void> {
    const { output } = batch;
    if (output.deadLetters.length > 0) await this.produce(this.deadLetterTopic, output.deadLetters, 'dead-letter produce');
    for (const [topic, messages] of output.events) {
      await this.produce(topic, messages, `produce of processor output to ${topic}`);
      this.eventsOut.inc({ processor: this.processor, table: topic }, messages.length);
    }
    for (const delivery of output.deliveries) await this.retried(delivery.send, `delivery to ${delivery.output}`, heartbeat);
    for (const taskOutput of batch.taskOutputs) await this.retried(taskOutput, 'processor output', heartbeat);
    const order = (table: string): number => {
      const i = this.tables.indexOf(table);
      return i < 0 ? this.tables.length : i;
    };
    for (const [table, rows] of [...output.rows].sort((a, b) => order(a[0]) - order(b[0]))) {
      const token = dedupToken(this.processor, table, batch.ranges);
      const t0 = performance.now();
      await this.retried(() => this.ports.writeRows({ table, rows, token }), `ClickHouse write to ${table}`, heartbeat);
      this.sinkLatency.observe({ processor: this.processor, table }, (performance.now() - t0) / 1000);
      this.batchRows.observe({ processor: this.processor, table }, rows.length);
      this.eventsOut.inc({ processor: this.processor, table }, rows.length);
    }
    // Visible once the rows are in, not once the state snapshot after them is: the event-id
    // guard's snapshot (a flush's new ids) is written in the bookkeeping, and timing it as
    // visibility added its insert to every event's event-to-visible time.
    const now = this.now();
    // Every event this flush made visible, added in one go (observeMany): prom-client's label
    // handling per event was 3% of a velocity profile. The times become delays in place.
    const delays = output.eventTimes;
    let oldest = Number.POSITIVE_INFINITY;
    for (let i = 0; i < delays.length; i++) {
      const at = delays[i]!;
      if (at < oldest) oldest = at;
      delays[i] = Math.max(0, now - at) / 1000;
    }
    observeMany(this.visible, { processor: this.processor }, delays);
    if (batch.timing && delays.length > 0) this.observeStages(batch.timing, oldest, now);
  }

  /**
   * The state-store snapshots, then the commit. After the rows (writeOutput): a restart that
   * finds a snapshot skips the records it covers, so their rows must be durable first.
   */
  async writeBookkeeping(batch: FlushBatch, heartbeat?: () => Promise<void>): Promise<void> {
    if (batch.stateSnapshots.length > 0) await this.retried(() => this.ports.saveState(batch.stateSnapshots), 'state snapshot', heartbeat);
    if (batch.commits.length === 0) return;
    try {
      await this.ports.commit(batch.commits);
    } catch (error) {
      // Not a failure of the flush: its rows and snapshots are durable, and every later flush
      // commits every partition read (commit-plan.ts), so the next commit covers these offsets.
      // Failing here failed the flushes chained after it, whose snapshots were then never saved
      // while a later snapshot covered their records: a restart lost their state (the Kafka
      // outage test, a commit sent as the broker went away). A restart before the next commit
      // reads again from the last one that landed; rows are written again under their keys and
      // tokens, and the state stores skip what their snapshots cover.
      this.log.warn({ err: error, partitions: batch.commits.map((c) => `${c.topic}:${c.partition}`) }, 'offsets not committed; the next flush commits past them');
    }
  }

  private observeStages(timing: FlushTiming, oldestEventAt: number, visibleAt: number): void {
    const seconds = (from: number, to: number): number => Math.max(0, to - from) / 1000;
    const observe = (stage: (typeof FLUSH_STAGES)[number], value: number): void => this.stages.observe({ processor: this.processor, stage }, value);
    observe('in_transit', seconds(oldestEventAt, timing.firstFetchAt));
    observe('buffered', seconds(Math.max(oldestEventAt, timing.firstFetchAt), timing.dueAt));
    observe('waiting_for_previous', seconds(timing.dueAt, timing.takenAt));
    observe('writing', seconds(timing.takenAt, visibleAt));
  }

  private produce(topic: string, messages: readonly Message[], what: string): Promise<void> {
    return withRetry(
      async () => {
        try {
          for (const chunk of chunkBySize(messages, PRODUCE_REQUEST_BYTES)) await this.ports.produce(topic, chunk);
        } catch (error) {
          if (error instanceof ShelfStreamError) throw error;
          throw new ShelfStreamError('SERVICE_UNAVAILABLE', `${what} failed: ${describeError(error)}`, { cause: error, context: { topic } });
        }
      },
      { ...this.retry, onRetry: (error) => this.log.warn({ err: error, topic }, `retrying the ${what}`) },
    );
  }

  private retried(operation: () => Promise<void>, what: string, heartbeat?: () => Promise<void>): Promise<void> {
    const attempts = withRetry(operation, {
      ...this.retry,
      onRetry: (error, attempt, delayMs) => {
        this.sinkRetries.inc({ processor: this.processor });
        this.log.warn({ err: error, attempt, delayMs }, `${what} failed; pausing and retrying`);
      },
    });
    return whileHeartbeating(attempts, heartbeat);
  }
}

/**
 * How often a consumer that waits on a write says it is alive. The client sends a heartbeat only
 * when its own interval has passed, so asking often costs nothing.
 */
const HEARTBEAT_WHILE_WAITING_MS = 1_000; // one second

/**
 * Waits for `work`, heartbeating meanwhile: a sink down for a minute (MinIO, ClickHouse) must
 * not cost the consumer its group membership. One heartbeat per retry was not enough: the
 * waits between attempts grow to 10 s, past a short session timeout, and a batch waiting for
 * the previous flush to finish sent none at all (the MinIO outage test: the member was
 * evicted, its commit refused, and the process exited).
 */
export async function whileHeartbeating<T>(work: Promise<T>, heartbeat?: () => Promise<void>): Promise<T> {
  if (!heartbeat) return work;
  const timer = setInterval(() => void heartbeat().catch(() => undefined), HEARTBEAT_WHILE_WAITING_MS);
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}
