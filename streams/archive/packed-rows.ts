/**
 * A file's archive rows packed into a few flat buffers, so that they cross to a Parquet worker
 * thread transferred, not copied or structured-cloned object by object: the values' bytes
 * concatenated with their end offsets, the keys likewise, and the per-row numbers in typed
 * arrays. The worker Avro-decodes the values itself (writer schemas by id) and builds the
 * columns from them.
 *
 * Why: the archive bench (300k sales, 2 cores) was bound by the consuming thread, which decoded
 * every event into objects, kept them until the roll was written (old-generation garbage) and
 * built the Arrow columns. Packing costs one memcpy of the value bytes; decoding and column
 * building now run beside the consumer.
 */
import type { Schema } from 'apache-arrow';
import { Type as AvroType, type Type } from 'avsc';
import { type ArchiveColumnSource, type EncodedColumns, encodeColumns, writeParquetFile } from './parquet';
import { type ArchiveHeader, archiveSchema } from './parquet-schema';

/** What packRows needs of a row (ArchiveRow has it). */
export interface PackableRow {
  readonly partition: number;
  readonly offset: number;
  readonly key: Uint8Array | null;
  readonly value: Uint8Array;
  readonly schemaId: number;
  readonly headers: readonly ArchiveHeader[];
  readonly kafkaTimestamp: number;
}

export interface PackedRows {
  readonly count: number;
  /** Every value (Confluent framing included), back to back; row i ends at valueEnds[i]. */
  readonly values: Uint8Array;
  readonly valueEnds: Int32Array;
  /** Every non-null key, back to back; row i's ends at keyEnds[i] (a null key takes no bytes). */
  readonly keys: Uint8Array;
  readonly keyEnds: Int32Array;
  /** 1 where the row's key is null (not the same as an empty key). */
  readonly keyNull: Uint8Array;
  readonly schemaIds: Int32Array;
  readonly timestamps: Float64Array;
  readonly partitions: Int32Array;
  /** Offsets as doubles: exact below 2^53, like the runtime's offsets. */
  readonly offsets: Float64Array;
  /** Headers of the rows that have any, by row index (most records carry none). */
  readonly headers: readonly (readonly [number, readonly ArchiveHeader[]])[];
}

/** The Confluent framing before the Avro body (lib/events/codec.ts), not imported: the worker would load the registry client with it. */
const HEADER_BYTES = 5;

const NO_HEADERS: readonly ArchiveHeader[] = [];

export function packRows(rows: readonly PackableRow[]): PackedRows {
  const count = rows.length;
  let valueBytes = 0;
  let keyBytes = 0;
  for (let i = 0; i < count; i++) {
    const r = rows[i]!;
    valueBytes += r.value.byteLength;
    keyBytes += r.key?.byteLength ?? 0;
  }
  const values = new Uint8Array(valueBytes);
  const keys = new Uint8Array(keyBytes);
  const valueEnds = new Int32Array(count);
  const keyEnds = new Int32Array(count);
  const keyNull = new Uint8Array(count);
  const schemaIds = new Int32Array(count);
  const timestamps = new Float64Array(count);
  const partitions = new Int32Array(count);
  const offsets = new Float64Array(count);
  const headers: [number, readonly ArchiveHeader[]][] = [];
  let v = 0;
  let k = 0;
  for (let i = 0; i < count; i++) {
    const r = rows[i]!;
    values.set(r.value, v);
    v += r.value.byteLength;
    valueEnds[i] = v;
    if (r.key) {
      keys.set(r.key, k);
      k += r.key.byteLength;
    } else {
      keyNull[i] = 1;
    }
    keyEnds[i] = k;
    schemaIds[i] = r.schemaId;
    timestamps[i] = r.kafkaTimestamp;
    partitions[i] = r.partition;
    offsets[i] = r.offset;
    if (r.headers.length > 0) headers.push([i, r.headers]);
  }
  return { count, values, valueEnds, keys, keyEnds, keyNull, schemaIds, timestamps, partitions, offsets, headers };
}

/** The buffers to transfer with a packed batch (each is its own ArrayBuffer). */
export function transferList(packed: PackedRows): ArrayBuffer[] {
  return [packed.values, packed.valueEnds, packed.keys, packed.keyEnds, packed.keyNull, packed.schemaIds, packed.timestamps, packed.partitions, packed.offsets].map((a) => a.buffer as ArrayBuffer);
}

