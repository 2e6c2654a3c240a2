/**
 * The runtime's core, without a broker: it takes fetched batches, decodes them (decode.ts),
 * hands each record to its partition task (in event-time order across the inputs of a
 * co-partitioned task: align.ts), fires the tasks' timers (timers.ts), buffers what they
 * produce (buffer.ts), and flushes: takes the buffer with its commit plan (commit-plan.ts) and
 * makes it durable before committing (durable-write.ts). The kafkajs adapter (kafkajs-adapter.ts)
 * drives it in production; the test driver (test-driver.ts) drives it in unit tests.
 *
 * Effectively-once does not rest on commits (kafkajs can lose or repeat them around
 * rebalances). It rests on three things:
 *   1. rows are deterministic functions of a partition's record sequence, keyed (window, store,
 *      sku) or (event_id, line), in ReplacingMergeTree tables: a re-written row replaces itself;
 *   2. the committed offset is the earliest offset the open state still needs, and the commit
 *      metadata holds the partition's checkpoint (its watermark). A restart, a rebalance or a
 *      replay re-reads from there, rebuilds every open window completely, and knows which
 *      windows were closed (and written) before, so it never writes a partial one over them;
 *   3. each insert carries a deduplication token of its exact offset ranges, so a retried insert
 *      that had landed is dropped (this also keeps rollup materialized views exact).
 * Bad records go to the dead-letter topic with the reason in headers, before the commit that
 * passes them. A failing sink pauses the pipeline (retry with backoff): lag grows, nothing is
 * dropped.
 */
import type { KafkaMessage } from 'kafkajs';
import { ShelfStreamError, type ErrorCode } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import type { Metrics } from '../../lib/metrics';
import { EventTimeAligner } from './align';
import type { GlobalTableView } from './global-table';
import { DEAD_LETTER, type BadRecordPolicy } from './bad-records';
import { OutputBuffer } from './buffer';
import { newPosition, takeCommitPlan, type Position } from './commit-plan';
import { DEFAULT_WRITE_RETRY, DurableWriter, whileHeartbeating, type FlushBatch, type OutputPorts, type WriteRetry } from './durable-write';
import { MessageRecord, RecordDecoder, SCHEMA_UNKNOWN, TOMBSTONE, inputDecodings, rawOf, rawTombstoneOf, type InputDecoding, type RecordCodec } from './decode';
import type { InputRecord, PartitionTask, ProcessorDefinition, TaskDeps } from './processor';
import { TaskStateStores, type StateBackend, type StateSnapshot } from './state-store';
import { TimerSet } from './timers';
import type { StandIns } from './topics';

/** Records one input of a co-partitioned task may hold in its queue before it stops being fetched. */
const MAX_ALIGN_BUFFER = 50_000;
/** Records between two looks at the time while a batch runs: 64 records are about 0.3 ms at the velocity bench's 5 us a record. */
const YIELD_CHECK_EVERY = 64;
/** How long a co-partitioned task waits for an input with records still to read (Kafka Streams' max.task.idle.ms). */
const ALIGN_MAX_WAIT_MS = 30_000; // 30 s

export interface CommittedOffset {
  readonly offset: number | undefined;
  readonly metadata: string | undefined;
}

export interface PartitionEnds {
  readonly low: number;
  readonly high: number;
}

/** What the core asks of the consumer that feeds it. Keys are `topic:partition`. */
export interface SourcePort {
  /** The group's committed offsets and checkpoints of every input partition. */
  loadCommitted(): Promise<Map<string, CommittedOffset>>;
  /** Low and high watermarks of every input partition. */
  loadEnds(): Promise<Map<string, PartitionEnds>>;
  /** The next batch of the partition starts at `offset`. */
  seek(topic: string, partition: number, offset: number): void;
  pause(topic: string, partition: number): void;
  resume(topic: string, partition: number): void;
}

export interface CoreOptions {
  /** Longest time rows wait in memory before they are written (ms): bounds visibility latency. */
  readonly flushIntervalMs: number;
  /** Rows buffered before a flush is forced, whatever the time. */
  readonly maxBufferedRows: number;
  readonly deadLetterTopic: string;
  readonly database: string;
  /** Who owns the tasks' state stores: the consumer group (the processor's name by default). */
  readonly stateOwner?: string;
  /** Backoff of failed writes; the default in production. */
  readonly writeRetry?: WriteRetry;
  /** Output stand-ins: catalogue topic -> topic its events are published to instead. */
  readonly outputTopics?: StandIns;
  /**
   * Longest stretch (ms) of one batch's records between turns of the event loop: the process may
   * also serve HTTP (`run all`), and a batch of a partition that fell behind runs for hundreds of
   * ms. Unset or 0: a batch runs in one go.
   */
  readonly yieldAfterMs?: number;
}

