/**
 * ClickHouse's error codes as the SQL endpoint reports them: the numbers and names a server
 * uses (taken from the engine's own `errorCodeToName`), the HTTP status a server answers for
 * each (its exceptionCodeToHTTPStatus), and the `Code: N. DB::Exception: ...` body that drivers
 * parse (@clickhouse/client reads the name in parentheses as the error type). Shared by the HTTP
 * side and every executor, so an engine error and a refusal of the endpoint read alike.
 */
import { SqlEndpointError } from './contract';

export const CLICKHOUSE_ERROR_CODES = {
  UNSUPPORTED_METHOD: 1,
  CANNOT_PARSE_TEXT: 6,
  THERE_IS_NO_COLUMN: 8,
  DUPLICATE_COLUMN: 15,
  CANNOT_PARSE_ESCAPE_SEQUENCE: 25,
  CANNOT_PARSE_QUOTED_STRING: 26,
  CANNOT_PARSE_INPUT_ASSERTION_FAILED: 27,
  BAD_ARGUMENTS: 36,
  UNKNOWN_ELEMENT_IN_AST: 37,
  CANNOT_PARSE_DATE: 38,
  CHECKSUM_DOESNT_MATCH: 40,
  CANNOT_PARSE_DATETIME: 41,
  ILLEGAL_COLUMN: 44,
  UNKNOWN_FUNCTION: 46,
  UNKNOWN_IDENTIFIER: 47,
  NOT_IMPLEMENTED: 48,
  LOGICAL_ERROR: 49,
  UNKNOWN_TYPE: 50,
  TYPE_MISMATCH: 53,
  UNKNOWN_STORAGE: 56,
  UNKNOWN_TABLE: 60,
  SYNTAX_ERROR: 62,
  UNKNOWN_AGGREGATE_FUNCTION: 63,
  CANNOT_PARSE_NUMBER: 72,
  UNKNOWN_FORMAT: 73,
  CANNOT_OPEN_FILE: 76,
  UNKNOWN_TYPE_OF_QUERY: 78,
  UNKNOWN_DATABASE: 81,
  UNKNOWN_COMPRESSION_METHOD: 89,
  UNKNOWN_SETTING: 115,
  INCORRECT_DATA: 117,
  UNKNOWN_TYPE_OF_AST_NODE: 123,
  UNKNOWN_DIRECTION_OF_SORTING: 152,
  TIMEOUT_EXCEEDED: 159,
  READONLY: 164,
  TOO_DEEP_AST: 167,
  TOO_BIG_AST: 168,
  UNKNOWN_USER: 192,
  WRONG_PASSWORD: 193,
  REQUIRED_PASSWORD: 194,
  TOO_MANY_SIMULTANEOUS_QUERIES: 202,
  SOCKET_TIMEOUT: 209,
  UNEXPECTED_AST_STRUCTURE: 223,
  QUERY_IS_TOO_LARGE: 229,
  TOO_LARGE_SIZE_COMPRESSED: 246,
  CANNOT_DECOMPRESS: 271,
  VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE: 321,
  UNKNOWN_DATABASE_ENGINE: 336,
  INTO_OUTFILE_NOT_ALLOWED: 358,
  SESSION_NOT_FOUND: 372,
  SESSION_IS_LOCKED: 373,
  INVALID_SESSION_TIMEOUT: 374,
  CANNOT_PARSE_UUID: 376,
  HTTP_LENGTH_REQUIRED: 381,
  TOO_MANY_ROWS_OR_BYTES: 396,
  CANNOT_COMPILE_REGEXP: 427,
  CANNOT_SCHEDULE_TASK: 439,
  CANNOT_PARSE_DOMAIN_VALUE_FROM_STRING: 441,
  ACCESS_DENIED: 497,
  UNKNOWN_ROLE: 511,
  SET_NON_GRANTED_ROLE: 512,
  AUTHENTICATION_FAILED: 516,
  CANNOT_PARSE_IPV4: 675,
  CANNOT_PARSE_IPV6: 676,
  UNSUPPORTED_MEDIA_TYPE: 779,
} as const;

export type ClickHouseErrorName = keyof typeof CLICKHOUSE_ERROR_CODES;

const NAME_OF_CODE: ReadonlyMap<number, ClickHouseErrorName> = new Map(
  (Object.entries(CLICKHOUSE_ERROR_CODES) as [ClickHouseErrorName, number][]).map(([name, code]) => [code, name]),
);

