/**
 * The columns of one archive file (one topic, partition and hour folder of a roll), filled one
 * record at a time as records arrive, so that closing a roll only has to hand finished buffers
 * to the Parquet writer. The event's own columns come straight from the Avro bytes when the
 * record was written with the catalogue's schema (avro-columns.ts); a record written with
 * another schema (an older or newer producer) is read through Avro schema resolution into the
 * catalogue's shape, then added value by value. The replay columns come from the record as
 * consumed.
 */
import { RecordBatch, type Schema, Struct, Table, makeData } from 'apache-arrow';
import type { Type } from 'avsc';
import { ShelfStreamError, describeError } from '../../lib/errors';
import type { InputRecord, RawRecord, RawTombstone } from '../runtime/processor';
import { AvroBytesError, type RecordAppender, recordAppender, timeReader } from './avro-columns';
import { type ColumnBuilder, builderFor, propertyReader } from './columns';
import { REPLAY_COLUMNS } from './parquet-schema';

/** avsc's resolver between two schemas (its class is not exported by name). */
type Resolver = ReturnType<Type['createResolver']>;

/** Rows a new file's columns are sized for; they grow by doubling. */
const INITIAL_ROWS = 1_024;
const HEADER_BYTES = 5;
/** Where an event keeps its own time, in order of preference: events, then master data. */
const EVENT_TIME_FIELDS = ['occurred_at', 'updated_at'];

/** What every file of one topic shares: its layout, its contract schema, and how each writer schema is read. */
export class TopicColumns {
  /** Per writer schema: read directly (the catalogue's own), through a resolver, or refused. */
  private readonly readers = new Map<Type, 'direct' | Resolver | ShelfStreamError>();
  readonly eventFields: number;
  readonly readEvent: readonly ((event: Readonly<Record<string, unknown>>) => unknown)[];

  constructor(
    readonly topic: string,
    /** The archive layout: the event's fields, then the replay columns. */
    readonly schema: Schema,
    /** The catalogue's Avro schema of the topic (JSON). */
    readonly avro: Parameters<typeof recordAppender>[0],
    /** The same, compiled: the reader schema for records written with another schema. */
    readonly contract: Type,
  ) {
    this.eventFields = schema.fields.length - REPLAY_COLUMNS.length;
    this.readEvent = schema.fields.slice(0, this.eventFields).map((f) => propertyReader(f.name));
  }

  /** Per writer schema, the reader of the event time (null: the schema has none). */
  private readonly times = new Map<Type, NonNullable<ReturnType<typeof timeReader>> | null>();

  /**
   * The record's own time (occurred_at, else updated_at, as written), else `fallback` (the Kafka
   * timestamp). Throws DECODE_FAILED when the bytes before it are not what the schema says.
   */
  eventTime(raw: RawRecord, fallback: number): number {
    let read = this.times.get(raw.writer); // one lookup per record: this is the archive's hot path
    if (read === undefined) this.times.set(raw.writer, (read = timeReader(raw.writer.schema() as Parameters<typeof timeReader>[0], EVENT_TIME_FIELDS) ?? null));
    if (read === null) return fallback;
    try {
      return read(raw.value, HEADER_BYTES) ?? fallback;
    } catch (error) {
      throw new ShelfStreamError('DECODE_FAILED', `Avro body does not fit schema ${raw.schemaId}: ${describeError(error)}`, { cause: error, context: { topic: this.topic, schemaId: raw.schemaId } });
    }
  }

  /** How records written with `writer` are read. */
  readerFor(writer: Type): 'direct' | Resolver {
    let reader = this.readers.get(writer);
    if (reader === undefined) {
      if (writer === this.contract || writer.equals(this.contract)) reader = 'direct';
      else {
        try {
          reader = this.contract.createResolver(writer);
        } catch (error) {
          reader = new ShelfStreamError('DECODE_FAILED', `the writer schema cannot be read as the contract of ${this.topic}: ${describeError(error)}`, { cause: error, context: { topic: this.topic } });
        }
      }
      this.readers.set(writer, reader);
    }
    if (reader instanceof ShelfStreamError) throw reader;
    return reader;
  }
}

export class ArchiveColumns {
  private readonly builders: ColumnBuilder[];
  private readonly direct: RecordAppender;
  /** Builders of the replay columns, by name. */
  private readonly key: ColumnBuilder;
  private readonly value: ColumnBuilder;
  private readonly schemaId: ColumnBuilder;
  private readonly headers: ColumnBuilder;
  private readonly kafkaTimestamp: ColumnBuilder;
  private readonly partition: ColumnBuilder;
  private readonly offset: ColumnBuilder;
  private finished: { table: Table; plainColumns: string[] } | undefined;
  rows = 0;

