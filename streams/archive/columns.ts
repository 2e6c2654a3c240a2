/**
 * Arrow columns built straight into typed arrays, offset and data buffers, one value at a time
 * and in one pass over the rows: no intermediate array of values per column, no Arrow Builder
 * (they cost more per value than the Parquet encoding), no object per row. A builder is made
 * per field from the archive schema (structs and lists recursively) and finished into Arrow
 * Data with makeData.
 *
 * Profile that led here (50k simulated sales, one core): building the columns took 7-14 µs a
 * row, more than parquet-wasm's encoding of them (~5 µs); these builders take ~1-2 µs.
 */
import { isAscii, isUtf8 } from 'node:buffer';
import { Type as ArrowType, type Data, type DataType, type Field, makeData } from 'apache-arrow';

type MakeDataProps = Parameters<typeof makeData>[0];

/** Values sampled per column to tell a near-unique column (ids, offsets) from a repetitive one. */
const CARDINALITY_SAMPLE = 1024;

export abstract class ColumnBuilder {
  length = 0;
  nullCount = 0;
  /** Validity bits, allocated at the first null: a column without nulls carries none. */
  private validity: Uint8Array | undefined;
  /** First values seen (as strings), while the sample lasts; undefined when not sampled. */
  private sample: Set<unknown> | undefined;
  private sampled = 0;

  constructor(
    readonly field: Field,
    readonly path: string,
    sampleCardinality: boolean,
  ) {
    if (sampleCardinality) this.sample = new Set();
  }

  add(value: unknown): void {
    if (value === null || value === undefined) {
      this.addNull();
      return;
    }
    this.markPresent(value);
    this.addValue(value);
    this.length++;
  }

  /** A null value; refused in a required column. */
  addNull(): void {
    if (!this.field.nullable) throw new Error(`null in the required column ${this.path}`);
    this.addNullSlot();
  }

  /**
   * The bookkeeping of a present value (its validity bit, the cardinality sample) before a
   * subclass stores it; `sampled` is what the sample keeps, asked for only while it samples.
   */
  protected markPresent(sampled: unknown): void {
    if (this.validity) this.validity[this.length >> 3]! |= 1 << (this.length & 7);
    if (this.sample && this.sampled < CARDINALITY_SAMPLE) {
      this.sample.add(sampleKey(sampled));
      this.sampled++;
    }
  }

  /** True while the cardinality sample still takes values (the byte appenders then make a key). */
  protected get sampling(): boolean {
    return this.sample !== undefined && this.sampled < CARDINALITY_SAMPLE;
  }

  /**
   * Drops every value from `length` on: a row whose bytes turned out malformed halfway is taken
   * back out of every column it reached (nested columns follow their parents' offsets).
   */
  truncate(length: number): void {
    if (length >= this.length) return;
    if (this.validity) {
      // Cleared, not just forgotten: a null written later leaves its bit as it finds it.
      for (let i = length; i < this.length; i++) {
        const bit = 1 << (i & 7);
        if ((this.validity[i >> 3]! & bit) === 0) this.nullCount--;
        else this.validity[i >> 3]! &= ~bit;
      }
    }
    this.truncateValues(length);
    this.length = length;
  }

  /** A slot under a null parent struct: empty, and allowed even in a required field. */
  addMasked(): void {
    this.addNullSlot();
  }

  private addNullSlot(): void {
    if (!this.validity) {
      this.validity = new Uint8Array(Math.max(64, (this.capacityHint() + 7) >> 3));
      this.validity.fill(0xff, 0, this.length >> 3);
      for (let i = this.length & ~7; i < this.length; i++) this.validity[i >> 3]! |= 1 << (i & 7);
    } else if (this.validity.length * 8 <= this.length) {
      const grown = new Uint8Array(this.validity.length * 2);
      grown.set(this.validity);
      this.validity = grown;
    }
    this.nullCount++;
    this.addEmpty();
    this.length++;
  }

