/**
 * ClickHouse's error codes as the SQL endpoint answers them: the numbers the engine uses and
 * the HTTP status a ClickHouse server sends for each, so a driver that branches on
 * `X-ClickHouse-Exception-Code` or on the status behaves as it does against a server.
 *
 * The statuses follow ClickHouse's `src/Server/HTTP/exceptionCodeToHTTPStatus.cpp` (26.x):
 * note that a server answers 403, not 401, for a wrong password or an unknown user
 * (AUTHENTICATION_FAILED), 401 only when no password was sent (REQUIRED_PASSWORD), 408 for
 * TIMEOUT_EXCEEDED, and 500 for READONLY and every code it does not list. The numbers were
 * read from the engine itself (`errorCodeToName(n)` on chDB 3.4.0 / ClickHouse 26.7).
 */
import { SqlEndpointError } from './contract';

export const CH = {
  CANNOT_PARSE_TEXT: 6,
  THERE_IS_NO_COLUMN: 8,
  DUPLICATE_COLUMN: 15,
  CANNOT_PARSE_ESCAPE_SEQUENCE: 25,
  CANNOT_PARSE_QUOTED_STRING: 26,
  CANNOT_PARSE_INPUT_ASSERTION_FAILED: 27,
  BAD_ARGUMENTS: 36,
  UNKNOWN_ELEMENT_IN_AST: 37,
  CANNOT_PARSE_DATE: 38,
  CANNOT_PARSE_DATETIME: 41,
  ILLEGAL_COLUMN: 44,
  UNKNOWN_FUNCTION: 46,
  UNKNOWN_IDENTIFIER: 47,
  NOT_IMPLEMENTED: 48,
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
  MEMORY_LIMIT_EXCEEDED: 241,
  VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE: 321,
  UNKNOWN_DATABASE_ENGINE: 336,
  INTO_OUTFILE_NOT_ALLOWED: 358,
  SESSION_NOT_FOUND: 372,
  SESSION_IS_LOCKED: 373,
  CANNOT_PARSE_UUID: 376,
  HTTP_LENGTH_REQUIRED: 381,
  QUERY_WAS_CANCELLED: 394,
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
  UNKNOWN_EXCEPTION: 1002,
} as const;

const BAD_REQUEST = new Set<number>([
  CH.BAD_ARGUMENTS, CH.CANNOT_COMPILE_REGEXP, CH.CANNOT_PARSE_TEXT, CH.CANNOT_PARSE_ESCAPE_SEQUENCE,
  CH.CANNOT_PARSE_QUOTED_STRING, CH.CANNOT_PARSE_DATE, CH.CANNOT_PARSE_DATETIME, CH.CANNOT_PARSE_NUMBER,
  CH.CANNOT_PARSE_DOMAIN_VALUE_FROM_STRING, CH.CANNOT_PARSE_IPV4, CH.CANNOT_PARSE_IPV6,
  CH.CANNOT_PARSE_INPUT_ASSERTION_FAILED, CH.CANNOT_PARSE_UUID, CH.DUPLICATE_COLUMN, CH.ILLEGAL_COLUMN,
  CH.UNKNOWN_ELEMENT_IN_AST, CH.UNKNOWN_TYPE_OF_AST_NODE, CH.THERE_IS_NO_COLUMN, CH.TOO_DEEP_AST,
  CH.TOO_BIG_AST, CH.UNEXPECTED_AST_STRUCTURE, CH.SYNTAX_ERROR, CH.INCORRECT_DATA, CH.TYPE_MISMATCH,
  CH.VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE,
]);

const NOT_FOUND = new Set<number>([
  CH.UNKNOWN_TABLE, CH.UNKNOWN_FUNCTION, CH.UNKNOWN_IDENTIFIER, CH.UNKNOWN_TYPE, CH.UNKNOWN_STORAGE,
  CH.UNKNOWN_DATABASE, CH.UNKNOWN_SETTING, CH.UNKNOWN_DIRECTION_OF_SORTING, CH.UNKNOWN_AGGREGATE_FUNCTION,
  CH.UNKNOWN_FORMAT, CH.UNKNOWN_DATABASE_ENGINE, CH.UNKNOWN_TYPE_OF_QUERY, CH.UNKNOWN_ROLE,
]);

const FORBIDDEN = new Set<number>([CH.UNKNOWN_USER, CH.WRONG_PASSWORD, CH.AUTHENTICATION_FAILED, CH.SET_NON_GRANTED_ROLE, CH.ACCESS_DENIED]);

/** The HTTP status a ClickHouse server answers for an exception code. */
export function httpStatusForCode(code: number): number {
  if (code === CH.REQUIRED_PASSWORD) return 401;
  if (FORBIDDEN.has(code)) return 403;
  if (BAD_REQUEST.has(code)) return 400;
  if (NOT_FOUND.has(code)) return 404;
  if (code === CH.QUERY_IS_TOO_LARGE) return 413;
  if (code === CH.NOT_IMPLEMENTED) return 501;
  if (code === CH.SOCKET_TIMEOUT || code === CH.CANNOT_OPEN_FILE || code === CH.CANNOT_SCHEDULE_TASK) return 503;
  if (code === CH.HTTP_LENGTH_REQUIRED) return 411;
  if (code === CH.TIMEOUT_EXCEEDED) return 408;
  if (code === CH.UNSUPPORTED_MEDIA_TYPE) return 415;
  return 500;
}

/** A refusal of the endpoint's own (not the engine's), with the status a server uses for its code. */
export function sqlError(code: number, message: string, cause?: unknown): SqlEndpointError {
  return new SqlEndpointError(code, httpStatusForCode(code), message, cause === undefined ? undefined : { cause });
}

// chDB prefixes the engine's text with "Query failed: ", and a SETTINGS clause that fails is
// wrapped twice ("Code: 164. DB::Exception: Code: 164. DB::Exception: ..."); the innermost
// message is what a server would print.
const ENGINE_ERROR = /Code: (\d+)\. DB::Exception: (?:Code: \d+\. DB::Exception: )?([\s\S]*)$/;
const VERSION_SUFFIX = / \(version [^)]*\)\.? \([A-Z_]+\)$/;

/**
 * Maps an error thrown by chDB to the `SqlEndpointError` a server would have answered: its
 * code, status, and the message without chDB's prefix or the doubled wrapping.
 */
export function fromEngineError(error: unknown): SqlEndpointError {
  if (error instanceof SqlEndpointError) return error;
  const text = error instanceof Error ? error.message : String(error);
  const m = ENGINE_ERROR.exec(text);
  if (!m) return sqlError(CH.UNKNOWN_EXCEPTION, text, error);
  const code = Number(m[1]);
  const message = m[2]!.replace(VERSION_SUFFIX, '').trim();
  return sqlError(code, message, error);
}
