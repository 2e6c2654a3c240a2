/**
 * What the endpoint needs to know about ClickHouse's output formats without re-encoding any row:
 * which format a statement's result is in (its FORMAT clause, else the request's default, else
 * TabSeparated, as a server decides) and the Content-Type a server sends with it.
 */

/** ClickHouse's default output format over HTTP. */
export const HTTP_DEFAULT_FORMAT = 'TabSeparated';

// A FORMAT clause closes a SELECT (optionally followed by SETTINGS ...) and is not inside a
// string or comment; both are stripped first so `WHERE name = 'FORMAT JSON'` is not taken for one.
const LITERALS_AND_COMMENTS = /'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.)*"|`(?:[^`\\]|\\.)*`|--[^\n]*|#[^\n]*|\/\*[\s\S]*?\*\//g;
const TRAILING_FORMAT = /\bFORMAT\s+([A-Za-z][A-Za-z0-9_]*)\s*(?:\bSETTINGS\b[\s\S]*)?;?\s*$/i;
// An INSERT's FORMAT names its input, not its output (which is empty).
const INSERT = /^\s*(?:WITH\b[\s\S]*?)?\bINSERT\b/i;

/**
 * The format a statement's output is in: its own FORMAT clause, else the request's default.
 * Exposed to executors so each reports the same `SqlResult.format`.
 */
export function outputFormatOf(statement: string, defaultFormat: string | undefined): string {
  const code = statement.replace(LITERALS_AND_COMMENTS, ' ');
  if (!INSERT.test(code)) {
    const clause = TRAILING_FORMAT.exec(code);
    if (clause) return clause[1]!;
  }
  return defaultFormat ?? HTTP_DEFAULT_FORMAT;
}

const TEXT = 'text/plain; charset=UTF-8';
const BINARY = 'application/octet-stream';

/** The Content-Type a ClickHouse server sends for a result in `format` (case as ClickHouse spells formats). */
export function contentTypeOf(format: string): string {
  const f = format.toLowerCase();
  if (f.startsWith('tabseparated') || f.startsWith('tsv')) return 'text/tab-separated-values; charset=UTF-8';
  if (f === 'csv' || f === 'csvwithnamesandtypes' || f === 'csvwithnames') {
    return `text/csv; charset=UTF-8; header=${f === 'csv' ? 'absent' : 'present'}`;
  }
  if (f.startsWith('json') || f === 'ndjson' || f === 'jsonl') {
    return f.includes('eachrow') || f === 'ndjson' || f === 'jsonl' || f.includes('stringseachrow') ? 'application/x-ndjson; charset=UTF-8' : 'application/json; charset=UTF-8';
  }
  if (f === 'xml') return 'application/xml; charset=UTF-8';
  if (['native', 'rowbinary', 'rowbinarywithnames', 'rowbinarywithnamesandtypes', 'parquet', 'arrow', 'arrowstream', 'orc', 'avro', 'protobuf', 'msgpack', 'capnproto', 'npy', 'bsoneachrow'].includes(f)) {
    return BINARY;
  }
  return TEXT;
}
