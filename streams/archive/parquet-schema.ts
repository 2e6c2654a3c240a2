/**
 * The archive's column layout, derived from a topic's Avro schema by one function so no topic
 * has a hand-written Parquet schema to drift from its contract. The layout is an Arrow schema:
 * Arrow types carry exactly the logical types Parquet needs (a UTC timestamp, a list of
 * structs, a map) and the Parquet writer turns them into the matching Parquet logical types.
 *
 * Each archived row is the decoded event (one column per Avro field) followed by what an exact
 * replay needs: the record key, the original value bytes (Confluent framing included), the
 * schema id, the headers, the Kafka timestamp, partition and offset.
 */
import {
  Binary,
  Bool,
  type DataType,
  DateDay,
  Field,
  FixedSizeBinary,
  Float32,
  Float64,
  Int32,
  Int64,
  List,
  Map_,
  Schema,
  Struct,
  TimestampMillisecond,
  Utf8,
} from 'apache-arrow';
import { ShelfStreamError } from '../../lib/errors';

/** One consumed Kafka record with its decoded value: what the archiver writes as one row. */
export interface ArchiveRecord {
  /** The record key as sent (store_id bytes for event topics); null for a keyless record. */
  readonly key: Uint8Array | null;
  /** The value exactly as published: magic byte, 4-byte schema id, Avro body. */
  readonly value: Uint8Array;
  readonly schemaId: number;
  /** In the order sent; Kafka allows a key to repeat, so this is a list, not a map. */
  readonly headers: readonly ArchiveHeader[];
  /** The record's Kafka timestamp, epoch milliseconds. */
  readonly timestamp: number;
  readonly partition: number;
  /** Kafka offsets are int64; a bigint keeps offsets past 2^53 exact. */
  readonly offset: bigint;
  /** The value decoded with its writer schema (avsc output: longs as numbers, unions unwrapped). */
  readonly event: Readonly<Record<string, unknown>>;
}

export interface ArchiveHeader {
  readonly key: string;
  readonly value: Uint8Array | null;
}

/** Replay columns, after the event's own columns. Names an Avro field must not take. */
export const REPLAY_COLUMNS = ['key', 'value', 'schema_id', 'headers', 'kafka_timestamp', 'partition', 'offset'] as const;

const UTC = 'UTC';

/** A Kafka header: a list of these keeps order and repeated keys, which a replay must reproduce. */
export const HEADER_TYPE = new Struct([new Field('key', new Utf8(), false), new Field('value', new Binary(), true)]);

function replayFields(deletable: boolean): Field[] {
  return [
    new Field('key', new Binary(), true),
    new Field('value', new Binary(), deletable),
    new Field('schema_id', new Int32(), deletable),
    new Field('headers', new List(new Field('element', HEADER_TYPE, false)), false),
    new Field('kafka_timestamp', new TimestampMillisecond(UTC), false),
    new Field('partition', new Int32(), false),
    new Field('offset', new Int64(), false),
  ];
}

/** An Avro schema as JSON: a primitive or named-type reference, a union, or a complex type. */
export type AvroType = string | readonly AvroType[] | { readonly type: AvroType; readonly [key: string]: unknown };

interface Context {
  readonly schemaName: string;
  /** Named types seen so far (record, enum, fixed), by full and short name, for references. */
  readonly named: Map<string, DataType>;
  readonly namespace: string | undefined;
}

function fail(ctx: Context, path: string, message: string): never {
  throw new ShelfStreamError('SCHEMA_INVALID', `${ctx.schemaName}: ${path}: ${message}`);
}

function register(ctx: Context, def: Record<string, unknown>, type: DataType): void {
  const name = String(def['name']);
  const ns = typeof def['namespace'] === 'string' ? def['namespace'] : ctx.namespace;
  ctx.named.set(name, type);
  if (!name.includes('.') && ns) ctx.named.set(`${ns}.${name}`, type);
}

