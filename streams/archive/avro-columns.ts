/**
 * Avro binary straight into Arrow columns: a record's bytes are walked once and every value
 * lands in its column builder (columns.ts) without becoming a JS value first. Strings and bytes
 * are copied as bytes (Avro strings are UTF-8, as Arrow's are), numbers go into typed arrays,
 * a ["null", T] union becomes a validity bit, an enum index becomes its symbol's bytes.
 *
 * Why: the archive used to decode each record into objects (avsc), then read the objects back
 * into columns. On simulated sales that was 6-10 µs of CPU a record plus the garbage it left
 * (GC was a fifth of the archive's main thread); this walk does the same work without the
 * objects. It reads records written with exactly the schema it was compiled from; the archive
 * sends records of any other writer schema through Avro schema resolution instead.
 *
 * Pure: no I/O. A malformed record throws an AvroBytesError; the caller takes the partial row
 * back out of the columns (ColumnBuilder.truncate).
 */
import { BoolBuilder, type ColumnBuilder, FixedSizeBinaryBuilder, FixedWidthBuilder, ListBuilder, StructBuilder, VariableWidthBuilder } from './columns';
import type { AvroType } from './parquet-schema';

export class AvroBytesError extends Error {}

/** Reads one value at `pos` of `buf` into its column; answers the position after it. */
type Appender = (buf: Buffer, pos: number) => number;

/** Appends the fields of one record (the top-level columns, in schema order) from `buf`. */
export interface RecordAppender {
  /** Reads the record at `start`; throws AvroBytesError unless it ends exactly at buf.length. */
  append(buf: Buffer, start: number): void;
}

function truncated(): never {
  throw new AvroBytesError('the Avro body ends before the record does (truncated)');
}

/**
 * Zigzag varint long as a number; beyond 2^53 answers NaN and leaves the exact value to
 * `readBigLong`. Two results through module state: no object per value.
 */
let cursor = 0;

function readLong(buf: Buffer, pos: number): number {
  let b = buf[pos++];
  if (b === undefined) truncated();
  // Up to 4 bytes (28 bits) in 32-bit integer arithmetic: nearly every count, index and length.
  let n = b & 0x7f;
  let shift = 7;
  while (b >= 0x80 && shift < 28) {
    b = buf[pos++];
    if (b === undefined) truncated();
    n |= (b & 0x7f) << shift;
    shift += 7;
  }
  if (b < 0x80) {
    cursor = pos;
    return (n >>> 1) ^ -(n & 1);
  }
  // Longer: times in ms, cents. Float arithmetic is exact up to 2^53.
  let f = n;
  let scale = 268_435_456; // 2^28
  do {
    b = buf[pos++];
    if (b === undefined) truncated();
    f += (b & 0x7f) * scale;
    scale *= 128;
    if (scale > 2 ** 70) throw new AvroBytesError('a varint runs past 10 bytes');
  } while (b >= 0x80);
  cursor = pos;
  if (f > Number.MAX_SAFE_INTEGER) return Number.NaN;
  return f % 2 === 0 ? f / 2 : -(f + 1) / 2;
}

/** The long at `pos` exactly, as a bigint (values past 2^53). */
function readBigLong(buf: Buffer, pos: number): bigint {
  let n = 0n;
  let shift = 0n;
  let b: number | undefined;
  do {
    b = buf[pos++];
    if (b === undefined) truncated();
    n |= BigInt(b & 0x7f) << shift;
    shift += 7n;
  } while (b >= 0x80);
  cursor = pos;
  return (n >> 1n) ^ -(n & 1n);
}

function readCount(buf: Buffer, pos: number, what: string): number {
  const n = readLong(buf, pos);
  if (!Number.isSafeInteger(n)) throw new AvroBytesError(`${what}: an absurd count`);
  return n;
}

interface Named {
  readonly byName: Map<string, AvroType>;
}

function resolveNamed(type: string, named: Named, namespace: string | undefined): AvroType {
  const found = named.byName.get(type) ?? (namespace ? named.byName.get(`${namespace}.${type}`) : undefined);
  if (!found) throw new Error(`unknown Avro type ${type}`);
  return found;
}

function registerNamed(def: Record<string, unknown>, named: Named, namespace: string | undefined): void {
  const name = String(def['name']);
  const ns = typeof def['namespace'] === 'string' ? def['namespace'] : namespace;
  named.byName.set(name, def as AvroType);
  if (!name.includes('.') && ns) named.byName.set(`${ns}.${name}`, def as AvroType);
}