  /**
   * True when nearly every sampled value differs (ids, offsets, times): a dictionary would only
   * cost time and bytes. A column of a bounded domain (totals, SKUs) keeps its dictionary: on
   * simulated sales, dropping it for totals too cost 2.5 bytes an event.
   */
  get nearlyUnique(): boolean {
    return this.sample !== undefined && this.sampled >= 16 && this.sample.size > this.sampled * 0.9;
  }

  protected base(): { type: DataType; length: number; nullCount: number; nullBitmap: Uint8Array | undefined } {
    const nullBitmap = this.nullCount === 0 ? undefined : this.validity!.subarray(0, (this.length + 7) >> 3);
    return { type: this.field.type, length: this.length, nullCount: this.nullCount, nullBitmap };
  }

  protected abstract capacityHint(): number;
  protected abstract addValue(value: unknown): void;
  protected abstract addEmpty(): void;
  /** Forgets the stored values from `length` on (the base class handles validity). */
  protected abstract truncateValues(length: number): void;
  abstract finish(): Data;
}

function sampleKey(value: unknown): unknown {
  return value instanceof Uint8Array ? Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('latin1') : value;
}

/** FNV-1a, 32 bits, of `bytes[start, end)`. */
function fnv1a(bytes: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
}

function grow<T extends Uint8Array | Int32Array | Float32Array | Float64Array>(array: T, needed: number): T {
  let size = array.length * 2;
  while (size < needed) size *= 2;
  const grown = new (array.constructor as new (n: number) => T)(size);
  grown.set(array);
  return grown;
}

const TWO_32 = 4_294_967_296;

/** Int32/Float/Date and 64-bit integers (Int64, Timestamp); 64-bit ones as two 32-bit words. */
export class FixedWidthBuilder extends ColumnBuilder {
  private data: Int32Array | Float32Array | Float64Array | Uint8Array;
  /** A 64-bit view of `data` for bigint values (offsets as ArchiveRecord carries them). */
  private big: BigInt64Array | undefined;
  private readonly wide: boolean;

  constructor(field: Field, path: string, capacity: number, sample: boolean) {
    super(field, path, sample);
    const ArrayType = field.type.ArrayType as new (n: number) => ArrayLike<unknown>;
    this.wide = ArrayType === BigInt64Array || ArrayType === BigUint64Array;
    this.data = this.wide ? new Int32Array(Math.max(16, capacity) * 2) : (new ArrayType(Math.max(16, capacity)) as Int32Array | Float32Array | Float64Array);
  }

  protected capacityHint(): number {
    return this.wide ? this.data.length / 2 : this.data.length;
  }

  protected addValue(value: unknown): void {
    if (this.wide) {
      if (typeof value === 'bigint') {
        this.reserveWide();
        (this.big ??= new BigInt64Array(this.data.buffer))[this.length] = value;
        return;
      }
      if (typeof value !== 'number') throw new Error(`${this.path}: expected a whole number, got ${typeof value}`);
      if (!Number.isSafeInteger(value)) throw new Error(`${this.path}: expected a whole number, got ${value}`);
    }
    this.store(value as number);
  }

  /** A number its reader checked: an Avro int, a long below 2^53, a float or double. */
  addNumber(value: number): void {
    this.markPresent(value);
    this.store(value);
    this.length++;
  }

  /** Room for one more 64-bit value (two 32-bit words). */
  private reserveWide(): void {
    if (this.length * 2 + 2 > this.data.length) {
      this.data = grow(this.data, this.length * 2 + 2);
      this.big = undefined;
    }
  }

  private store(value: number): void {
    if (this.wide) {
      this.reserveWide();
      const words = this.data as Int32Array;
      const i = this.length * 2;
      words[i] = value >>> 0; // low word: ToUint32 is the value modulo 2^32, negatives included
      words[i + 1] = Math.floor(value / TWO_32);
      return;
    }
    if (this.length >= this.data.length) this.data = grow(this.data, this.length + 1);
    (this.data as Float64Array)[this.length] = value;
  }