export interface CoreDeps {
  readonly codec: RecordCodec;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly source: SourcePort;
  readonly outputs: OutputPorts;
  /** Where the tasks' state stores are saved and restored from. */
  readonly state: StateBackend;
  /** Reads ClickHouse for tasks restoring state (TaskDeps.query). */
  query<T>(sql: string, params?: Record<string, unknown>): Promise<T[]>;
  /** Wall-clock time (ms): Date.now in production, the driver's clock in tests. */
  readonly clock: () => number;
  /** The definition's global tables (master data), by topic: started by whoever drives the core. */
  readonly globalTables?: ReadonlyMap<string, GlobalTableView<unknown>>;
}

/** One fetch of one topic-partition, in offset order. */
export interface SourceBatch {
  readonly topic: string;
  readonly partition: number;
  readonly messages: readonly KafkaMessage[];
  /** The partition's end when fetched. */
  readonly highWatermark: number;
}

export type BatchOutcome = 'processed' | 'seeked' | 'skipped';

/** What a task's wait answers when a graceful stop began first (ProcessorCore.untilStop). */
const STOPPING: unique symbol = Symbol('stopping');

/** A topic-partition of this consumer's share of the group (kafkajs' memberAssignment). */
export interface AssignedPartition {
  readonly topic: string;
  readonly partition: number;
}

/** What holds the core's lock, and since when (wall clock): a stop that waits for the lock names it. */
export interface LockHolder {
  readonly step: string;
  readonly since: number;
}