/** Arrow type of an Avro type and whether it admits null (a ["null", X] union). */
function convert(avro: AvroType, path: string, ctx: Context): { type: DataType; nullable: boolean } {
  if (Array.isArray(avro)) {
    const branches = avro as readonly AvroType[];
    const rest = branches.filter((b) => b !== 'null');
    // Only the optional-value union maps to a Parquet column; a union of two value types has no
    // faithful Parquet type, and the contract does not use one.
    if (rest.length !== 1 || rest.length === branches.length) fail(ctx, path, `union ${JSON.stringify(avro)} is not ["null", T]; only optional values are archived`);
    return { type: convert(rest[0]!, path, ctx).type, nullable: true };
  }
  if (typeof avro === 'string') {
    switch (avro) {
      case 'string':
        return { type: new Utf8(), nullable: false };
      case 'int':
        return { type: new Int32(), nullable: false };
      case 'long':
        return { type: new Int64(), nullable: false };
      case 'float':
        return { type: new Float32(), nullable: false };
      case 'double':
        return { type: new Float64(), nullable: false };
      case 'boolean':
        return { type: new Bool(), nullable: false };
      case 'bytes':
        return { type: new Binary(), nullable: false };
      case 'null':
        return fail(ctx, path, 'a field of type null carries no data to archive');
      default: {
        const named = ctx.named.get(avro) ?? (ctx.namespace ? ctx.named.get(`${ctx.namespace}.${avro}`) : undefined);
        if (!named) fail(ctx, path, `unknown type ${avro}`);
        return { type: named, nullable: false };
      }
    }
  }
  const def = avro as Record<string, unknown> & { type: AvroType };
  const logical = def['logicalType'];
  switch (def.type) {
    case 'record': {
      const inner: Context = { ...ctx, namespace: typeof def['namespace'] === 'string' ? def['namespace'] : ctx.namespace };
      const struct = new Struct(recordFields(def, path, inner));
      register(ctx, def, struct);
      return { type: struct, nullable: false };
    }
    // Enums are archived as their symbol: readable without the schema, and dictionary-encoded
    // by the writer so they cost about what an integer code would.
    case 'enum': {
      const utf8 = new Utf8();
      register(ctx, def, utf8);
      return { type: utf8, nullable: false };
    }
    case 'fixed': {
      const fixed = new FixedSizeBinary(Number(def['size']));
      register(ctx, def, fixed);
      return { type: fixed, nullable: false };
    }
    case 'array': {
      const item = convert(def['items'] as AvroType, `${path}[]`, ctx);
      return { type: new List(new Field('element', item.type, item.nullable)), nullable: false };
    }
    case 'map': {
      const values = convert(def['values'] as AvroType, `${path}{}`, ctx);
      const entries = new Field('entries', new Struct([new Field('key', new Utf8(), false), new Field('value', values.type, values.nullable)]), false);
      return { type: new Map_(entries), nullable: false };
    }
    case 'long':
      // timestamp-micros would lose nothing as micros, but the contract only uses millis; an
      // unknown logical type falls back to the underlying long, as the Avro spec requires.
      if (logical === 'timestamp-millis') return { type: new TimestampMillisecond(UTC), nullable: false };
      return convert('long', path, ctx);
    case 'int':
      if (logical === 'date') return { type: new DateDay(), nullable: false };
      return convert('int', path, ctx);
    default:
      return convert(def.type, path, ctx);
  }
}

function recordFields(def: Record<string, unknown>, path: string, ctx: Context): Field[] {
  const fields = def['fields'];
  if (!Array.isArray(fields)) fail(ctx, path, 'record without fields');
  return (fields as { name: string; type: AvroType }[]).map((f) => {
    const { type, nullable } = convert(f.type, path ? `${path}.${f.name}` : f.name, ctx);
    return new Field(f.name, type, nullable);
  });
}

/**
 * The Arrow schema of a topic's archive files: the Avro record's fields with their logical
 * types, then the replay columns. Throws SCHEMA_INVALID naming the field for a type that has
 * no faithful column (a non-optional union) or a field that takes a replay column's name.
 *
 * `deletable` (the compacted master-data topics): a tombstone is archived as a row whose value
 * and schema id are null, and so are the event's own columns (it has no event), so those
 * columns admit null there. Event topics have no deletions and keep their required columns.
 */
export function archiveSchema(avro: { readonly type: string; readonly name?: string; readonly [key: string]: unknown }, options: { readonly deletable?: boolean } = {}): Schema {
  const deletable = options.deletable === true;
  const schemaName = String(avro.name ?? 'schema');
  if (avro.type !== 'record') throw new ShelfStreamError('SCHEMA_INVALID', `${schemaName}: an archived topic's value schema must be a record, got ${avro.type}`);
  const ctx: Context = { schemaName, named: new Map(), namespace: typeof avro['namespace'] === 'string' ? avro['namespace'] : undefined };
  const fields = recordFields(avro, '', ctx);
  for (const f of fields) {
    if ((REPLAY_COLUMNS as readonly string[]).includes(f.name)) fail(ctx, f.name, `the field name is taken by the archive's replay column ${f.name}`);
  }
  const event = deletable ? fields.map((f) => new Field(f.name, f.type, true)) : fields;
  return new Schema([...event, ...replayFields(deletable)]);
}
