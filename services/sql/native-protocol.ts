/**
 * Native as clickhouse-go reads it over HTTP. chDB writes `Native` as `clickhouse local` and a
 * server without a client revision do (NativeWriter with client_revision 0): per block the
 * column and row counts, then per column its name, type and values. clickhouse-go sends
 * `client_protocol_version` (54460 in v2.51) and decodes each block as a server writes for that
 * revision, which adds:
 *
 *  - before the counts, the block info: field 1 `is_overflows` (UInt8), field 2 `bucket_num`
 *    (Int32, -1 outside two-level aggregation), then field number 0;
 *  - after each column's type, from revision 54454 (custom serialization), one byte saying
 *    whether the column uses a custom (sparse) serialization. At revision 0 the engine already
 *    wrote sparse columns in full, so the byte is always 0.
 *
 * `reframeNative` walks the stream column by column, only to learn where each column's values
 * end, and copies every byte through with those fields inserted: no value is re-encoded.
 *
 * What revision 0 changes that cannot be restored here: a `DateTime('tz')` column is written
 * as plain `DateTime` (servers drop the zone for clients older than 54337, and 0 counts as
 * older), so the driver shows those instants in the server's time zone; the instants are the
 * same. Variant, Dynamic, JSON and AggregateFunction columns carry state this walk does not
 * measure, and are refused with an error that names the column.
 */
import { ShelfStreamError } from '../../lib/errors';
import { fixedWidth, parseNativeType, resolveAlias, type NativeType } from './native-type';

/** The first revision whose clients read the per-column serialization byte. */
export const CUSTOM_SERIALIZATION_REVISION = 54454;

/** field 1 is_overflows = false, field 2 bucket_num = -1, field 0: end (BlockInfo::write). */
const BLOCK_INFO = Uint8Array.of(1, 0, 2, 0xff, 0xff, 0xff, 0xff, 0);
const NO_CUSTOM_SERIALIZATION = Uint8Array.of(0);

/** LowCardinality index flags (SerializationLowCardinality's IndexesSerializationType). */
const LC_INDEX_TYPE_MASK = 0xff;
const LC_NEED_GLOBAL_DICTIONARY = 1 << 8;
const LC_HAS_ADDITIONAL_KEYS = 1 << 9;

class NativeCursor {
  offset = 0;
  private readonly view: DataView;

  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get done(): boolean {
    return this.offset >= this.bytes.byteLength;
  }

  private need(count: number, what: string): void {
    if (this.offset + count > this.bytes.byteLength) {
      throw new RangeError(`${what} needs ${count} bytes at byte ${this.offset}, the body ends at ${this.bytes.byteLength}`);
    }
  }

  skip(count: number, what: string): void {
    this.need(count, what);
    this.offset += count;
  }

  varUInt(what: string): number {
    let value = 0;
    let factor = 1;
    for (let i = 0; i < 9; i++) {
      this.need(1, what);
      const byte = this.bytes[this.offset++]!;
      value += (byte & 0x7f) * factor;
      if ((byte & 0x80) === 0) {
        if (!Number.isSafeInteger(value)) throw new RangeError(`${what} ${value} is too large`);
        return value;
      }
      factor *= 128;
    }
    throw new RangeError(`${what}: a variable-length integer longer than 9 bytes at byte ${this.offset}`);
  }

  uint64(what: string): number {
    this.need(8, what);
    const value = this.view.getBigUint64(this.offset, true);
    this.offset += 8;
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`${what} ${value} is too large`);
    return Number(value);
  }

  string(what: string): string {
    const length = this.varUInt(`${what} length`);
    this.need(length, what);
    const text = Buffer.from(this.bytes.buffer, this.bytes.byteOffset + this.offset, length).toString('utf8');
    this.offset += length;
    return text;
  }

  /** The last of `count` UInt64 array offsets: how many nested values follow. */
  lastOffset(count: number, what: string): number {
    this.need(count * 8, what);
    const last = count === 0 ? 0 : this.view.getBigUint64(this.offset + (count - 1) * 8, true);
    this.offset += count * 8;
    if (last > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`${what}: last offset ${last} is too large`);
    return Number(last);
  }
}

function unsupported(type: NativeType): never {
  throw new RangeError(`values of type ${type.name} carry serialization state that is not supported here`);
}

/** Skips the state written once per column before its values (serializeBinaryBulkStatePrefix). */
function skipStatePrefix(cursor: NativeCursor, declared: NativeType): void {
  const type = resolveAlias(declared);
  switch (type.name) {
    case 'LowCardinality':
      cursor.skip(8, 'LowCardinality key version');
      return;
    case 'Array':
    case 'Nullable':
    case 'Tuple':
    case 'Map':
      for (const arg of type.args) skipStatePrefix(cursor, arg);
      return;
    case 'Variant':
    case 'Dynamic':
    case 'JSON':
    case 'Object':
    case 'AggregateFunction':
      unsupported(type);
  }
}