/** A promise chain that runs one step at a time; it knows which step runs, for a stop that waits. */
class Mutex {
  private tail: Promise<unknown> = Promise.resolve();
  holder: LockHolder | undefined;
  run<T>(step: string, fn: () => Promise<T>): Promise<T> {
    const held = async (): Promise<T> => {
      const holder = { step, since: Date.now() };
      this.holder = holder;
      try {
        return await fn();
      } finally {
        if (this.holder === holder) this.holder = undefined;
      }
    };
    const next = this.tail.then(held, held);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

/** `topic:partition` back into its parts (topic names cannot contain a colon). */
export function splitKey(key: string): [string, number] {
  const i = key.lastIndexOf(':');
  return [key.slice(0, i), Number(key.slice(i + 1))];
}

interface Aligned {
  readonly state: Position;
  readonly message: KafkaMessage;
  readonly value: unknown;
}

export class ProcessorCore {
  readonly name: string;
  private readonly log: Logger;
  private readonly decodings: Map<string, InputDecoding>;
  private readonly decoder: RecordDecoder;
  private readonly buffer: OutputBuffer;
  private readonly writer: DurableWriter;
  private readonly mutex = new Mutex();
  /** Tasks by `topic:partition`, or by partition number for a co-partitioned processor. */
  private readonly tasks = new Map<string, PartitionTask>();
  private readonly timers = new Map<PartitionTask, TimerSet>();
  private readonly stores = new Map<PartitionTask, TaskStateStores>();
  /** Every input topic-partition read in this generation, by `topic:partition`. */
  private readonly positions = new Map<string, Position>();
  /** Committed offset and checkpoint per partition, read once per group generation. */
  private committed: Map<string, CommittedOffset> | undefined;
  private ends: Map<string, PartitionEnds> | undefined;
  private readonly seeked = new Set<string>();
  /**
   * Co-partitioned tasks by partition number: records wait here until every input has been
   * read as far as their event time, so a task sees one interleaving on every run.
   */
  private readonly aligners = new Map<number, EventTimeAligner<Aligned>>();
  /** Since when a task has had records buffered that it could not be handed (by partition). */
  private readonly blockedSince = new Map<number, number>();
  /** Topic-partitions paused because their queue ran far ahead. */
  private readonly pausedByUs = new Set<string>();
  /** The last flush's output (up to its rows): the next flush takes the buffer once it is written. */
  private outputInFlight: Promise<void> | undefined;
  /** The last flush as a whole (its snapshots and commit too): the next one's bookkeeping follows it. */
  private inFlight: Promise<void> | undefined;
  /** When the first batch since the last flush was handed in (flush_stage_seconds). */
  private firstFetchAt: number | undefined;
  /** Write failures logged already: a failure also fails every flush chained after it. */
  private readonly knownFailures = new WeakSet<object>();
  /** A flush's output or snapshot that failed for good: the next flush starts the tasks again and throws it. */
  private writeFailure: { readonly error: unknown } | undefined;
  private lastFlush: number;
  /** When the last batch came in (wall clock): the adapter's stop-when-idle reads it. */
  lastRecordAt: number;
  private readonly metric;
  private readonly badRecords: BadRecordPolicy;
  /** This generation's assignment, in input order: a task is created for each on assignment. */
  private assignment: readonly AssignedPartition[] = [];
  /** True while a task of the assignment could not be created yet (ClickHouse away): the tick retries. */
  private assignmentIncomplete = false;
  /** Counts group generations: a task created for an older one is released, not kept. */
  private generation = 0;

  constructor(
    private readonly definition: ProcessorDefinition,
    private readonly deps: CoreDeps,
    private readonly options: CoreOptions,
  ) {
    this.name = definition.name;
    this.log = deps.logger.child({ processor: this.name });
    this.decodings = inputDecodings(definition);
    this.badRecords = definition.badRecords ?? DEAD_LETTER;
    this.decoder = new RecordDecoder(deps.codec, (topic, partition, message, code, reason) => this.reject(topic, partition, message, code, reason));
    this.buffer = new OutputBuffer(this.name, deps.codec, options.outputTopics);
    this.writer = new DurableWriter(this.name, definition.tables, options.deadLetterTopic, deps.outputs, this.log, deps.metrics, options.writeRetry ?? DEFAULT_WRITE_RETRY, deps.clock);
    this.lastFlush = this.lastRecordAt = deps.clock();
    const m = deps.metrics;
    this.metric = {
      eventsIn: m.counter('events_in_total', 'records read by a processor', ['processor', 'topic']),
      deadLetters: m.counter('dead_letters_total', 'records sent to the dead-letter topic', ['processor', 'code']),
      lateEvents: m.counter('late_events_total', 'records that arrived after their window closed (sidelined to the dead-letter topic)', ['processor']),
      lag: m.gauge('consumer_lag', 'records behind the end of the partition', ['processor', 'topic', 'partition']),
      skipped: m.counter('bad_records_skipped_total', 'records that could not be processed, skipped by a log-and-continue policy', ['processor', 'code']),
      tombstones: m.counter('tombstones_total', 'null-valued records (deletions on compacted topics), handed only to processors that declare tombstones', ['processor', 'topic']),
    };
  }

  private taskKey(topic: string, partition: number): string {
    return this.definition.copartitioned ? String(partition) : `${topic}:${partition}`;
  }

  /**
   * A new group generation: partitions may have moved. Every task restarts from its committed
   * offset and checkpoint, which is always a consistent point. What is buffered stays and is
   * written by the next flush, but no commit covers a partition this generation did not read.
   */
  newGeneration(): void {
    this.generation++;
    this.assignment = [];
    this.assignmentIncomplete = false;
    for (const task of this.tasks.values()) task.release?.();
    this.tasks.clear();
    this.timers.clear();
    this.stores.clear();
    this.positions.clear();
    this.seeked.clear();
    this.committed = undefined;
    this.aligners.clear();
    this.blockedSince.clear();
    this.ends = undefined;
    for (const key of this.pausedByUs) {
      const [topic, partition] = splitKey(key);
      this.deps.source.resume(topic, partition);
    }
    this.pausedByUs.clear();
  }

  /**
   * A new group generation and this consumer's share of it (kafkajs' GROUP_JOIN). The previous
   * generation's tasks are released (their partitions may be another member's now), and a task is
   * created, its stores restored, for every assigned partition at once rather than at its first
   * records: a restarted service whose partitions bring nothing new still restores its state and
   * runs its wall-clock timers (the alert queue's retries). A task that cannot be created yet
   * (ClickHouse away) is retried by the tick, and by the first batch of its partition.
   */
  assign(assignment: readonly AssignedPartition[]): Promise<void> {
    this.newGeneration();
    const order = (topic: string): number => this.definition.inputs.indexOf(topic);
    this.assignment = assignment.filter((a) => order(a.topic) >= 0).sort((a, b) => a.partition - b.partition || order(a.topic) - order(b.topic));
    this.assignmentIncomplete = this.assignment.length > 0;
    return this.mutex.run('assign: create and restore the tasks', () => this.createAssignedTasks());
  }

  private async createAssignedTasks(): Promise<void> {
    if (!this.assignmentIncomplete) return;
    const generation = this.generation;
    try {
      this.committed ??= await this.deps.source.loadCommitted();
      for (const { topic, partition } of this.assignment) {
        if (generation !== this.generation || this.stopRequested) return;
        await this.taskFor(topic, partition);
      }
      if (generation === this.generation) this.assignmentIncomplete = false;
    } catch (error) {
      // Logged here, once per attempt: the tick tries again, and the partition's first batch too.
      this.log.error({ err: error }, 'tasks of the assignment could not be created yet; retrying');
    }
  }

  /** Set when a graceful stop begins (drain): a task's wait for a global table gives up then. */
  private stopRequested = false;
  private beginStop!: () => void;
  private readonly stopBegan = new Promise<typeof STOPPING>((resolve) => (this.beginStop = () => resolve(STOPPING)));

  /** What a step holding the lock awaits, when it is a task's own wait (a barrier, a task being made). */
  private waitingFor: string | undefined;

  /** The step holding the core's lock and what it awaits: a stop that waits for the lock logs it. */
  get lockHolder(): (LockHolder & { readonly waitingFor: string | undefined }) | undefined {
    const holder = this.mutex.holder;
    return holder && { ...holder, waitingFor: this.waitingFor };
  }

  /** Tasks alive, by task key (tests: which partitions have a task). */
  get taskKeys(): string[] {
    return [...this.tasks.keys()];
  }

  /** The next offset this generation will read of a partition, if it read any. */
  nextOffset(topic: string, partition: number): number | undefined {
    return this.positions.get(`${topic}:${partition}`)?.next;
  }

  /**
   * Processes one fetched batch: decodes it, hands its records to the task, and flushes when
   * the buffer is full or the flush interval passed. `isCurrent` is asked once the batch holds
   * the lock (kafkajs: still running and not stale). Answers `seeked` when the batch did not
   * start at the committed offset and the source was sent back there: nothing was processed.
   */
  processBatch(batch: SourceBatch, heartbeat?: () => Promise<void>, isCurrent: () => boolean = () => true): Promise<BatchOutcome> {
    // Heartbeats while the batch waits (for the lock a background flush holds, for a write that
    // retries while a sink is down): the group must not evict a member that is only paused.
    return whileHeartbeating(this.processBatchLocked(batch, heartbeat, isCurrent, this.deps.clock()), heartbeat);
  }

  private processBatchLocked(batch: SourceBatch, heartbeat: (() => Promise<void>) | undefined, isCurrent: () => boolean, fetchedAt: number): Promise<BatchOutcome> {
    return this.mutex.run(`batch of ${batch.topic}:${batch.partition}`, async () => {
      // After a stop began, a batch would be processed after the stop's last flush: it is read again next run.
      if (this.stopRequested || !isCurrent() || batch.messages.length === 0) return 'skipped';
      const key = `${batch.topic}:${batch.partition}`;
      let state = this.positions.get(key);
      if (!state) {
        const created = await this.startPartition(batch);
        if (!created) return 'seeked';
        state = created;
      }
      const topicCounter = this.metric.eventsIn.labels({ processor: this.name, topic: batch.topic });
      const aligner = this.aligners.get(batch.partition);
      const input = this.decodings.get(batch.topic)!;
      // Once per batch: the contract's "not in the future" bound does not need a clock per record.
      const nowMs = this.deps.clock();
      const yieldAfterMs = this.options.yieldAfterMs ?? 0;
      let sliceStart = performance.now();
      for (let i = 0; i < batch.messages.length; i++) {
        // Real time, not the clock: what is bounded is how long the event loop is held.
        if (yieldAfterMs > 0 && i % YIELD_CHECK_EVERY === 0 && i > 0 && performance.now() - sliceStart >= yieldAfterMs) {
          await new Promise<void>((resolve) => setImmediate(resolve)); // after the I/O waiting, as a timer would not be
          sliceStart = performance.now();
        }
        const message = batch.messages[i]!;
        let value = message.value === null ? TOMBSTONE : this.decoder.decode(input, batch.partition, message, nowMs);
        if (value === SCHEMA_UNKNOWN) value = await this.decoder.decodeAfterFetch(input, batch.partition, message, nowMs);
        if (aligner) {
          const occurredAt = (value as { occurred_at?: unknown } | undefined)?.occurred_at;
          // Records with nothing for the task (dead letters, tombstones it does not want) pass at once.
          const skipped = value === undefined || (value === TOMBSTONE && !this.definition.tombstones);
          const at = skipped ? Number.NEGATIVE_INFINITY : typeof occurredAt === 'number' ? occurredAt : Number(message.timestamp);
          aligner.push(batch.topic, { state, message, value }, at);
        } else {
          const wait = this.applyRecord(state, message, value);
          // A stop began while the task waited for a global table: the rest is read again next run.
          if (wait && !(await wait)) return 'skipped';
        }
      }
      const last = batch.messages[batch.messages.length - 1]!;
      state.fetchedTo = Number(last.offset) + 1;
      state.highWatermark = batch.highWatermark;
      if (aligner) {
        if (aligner.buffered(batch.topic) > MAX_ALIGN_BUFFER && !this.pausedByUs.has(key)) {
          // Far ahead of another input: stop fetching it, so fetches bring what the task waits for.
          this.pausedByUs.add(key);
          this.deps.source.pause(batch.topic, batch.partition);
        }
        await this.drainAligned(batch.partition, heartbeat);
      }
      // Once per batch, not per record: both are measurable at 100k records/s.
      topicCounter.inc(batch.messages.length);
      this.firstFetchAt ??= fetchedAt;
      this.setLag(state);
      this.lastRecordAt = this.deps.clock();
      if (this.buffer.size >= this.options.maxBufferedRows || this.deps.clock() - this.lastFlush >= this.options.flushIntervalMs) await this.flushLocked(heartbeat);
      else await heartbeat?.();
      return 'processed';
    });
  }

  /** The position of a partition met for the first time in this generation, or undefined after a seek. */
  private async startPartition(batch: SourceBatch): Promise<Position | undefined> {
    const key = `${batch.topic}:${batch.partition}`;
    this.committed ??= await this.deps.source.loadCommitted();
    const at = this.committed.get(key);
    const first = Number(batch.messages[0]!.offset);
    // With no commit yet, the consistent point is the partition's start (inputs are read from
    // the beginning): a partition kept across a rebalance before its first commit must not
    // resume where its fetches were, with a new task that never saw the records before.
    let consistent = at?.offset;
    if (consistent === undefined) consistent = (this.ends ??= await this.deps.source.loadEnds()).get(key)?.low;
    if (consistent !== undefined && first !== consistent && !this.seeked.has(key)) {
      // The consumer resumed somewhere else than the consistent point: go back to it.
      this.seeked.add(key);
      this.deps.source.seek(batch.topic, batch.partition, consistent);
      return undefined;
    }
    if (at?.offset !== undefined && first > at.offset) {
      this.log.warn({ topic: batch.topic, partition: batch.partition, committed: at.offset, first }, 'records before the first available offset are gone (retention); continuing from there');
    }
    const task = await this.taskFor(batch.topic, batch.partition);
    if (!task) return undefined;
    const state = newPosition(task, batch.topic, batch.partition);
    this.positions.set(key, state);
    return state;
  }

  /**
   * The task of a topic-partition, created and restored if this generation has none yet (on
   * assignment, or at a batch of a partition the assignment did not list). Undefined when a new
   * generation started while it was created: that task is released, not kept.
   */
  private async taskFor(topic: string, partition: number): Promise<PartitionTask | undefined> {
    const tk = this.taskKey(topic, partition);
    const existing = this.tasks.get(tk);
    if (existing) return existing;
    const generation = this.generation;
    // A flush taken by the previous generation's tasks may still be saving their snapshots: a
    // task restored before those land would start from an older state, and they would then land
    // beside its own with the same versions. Wait for them (a failure was logged where it happened).
    if (this.inFlight) await this.inFlight.catch(() => undefined);
    if (generation !== this.generation) return undefined;
    this.committed ??= await this.deps.source.loadCommitted();
    const committed = this.committed;
    const checkpoints = new Map<string, string | undefined>();
    for (const input of this.definition.inputs) checkpoints.set(input, committed.get(`${input}:${partition}`)?.metadata || undefined);
    const timers = new TimerSet(this.deps.clock);
    const stores = new TaskStateStores(this.deps.state, this.options.stateOwner ?? this.name, partition);
    const context: TaskDeps = { logger: this.log, metrics: this.deps.metrics, database: this.options.database, query: this.deps.query, timers, stores, globalTable: (t) => this.globalTable(t) };
    const waiting = `createTask of ${tk} (state restore, global-table barrier)`;
    this.waitingFor = waiting;
    const creating = Promise.resolve(this.definition.createTask({ topic, partition, checkpoint: committed.get(`${topic}:${partition}`)?.metadata || undefined, checkpoints }, context));
    let made: PartitionTask | typeof STOPPING;
    try {
      // A task being made waits for its global tables (their barrier): a stop does not wait for it.
      made = await this.untilStop(creating, waiting);
    } finally {
      if (this.waitingFor === waiting) this.waitingFor = undefined;
    }
    if (made === STOPPING) {
      void creating.then((late) => late.release?.(), () => undefined);
      return undefined;
    }
    const task = made;
    if (generation !== this.generation) {
      task.release?.();
      return undefined;
    }
    this.tasks.set(tk, task);
    this.timers.set(task, timers);
    this.stores.set(task, stores);
    if (this.definition.copartitioned && this.definition.inputs.length > 1) {
      this.aligners.set(partition, new EventTimeAligner(this.definition.inputs));
      this.ends ??= await this.deps.source.loadEnds();
    }
    return task;
  }

  private globalTable<V>(topic: string): GlobalTableView<V> {
    const table = this.deps.globalTables?.get(topic);
    if (!table) throw new ShelfStreamError('CONFIG_INVALID', `${this.name} asked for the global table of ${topic}, which its definition does not declare (globalTables)`, { context: { topic } });
    return table as GlobalTableView<V>;
  }

  /** A record set aside by the decoder or its task: the processor's bad-record policy decides. */
  private reject(topic: string, partition: number, message: KafkaMessage, code: ErrorCode, reason: string): void {
    const offset = Number(message.offset);
    if (code === 'LATE_EVENT') this.metric.lateEvents.inc({ processor: this.name });
    if (this.badRecords.decide({ topic, partition, offset, code, reason }) === 'skip') {
      this.metric.skipped.inc({ processor: this.name, code });
      this.log.warn({ topic, partition, offset, code, reason }, 'bad record skipped (log-and-continue)');
      return;
    }
    this.buffer.deadLetter({ topic, partition, offset }, message, code, reason);
    this.metric.deadLetters.inc({ processor: this.name, code });
  }

  /**
   * Hands one record to its task (unless rejected or a tombstone) and moves its position. Returns
   * a promise only when the task first waits for a global table (`awaitBefore`): the caller
   * awaits it before handing the next record, so the order stays the same. It answers false when
   * a graceful stop began before the wait ended: the record was not handed (nor its position
   * moved), and the caller hands no further record; the next run reads it again.
   */
  private applyRecord(state: Position, message: KafkaMessage, value: unknown): Promise<boolean> | undefined {
    const offset = Number(message.offset);
    if (value === TOMBSTONE) {
      // A deletion on a compacted topic (master data), not a broken record: counted, and handed
      // only to a processor that declared it wants deletions; it has no event time of its own.
      this.metric.tombstones.inc({ processor: this.name, topic: state.topic });
      if (this.definition.tombstones) {
        const record: InputRecord = new MessageRecord(state.topic, state.partition, offset, null, this.definition.raw ? rawTombstoneOf(message) : undefined, message);
        const rejection = state.task.process(record, this.buffer);
        if (rejection) this.reject(state.topic, state.partition, message, rejection.code, rejection.reason);
        this.timers.get(state.task)?.observeEventTime(record.timestamp, this.buffer);
      }
    } else if (value !== undefined) {
      const record: InputRecord = new MessageRecord(state.topic, state.partition, offset, value, this.definition.raw ? rawOf(message, this.deps.codec) : undefined, message);
      const wait = state.task.awaitBefore?.(record);
      if (wait) {
        const waiting = `the task's global-table barrier before ${state.topic}:${state.partition} offset ${offset}`;
        this.waitingFor = waiting;
        return this.untilStop(wait, waiting)
          .finally(() => {
            if (this.waitingFor === waiting) this.waitingFor = undefined;
          })
          .then((waited) => {
            if (waited === STOPPING) return false;
            this.processRecord(state, message, record, value);
            return true;
          });
      }
      this.processRecord(state, message, record, value);
      return undefined;
    }
    this.advance(state, offset);
    return undefined;
  }

  private processRecord(state: Position, message: KafkaMessage, record: InputRecord, value: unknown): void {
    const rejection = state.task.process(record, this.buffer);
    const occurredAt = (value as { occurred_at?: unknown }).occurred_at;
    if (rejection) this.reject(state.topic, state.partition, message, rejection.code, rejection.reason);
    else if (typeof occurredAt === 'number') this.buffer.processedAt(occurredAt);
    const timers = this.timers.get(state.task);
    if (timers) timers.observeEventTime(typeof occurredAt === 'number' ? occurredAt : Number(message.timestamp), this.buffer);
    this.advance(state, record.offset);
  }

  private advance(state: Position, offset: number): void {
    state.from ??= offset;
    state.to = offset;
    state.next = offset + 1;
  }

  /**
   * True when a co-partitioned task need not wait for `topic`: it was read to the end of the
   * partition as it stood at the last fetch, or (not read yet in this generation) its committed
   * offset is already at the end.
   */
  private drainedInput(topic: string, partition: number): boolean {
    const key = `${topic}:${partition}`;
    const state = this.positions.get(key);
    if (state) return state.highWatermark !== undefined && state.fetchedTo !== undefined && state.fetchedTo >= state.highWatermark;
    const end = this.ends?.get(key);
    if (!end) return false;
    return (this.committed?.get(key)?.offset ?? end.low) >= end.high;
  }

  /** Records behind the partition's end as of its last fetch (those waiting in an aligner included). */
  private setLag(state: Position | undefined): void {
    if (state?.highWatermark === undefined) return;
    this.metric.lag.set({ processor: this.name, topic: state.topic, partition: String(state.partition) }, Math.max(0, state.highWatermark - (state.next ?? 0)));
  }

  /** Hands a co-partitioned task what its inputs' queues allow, in event-time order. */
  private async drainAligned(partition: number, heartbeat?: () => Promise<void>): Promise<void> {
    const aligner = this.aligners.get(partition);
    if (!aligner) return;
    const now = this.deps.clock();
    const since = this.blockedSince.get(partition);
    const giveUp = since !== undefined && now - since >= ALIGN_MAX_WAIT_MS;
    if (giveUp) {
      // A fetch that never comes (records deleted by retention, a broker that does not answer for
      // that partition): ordering is given up for what is buffered rather than stalling forever.
      this.log.warn({ partition, waitingFor: aligner.empty(), waitedMs: now - since }, 'an input of a co-partitioned task brought nothing for too long; going on without event-time alignment for what is buffered');
    }
    const drained = (topic: string): boolean => giveUp || this.drainedInput(topic, partition);
    let handed = 0;
    const yieldAfterMs = this.options.yieldAfterMs ?? 0;
    let sliceStart = performance.now();
    for (let next = aligner.next(drained); next; next = aligner.next(drained)) {
      const wait = this.applyRecord(next.item.state, next.item.message, next.item.value);
      // A stop began while the task waited for a global table: what is queued is read again next run.
      if (wait && !(await wait)) return;
      if (++handed % YIELD_CHECK_EVERY !== 0) continue;
      // What an aligner releases at once is what its inputs brought until the last of them was
      // fetched to its end: a restarted task's backlog, 8-19k records a partition in the stock
      // SIGKILL test, hundreds of thousands after an outage. It was flushed only at a multiple of
      // 10,000 records with a full buffer, so a restart committed at 10,000 and at a partition's
      // end, 0.8-2.4 s of processing apart (trace of 2026-12-07), and a crash in between lost all
      // of it. Flushed now by the flush interval too, but only once the previous flush's rows are
      // written (a full buffer still waits for them): flushing every 64 records while a write
      // took 300 ms at load 33 handed 64 records per write, 200 a second.
      if (this.buffer.size >= this.options.maxBufferedRows) {
        await this.flushLocked(heartbeat);
      } else if (this.deps.clock() - this.lastFlush >= this.options.flushIntervalMs) {
        // A turn of the event loop lets the previous write finish and its commit go out.
        if (this.outputInFlight) await new Promise<void>((resolve) => setImmediate(resolve));
        else await this.flushLocked(heartbeat);
      } else if (yieldAfterMs > 0 && performance.now() - sliceStart >= yieldAfterMs) {
        // STREAM_YIELD_AFTER_MS bounds the records applied in one go here as it does in a batch.
        await new Promise<void>((resolve) => setImmediate(resolve));
      } else continue;
      sliceStart = performance.now();
    }
    // Records that waited are processed now: the lag of every input of the task moved.
    if (handed > 0) for (const topic of this.definition.inputs) this.setLag(this.positions.get(`${topic}:${partition}`));
    const waiting = this.definition.inputs.some((t) => aligner.buffered(t) > 0);
    if (!waiting) this.blockedSince.delete(partition);
    else if (handed > 0 || since === undefined) this.blockedSince.set(partition, this.deps.clock());
    for (const topic of this.definition.inputs) {
      const key = `${topic}:${partition}`;
      if (this.pausedByUs.has(key) && aligner.buffered(topic) <= MAX_ALIGN_BUFFER / 4) {
        this.pausedByUs.delete(key);
        this.deps.source.resume(topic, partition);
      }
    }
  }

  /**
   * Takes what is buffered, with the offsets and checkpoints that become safe to commit once it
   * is durable. Taken synchronously, so the commit matches exactly the output written.
   */
  private takeFlushBatch(dueAt: number): FlushBatch | undefined {
    const now = this.deps.clock();
    const taskOutputs: (() => Promise<void>)[] = [];
    for (const task of this.tasks.values()) {
      this.timers.get(task)?.onWallClock(now, this.buffer);
      task.punctuate(this.buffer);
      const output = task.takeOutput?.();
      if (output) taskOutputs.push(output);
    }
    const stateSnapshots: StateSnapshot[] = [];
    for (const [task, stores] of this.stores) {
      if (!stores.isUsed) continue;
      const next = new Map<string, number>();
      for (const s of this.positions.values()) if (s.task === task && s.next !== undefined) next.set(s.topic, s.next);
      const snapshot = stores.takeSnapshot(next);
      if (snapshot) stateSnapshots.push(snapshot);
    }
    const plan = takeCommitPlan(this.positions.values());
    if (this.buffer.isEmpty && plan.ranges.length === 0 && taskOutputs.length === 0 && stateSnapshots.length === 0) return undefined;
    this.lastFlush = now;
    const timing = this.firstFetchAt === undefined ? undefined : { firstFetchAt: this.firstFetchAt, dueAt, takenAt: now };
    this.firstFetchAt = undefined;
    return { ...plan, taskOutputs, stateSnapshots, timing, output: this.buffer.take() };
  }

  /**
   * One output write in flight at a time: the next batch is decoded and windowed while the
   * previous flush is written (chDB and the HTTP client both work off the event loop). A flush
   * that finds the previous flush's output (its rows) unfinished waits for it, so a stalled sink
   * stops consumption (back-pressure) after one buffer; it does not wait for the previous
   * flush's bookkeeping (state snapshots, commit), which is not what makes events visible: that
   * wait was on the critical path of every event (the velocity bench's flush_stage_seconds).
   * The bookkeeping stays in order: a flush's snapshots and commit follow its own rows and the
   * previous flush's snapshots and commit, so no commit covers a record whose rows are not
   * durable, and commits and snapshot versions land in sequence. A commit that fails is not a
   * failure of its flush (durable-write.ts: the next commit covers it). A row or snapshot write
   * that failed for good fails every flush chained after it, so nothing after it is saved or
   * committed, and the next flush throws it once and makes the tasks again from what is durable.
   */
  private async flushLocked(heartbeat?: () => Promise<void>): Promise<void> {
    const dueAt = this.deps.clock();
    // Its failure is recorded by writeFailed, which was attached first.
    if (this.outputInFlight) await this.outputInFlight.catch(() => undefined);
    if (this.writeFailure) {
      const { error } = this.writeFailure;
      // Thrown once; the flushes chained after it failed with it, and the next one starts afresh,
      // with tasks made again from what is durable.
      this.writeFailure = undefined;
      this.inFlight = undefined;
      this.restartTasks();
      throw error;
    }
    const batch = this.takeFlushBatch(dueAt);
    if (!batch) return;
    const output = this.writer.writeOutput(batch, heartbeat);
    const previous = this.inFlight;
    const whole = (async () => {
      await output;
      if (previous) await whileHeartbeating(previous, heartbeat);
      await this.writer.writeBookkeeping(batch, heartbeat);
    })();
    const guardedOutput: Promise<void> = output.finally(() => {
      if (this.outputInFlight === guardedOutput) this.outputInFlight = undefined;
    });
    const guarded: Promise<void> = whole.finally(() => {
      if (this.inFlight === guarded) this.inFlight = undefined;
    });
    this.outputInFlight = guardedOutput;
    this.inFlight = guarded;
    // Kept from being unhandled; logged once (where it happened), thrown to whoever flushes next.
    guardedOutput.catch((error: unknown) => this.writeFailed(error));
    guarded.catch((error: unknown) => this.writeFailed(error));
  }

  private writeFailed(error: unknown): void {
    if (typeof error === 'object' && error !== null) {
      // The output's failure fails its bookkeeping and every later flush's too: one report.
      if (this.knownFailures.has(error)) return;
      this.knownFailures.add(error);
    }
    this.log.error({ err: error }, 'durable write failed');
    this.writeFailure ??= { error };
  }

  /**
   * After a write that failed for good (an error that cannot be retried): rows or a snapshot
   * of records the tasks have applied are not durable, and the snapshots of the flushes chained
   * after it were not saved either, though the tasks' stores count those changes as saved. A
   * later snapshot would cover their records without holding them. So the tasks are made again,
   * as in a new generation: restored from the last snapshot that landed, their partitions read
   * again from the last commit.
   */
  private restartTasks(): void {
    const assignment = this.assignment;
    this.newGeneration();
    this.assignment = assignment;
    this.assignmentIncomplete = assignment.length > 0;
  }

  /** Flushes and waits until everything buffered so far is durable and committed. */
  flush(heartbeat?: () => Promise<void>): Promise<void> {
    return this.mutex.run('flush', async () => {
      await this.flushLocked(heartbeat);
      if (this.inFlight) await whileHeartbeating(this.inFlight, heartbeat);
    });
  }

  /**
   * The runtime's clock tick (every half flush interval): writes rows of a quiet pipeline,
   * fires due wall-clock timers, and retries handing records to a task that waits for an input.
   */
  async tick(): Promise<void> {
    if (this.assignmentIncomplete) await this.mutex.run('tick: create the tasks of the assignment', () => this.createAssignedTasks());
    const now = this.deps.clock();
    await this.mutex.run('tick: wall-clock timers', async () => {
      for (const timers of this.timers.values()) timers.onWallClock(now, this.buffer);
    });
    // Records processed count, not only rows buffered: velocity emits its rows when the flush
    // punctuates it, so its buffer is empty until then, and a burst's last records waited for
    // the next batch to arrive (seconds, at a store's pace) before they were written.
    const unflushed = !this.buffer.isEmpty || this.firstFetchAt !== undefined;
    if (unflushed && now - this.lastFlush >= this.options.flushIntervalMs) {
      await this.mutex.run('tick: flush', () => this.flushLocked());
    }
    if (this.blockedSince.size > 0) {
      await this.mutex.run('tick: hand aligned records', async () => {
        for (const partition of [...this.blockedSince.keys()]) await this.drainAligned(partition);
      });
    }
  }

  /**
   * `wait`, or STOPPING when a graceful stop begins first. A task's wait for a global table (its
   * barrier, or a task being made) can last as long as the broker is away, and it holds the
   * core's lock meanwhile; the stop must not wait on it. A wait that loses is left to settle on
   * its own (its failure, once the tables stop, is nobody's to report).
   */
  private async untilStop<T>(wait: Promise<T>, what: string): Promise<T | typeof STOPPING> {
    wait.catch(() => undefined);
    const since = this.deps.clock();
    const outcome = this.stopRequested ? STOPPING : await Promise.race([wait, this.stopBegan]);
    if (outcome === STOPPING) this.log.warn({ waitingFor: what, waitedMs: this.deps.clock() - since }, 'a graceful stop began while a task waited for its global tables; the stop goes on without it, and what the task did not get is read again at the next start');
    return outcome;
  }

  /**
   * Graceful stop: tasks close what they hold open (the archive's current roll), so it is
   * written now rather than re-read at the next start, then everything is flushed.
   */
  async drain(): Promise<void> {
    // First, so a task waiting for a global table lets go of the lock: that wait ends only when
    // the reader gets there, and a reader whose broker is gone retries until its table stops,
    // which the stop does only after this drain.
    this.stopRequested = true;
    this.beginStop();
    await this.mutex.run('drain: close the tasks', async () => {
      for (const task of this.tasks.values()) task.drain?.();
    });
    await this.flush();
  }
}
