/**
 * ClickHouse type names as the Native format writes them (`Nullable(Decimal(18, 2))`,
 * `Tuple(a String, b Array(UInt8))`, `DateTime64(3, 'UTC')`), parsed into a tree so that
 * ./native-protocol.ts can tell how many bytes each column's values take without decoding them.
 */
import { ShelfStreamError } from '../../lib/errors';

export interface NativeType {
  /** The type's name without its arguments: `Nullable`, `Decimal`, `String`. */
  readonly name: string;
  /** Arguments that are types (Nullable, Array, Tuple, Map, LowCardinality...), in order. */
  readonly args: readonly NativeType[];
  /** Arguments as written (numbers, quoted strings, types), for Decimal(P, S), FixedString(N). */
  readonly rawArgs: readonly string[];
}

/** Splits `a, b(c, d), 'e, f'` at the commas outside brackets and quotes. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = undefined;
    } else if (ch === "'" || ch === '`' || ch === '"') {
      quote = ch;
    } else if (ch === '(') {
      depth++;
    } else if (ch === ')') {
      depth--;
    } else if (ch === ',' && depth === 0) {
      parts.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(text.slice(start).trim());
  return parts.filter((p) => p.length > 0);
}

/** A Tuple element may carry a name: `a String`, `` `order id` UInt64``. */
function withoutElementName(element: string): string {
  const quoted = /^`(?:[^`\\]|\\.)*`\s+(.+)$/s.exec(element);
  if (quoted) return quoted[1]!;
  const open = element.indexOf('(');
  const head = open === -1 ? element : element.slice(0, open);
  const named = /^([A-Za-z_][A-Za-z0-9_]*)\s+(\S.*)$/s.exec(head);
  return named ? element.slice(named[1]!.length).trim() : element;
}

function isTypeLike(arg: string): boolean {
  return /^[A-Za-z_`]/.test(arg);
}

export function parseNativeType(text: string): NativeType {
  const trimmed = text.trim();
  const open = trimmed.indexOf('(');
  if (open === -1) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(trimmed)) throw typeError(text, 'not a type name');
    return { name: trimmed, args: [], rawArgs: [] };
  }
  if (!trimmed.endsWith(')')) throw typeError(text, 'unbalanced brackets');
  const name = trimmed.slice(0, open).trim();
  const rawArgs = splitTopLevel(trimmed.slice(open + 1, -1));
  const typeArgs = name === 'Tuple' ? rawArgs.map(withoutElementName) : rawArgs;
  return { name, rawArgs, args: typeArgs.filter(isTypeLike).map((arg) => parseNativeType(arg)) };
}

function typeError(text: string, why: string): ShelfStreamError {
  return new ShelfStreamError('DECODE_FAILED', `Native column type ${JSON.stringify(text)}: ${why}`, { context: { column_type: text } });
}

/** Bytes per value of the fixed-width types; undefined for the others. */
export function fixedWidth(type: NativeType): number | undefined {
  switch (type.name) {
    case 'UInt8':
    case 'Int8':
    case 'Bool':
    case 'Enum8':
    case 'Nothing':
      return 1;
    case 'UInt16':
    case 'Int16':
    case 'Date':
    case 'Enum16':
    case 'BFloat16':
      return 2;
    case 'UInt32':
    case 'Int32':
    case 'Float32':
    case 'Date32':
    case 'DateTime':
    case 'IPv4':
    case 'Decimal32':
    case 'Time':
      return 4;
    case 'UInt64':
    case 'Int64':
    case 'Float64':
    case 'DateTime64':
    case 'Decimal64':
    case 'Time64':
      return 8;
    case 'UInt128':
    case 'Int128':
    case 'UUID':
    case 'IPv6':
    case 'Decimal128':
      return 16;
    case 'UInt256':
    case 'Int256':
    case 'Decimal256':
      return 32;
    case 'Decimal': {
      const precision = Number(type.rawArgs[0]);
      if (!Number.isInteger(precision) || precision < 1 || precision > 76) return undefined;
      return precision <= 9 ? 4 : precision <= 18 ? 8 : precision <= 38 ? 16 : 32;
    }
    case 'FixedString': {
      const size = Number(type.rawArgs[0]);
      return Number.isInteger(size) && size > 0 ? size : undefined;
    }
  }
  if (type.name.startsWith('Interval')) return 8;
  return undefined;
}

const POINT: NativeType = { name: 'Tuple', args: [{ name: 'Float64', args: [], rawArgs: [] }, { name: 'Float64', args: [], rawArgs: [] }], rawArgs: [] };
const arrayOf = (inner: NativeType): NativeType => ({ name: 'Array', args: [inner], rawArgs: [] });
const RING = arrayOf(POINT);
const POLYGON = arrayOf(RING);

/** Geo types and SimpleAggregateFunction are written as the types they stand for. */
export function resolveAlias(type: NativeType): NativeType {
  switch (type.name) {
    case 'Point':
      return POINT;
    case 'Ring':
    case 'LineString':
      return RING;
    case 'Polygon':
    case 'MultiLineString':
      return POLYGON;
    case 'MultiPolygon':
      return arrayOf(POLYGON);
    case 'SimpleAggregateFunction': {
      const inner = type.args.at(-1);
      return inner ? resolveAlias(inner) : type;
    }
    default:
      return type;
  }
}
