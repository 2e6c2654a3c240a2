/**
 * The streaming runtime, shared by every processor: consume (one consumer group per
 * processor), decode (Avro through the registry, schemas cached), hand records to the
 * processor's partition tasks, batch their rows, write them to ClickHouse, and only then commit.
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
 * A co-partitioned task (one per partition number, reading several topics) is handed its inputs'
 * records in event-time order (align.ts), so it sees the same interleaving in a clean run, after
 * a crash, in a replay and in a rebuild; only an input read to its end (live) does not hold the
 * others back.
 * Bad records go to the dead-letter topic with the reason in headers, before the commit that
 * passes them. A failing sink pauses the pipeline (retry with backoff, heartbeats continue):
 * lag grows, nothing is dropped.
 */
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage, Message, Producer } from 'kafkajs';
import type { ClickHouseClient } from '@clickhouse/client';
import { createProducer } from '../../lib/clients/kafka';
import { ShelfStreamError, describeError } from '../../lib/errors';
import { EventCodec } from '../../lib/events/codec';
import type { Logger } from '../../lib/logger';
import { observeMany, type Metrics } from '../../lib/metrics';
import { withRetry } from '../../lib/retry';
import type { Type } from 'avsc';
import { contractCheck, type ContractCheck } from '../../schemas/contract';
import { projectedType } from '../../schemas/projection';
import { EventTimeAligner } from './align';
import { ClickHouseSink, dedupToken, type OffsetRange } from './clickhouse-sink';
import type { TopicName } from '../../schemas/generated/events';
import { consumerGroupOf, type InputRecord, type PartitionTask, type ProcessorDefinition, type RawRecord, type Row, type RowSink, type TaskDeps } from './processor';

export interface RunnerOptions {
  /** Longest time rows wait in memory before they are written (ms): bounds visibility latency. */
  readonly flushIntervalMs: number;
  /** Rows buffered before a flush is forced, whatever the time. */
  readonly maxBufferedRows: number;
  readonly deadLetterTopic: string;
  readonly database: string;
  /** Consumer group session timeout (ms): how long a dead member keeps its partitions. */
  readonly sessionTimeoutMs: number;
  /** Consumer group; defaults to `shelfstream.<processor>`. A new group reprocesses from the start. */
  readonly groupId?: string;
  /** Stop by itself once every partition is caught up and nothing arrived for this long (ms). */
  readonly stopWhenIdleMs?: number;
  /**
   * Output stand-ins: catalogue topic -> topic the processor's events go to instead (tests and
   * reprocessing runs must not add alerts to the topic subscribers read). Encoded with the
   * catalogue topic's schema.
   */
  readonly outputTopics?: Readonly<Record<string, string>>;
}

/** Where a task stands on one input topic-partition. */
interface Position {
  readonly topic: string;
  readonly partition: number;
  readonly task: PartitionTask;
  /** First and last offsets processed since the last flush (the ranges in the dedup token). */
  from: number | undefined;
  to: number | undefined;
  /** Next offset to read: what is committed when nothing older is still needed. */
  next: number | undefined;
  /** Next offset fetched (records up to it may wait in an event-time aligner, not processed yet). */
  fetchedTo: number | undefined;
  /** The partition's end at the last fetch. */
  highWatermark: number | undefined;
}

/** Stands for a null value (a tombstone) among decoded values. */
const TOMBSTONE = Symbol('tombstone');
/** A record whose writer schema has not been fetched from the registry yet. */
const SCHEMA_UNKNOWN = Symbol('schema unknown');

/** How the records of one input are read: with which reader schema, against which rules. */
interface InputDecoding {
  readonly topic: string;
  /** A projected reader schema, or undefined to read every field as written. */
  readonly reader: Type | undefined;
  /** The contract's rules on the fields read; undefined for raw processors (no check). */
  readonly check: ContractCheck | undefined;
  /** The task reads the bytes itself (ProcessorDefinition.readsBytes): decode nothing. */
  readonly bytes: boolean;
}
/** The value handed to a task that reads the bytes itself. */
const NOT_DECODED = Object.freeze({});
/** Records one input of a co-partitioned task may hold in its queue before it stops being fetched. */
const MAX_ALIGN_BUFFER = 50_000;
/** How long a co-partitioned task waits for an input with records still to read (Kafka Streams' max.task.idle.ms). */
const ALIGN_MAX_WAIT_MS = 30_000;

