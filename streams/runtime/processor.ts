/**
 * What a stream processor is, for the runtime that drives it (after Kafka Streams' Processor
 * API): a definition naming its input topics and output tables, and a task per input
 * partition that holds that partition's state. A task's methods do no I/O: they read records
 * and emit rows; the runtime decodes, batches, writes to ClickHouse, and commits.
 */
import type { ErrorCode } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import type { Metrics } from '../../lib/metrics';
import type { TopicName } from '../../schemas/generated/events';
import type { FieldSelection } from '../../schemas/projection';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Type as AvroType } from 'avsc';
import type { BadRecordPolicy } from './bad-records';
import type { GlobalTableView } from './global-table';
import type { StateStores } from './state-store';
import type { TaskTimers } from './timers';

/**
 * A record handed to a task. The runtime's implementation computes `key` and `timestamp` in
 * getters (most processors read neither), so copy the fields you need by name: an object
 * spread of a record leaves those two out.
 */
export interface InputRecord<V = unknown> {
  readonly topic: string;
  readonly partition: number;
  /** Offset as a number: offsets of one partition stay far below 2^53. */
  readonly offset: number;
  readonly key: string | null;
  /** Kafka record timestamp (ms); processors use the event's own occurred_at. */
  readonly timestamp: number;
  /** The decoded value; null for a tombstone, handed only to processors that declare `tombstones`. */
  readonly value: V;
  /** The record as published, for processors that declare `raw` (the archive). */
  readonly raw?: RawRecord | RawTombstone;
}

/** A record's bytes as published: what an exact replay needs. */
export interface RawRecord {
  readonly key: Buffer | null;
  /** The value with its 5-byte Confluent header (magic byte, schema id). */
  readonly value: Buffer;
  readonly schemaId: number;
  /** The schema the value was written with (fetched from the registry by its id). */
  readonly writer: AvroType;
  /** In the order sent, bytes as sent: Kafka allows a key to repeat. */
  readonly headers: readonly { readonly key: string; readonly value: Buffer | null }[];
}

/** A tombstone as published: a deletion on a compacted topic has a key and headers, no value. */
export interface RawTombstone {
  readonly key: Buffer | null;
  readonly value: null;
  readonly headers: RawRecord['headers'];
}

/** A row for a ClickHouse table; keys are column names, values JSON-serialisable. */
export type Row = Readonly<Record<string, unknown>>;

export interface RowSink {
  emit(table: string, row: Row): void;
  /**
   * Publishes an event to a catalogue topic (Avro through the registry), keyed for
   * co-partitioning. Sent with the flush, before its rows are written and its offsets committed:
   * at least once, so events must carry a deterministic id (e.g. alert_id).
   */
  publish(topic: TopicName, key: string, value: unknown): void;
  /**
   * An output that is neither ClickHouse nor a catalogue topic (an HTTP delivery, another
   * system). `send` runs with the flush, after dead letters and published events and before
   * rows, retried by the one retry policy while its error says `canRetry`; the offsets of the
   * records that led to it are committed only once it resolved. At least once: a crash between
   * the send and the commit sends again, so the receiver must accept a repeat (an idempotency
   * key). An error that cannot be retried fails the flush: a delivery that gives up on its
   * receiver records that itself (a dead-letter log) and resolves. `output` names it in logs
   * and metrics.
   */
  deliver(output: string, send: () => Promise<void>): void;
}

/** The error codes (lib/errors.ts) a task may answer for a record it sets aside. */
export type RejectionCode = Extract<ErrorCode, 'CONTRACT_VIOLATION' | 'LATE_EVENT' | 'DECODE_FAILED'>;

/** Why a record was set aside instead of processed. */
export interface Rejection {
  /** DECODE_FAILED: a task that reads the bytes itself (readsBytes) found they are not a record of their schema. */
  readonly code: RejectionCode;
  readonly reason: string;
}

export interface PartitionTask {
  /**
   * Processes one record, in offset order. Emits rows for output that is final at once (facts);
   * answers a rejection when the record breaks the contract or the lateness policy.
   */
  process(record: InputRecord, out: RowSink): Rejection | void;
  /** Called before every flush: emit what changed since the last flush (e.g. open windows). */
  punctuate(out: RowSink): void;
  /**
   * The first offset of `topic` a restart must read again to rebuild the state this task still
   * holds open (inclusive), or undefined when nothing before the next offset is needed.
   */
  earliestNeededOffset(topic: string): number | undefined;
  /** Saved with the committed offset of `topic` (Kafka commit metadata), handed back on restart. */
  checkpoint(topic: string): string;
  /**
   * Output that is not rows or events (objects in the object store): taken with the flush, and
   * awaited before its offsets are committed. Undefined when there is nothing to write.
   */
  takeOutput?(): (() => Promise<void>) | undefined;
  /**
   * What the record needs read first from a global table (master data) the task does not hold
   * yet: a promise the runtime awaits before `process`, or undefined (the common case: nothing to
   * wait for). For a task whose per-record logic depends on a table: `process` stays pure and
   * synchronous, and a key met before the table read it is not taken for absent.
   */
  awaitBefore?(record: InputRecord): Promise<void> | undefined;
  /** Graceful shutdown: close what is open so the last flush writes it (the archive's roll). */
  drain?(): void;
  /**
   * The task is dropped (a new group generation: its partition may now be another instance's).
   * For a task that works in the background (alert retries): stop, so two owners never do it.
   */
  release?(): void;
}