  /** A 64-bit value beyond 2^53, exact. */
  addBig(value: bigint): void {
    this.markPresent(value);
    this.addValue(value);
    this.length++;
  }

  protected truncateValues(): void {
    // Values past the length are overwritten by the next ones.
  }

  protected addEmpty(): void {
    const needed = this.wide ? (this.length + 1) * 2 : this.length + 1;
    if (needed > this.data.length) {
      this.data = grow(this.data, needed);
      this.big = undefined;
    }
  }

  finish(): Data {
    const type = this.field.type;
    const length = this.length;
    const data = this.wide
      ? new (type.ArrayType as BigInt64ArrayConstructor)(this.data.buffer, 0, length)
      : (this.data as Int32Array).subarray(0, length);
    return makeData({ ...this.base(), data } as MakeDataProps);
  }
}

export class BoolBuilder extends ColumnBuilder {
  private data: Uint8Array;
  constructor(field: Field, path: string, capacity: number) {
    super(field, path, false);
    this.data = new Uint8Array(Math.max(8, (capacity + 7) >> 3));
  }
  protected capacityHint(): number {
    return this.data.length * 8;
  }
  protected addValue(value: unknown): void {
    this.addEmpty();
    if (value === true) this.data[this.length >> 3]! |= 1 << (this.length & 7);
  }
  protected addEmpty(): void {
    if (this.length >> 3 >= this.data.length) this.data = grow(this.data, (this.length >> 3) + 1);
  }
  addBool(value: boolean): void {
    this.markPresent(value);
    this.addValue(value);
    this.length++;
  }
  protected truncateValues(length: number): void {
    // Only true sets a bit: a stale one would turn a later false into true.
    for (let i = length; i < this.length; i++) this.data[i >> 3]! &= ~(1 << (i & 7));
  }
  finish(): Data {
    return makeData({ ...this.base(), data: this.data.subarray(0, (this.length + 7) >> 3) } as MakeDataProps);
  }
}

/** Utf8 and Binary: an offsets buffer and one data buffer. Short ASCII strings are copied in JS. */
export class VariableWidthBuilder extends ColumnBuilder {
  private offsets: Int32Array;
  private data: Buffer;
  private bytes = 0;
  private readonly utf8: boolean;

  constructor(field: Field, path: string, capacity: number, sample: boolean) {
    super(field, path, sample);
    this.utf8 = field.type.typeId === ArrowType.Utf8;
    this.offsets = new Int32Array(Math.max(16, capacity) + 1);
    this.data = Buffer.allocUnsafe(Math.max(256, capacity * 8));
  }

  protected capacityHint(): number {
    return this.offsets.length - 1;
  }

  private reserve(more: number): void {
    if (this.bytes + more <= this.data.length) return;
    let size = this.data.length * 2;
    while (size < this.bytes + more) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.data.copy(grown, 0, 0, this.bytes);
    this.data = grown;
  }

  protected addValue(value: unknown): void {
    if (typeof value === 'string') {
      const n = value.length;
      this.reserve(n * 3); // a UTF-16 unit is at most 3 bytes of UTF-8
      const data = this.data;
      let pos = this.bytes;
      let ascii = n <= 64;
      if (ascii) {
        for (let i = 0; i < n; i++) {
          const c = value.charCodeAt(i);
          if (c >= 0x80) {
            ascii = false;
            break;
          }
          data[pos++] = c;
        }
      }
      this.bytes = ascii ? pos : this.bytes + data.write(value, this.bytes, 'utf8');
    } else if (value instanceof Uint8Array) {
      this.reserve(value.byteLength);
      this.data.set(value, this.bytes);
      this.bytes += value.byteLength;
    } else {
      throw new Error(`${this.path}: expected ${this.field.type.typeId === ArrowType.Utf8 ? 'a string' : 'bytes'}, got ${typeof value}`);
    }
    this.addEmpty();
  }

  protected addEmpty(): void {
    if (this.length + 2 > this.offsets.length) this.offsets = grow(this.offsets, this.length + 2);
    this.offsets[this.length + 1] = this.bytes;
  }