const C = CLICKHOUSE_ERROR_CODES;
const STATUS_BY_CODE: ReadonlyMap<number, number> = new Map([
  [C.REQUIRED_PASSWORD, 401],
  ...[C.UNKNOWN_USER, C.WRONG_PASSWORD, C.AUTHENTICATION_FAILED, C.SET_NON_GRANTED_ROLE, C.ACCESS_DENIED].map((c) => [c, 403] as const),
  ...[
    C.BAD_ARGUMENTS, C.CANNOT_COMPILE_REGEXP, C.CANNOT_PARSE_TEXT, C.CANNOT_PARSE_ESCAPE_SEQUENCE, C.CANNOT_PARSE_QUOTED_STRING,
    C.CANNOT_PARSE_DATE, C.CANNOT_PARSE_DATETIME, C.CANNOT_PARSE_NUMBER, C.CANNOT_PARSE_DOMAIN_VALUE_FROM_STRING, C.CANNOT_PARSE_IPV4,
    C.CANNOT_PARSE_IPV6, C.CANNOT_PARSE_INPUT_ASSERTION_FAILED, C.CANNOT_PARSE_UUID, C.DUPLICATE_COLUMN, C.ILLEGAL_COLUMN,
    C.UNKNOWN_ELEMENT_IN_AST, C.UNKNOWN_TYPE_OF_AST_NODE, C.THERE_IS_NO_COLUMN, C.TOO_DEEP_AST, C.TOO_BIG_AST,
    C.UNEXPECTED_AST_STRUCTURE, C.SYNTAX_ERROR, C.INCORRECT_DATA, C.TYPE_MISMATCH, C.VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE,
  ].map((c) => [c, 400] as const),
  ...[
    C.UNKNOWN_TABLE, C.UNKNOWN_FUNCTION, C.UNKNOWN_IDENTIFIER, C.UNKNOWN_TYPE, C.UNKNOWN_STORAGE, C.UNKNOWN_DATABASE,
    C.UNKNOWN_SETTING, C.UNKNOWN_DIRECTION_OF_SORTING, C.UNKNOWN_AGGREGATE_FUNCTION, C.UNKNOWN_FORMAT,
    C.UNKNOWN_DATABASE_ENGINE, C.UNKNOWN_TYPE_OF_QUERY, C.UNKNOWN_ROLE,
  ].map((c) => [c, 404] as const),
  [C.QUERY_IS_TOO_LARGE, 413],
  [C.NOT_IMPLEMENTED, 501],
  [C.SOCKET_TIMEOUT, 503],
  [C.CANNOT_OPEN_FILE, 503],
  [C.CANNOT_SCHEDULE_TASK, 503],
  [C.HTTP_LENGTH_REQUIRED, 411],
  [C.TIMEOUT_EXCEEDED, 408],
  [C.UNSUPPORTED_MEDIA_TYPE, 415],
]);

/** The status a ClickHouse server answers for an exception code; 500 for every other code. */
export function httpStatusOfCode(code: number): number {
  return STATUS_BY_CODE.get(code) ?? 500;
}

/** A refusal of the endpoint itself, with the status a server gives that code. */
export function sqlError(name: ClickHouseErrorName, message: string, options?: { cause?: unknown; httpStatus?: number }): SqlEndpointError {
  const code = CLICKHOUSE_ERROR_CODES[name];
  return new SqlEndpointError(code, options?.httpStatus ?? httpStatusOfCode(code), message, options?.cause !== undefined ? { cause: options.cause } : undefined);
}

const ENGINE_MESSAGE = /^Code: (\d+)\. DB::Exception: ([\s\S]*)$/;

/**
 * An error thrown by the engine (chDB's ChdbQueryError carries `clickhouseCode` and a message
 * already formatted as `Code: N. DB::Exception: ... (NAME)`) as the endpoint's error, keeping the
 * engine's text after the prefix so the body reads exactly as a server's.
 */
export function fromEngineError(error: unknown): SqlEndpointError {
  if (error instanceof SqlEndpointError) return error;
  const text = error instanceof Error ? error.message.trim() : String(error);
  const parsed = ENGINE_MESSAGE.exec(text);
  const declared = (error as { clickhouseCode?: unknown } | null)?.clickhouseCode;
  const code = typeof declared === 'number' ? declared : parsed ? Number(parsed[1]) : CLICKHOUSE_ERROR_CODES.LOGICAL_ERROR;
  return new SqlEndpointError(code, httpStatusOfCode(code), parsed ? parsed[2]! : text, { cause: error });
}

/**
 * The response body of a failed request, as a server writes it: `Code: N. DB::Exception:
 * <message>. (NAME) (version V)` and a newline. The engine's messages already end in `(NAME)`.
 */
export function formatExceptionBody(error: SqlEndpointError, serverVersion?: string): string {
  const message = error.message.trimEnd();
  const name = NAME_OF_CODE.get(error.code);
  const named = /\([A-Z0-9_]+\)$/.test(message) || name === undefined ? message : `${message.replace(/\.$/, '')}. (${name})`;
  return `Code: ${error.code}. DB::Exception: ${named}${serverVersion ? ` (version ${serverVersion})` : ''}\n`;
}