export interface TaskInit {
  /** The input topic of a per-topic task; for a co-partitioned task, the first input topic. */
  readonly topic: string;
  readonly partition: number;
  /** What `checkpoint(topic)` returned when the committed offset was saved; undefined at first start. */
  readonly checkpoint: string | undefined;
  /** The saved checkpoint of every input topic of this task's partition (co-partitioned tasks). */
  readonly checkpoints?: ReadonlyMap<string, string | undefined>;
}

/** What a task may use while it is created (restoring state), and for logging: its context. */
export interface TaskDeps {
  /** This task's timers on event time and on wall-clock time (see timers.ts for the clocks). */
  readonly timers: TaskTimers;
  /** This task's state stores, restored from the latest snapshot (see state-store.ts). */
  readonly stores: StateStores;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Reads ClickHouse (e.g. a state snapshot); names must be qualified with `database`. */
  query<T>(sql: string, params?: Record<string, unknown>): Promise<T[]>;
  readonly database: string;
  /** A global table the definition declares (`globalTables`), by the topic it reads. */
  globalTable<V>(topic: string): GlobalTableView<V>;
}

export interface ProcessorDefinition {
  /** Short name; the consumer group is `shelfstream.<name>`. */
  readonly name: string;
  /** Topics read: catalogue topics, or stand-ins carrying the same schema (tests, reprocessing). */
  readonly inputs: readonly (TopicName | string)[];
  /**
   * The catalogue topic whose contract each input follows (for stand-in topics); inputs not
   * listed follow their own name. The runtime checks decoded records against it and sends
   * violations to the dead-letter topic before the processor sees them.
   */
  readonly contracts?: Readonly<Record<string, TopicName>>;
  /**
   * One task per partition number reading every input (Kafka Streams' co-partitioning), instead
   * of one task per topic-partition. For state that joins several topics by the same key.
   */
  readonly copartitioned?: boolean;
  /**
   * The fields the tasks read, per contract topic (opt-in). Records of that topic are decoded
   * with a projected reader schema, which skips the other fields, and the contract check runs
   * only the rules on those fields: a processor judges only what it reads, so a record broken in
   * a field it ignores reaches it (a processor reading that field dead-letters it). The task
   * sees only these fields in `InputRecord.value`. A `raw` processor may declare them too: its
   * records are then decoded with the projection, so an undecodable one still goes to the
   * dead-letter topic, but checked against no rule.
   */
  readonly reads?: { readonly [T in TopicName]?: FieldSelection };
  /**
   * Hands each record's bytes, key and headers to the task (InputRecord.raw) and skips the
   * contract check: for the archive, which keeps what was published, not what should have been.
   */
  readonly raw?: boolean;
  /**
   * With `raw`: the task reads the value bytes itself (the archive fills its columns from them),
   * so the runtime decodes nothing; it only checks the framing and fetches an unknown writer
   * schema (RawRecord.writer), and `InputRecord.value` is an empty object. The task must answer
   * DECODE_FAILED for bytes that are not a record of their schema.
   */
  readonly readsBytes?: boolean;
  /**
   * Hands tombstones (null values: deletions on the compacted master-data topics) to the task as
   * records with a null `value` (and a `RawTombstone` for `raw` processors), instead of skipping
   * them. They carry no event time, so they are placed by their Kafka timestamp (event-time
   * timers, co-partition alignment). For processors that must see deletions: the warehouse
   * (dimension rows marked deleted) and the archive (a replay must delete again).
   */
  readonly tombstones?: boolean;
  /**
   * ClickHouse tables it writes, unqualified; the runtime adds the database. A flush writes them
   * in this order, so a state snapshot listed last is only saved after the rows derived from it.
   */
  readonly tables: readonly string[];
  /**
   * Per table written: what to run after each write of it, for ClickHouse tables computed from
   * the whole of that table rather than from the rows written (the warehouse's dim_exchange_rate
   * feeds exchange_rate_daily_rows). Runs after the write, before the offsets are committed; for
   * freshness only: a failure is logged and the processor goes on (the step must be one that
   * happens anyway, later, on its own).
   */
  readonly afterWrite?: Readonly<Record<string, (clickhouse: ClickHouseClient, database: string) => Promise<void>>>;
  /**
   * Compacted topics every task reads whole, whatever its partition (Kafka Streams'
   * GlobalKTable: master data), decoded with their writer schema into values keyed by record key
   * (global-table.ts). The runtime keeps them current for the processor's lifetime; tasks get
   * them from TaskDeps.globalTable.
   */
  readonly globalTables?: readonly string[];
  /** What happens to a record that cannot be processed (bad-records.ts); dead-letter by default. */
  readonly badRecords?: BadRecordPolicy;
  createTask(init: TaskInit, deps: TaskDeps): PartitionTask | Promise<PartitionTask>;
}

export function consumerGroupOf(definition: Pick<ProcessorDefinition, 'name'>): string {
  return `shelfstream.${definition.name}`;
}