export interface RunningProcessor {
  readonly name: string;
  /** Flushes, commits and leaves the group. */
  stop(): Promise<void>;
  /** Resolves when the consumer has stopped (by `stop` or a fatal error). */
  readonly stopped: Promise<void>;
  /** Flushes now (tests and graceful shutdown). */
  flush(): Promise<void>;
}

export interface RunnerDeps {
  readonly kafka: Kafka;
  readonly codec: EventCodec;
  readonly clickhouse: ClickHouseClient;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** A promise chain that runs one flush at a time. */
class Mutex {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

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

export function deadLetterHeaders(source: { topic: string; partition: number; offset: number }, processor: string, code: string, reason: string): Record<string, string> {
  return {
    'x-shelfstream-error-code': code,
    'x-shelfstream-reason': reason.slice(0, 2_000),
    'x-shelfstream-processor': processor,
    'x-shelfstream-source-topic': source.topic,
    'x-shelfstream-source-partition': String(source.partition),
    'x-shelfstream-source-offset': String(source.offset),
  };
}

/** `topic:partition` back into its parts (topic names cannot contain a colon). */
function splitKey(key: string): [string, number] {
  const i = key.lastIndexOf(':');
  return [key.slice(0, i), Number(key.slice(i + 1))];
}

/**
 * The record handed to a task. Its key and timestamp are converted from the Kafka message when
 * read, not per record: velocity reads neither, and the key's toString was a string per record.
 */
class MessageRecord implements InputRecord {
  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly offset: number,
    readonly value: unknown,
    readonly raw: RawRecord | undefined,
    private readonly message: KafkaMessage,
  ) {}

  get key(): string | null {
    return this.message.key?.toString() ?? null;
  }