/** Row i's value bytes (a view). */
export function valueOf(packed: PackedRows, i: number): Uint8Array {
  return packed.values.subarray(i === 0 ? 0 : packed.valueEnds[i - 1]!, packed.valueEnds[i]!);
}

/**
 * Each row's event, decoded with its writer schema (by schema id) as the runtime decodes it
 * (lib/events/codec.ts: avsc without logical types, body from byte 5 to the end). The runtime
 * dead-letters undecodable records before the archive sees them, so a failure here means the
 * rows and the schemas disagree: it fails the file (the roll stays in memory and is retried).
 */
export function decodeEvents(packed: PackedRows, writerOf: (schemaId: number) => Type): unknown[] {
  const events = new Array<unknown>(packed.count);
  // A Buffer view over the whole block: avsc's decode reads a Buffer at an offset.
  const all = Buffer.from(packed.values.buffer, packed.values.byteOffset, packed.values.byteLength);
  let start = 0;
  for (let i = 0; i < packed.count; i++) {
    const end = packed.valueEnds[i]!;
    const schemaId = packed.schemaIds[i]!;
    const decoded = writerOf(schemaId).decode(all.subarray(start, end), HEADER_BYTES);
    if (decoded.offset !== end - start) {
      throw new Error(`row at offset ${packed.offsets[i]}: Avro body does not match schema ${schemaId}`);
    }
    events[i] = decoded.value;
    start = end;
  }
  return events;
}

/** The archive columns of a packed batch, read by row index; `events` from decodeEvents. */
export function packedRowSource(packed: PackedRows, events: readonly unknown[]): ArchiveColumnSource<number> {
  const headers = new Map(packed.headers);
  return {
    key: (i) => (packed.keyNull[i] ? null : packed.keys.subarray(i === 0 ? 0 : packed.keyEnds[i - 1]!, packed.keyEnds[i]!)),
    value: (i) => valueOf(packed, i),
    schemaId: (i) => packed.schemaIds[i]!,
    headers: (i) => headers.get(i) ?? NO_HEADERS,
    timestamp: (i) => packed.timestamps[i]!,
    partition: (i) => packed.partitions[i]!,
    offset: (i) => packed.offsets[i]!,
    event: (i) => events[i] as Readonly<Record<string, unknown>>,
  };
}

/** A file to write from packed rows: plain data, so that it crosses to a worker thread. */
export interface PackedRowsJob {
  /** For error messages: the topic. */
  readonly what: string;
  /** The topic's catalogue Avro schema (JSON), from which the archive's columns are derived. */
  readonly avroSchema: string;
  /** The writer schema (JSON, as the registry holds it) of each schema id among the rows. */
  readonly writers: readonly (readonly [number, string])[];
  readonly rows: PackedRows;
  readonly rowGroupRows: number;
}

/**
 * Writes packed rows as one Parquet file: decode, columns, parquet-wasm. One per thread (the
 * worker's, or the consuming thread's when there is no pool); it keeps the Arrow schema of each
 * topic and the avsc type of each writer schema it has met.
 */
export class PackedRowsWriter {
  private readonly schemas = new Map<string, Schema>();
  private readonly writers = new Map<number, { readonly json: string; readonly type: Type }>();

  write(job: PackedRowsJob): Uint8Array {
    return writeParquetFile(this.columns(job));
  }

  columns(job: PackedRowsJob): EncodedColumns {
    let schema = this.schemas.get(job.avroSchema);
    if (!schema) this.schemas.set(job.avroSchema, (schema = archiveSchema(JSON.parse(job.avroSchema) as Parameters<typeof archiveSchema>[0])));
    for (const [id, json] of job.writers) {
      // A schema id names one schema for good; the comparison only guards against two registries.
      if (this.writers.get(id)?.json !== json) this.writers.set(id, { json, type: AvroType.forSchema(JSON.parse(json) as Parameters<typeof AvroType.forSchema>[0]) });
    }
    const events = decodeEvents(job.rows, (id) => {
      const writer = this.writers.get(id);
      if (!writer) throw new Error(`${job.what}: no writer schema was sent for schema id ${id}`);
      return writer.type;
    });
    const index = Array.from({ length: job.rows.count }, (_, i) => i);
    return encodeColumns(schema, index, packedRowSource(job.rows, events), { rowGroupRows: job.rowGroupRows }, job.what);
  }
}
