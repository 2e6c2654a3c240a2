/**
 * The engine's verdict on a statement, kept for the next statement that is the same text, or the
 * same statement with other literal values.
 *
 * Why. A dashboard sends the same few texts again and again (a refresh, eight analysts on one
 * board), and judging one costs two engine round trips (`formatQuery`, then `EXPLAIN AST`):
 * 1.9 of the executor's 5.8 ms per BI query on the bi-query bench's year. A BI tool also sends
 * the same statement with other literals all the time (another store picked in a filter, the
 * date range moved on): a text never seen. Those are judged by shape: the first round trip
 * also answers the engine's `normalizeQueryKeepNames` of its rendering, and a shape already
 * judged a read spares the `EXPLAIN AST` (measured on `make bench BENCH=bi-judgement`).
 *
 * Why it is safe. Both round trips only parse: they run on a fresh connection before any of
 * the client's settings is applied, read no table and no catalogue, so their answer depends on
 * the text, the `param_*` values (EXPLAIN AST substitutes them, and a parameter may stand for
 * an identifier) and the engine's version, nothing else. The key is the text with those values;
 * the engine is the process's own for its whole life. Only statements a BI user may run are
 * kept; a refusal is judged again each time. Scope, limits and read-only are not part of the
 * verdict: they are set on each query's own connection as before. Only reads are kept (a SET
 * or USE is rare, and changes the session its own way).
 *
 * Why a shape may stand for its texts. The shape is taken from the engine's rendering
 * (`formatQuery`), not from the client's text: the rendering has already turned what a literal
 * could name into code (`FROM 'system.processes'` is rendered as the identifier
 * `system.processes`, `INTERVAL '1 day'` as `toIntervalDay(1)`), and the normaliser replaces
 * literal tokens only (numbers, strings, runs of them), keeping every keyword, identifier,
 * function name, alias and `{name:Type}` parameter. Two renderings with one shape thus differ
 * only in Literal leaves of their ASTs, and of the AST the guard (./statement-guard.ts
 * judgeStatement) reads no Literal: the statement's kind, table identifiers and function names.
 * The one check that reads the text (INTO OUTFILE, judgeText) is made on every rendering,
 * cached shape or not.
 */
import type { StatementKind } from './statement-guard';

export interface JudgedStatement {
  /** The engine's rendering of the text as one statement (what runs). */
  readonly formatted: string;
  readonly kind: Extract<StatementKind, 'read'>;
}

export interface StatementCache {
  get(query: string, queryParams: Readonly<Record<string, string>>): JudgedStatement | undefined;
  set(query: string, queryParams: Readonly<Record<string, string>>, judged: JudgedStatement): void;
  /** Whether a rendering of this shape (with these parameter values) was judged a read. */
  hasReadShape(shape: string, queryParams: Readonly<Record<string, string>>): boolean;
  addReadShape(shape: string, queryParams: Readonly<Record<string, string>>): void;
  readonly size: number;
}

/** Texts longer than this are judged every time: a long text is rarely repeated, and keys stay small. */
const MAX_KEY_CHARS = 16_384; // 16 KiB of SQL

function keyOf(query: string, queryParams: Readonly<Record<string, string>>): string | undefined {
  const params = Object.keys(queryParams).sort().map((name) => [name, queryParams[name]!]);
  const key = JSON.stringify([query, params]);
  return key.length > MAX_KEY_CHARS ? undefined : key;
}

/** A map bounded to `capacity` entries, least recently used out first. */
function lruMap<V>(capacity: number): { get(key: string): V | undefined; set(key: string, value: V): void; readonly size: number } {
  const entries = new Map<string, V>();
  return {
    get(key) {
      const value = entries.get(key);
      if (value !== undefined) {
        // Map keeps insertion order: moving the entry to the end makes the first the least recent.
        entries.delete(key);
        entries.set(key, value);
      }
      return value;
    },
    set(key, value) {
      if (capacity <= 0) return;
      entries.delete(key);
      entries.set(key, value);
      while (entries.size > capacity) entries.delete(entries.keys().next().value!);
    },
    get size() {
      return entries.size;
    },
  };
}

/**
 * A bounded cache, least recently used out first.
 * @param capacity the most verdicts kept, texts and shapes each
 */
export function createStatementCache(capacity: number): StatementCache {
  const texts = lruMap<JudgedStatement>(capacity);
  const shapes = lruMap<true>(capacity);
  return {
    get(query, queryParams) {
      const key = keyOf(query, queryParams);
      return key === undefined ? undefined : texts.get(key);
    },
    set(query, queryParams, judged) {
      const key = keyOf(query, queryParams);
      if (key !== undefined) texts.set(key, judged);
    },
    hasReadShape(shape, queryParams) {
      const key = keyOf(shape, queryParams);
      return key !== undefined && shapes.get(key) === true;
    },
    addReadShape(shape, queryParams) {
      const key = keyOf(shape, queryParams);
      if (key !== undefined) shapes.set(key, true);
    },
    get size() {
      return texts.size;
    },
  };
}