  get timestamp(): number {
    return Number(this.message.timestamp);
  }
}

const NO_HEADERS: RawRecord['headers'] = Object.freeze([]);

/** A decoded record's bytes as published; its writer schema is known (the decode fetched it). */
function rawOf(message: KafkaMessage, codec: EventCodec): RawRecord {
  let headers = NO_HEADERS;
  if (message.headers) {
    const list: { key: string; value: Buffer | null }[] = [];
    for (const [key, v] of Object.entries(message.headers)) {
      for (const one of Array.isArray(v) ? v : [v]) list.push({ key, value: one === undefined ? null : Buffer.isBuffer(one) ? one : Buffer.from(String(one)) });
    }
    if (list.length > 0) headers = list;
  }
  const schemaId = EventCodec.schemaIdIn(message.value);
  return { key: message.key, value: message.value!, schemaId, writer: codec.writerType(schemaId)!, headers };
}

export async function startProcessor(definition: ProcessorDefinition, deps: RunnerDeps, options: RunnerOptions): Promise<RunningProcessor> {
  const name = definition.name;
  const groupId = options.groupId ?? consumerGroupOf(definition);
  const log = deps.logger.child({ processor: name });
  const m = deps.metrics;
  const labels = ['processor'] as const;
  const eventsIn = m.counter('events_in_total', 'records read by a processor', ['processor', 'topic']);
  const eventsOut = m.counter('events_out_total', 'rows written to ClickHouse by a processor', ['processor', 'table']);
  const deadLetters = m.counter('dead_letters_total', 'records sent to the dead-letter topic', ['processor', 'code']);
  const lateEvents = m.counter('late_events_total', 'records that arrived after their window closed (sidelined to the dead-letter topic)', labels);
  const lag = m.gauge('consumer_lag', 'records behind the end of the partition', ['processor', 'topic', 'partition']);
  const batchRows = m.histogram('sink_batch_rows', 'rows per ClickHouse insert', [10, 100, 1_000, 10_000, 100_000, 1_000_000], ['processor', 'table']);
  const sinkLatency = m.histogram('sink_batch_latency_seconds', 'duration of a ClickHouse insert', [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], ['processor', 'table']);
  const visible = m.histogram('event_to_visible_seconds', "from an event's occurred_at to its effect being visible in ClickHouse", [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30, 60, 300], labels);
  const sinkRetries = m.counter('sink_retries_total', 'ClickHouse writes retried (the pipeline pauses meanwhile)', labels);
  const tombstones = m.counter('tombstones_total', 'null-valued records (deletions on compacted topics), skipped', ['processor', 'topic']);

  // Resolved once: the reader schema and compiled rules of each input (see ProcessorDefinition.reads).
  const decodings = new Map<string, InputDecoding>();
  for (const topic of definition.inputs) {
    const contract = definition.contracts?.[topic] ?? topic;
    const selection = definition.reads?.[contract as TopicName];
    decodings.set(topic, {
      topic,
      reader: selection ? projectedType(contract, selection) : undefined,
      check: definition.raw ? undefined : contractCheck(contract, selection),
      bytes: definition.raw === true && definition.readsBytes === true,
    });
  }

  const sink = new ClickHouseSink(deps.clickhouse, options.database);
  const consumer: Consumer = deps.kafka.consumer({
    groupId,
    sessionTimeout: options.sessionTimeoutMs,
    heartbeatInterval: 3_000,
    allowAutoTopicCreation: false,
    maxBytesPerPartition: 4 * 1_048_576,
    maxBytes: 16 * 1_048_576,
    retry: { retries: 10 },
  });
  const producer: Producer = createProducer(deps.kafka);
  const admin = deps.kafka.admin();
  await Promise.all([consumer.connect(), producer.connect(), admin.connect()]);

  /** Tasks by `topic:partition`, or by partition number for a co-partitioned processor. */
  const tasks = new Map<string, PartitionTask>();
  const taskKey = (topic: string, partition: number): string => (definition.copartitioned ? String(partition) : `${topic}:${partition}`);
  /** Every input topic-partition read in this generation, by `topic:partition`. */
  const positions = new Map<string, Position>();
  const taskDeps: TaskDeps = {
    logger: log,
    metrics: m,
    database: options.database,
    query: async <T>(sql: string, params?: Record<string, unknown>): Promise<T[]> => {
      const result = await deps.clickhouse.query({ query: sql, query_params: params, format: 'JSONEachRow' });
      return result.json<T>();
    },
  };
  /** Committed offset and checkpoint per partition, read once per group generation. */
  let committed: Map<string, { offset: number | undefined; metadata: string | undefined }> | undefined;
  const seeked = new Set<string>();
  let pending = new Map<string, Row[]>();
  let pendingRows = 0;
  let pendingEventTimes: number[] = [];
  let pendingDeadLetters: Message[] = [];
  let pendingEvents = new Map<string, Message[]>();
  let lastFlush = Date.now();
  let lastRecordAt = Date.now();
  let checkingIdle = false;
  /**
   * Co-partitioned tasks by partition number: records wait here until every input has been
   * read as far as their event time (align.ts), so a task sees one interleaving on every run.
   */
  const aligners = new Map<number, EventTimeAligner<{ state: Position; message: KafkaMessage; value: unknown }>>();
  /** Since when a task has had records buffered that it could not be handed (by partition). */
  const blockedSince = new Map<number, number>();
  /** Topic-partitions this runner paused because their queue ran far ahead. */
  const pausedByUs = new Set<string>();
  let ends: Map<string, { low: number; high: number }> | undefined;

  /**
   * True when this consumer has read every partition of its inputs to the end. Meant for a
   * single consumer (replays, rebuilds, tests): idle time alone is not enough, since joining a
   * group whose previous member died waits for that member's session to expire.
   */
  async function caughtUpOnEveryPartition(): Promise<boolean> {
    let fromCommits: Awaited<ReturnType<typeof loadCommitted>> | undefined;
    for (const topic of definition.inputs) {
      for (const p of await admin.fetchTopicOffsets(topic)) {
        const high = Number(p.high);
        if (high === Number(p.low)) continue;
        const key = `${topic}:${p.partition}`;
        let next = positions.get(key)?.next;
        // A partition read to its end by an earlier run brings no batch to this one: its
        // committed offset says where it stands.
        if (next === undefined) next = (fromCommits ??= await loadCommitted()).get(key)?.offset;
        if (next === undefined || next < high) return false;
      }
    }
    return true;
  }
  let stopping = false;
  const mutex = new Mutex();

  const rowSink: RowSink = {
    emit(table, row) {
      let rows = pending.get(table);
      if (!rows) pending.set(table, (rows = []));
      rows.push(row);
      pendingRows++;
    },
    publish(topic, key, value) {
      // Encoded now, so a value that breaks its schema fails in the processor that made it.
      const message: Message = { key, value: deps.codec.encode(topic, value) };
      const destination = options.outputTopics?.[topic] ?? topic;
      let messages = pendingEvents.get(destination);
      if (!messages) pendingEvents.set(destination, (messages = []));
      messages.push(message);
      pendingRows++;
    },
  };

  consumer.on(consumer.events.GROUP_JOIN, () => {
    // A new generation: partitions may have moved. Every task restarts from its committed
    // offset and checkpoint, which is always a consistent point (see the header comment).
    tasks.clear();
    positions.clear();
    seeked.clear();
    committed = undefined;
    aligners.clear();
    blockedSince.clear();
    ends = undefined;
    for (const key of pausedByUs) {
      const [topic, partition] = splitKey(key);
      consumer.resume([{ topic, partitions: [partition] }]);
    }
    pausedByUs.clear();
  });

  /** Low and high watermarks of every input partition (for inputs not fetched yet). */
  async function loadEnds(): Promise<Map<string, { low: number; high: number }>> {
    const result = new Map<string, { low: number; high: number }>();
    for (const topic of definition.inputs) {
      for (const p of await admin.fetchTopicOffsets(topic)) result.set(`${topic}:${p.partition}`, { low: Number(p.low), high: Number(p.high) });
    }
    return result;
  }

  async function loadCommitted(): Promise<NonNullable<typeof committed>> {
    const result = new Map<string, { offset: number | undefined; metadata: string | undefined }>();
    const fetched = await admin.fetchOffsets({ groupId, topics: [...definition.inputs] });
    for (const t of fetched) {
      for (const p of t.partitions) {
        const offset = Number(p.offset);
        result.set(`${t.topic}:${p.partition}`, { offset: offset >= 0 ? offset : undefined, metadata: p.metadata ?? undefined });
      }
    }
    return result;
  }

  interface Snapshot {
    readonly rows: Map<string, Row[]>;
    readonly ranges: OffsetRange[];
    readonly deadLetters: Message[];
    readonly events: Map<string, Message[]>;
    readonly outputs: (() => Promise<void>)[];
    readonly eventTimes: number[];
    readonly commits: { topic: string; partition: number; offset: string; metadata: string }[];
  }

  /**
   * Takes what is buffered, with the offsets and checkpoints that become safe to commit once it
   * is durable. Taken synchronously, so the commit matches exactly the rows written.
   */
  function takeSnapshot(): Snapshot | undefined {
    const outputs: (() => Promise<void>)[] = [];
    for (const task of tasks.values()) {
      task.punctuate(rowSink);
      const output = task.takeOutput?.();
      if (output) outputs.push(output);
    }
    const ranges: OffsetRange[] = [];
    for (const s of positions.values()) if (s.from !== undefined && s.to !== undefined) ranges.push({ topic: s.topic, partition: s.partition, from: s.from, to: s.to });
    const commits = [...positions.values()]
      .filter((s) => s.next !== undefined)
      .map((s) => ({ topic: s.topic, partition: s.partition, offset: String(s.task.earliestNeededOffset(s.topic) ?? s.next!), metadata: s.task.checkpoint(s.topic) }));
    if (pendingRows === 0 && pendingDeadLetters.length === 0 && ranges.length === 0 && outputs.length === 0) return undefined;
    const snapshot: Snapshot = { rows: pending, ranges, deadLetters: pendingDeadLetters, events: pendingEvents, outputs, eventTimes: pendingEventTimes, commits };
    for (const s of positions.values()) {
      s.from = undefined;
      s.to = undefined;
    }
    pending = new Map();
    pendingEvents = new Map();
    pendingRows = 0;
    pendingEventTimes = [];
    pendingDeadLetters = [];
    lastFlush = Date.now();
    return snapshot;
  }

  async function writeSnapshot(snapshot: Snapshot, heartbeat?: () => Promise<void>): Promise<void> {
    const retry = { retries: Number.POSITIVE_INFINITY, initialDelayMs: 200, maxDelayMs: 10_000 };
    if (snapshot.deadLetters.length > 0) {
      await withRetry(
        async () => {
          try {
            // In requests well under the broker's 1 MiB message.max.bytes: a replay full of late
            // events can dead-letter tens of thousands of records in one flush.
            for (const chunk of chunkBySize(snapshot.deadLetters, 512 * 1024)) await producer.send({ topic: options.deadLetterTopic, acks: -1, messages: chunk });
          } catch (error) {
            throw new ShelfStreamError('SERVICE_UNAVAILABLE', `dead-letter produce failed: ${describeError(error)}`, { cause: error, context: { topic: options.deadLetterTopic } });
          }
        },
        { ...retry, onRetry: (error) => log.warn({ err: error }, 'retrying the dead-letter produce') },
      );
    }
    for (const [topic, messages] of snapshot.events) {
      await withRetry(
        async () => {
          try {
            for (const chunk of chunkBySize(messages, 512 * 1024)) await producer.send({ topic, acks: -1, messages: chunk });
          } catch (error) {
            throw new ShelfStreamError('SERVICE_UNAVAILABLE', `produce to ${topic} failed: ${describeError(error)}`, { cause: error, context: { topic } });
          }
        },
        { ...retry, onRetry: (error) => log.warn({ err: error, topic }, 'retrying a produce of processor output') },
      );
      eventsOut.inc({ processor: name, table: topic }, messages.length);
    }
    for (const output of snapshot.outputs) {
      await withRetry(output, {
        ...retry,
        onRetry: (error, attempt, delayMs) => {
          sinkRetries.inc({ processor: name });
          log.warn({ err: error, attempt, delayMs }, 'processor output failed; pausing and retrying');
          void heartbeat?.().catch(() => undefined);
        },
      });
    }
    // In the definition's order: a state snapshot listed last is saved after what it produced.
    const order = (table: string): number => {
      const i = definition.tables.indexOf(table);
      return i < 0 ? definition.tables.length : i;
    };
    for (const [table, rows] of [...snapshot.rows].sort((a, b) => order(a[0]) - order(b[0]))) {
      const token = dedupToken(name, table, snapshot.ranges);
      const t0 = performance.now();
      await withRetry(() => sink.write({ table, rows, token }), {
        ...retry,
        onRetry: (error, attempt, delayMs) => {
          sinkRetries.inc({ processor: name });
          log.warn({ err: error, table, attempt, delayMs }, 'ClickHouse write failed; pausing and retrying');
          void heartbeat?.().catch(() => undefined);
        },
      });
      sinkLatency.observe({ processor: name, table }, (performance.now() - t0) / 1000);
      batchRows.observe({ processor: name, table }, rows.length);
      eventsOut.inc({ processor: name, table }, rows.length);
    }
    const now = Date.now();
    // Every event this flush made visible, added in one go (observeMany): prom-client's label
    // handling per event was 3% of a velocity profile. The times become delays in place.
    const delays = snapshot.eventTimes;
    for (let i = 0; i < delays.length; i++) delays[i] = Math.max(0, now - delays[i]!) / 1000;
    observeMany(visible, { processor: name }, delays);
    if (snapshot.commits.length > 0) await consumer.commitOffsets(snapshot.commits);
  }

  /**
   * One write in flight at a time: the next batch is decoded and windowed while ClickHouse
   * stores the previous one (chDB and the HTTP client both work off the event loop). A flush
   * that finds the previous write unfinished waits for it, so commits stay in order and a
   * stalled sink stops consumption (back-pressure) after one buffer.
   */
  let inFlight: Promise<void> | undefined;
  async function flushLocked(heartbeat?: () => Promise<void>): Promise<void> {
    if (inFlight) await inFlight;
    const snapshot = takeSnapshot();
    if (!snapshot) return;
    const write = writeSnapshot(snapshot, heartbeat);
    inFlight = write.finally(() => {
      if (inFlight === guarded) inFlight = undefined;
    });
    const guarded = inFlight;
    // Surface a failed write at the next flush (which awaits it); keep it from being unhandled.
    guarded.catch((error: unknown) => log.error({ err: error }, 'write to ClickHouse failed'));
  }

  /** Flushes and waits until everything buffered so far is durable and committed. */
  async function flushAndWait(heartbeat?: () => Promise<void>): Promise<void> {
    await flushLocked(heartbeat);
    if (inFlight) await inFlight;
  }

  const flush = (heartbeat?: () => Promise<void>): Promise<void> => mutex.run(() => flushAndWait(heartbeat));

  function deadLetter(topic: string, partition: number, message: KafkaMessage, code: string, reason: string): void {
    const source = { topic, partition, offset: Number(message.offset) };
    pendingDeadLetters.push({ key: message.key, value: message.value, headers: { ...message.headers, ...deadLetterHeaders(source, name, code, reason) } });
    deadLetters.inc({ processor: name, code });
  }

  /**
   * The decoded value of a message, undefined once it went to the dead-letter topic, or
   * SCHEMA_UNKNOWN when its writer schema must be fetched first. Synchronous: a promise per
   * record was measurable at 100k+ records/s, and the registry is asked once per schema id.
   */
  function decodeChecked(input: InputDecoding, partition: number, message: KafkaMessage, nowMs: number): unknown {
    let value: unknown;
    try {
      if (input.bytes) return deps.codec.writerType(EventCodec.schemaIdIn(message.value)) ? NOT_DECODED : SCHEMA_UNKNOWN;
      value = deps.codec.readKnown(message.value!, input.reader);
      if (value === undefined) return SCHEMA_UNKNOWN;
    } catch (error) {
      if (error instanceof ShelfStreamError && error.canRetry) throw error; // registry down: retry the batch
      deadLetter(input.topic, partition, message, error instanceof ShelfStreamError ? error.code : 'DECODE_FAILED', describeError(error));
      return undefined;
    }
    if (input.check) {
      const issues = input.check(value, nowMs);
      if (issues.length > 0) {
        deadLetter(input.topic, partition, message, 'CONTRACT_VIOLATION', issues.map((i) => `${i.path}: ${i.reason}`).join('; '));
        return undefined;
      }
    }
    return value;
  }

  /** `decodeChecked` for a record whose writer schema is not known yet: fetched first. */
  async function decodeCheckedAfterFetch(input: InputDecoding, partition: number, message: KafkaMessage, nowMs: number): Promise<unknown> {
    try {
      await deps.codec.learnSchemaOf(message.value);
    } catch (error) {
      if (error instanceof ShelfStreamError && error.canRetry) throw error; // registry down: retry the batch
      deadLetter(input.topic, partition, message, error instanceof ShelfStreamError ? error.code : 'DECODE_FAILED', describeError(error));
      return undefined;
    }
    const value = decodeChecked(input, partition, message, nowMs);
    if (value !== SCHEMA_UNKNOWN) return value;
    deadLetter(input.topic, partition, message, 'DECODE_FAILED', `schema id ${EventCodec.schemaIdIn(message.value)} is still unknown after fetching it`);
    return undefined;
  }

  /** Hands one record to its task (unless dead-lettered or a tombstone) and moves its position. */
  function applyRecord(state: Position, message: KafkaMessage, value: unknown): void {
    const offset = Number(message.offset);
    if (value === TOMBSTONE) {
      // A deletion on a compacted topic (master data), not a broken record. Dimensions keep
      // the last version they saw; nothing else reads a null value.
      tombstones.inc({ processor: name, topic: state.topic });
    } else if (value !== undefined) {
      const record: InputRecord = new MessageRecord(state.topic, state.partition, offset, value, definition.raw ? rawOf(message, deps.codec) : undefined, message);
      const rejection = state.task.process(record, rowSink);
      if (rejection) {
        const source = { topic: state.topic, partition: state.partition, offset };
        pendingDeadLetters.push({ key: message.key, value: message.value, headers: { ...message.headers, ...deadLetterHeaders(source, name, rejection.code, rejection.reason) } });
        deadLetters.inc({ processor: name, code: rejection.code });
        if (rejection.code === 'LATE_EVENT') lateEvents.inc({ processor: name });
      } else {
        const occurredAt = (value as { occurred_at?: unknown }).occurred_at;
        if (typeof occurredAt === 'number') pendingEventTimes.push(occurredAt);
      }
    }
    state.from ??= offset;
    state.to = offset;
    state.next = offset + 1;
  }

  /**
   * True when a co-partitioned task need not wait for `topic`: it was read to the end of the
   * partition as it stood at the last fetch, or (not read yet in this generation) its committed
   * offset is already at the end.
   */
  function drainedInput(topic: string, partition: number): boolean {
    const key = `${topic}:${partition}`;
    const state = positions.get(key);
    if (state) return state.highWatermark !== undefined && state.fetchedTo !== undefined && state.fetchedTo >= state.highWatermark;
    const end = ends?.get(key);
    if (!end) return false;
    return (committed?.get(key)?.offset ?? end.low) >= end.high;
  }

  /** Records behind the partition's end as of its last fetch (those waiting in an aligner included). */
  function setLag(state: Position | undefined): void {
    if (state?.highWatermark === undefined) return;
    lag.set({ processor: name, topic: state.topic, partition: String(state.partition) }, Math.max(0, state.highWatermark - (state.next ?? 0)));
  }

  /** Hands a co-partitioned task what its inputs' queues allow, in event-time order. */
  async function drainAligned(partition: number, heartbeat?: () => Promise<void>): Promise<void> {
    const aligner = aligners.get(partition);
    if (!aligner) return;
    const since = blockedSince.get(partition);
    const giveUp = since !== undefined && Date.now() - since >= ALIGN_MAX_WAIT_MS;
    if (giveUp) {
      // A fetch that never comes (records deleted by retention, a broker that does not answer for
      // that partition): ordering is given up for what is buffered rather than stalling forever.
      log.warn({ partition, waitingFor: aligner.empty(), waitedMs: Date.now() - since }, 'an input of a co-partitioned task brought nothing for too long; going on without event-time alignment for what is buffered');
    }
    const drained = (topic: string): boolean => giveUp || drainedInput(topic, partition);
    let handed = 0;
    for (let next = aligner.next(drained); next; next = aligner.next(drained)) {
      applyRecord(next.item.state, next.item.message, next.item.value);
      // A long wait released at once can be hundreds of thousands of records: bounded buffers.
      if (++handed % 10_000 === 0 && pendingRows >= options.maxBufferedRows) await flushLocked(heartbeat);
    }
    // Records that waited are processed now: the lag of every input of the task moved.
    if (handed > 0) for (const topic of definition.inputs) setLag(positions.get(`${topic}:${partition}`));
    const waiting = definition.inputs.some((t) => aligner.buffered(t) > 0);
    if (!waiting) blockedSince.delete(partition);
    else if (handed > 0 || since === undefined) blockedSince.set(partition, Date.now());
    for (const topic of definition.inputs) {
      const key = `${topic}:${partition}`;
      if (pausedByUs.has(key) && aligner.buffered(topic) <= MAX_ALIGN_BUFFER / 4) {
        pausedByUs.delete(key);
        consumer.resume([{ topic, partitions: [partition] }]);
      }
    }
  }

  async function eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    const key = `${batch.topic}:${batch.partition}`;
    await mutex.run(async () => {
      if (!isRunning() || isStale() || batch.messages.length === 0) return;
      let state = positions.get(key);
      if (!state) {
        committed ??= await loadCommitted();
        const at = committed.get(key);
        const first = Number(batch.firstOffset());
        if (at?.offset !== undefined && first !== at.offset && !seeked.has(key)) {
          // kafkajs resumed somewhere else than the consistent point: go back to it.
          seeked.add(key);
          consumer.seek({ topic: batch.topic, partition: batch.partition, offset: String(at.offset) });
          return;
        }
        if (at?.offset !== undefined && first > at.offset) {
          log.warn({ topic: batch.topic, partition: batch.partition, committed: at.offset, first }, 'records before the first available offset are gone (retention); continuing from there');
        }
        const tk = taskKey(batch.topic, batch.partition);
        let task = tasks.get(tk);
        if (!task) {
          const checkpoints = new Map<string, string | undefined>();
          for (const topic of definition.inputs) checkpoints.set(topic, committed.get(`${topic}:${batch.partition}`)?.metadata || undefined);
          task = await definition.createTask({ topic: batch.topic, partition: batch.partition, checkpoint: at?.metadata || undefined, checkpoints }, taskDeps);
          tasks.set(tk, task);
          if (definition.copartitioned && definition.inputs.length > 1) {
            aligners.set(batch.partition, new EventTimeAligner(definition.inputs));
            ends ??= await loadEnds();
          }
        }
        state = { task, topic: batch.topic, partition: batch.partition, from: undefined, to: undefined, next: undefined, fetchedTo: undefined, highWatermark: undefined };
        positions.set(key, state);
      }
      const topicCounter = eventsIn.labels({ processor: name, topic: batch.topic });
      const aligner = aligners.get(batch.partition);
      const input = decodings.get(batch.topic)!;
      // Once per batch: the contract's "not in the future" bound does not need a clock per record.
      const nowMs = Date.now();
      for (const message of batch.messages) {
        let value = message.value === null ? TOMBSTONE : decodeChecked(input, batch.partition, message, nowMs);
        if (value === SCHEMA_UNKNOWN) value = await decodeCheckedAfterFetch(input, batch.partition, message, nowMs);
        if (aligner) {
          const occurredAt = (value as { occurred_at?: unknown } | undefined)?.occurred_at;
          // Records with nothing for the task (dead letters, tombstones) pass at once.
          const at = value === undefined || value === TOMBSTONE ? Number.NEGATIVE_INFINITY : typeof occurredAt === 'number' ? occurredAt : Number(message.timestamp);
          aligner.push(batch.topic, { state, message, value }, at);
        } else {
          applyRecord(state, message, value);
        }
      }
      state.fetchedTo = Number(batch.lastOffset()) + 1;
      state.highWatermark = Number(batch.highWatermark);
      if (aligner) {
        if (aligner.buffered(batch.topic) > MAX_ALIGN_BUFFER && !pausedByUs.has(key)) {
          // Far ahead of another input: stop fetching it, so fetches bring what the task waits for.
          pausedByUs.add(key);
          consumer.pause([{ topic: batch.topic, partitions: [batch.partition] }]);
        }
        await drainAligned(batch.partition, heartbeat);
      }
      // Once per batch, not per record: both are measurable at 100k records/s.
      topicCounter.inc(batch.messages.length);
      resolveOffset(batch.lastOffset());
      setLag(state);
      lastRecordAt = Date.now();
      if (pendingRows >= options.maxBufferedRows || Date.now() - lastFlush >= options.flushIntervalMs) await flushLocked(heartbeat);
      else await heartbeat();
    });
  }

