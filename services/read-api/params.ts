/**
 * Query parameters of the read API, parsed into typed values or a 400 that names the parameter
 * and what is wrong with it; and the opaque page cursor. Pure: no I/O, unit-tested beside.
 *
 * A cursor is the sort key of the last row of a page, as JSON in base64url, tagged with the route
 * it came from (keyset pagination: the next page starts strictly after that key). Rows added
 * or removed between two pages never shift a page the way an OFFSET would, and a cursor holds
 * no position a client could fake into reading another store: the store is in the path and
 * checked against the key on every page.
 */

export interface ParamProblem {
  readonly parameter: string;
  readonly message: string;
}

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: ParamProblem };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = (parameter: string, message: string): Parsed<never> => ({ ok: false, problem: { parameter, message } });

/** A query string value: Fastify gives an array when a parameter is repeated. */
export type RawParam = string | readonly string[] | undefined;

function single(name: string, raw: RawParam): Parsed<string | undefined> {
  if (Array.isArray(raw)) return bad(name, `${name} is given ${raw.length} times; give it once`);
  return ok(raw as string | undefined);
}

export const DEFAULT_PAGE_SIZE = 50; // rows per page when `limit` is absent

export function parseLimit(raw: RawParam, maxPageSize: number): Parsed<number> {
  const one = single('limit', raw);
  if (!one.ok || one.value === undefined) return one.ok ? ok(Math.min(DEFAULT_PAGE_SIZE, maxPageSize)) : one;
  if (!/^\d+$/.test(one.value)) return bad('limit', `limit must be a whole number from 1 to ${maxPageSize}, got ${JSON.stringify(one.value)}`);
  const n = Number(one.value);
  if (n < 1 || n > maxPageSize) return bad('limit', `limit must be from 1 to ${maxPageSize}, got ${n}`);
  return ok(n);
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A calendar date as YYYY-MM-DD (a real date: 2026-02-30 is refused). */
export function parseDate(name: string, raw: RawParam): Parsed<string | undefined> {
  const one = single(name, raw);
  if (!one.ok || one.value === undefined) return one;
  const m = DATE.exec(one.value);
  const valid = m !== null && new Date(`${one.value}T00:00:00Z`).toISOString().slice(0, 10) === one.value && Number(m[1]) >= 1970 && Number(m[1]) <= 2149;
  if (!valid) return bad(name, `${name} must be a date as YYYY-MM-DD between 1970 and 2149, got ${JSON.stringify(one.value)}`);
  return ok(one.value);
}

/** from <= to when both are given. */
export function parseDateRange(fromRaw: RawParam, toRaw: RawParam): Parsed<{ from?: string; to?: string }> {
  const from = parseDate('from', fromRaw);
  if (!from.ok) return from;
  const to = parseDate('to', toRaw);
  if (!to.ok) return to;
  if (from.value !== undefined && to.value !== undefined && from.value > to.value) return bad('from', `from (${from.value}) is after to (${to.value})`);
  return ok({ ...(from.value !== undefined ? { from: from.value } : {}), ...(to.value !== undefined ? { to: to.value } : {}) });
}

/** Store and product ids: what the Avro events carry (see services/ingest/api-keys.ts). */
const ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

export function parseId(name: string, raw: RawParam): Parsed<string | undefined> {
  const one = single(name, raw);
  if (!one.ok || one.value === undefined) return one;
  if (!ID.test(one.value)) return bad(name, `${name} must be 1-64 letters, digits, '.', '_', ':' or '-', got ${JSON.stringify(one.value)}`);
  return ok(one.value);
}

export function parseEnum<T extends string>(name: string, raw: RawParam, values: readonly T[], fallback: T): Parsed<T> {
  const one = single(name, raw);
  if (!one.ok) return one;
  if (one.value === undefined) return ok(fallback);
  if (!(values as readonly string[]).includes(one.value)) return bad(name, `${name} must be one of ${values.join(', ')}, got ${JSON.stringify(one.value)}`);
  return ok(one.value as T);
}

/** A probability from 0 to 1. */
export function parseProbability(name: string, raw: RawParam, fallback: number): Parsed<number> {
  const one = single(name, raw);
  if (!one.ok) return one;
  if (one.value === undefined) return ok(fallback);
  const n = /^\d+(\.\d+)?$/.test(one.value) ? Number(one.value) : NaN;
  if (!(n >= 0 && n <= 1)) return bad(name, `${name} must be a number from 0 to 1, got ${JSON.stringify(one.value)}`);
  return ok(n);
}

// ── cursors ──────────────────────────────────────────────────────────────────────────────

/** The sort key of a row: strings and whole numbers (as strings when beyond 2^53). */
export type CursorKey = readonly (string | number)[];

export function encodeCursor(route: string, key: CursorKey): string {
  return Buffer.from(JSON.stringify([route, ...key]), 'utf8').toString('base64url');
}

/**
 * The key inside a cursor made by encodeCursor for the same route, with `shape` giving each
 * element's type. Anything else (edited, truncated, from another route) is a 400 on `cursor`.
 */
export function parseCursor(raw: RawParam, route: string, shape: readonly ('string' | 'number')[]): Parsed<CursorKey | undefined> {
  const one = single('cursor', raw);
  if (!one.ok) return one;
  if (one.value === undefined) return ok(undefined);
  const refuse = bad('cursor', 'cursor is not one this route handed out: pass next_cursor from the previous page unchanged, or leave it out for the first page');
  if (!/^[A-Za-z0-9_-]{1,1024}$/.test(one.value)) return refuse;
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(one.value, 'base64url').toString('utf8'));
  } catch {
    return refuse;
  }
  if (!Array.isArray(decoded) || decoded[0] !== route || decoded.length !== shape.length + 1) return refuse;
  const key = decoded.slice(1) as unknown[];
  const fits = key.every((v, i) => (shape[i] === 'number' ? typeof v === 'number' && Number.isSafeInteger(v) : typeof v === 'string' && v.length <= 256));
  return fits ? ok(key as CursorKey) : refuse;
}