  constructor(readonly topic: TopicColumns) {
    this.builders = topic.schema.fields.map((f) => builderFor(f, f.name, INITIAL_ROWS, true));
    this.direct = recordAppender(topic.avro, this.builders.slice(0, topic.eventFields));
    const replay = (name: (typeof REPLAY_COLUMNS)[number]): ColumnBuilder => this.builders[topic.eventFields + REPLAY_COLUMNS.indexOf(name)]!;
    this.key = replay('key');
    this.value = replay('value');
    this.schemaId = replay('schema_id');
    this.headers = replay('headers');
    this.kafkaTimestamp = replay('kafka_timestamp');
    this.partition = replay('partition');
    this.offset = replay('offset');
  }

  /**
   * Adds one record as a row. Throws DECODE_FAILED, naming the problem, when its bytes do not
   * hold a record of its writer schema; the columns are then as they were before the call.
   */
  append(record: InputRecord, raw: RawRecord): void {
    if (this.finished) throw new Error('the columns of a closed file take no more rows');
    const rows = this.rows;
    try {
      const reader = this.topic.readerFor(raw.writer);
      if (reader === 'direct') this.direct.append(raw.value, HEADER_BYTES);
      else this.appendResolved(raw, reader);
      this.key.add(raw.key);
      this.value.add(raw.value);
      this.schemaId.add(raw.schemaId);
      this.headers.add(raw.headers);
      this.kafkaTimestamp.add(record.timestamp);
      this.partition.add(record.partition);
      this.offset.add(record.offset);
    } catch (error) {
      for (const builder of this.builders) builder.truncate(rows);
      if (error instanceof ShelfStreamError) throw error;
      throw new ShelfStreamError('DECODE_FAILED', `Avro body does not fit schema ${raw.schemaId}: ${describeError(error)}`, {
        cause: error,
        context: { topic: record.topic, partition: record.partition, offset: String(record.offset), schemaId: raw.schemaId },
      });
    }
    this.rows = rows + 1;
  }

  /**
   * Adds a tombstone (a deletion on a compacted topic) as a row: its key, headers and Kafka
   * position, with null in the value, the schema id and the event's columns, so a reader of the
   * file sees the deletion and a replay publishes it again. Only a deletable layout admits it.
   */
  appendTombstone(record: InputRecord, raw: RawTombstone): void {
    if (this.finished) throw new Error('the columns of a closed file take no more rows');
    if (!this.value.field.nullable) throw new ShelfStreamError('DECODE_FAILED', `a tombstone (null value) on ${record.topic}, which is not a compacted master-data topic`, { context: { topic: record.topic, partition: record.partition, offset: String(record.offset) } });
    for (let i = 0; i < this.topic.eventFields; i++) this.builders[i]!.addNull();
    this.key.add(raw.key);
    this.value.addNull();
    this.schemaId.addNull();
    this.headers.add(raw.headers);
    this.kafkaTimestamp.add(record.timestamp);
    this.partition.add(record.partition);
    this.offset.add(record.offset);
    this.rows += 1;
  }

  private appendResolved(raw: RawRecord, resolver: Resolver): void {
    const decoded = this.topic.contract.decode(raw.value, HEADER_BYTES, resolver);
    if (decoded.offset !== raw.value.length) throw new AvroBytesError(decoded.offset < 0 ? 'the Avro body ends before the record does (truncated)' : `the Avro body leaves ${raw.value.length - decoded.offset} bytes after the record`);
    const event = decoded.value as Readonly<Record<string, unknown>>;
    const read = this.topic.readEvent;
    for (let i = 0; i < read.length; i++) this.builders[i]!.add(read[i]!(event));
  }

  /**
   * The rows as an Arrow table (or only the rows in `keep`: index ranges [from, to), in order)
   * and the columns to write without a dictionary. The columns take no rows after this.
   */
  table(keep?: readonly (readonly [number, number])[]): { table: Table; plainColumns: string[] } {
    if (!this.finished) {
      const data = makeData({ type: new Struct(this.topic.schema.fields), length: this.rows, nullCount: 0, children: this.builders.map((b) => b.finish()) });
      const plainColumns = this.builders.filter((b) => b.nearlyUnique).map((b) => b.path);
      this.finished = { table: new Table([new RecordBatch(this.topic.schema, data)]), plainColumns };
    }
    if (!keep) return this.finished;
    const parts = keep.map(([from, to]) => this.finished!.table.slice(from, to));
    return { table: parts.length === 1 ? parts[0]! : parts[0]!.concat(...parts.slice(1)), plainColumns: this.finished.plainColumns };
  }
}