  /**
   * `source[start, end)` as the next value, copied as is: Avro strings are UTF-8 already, as
   * Arrow's are, so a string goes from the record to the column without becoming a JS string.
   * Answers false, storing nothing, when a Utf8 column gets bytes that are not UTF-8 (the
   * caller decides); short ASCII values are copied in JS, the rest natively.
   */
  addBytes(source: Uint8Array, start: number, end: number): boolean {
    const n = end - start;
    this.reserve(n);
    const data = this.data;
    let pos = this.bytes;
    if (n <= 32) {
      let high = 0;
      for (let i = start; i < end; i++) {
        const b = source[i]!;
        high |= b;
        data[pos++] = b;
      }
      if (high >= 0x80 && this.utf8 && !isUtf8(source.subarray(start, end))) return false;
    } else {
      const slice = source.subarray(start, end);
      if (this.utf8 && !isAscii(slice) && !isUtf8(slice)) return false;
      data.set(slice, pos);
      pos += n;
    }
    // The sample keeps a hash, not a string per value: 1,024 values a column collide at ~1e-4.
    this.markPresent(this.sampling ? fnv1a(data, this.bytes, pos) : undefined);
    this.bytes = pos;
    this.addEmpty();
    this.length++;
    return true;
  }

  protected truncateValues(length: number): void {
    this.bytes = this.offsets[length]!;
  }

  finish(): Data {
    return makeData({ ...this.base(), valueOffsets: this.offsets.subarray(0, this.length + 1), data: this.data.subarray(0, this.bytes) } as MakeDataProps);
  }
}

export class FixedSizeBinaryBuilder extends ColumnBuilder {
  private data: Uint8Array;
  readonly width: number;
  constructor(field: Field, path: string, capacity: number) {
    super(field, path, false);
    this.width = (field.type as unknown as { byteWidth: number }).byteWidth;
    this.data = new Uint8Array(Math.max(16, capacity) * this.width);
  }
  protected capacityHint(): number {
    return this.data.length / this.width;
  }
  protected addValue(value: unknown): void {
    this.addEmpty();
    const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
    if (!(bytes instanceof Uint8Array)) throw new Error(`${this.path}: expected bytes, got ${typeof value}`);
    if (bytes.byteLength !== this.width) throw new Error(`${this.path}: expected ${this.width} bytes, got ${bytes.byteLength}`);
    this.data.set(bytes, this.length * this.width);
  }
  protected addEmpty(): void {
    if ((this.length + 1) * this.width > this.data.length) this.data = grow(this.data, (this.length + 1) * this.width);
  }
  /** `source[start, start + width)` as the next value. */
  addFixed(source: Uint8Array, start: number): void {
    this.markPresent(undefined);
    this.addEmpty();
    this.data.set(source.subarray(start, start + this.width), this.length * this.width);
    this.length++;
  }
  protected truncateValues(): void {
    // Overwritten by the next values.
  }
  finish(): Data {
    return makeData({ ...this.base(), data: this.data.subarray(0, this.length * this.width) } as MakeDataProps);
  }
}