  for (const topic of definition.inputs) await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: 1, eachBatch });

  // Rows of a quiet pipeline (no new batches) still become visible within the interval.
  const timer = setInterval(() => {
    if (stopping) return;
    if ((pendingRows > 0 || pendingDeadLetters.length > 0) && Date.now() - lastFlush >= options.flushIntervalMs) {
      mutex.run(() => flushLocked()).catch((error: unknown) => log.error({ err: error }, 'background flush failed; the next batch retries it'));
    }
    if (blockedSince.size > 0) {
      // A task waiting for an input that brought nothing: retried here, so the wait is bounded.
      mutex.run(async () => {
        for (const partition of [...blockedSince.keys()]) await drainAligned(partition);
      }).catch((error: unknown) => log.error({ err: error }, 'handing aligned records to a task failed'));
    }
    if (options.stopWhenIdleMs !== undefined && !checkingIdle && Date.now() - lastRecordAt >= options.stopWhenIdleMs) {
      checkingIdle = true;
      void caughtUpOnEveryPartition()
        .then((done) => {
          if (done) {
            log.info({ idleMs: options.stopWhenIdleMs }, 'caught up on every partition and idle: stopping');
            void running.stop();
          }
        })
        .catch(() => undefined)
        .finally(() => (checkingIdle = false));
    }
  }, Math.max(50, Math.floor(options.flushIntervalMs / 2)));

  let resolveStopped!: () => void;
  const stopped = new Promise<void>((resolve) => (resolveStopped = resolve));
  consumer.on(consumer.events.CRASH, (event) => {
    if (!event.payload.restart) {
      log.error({ err: event.payload.error }, 'consumer crashed and will not restart');
      resolveStopped();
    }
  });

  const running: RunningProcessor = {
    name,
    stopped,
    flush: () => flush(),
    stop: async () => {
      if (stopping) return stopped;
      stopping = true;
      clearInterval(timer);
      try {
        // A graceful stop closes what a task still holds open (the archive's current roll), so
        // it is written now rather than re-read at the next start.
        await mutex.run(async () => {
          for (const task of tasks.values()) task.drain?.();
        });
        await flush();
      } finally {
        await consumer.disconnect().catch(() => undefined);
        await producer.disconnect().catch(() => undefined);
        await admin.disconnect().catch(() => undefined);
        resolveStopped();
      }
      return stopped;
    },
  };
  return running;
}