function compile(avro: AvroType, builder: ColumnBuilder, named: Named, namespace: string | undefined): Appender {
  if (Array.isArray(avro)) {
    const branches = avro as readonly AvroType[];
    const nullIndex = branches.indexOf('null');
    const valueIndex = nullIndex === 0 ? 1 : 0;
    if (branches.length !== 2 || nullIndex < 0) throw new Error(`union ${JSON.stringify(avro)} is not ["null", T]`);
    const value = compile(branches[valueIndex]!, builder, named, namespace);
    return (buf, pos) => {
      const branch = readLong(buf, pos);
      pos = cursor;
      if (branch === nullIndex) {
        builder.addNull();
        return pos;
      }
      if (branch !== valueIndex) throw new AvroBytesError(`${builder.path}: union branch ${branch} does not exist`);
      return value(buf, pos);
    };
  }
  if (typeof avro === 'string') return compilePrimitive(avro, builder, named, namespace);
  const def = avro as Record<string, unknown> & { type: AvroType };
  switch (def.type) {
    case 'record': {
      registerNamed(def, named, namespace);
      const inner = typeof def['namespace'] === 'string' ? def['namespace'] : namespace;
      if (!(builder instanceof StructBuilder)) throw new Error(`${builder.path}: a record needs a struct column`);
      return compileStruct(def['fields'] as { name: string; type: AvroType }[], builder, named, inner);
    }
    case 'enum': {
      registerNamed(def, named, namespace);
      return compileEnum(def['symbols'] as string[], builder);
    }
    case 'fixed': {
      registerNamed(def, named, namespace);
      if (!(builder instanceof FixedSizeBinaryBuilder)) throw new Error(`${builder.path}: a fixed needs a fixed-size column`);
      const size = Number(def['size']);
      return (buf, pos) => {
        if (pos + size > buf.length) truncated();
        builder.addFixed(buf, pos);
        return pos + size;
      };
    }
    case 'array': {
      if (!(builder instanceof ListBuilder)) throw new Error(`${builder.path}: an array needs a list column`);
      const item = compile(def['items'] as AvroType, builder.child, named, namespace);
      return compileBlocks(builder, item);
    }
    case 'map': {
      if (!(builder instanceof ListBuilder) || !(builder.child instanceof StructBuilder)) throw new Error(`${builder.path}: a map needs a map column`);
      const entry = builder.child;
      const key = compilePrimitive('string', entry.children[0]!, named, namespace);
      const value = compile(def['values'] as AvroType, entry.children[1]!, named, namespace);
      const pair: Appender = (buf, pos) => {
        pos = value(buf, key(buf, pos));
        entry.closeStruct();
        return pos;
      };
      return compileBlocks(builder, pair);
    }
    default:
      // A primitive with a logical type: the column's Arrow type already says how to store it
      // (timestamp-millis and date are an Avro long and int).
      return compile(def.type, builder, named, namespace);
  }
}

function compileStruct(fields: readonly { name: string; type: AvroType }[], builder: StructBuilder, named: Named, namespace: string | undefined): Appender {
  const parts = fields.map((f, i) => compile(f.type, builder.children[i]!, named, namespace));
  return (buf, pos) => {
    for (let i = 0; i < parts.length; i++) pos = parts[i]!(buf, pos);
    builder.closeStruct();
    return pos;
  };
}

/** Avro array and map encoding: blocks of `count` items (a negative count is followed by the block's size), then 0. */
function compileBlocks(builder: ListBuilder, item: Appender): Appender {
  return (buf, pos) => {
    for (;;) {
      let count = readCount(buf, pos, builder.path);
      pos = cursor;
      if (count === 0) break;
      if (count < 0) {
        count = -count;
        readCount(buf, pos, builder.path); // the block's size in bytes: only for skipping
        pos = cursor;
      }
      if (count > buf.length) throw new AvroBytesError(`${builder.path}: a block of ${count} items in a ${buf.length}-byte record`);
      for (let i = 0; i < count; i++) pos = item(buf, pos);
    }
    builder.closeList();
    return pos;
  };
}