/** List (an array) and Map (avsc hands a map over as a plain object: a list of key/value entries). */
export class ListBuilder extends ColumnBuilder {
  private offsets: Int32Array;
  /** The items (a map's entries); the byte appenders add to it, then call `closeList`. */
  readonly child: ColumnBuilder;
  private readonly isMap: boolean;
  constructor(field: Field, path: string, capacity: number) {
    super(field, path, false);
    this.isMap = field.type.typeId === ArrowType.Map;
    this.offsets = new Int32Array(Math.max(16, capacity) + 1);
    this.child = builderFor(field.type.children[0]!, `${path}[]`, capacity * 2, false);
  }
  protected capacityHint(): number {
    return this.offsets.length - 1;
  }
  protected addValue(value: unknown): void {
    const child = this.child;
    if (this.isMap) {
      for (const [key, v] of Object.entries(value as Record<string, unknown>)) child.add({ key, value: v });
    } else {
      if (!Array.isArray(value)) throw new Error(`${this.path}: expected an array, got ${typeof value}`);
      for (let i = 0; i < value.length; i++) child.add(value[i]);
    }
    this.addEmpty();
  }
  protected addEmpty(): void {
    if (this.length + 2 > this.offsets.length) this.offsets = grow(this.offsets, this.length + 2);
    this.offsets[this.length + 1] = this.child.length;
  }
  /** Ends the list whose items were just added to `child`. */
  closeList(): void {
    this.markPresent(undefined);
    this.addEmpty();
    this.length++;
  }
  protected truncateValues(length: number): void {
    this.child.truncate(this.offsets[length]!);
  }
  finish(): Data {
    return makeData({ ...this.base(), valueOffsets: this.offsets.subarray(0, this.length + 1), child: this.child.finish() } as MakeDataProps);
  }
}

export class StructBuilder extends ColumnBuilder {
  /** One per field; the byte appenders fill them, then call `closeStruct`. */
  readonly children: ColumnBuilder[];
  private readonly fill: (children: readonly ColumnBuilder[], record: unknown) => void;
  constructor(field: Field, path: string, capacity: number) {
    super(field, path, false);
    const fields: Field[] = field.type.children;
    this.children = fields.map((f) => builderFor(f, `${path}.${f.name}`, capacity, false));
    // One statement per field, each with its own property load and call: a loop over the names
    // makes one `record[name]` site that sees every key and goes megamorphic.
    this.fill = new Function('children', 'record', fields.map((f, i) => `children[${i}].add(record[${JSON.stringify(f.name)}]);`).join('\n')) as typeof this.fill;
  }
  protected capacityHint(): number {
    return this.children[0]?.length ?? 16;
  }
  protected addValue(value: unknown): void {
    this.fill(this.children, value);
  }
  protected addEmpty(): void {
    for (const child of this.children) child.addMasked();
  }
  /** Ends the struct whose fields were just added to `children`. */
  closeStruct(): void {
    this.markPresent(undefined);
    this.length++;
  }
  protected truncateValues(length: number): void {
    for (const child of this.children) child.truncate(length);
  }
  finish(): Data {
    return makeData({ ...this.base(), children: this.children.map((c) => c.finish()) } as MakeDataProps);
  }
}

/**
 * A reader of one named property, generated so that its load site sees one key: a shared
 * `record[name]` closure took 15% of the column building in the profile. The name is quoted
 * by JSON.stringify (Avro names are identifiers anyway).
 */
export function propertyReader(name: string): (record: Readonly<Record<string, unknown>>) => unknown {
  return new Function('record', `return record[${JSON.stringify(name)}];`) as (record: Readonly<Record<string, unknown>>) => unknown;
}

/**
 * The builder of one column. `capacity` is the expected number of values (the rows, for a
 * top-level column); `sample` asks it to sample its cardinality (top-level leaf columns).
 */
export function builderFor(field: Field, path: string, capacity: number, sample: boolean): ColumnBuilder {
  switch (field.type.typeId) {
    case ArrowType.Utf8:
    case ArrowType.Binary:
      return new VariableWidthBuilder(field, path, capacity, sample);
    case ArrowType.Int:
    case ArrowType.Timestamp:
    case ArrowType.Date:
    case ArrowType.Float:
      return new FixedWidthBuilder(field, path, capacity, sample);
    case ArrowType.Bool:
      return new BoolBuilder(field, path, capacity);
    case ArrowType.FixedSizeBinary:
      return new FixedSizeBinaryBuilder(field, path, capacity);
    case ArrowType.List:
    case ArrowType.Map:
      return new ListBuilder(field, path, capacity);
    case ArrowType.Struct:
      return new StructBuilder(field, path, capacity);
    default:
      throw new Error(`${path}: no column builder for Arrow type ${String(field.type)}`);
  }
}