/** Skips `rows` values of `declared` (serializeBinaryBulkWithMultipleStreams into one stream). */
function skipValues(cursor: NativeCursor, declared: NativeType, rows: number): void {
  if (rows === 0) return;
  const type = resolveAlias(declared);
  const width = fixedWidth(type);
  if (width !== undefined) {
    cursor.skip(width * rows, type.name);
    return;
  }
  switch (type.name) {
    case 'String':
      for (let i = 0; i < rows; i++) cursor.skip(cursor.varUInt('String length'), 'String');
      return;
    case 'Nullable':
      cursor.skip(rows, 'Nullable null map');
      skipValues(cursor, nested(type, 0), rows);
      return;
    case 'Array':
      skipValues(cursor, nested(type, 0), cursor.lastOffset(rows, 'Array offsets'));
      return;
    case 'Map': {
      const entries = cursor.lastOffset(rows, 'Map offsets');
      skipValues(cursor, nested(type, 0), entries);
      skipValues(cursor, nested(type, 1), entries);
      return;
    }
    case 'Tuple':
      for (const element of type.args) skipValues(cursor, element, rows);
      return;
    case 'LowCardinality':
      skipLowCardinality(cursor, type, rows);
      return;
  }
  unsupported(type);
}

function nested(type: NativeType, index: number): NativeType {
  const arg = type.args[index];
  if (!arg) throw new RangeError(`${type.name} has no type argument ${index + 1}`);
  return arg;
}

/** Granules of (index type, dictionary keys, indexes) until `rows` indexes are read. */
function skipLowCardinality(cursor: NativeCursor, type: NativeType, rows: number): void {
  const inner = nested(type, 0);
  // The dictionary holds the inner type without Nullable: NULL is its key 0.
  const keyType = inner.name === 'Nullable' ? nested(inner, 0) : inner;
  for (let read = 0; read < rows; ) {
    const flags = cursor.uint64('LowCardinality index type');
    if (flags & LC_NEED_GLOBAL_DICTIONARY) throw new RangeError('LowCardinality with a global dictionary (a Native writer never sends one)');
    if (flags & LC_HAS_ADDITIONAL_KEYS) skipValues(cursor, keyType, cursor.uint64('LowCardinality key count'));
    const indexes = cursor.uint64('LowCardinality index count');
    const indexType = flags & LC_INDEX_TYPE_MASK;
    if (indexType > 3) throw new RangeError(`LowCardinality index type ${indexType} is not 0-3`);
    cursor.skip(indexes * (1 << indexType), 'LowCardinality indexes');
    if (indexes === 0) throw new RangeError('LowCardinality granule with no indexes');
    read += indexes;
  }
}

/**
 * Re-frames a revision-0 Native stream (chDB's output) as a server writes it for a client of
 * `clientProtocolVersion`. Revision 0 (the client sent none) returns the body unchanged.
 */
export function reframeNative(body: Uint8Array, clientProtocolVersion: number): Buffer {
  if (!Number.isInteger(clientProtocolVersion) || clientProtocolVersion < 0) {
    throw new ShelfStreamError('INVALID_ARGUMENT', `client_protocol_version must be a non-negative integer, got ${clientProtocolVersion}`);
  }
  if (clientProtocolVersion === 0) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const withSerializationByte = clientProtocolVersion >= CUSTOM_SERIALIZATION_REVISION;
  const cursor = new NativeCursor(body);
  const parts: Uint8Array[] = [];
  let block = 0;
  let column = '';
  let columnType = '';
  try {
    for (; !cursor.done; block++) {
      parts.push(BLOCK_INFO);
      let copiedFrom = cursor.offset;
      const columns = cursor.varUInt('column count');
      const rows = cursor.varUInt('row count');
      for (let i = 0; i < columns; i++) {
        column = cursor.string('column name');
        columnType = cursor.string('column type');
        if (withSerializationByte) {
          parts.push(body.subarray(copiedFrom, cursor.offset), NO_CUSTOM_SERIALIZATION);
          copiedFrom = cursor.offset;
        }
        if (rows > 0) {
          const type = parseNativeType(columnType);
          skipStatePrefix(cursor, type);
          skipValues(cursor, type, rows);
        }
      }
      parts.push(body.subarray(copiedFrom, cursor.offset));
      column = '';
      columnType = '';
    }
  } catch (error) {
    const where = column ? `column ${column} (${columnType}) of block ${block}` : `block ${block}`;
    throw new ShelfStreamError('DECODE_FAILED', `Native output, ${where}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
      context: { block, column, column_type: columnType, byte_offset: cursor.offset },
    });
  }
  return Buffer.concat(parts);
}

function varUIntBytes(value: number): number[] {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return bytes;
}

function stringBytes(text: string): Buffer {
  const utf8 = Buffer.from(text, 'utf8');
  return Buffer.concat([Uint8Array.from(varUIntBytes(utf8.byteLength)), utf8]);
}

/**
 * The column names and types at the head of a `RowBinaryWithNamesAndTypes` result: a count,
 * then the names, then the types, each a length-prefixed string.
 */
export function rowBinaryHeader(body: Uint8Array): { name: string; type: string }[] {
  const cursor = new NativeCursor(body);
  const count = cursor.varUInt('column count');
  const names = Array.from({ length: count }, () => cursor.string('column name'));
  return names.map((name) => ({ name, type: cursor.string('column type') }));
}

/**
 * A Native block of no rows that carries the columns' names and types, as a ClickHouse server
 * writes for an empty result (chDB writes nothing at all, and clickhouse-go then sees no
 * columns). Plain Native, as chDB writes it: `reframeNative` adds what a client's protocol
 * version asks for. No value is written: an empty block has none.
 */
export function emptyNativeBlock(columns: readonly { name: string; type: string }[]): Buffer {
  const parts: Uint8Array[] = [Uint8Array.from([...varUIntBytes(columns.length), 0])];
  for (const column of columns) parts.push(stringBytes(column.name), stringBytes(column.type));
  return Buffer.concat(parts);
}