function compileEnum(symbols: readonly string[], builder: ColumnBuilder): Appender {
  if (!(builder instanceof VariableWidthBuilder)) throw new Error(`${builder.path}: an enum needs a string column`);
  const bytes = symbols.map((s) => Buffer.from(s, 'utf8'));
  return (buf, pos) => {
    const index = readLong(buf, pos);
    const symbol = bytes[index];
    if (symbol === undefined) throw new AvroBytesError(`${builder.path}: enum index ${index} is not one of the ${bytes.length} symbols`);
    builder.addBytes(symbol, 0, symbol.length);
    return cursor;
  };
}

function compilePrimitive(avro: string, builder: ColumnBuilder, named: Named, namespace: string | undefined): Appender {
  switch (avro) {
    case 'int':
    case 'long': {
      if (!(builder instanceof FixedWidthBuilder)) throw new Error(`${builder.path}: an ${avro} needs a numeric column`);
      return (buf, pos) => {
        const n = readLong(buf, pos);
        if (n === n) {
          builder.addNumber(n);
          return cursor;
        }
        if (avro === 'int') throw new AvroBytesError(`${builder.path}: an int out of range`);
        builder.addBig(readBigLong(buf, pos));
        return cursor;
      };
    }
    case 'float':
      return floating(builder, 4, (buf, pos) => buf.readFloatLE(pos));
    case 'double':
      return floating(builder, 8, (buf, pos) => buf.readDoubleLE(pos));
    case 'boolean': {
      if (!(builder instanceof BoolBuilder)) throw new Error(`${builder.path}: a boolean needs a boolean column`);
      return (buf, pos) => {
        const b = buf[pos];
        if (b === undefined) truncated();
        if (b > 1) throw new AvroBytesError(`${builder.path}: boolean byte ${b}`);
        builder.addBool(b === 1);
        return pos + 1;
      };
    }
    case 'string':
    case 'bytes': {
      if (!(builder instanceof VariableWidthBuilder)) throw new Error(`${builder.path}: ${avro} needs a variable-width column`);
      return (buf, pos) => {
        const n = readLong(buf, pos);
        pos = cursor;
        if (n < 0 || !(n === n)) throw new AvroBytesError(`${builder.path}: a negative length`);
        const end = pos + n;
        if (end > buf.length) truncated();
        if (!builder.addBytes(buf, pos, end)) {
          // Not UTF-8: stored as a decoder would read it (replacement characters), as before.
          builder.add(buf.toString('utf8', pos, end));
        }
        return end;
      };
    }
    case 'null':
      return (_buf, pos) => pos;
    default:
      return compile(resolveNamed(avro, named, namespace), builder, named, namespace);
  }
}

function floating(builder: ColumnBuilder, width: number, read: (buf: Buffer, pos: number) => number): Appender {
  if (!(builder instanceof FixedWidthBuilder)) throw new Error(`${builder.path}: a floating-point value needs a numeric column`);
  return (buf, pos) => {
    if (pos + width > buf.length) truncated();
    builder.addNumber(read(buf, pos));
    return pos + width;
  };
}

/**
 * The appender of a record schema into `columns` (one builder per field, in the schema's order).
 * Throws (at compile time) when a field's column does not fit its Avro type.
 */
export function recordAppender(schema: { readonly type: string; readonly fields?: unknown; readonly namespace?: unknown; readonly name?: unknown }, columns: readonly ColumnBuilder[]): RecordAppender {
  const fields = schema.fields as readonly { name: string; type: AvroType }[];
  const named: Named = { byName: new Map() };
  const namespace = typeof schema.namespace === 'string' ? schema.namespace : undefined;
  registerNamed(schema as Record<string, unknown>, named, namespace);
  const parts = fields.map((f, i) => compile(f.type, columns[i]!, named, namespace));
  return {
    append(buf, start) {
      let pos = start;
      for (let i = 0; i < parts.length; i++) pos = parts[i]!(buf, pos);
      if (pos !== buf.length) throw new AvroBytesError(`the Avro body leaves ${buf.length - pos} bytes after the record`);
    },
  };
}

// ── the event time alone ────────────────────────────────────────────────────────────────

/** Moves past one value at `pos`; answers the position after it. */
type Skipper = (buf: Buffer, pos: number) => number;

function skipper(avro: AvroType, named: Named, namespace: string | undefined): Skipper {
  if (Array.isArray(avro)) {
    const branches = (avro as readonly AvroType[]).map((b) => skipper(b, named, namespace));
    return (buf, pos) => {
      const branch = branches[readLong(buf, pos)];
      if (!branch) throw new AvroBytesError('a union branch that does not exist');
      return branch(buf, cursor);
    };
  }
  if (typeof avro === 'string') {
    switch (avro) {
      case 'null':
        return (_buf, pos) => pos;
      case 'boolean':
        return (_buf, pos) => pos + 1;
      case 'int':
      case 'long':
        return (buf, pos) => (readLong(buf, pos), cursor);
      case 'float':
        return (_buf, pos) => pos + 4;
      case 'double':
        return (_buf, pos) => pos + 8;
      case 'string':
      case 'bytes':
        return (buf, pos) => {
          const n = readLong(buf, pos);
          if (n < 0 || !(n === n)) throw new AvroBytesError('a negative length');
          return cursor + n;
        };
      default: {
        // Compiled at first use: a named type may be defined further on in the schema.
        let named_: Skipper | undefined;
        return (buf, pos) => (named_ ??= skipper(resolveNamed(avro, named, namespace), named, namespace))(buf, pos);
      }
    }
  }
  const def = avro as Record<string, unknown> & { type: AvroType };
  switch (def.type) {
    case 'record': {
      registerNamed(def, named, namespace);
      const inner = typeof def['namespace'] === 'string' ? def['namespace'] : namespace;
      const fields = (def['fields'] as { type: AvroType }[]).map((f) => skipper(f.type, named, inner));
      return (buf, pos) => {
        for (const f of fields) pos = f(buf, pos);
        return pos;
      };
    }
    case 'enum':
      registerNamed(def, named, namespace);
      return (buf, pos) => (readLong(buf, pos), cursor);
    case 'fixed': {
      registerNamed(def, named, namespace);
      const size = Number(def['size']);
      return (_buf, pos) => pos + size;
    }
    case 'array':
    case 'map': {
      const item = def.type === 'array' ? skipper(def['items'] as AvroType, named, namespace) : skipper(def['values'] as AvroType, named, namespace);
      const key = def.type === 'map' ? skipper('string', named, namespace) : undefined;
      return (buf, pos) => {
        for (;;) {
          const count = readLong(buf, pos);
          pos = cursor;
          if (count === 0) return pos;
          if (count < 0) {
            // A block with its size in bytes: jumped over whole.
            const size = readLong(buf, pos);
            pos = cursor + size;
            continue;
          }
          if (!(count <= buf.length)) throw new AvroBytesError('an absurd item count');
          for (let i = 0; i < count; i++) pos = item(buf, key ? key(buf, pos) : pos);
        }
      };
    }
    default:
      return skipper(def.type, named, namespace);
  }
}

/**
 * Reads the first of `names` that the record schema has and that holds a long (an event's
 * occurred_at, a master record's updated_at), skipping the fields before it: the archive picks
 * a record's hour folder with it before filling the folder's columns. Answers undefined when
 * the schema has none of them, or the record holds null there.
 */
export function timeReader(schema: { readonly fields?: unknown; readonly namespace?: unknown; readonly name?: unknown }, names: readonly string[]): ((buf: Buffer, start: number) => number | undefined) | undefined {
  const fields = schema.fields as readonly { name: string; type: AvroType }[];
  const index = fields.findIndex((f) => names.includes(f.name));
  if (index < 0) return undefined;
  const named: Named = { byName: new Map() };
  const namespace = typeof schema.namespace === 'string' ? schema.namespace : undefined;
  registerNamed(schema as Record<string, unknown>, named, namespace);
  const before = fields.slice(0, index).map((f) => skipper(f.type, named, namespace));
  const type = fields[index]!.type;
  const base = typeof type === 'object' && !Array.isArray(type) ? (type as { type: AvroType }).type : type;
  const nullable = Array.isArray(type);
  const nullIndex = nullable ? (type as readonly AvroType[]).indexOf('null') : -1;
  if (!nullable && base !== 'long') return undefined;
  return (buf, start) => {
    let pos = start;
    for (const skip of before) pos = skip(buf, pos);
    if (nullable && readLong(buf, pos) === nullIndex) return undefined;
    if (nullable) pos = cursor;
    const t = readLong(buf, pos);
    return t === t ? t : undefined;
  };
}
