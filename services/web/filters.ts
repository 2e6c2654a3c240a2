/**
 * The filters every dashboard takes from its URL: region, store, category and a date range.
 * Parsed once per request into values that go to the queries as bound parameters; a bad value
 * is refused with a message naming the parameter, never passed on. An empty filter means "all"
 * (all of what the user's scope shows).
 */

export interface DashboardFilters {
  readonly region: string;
  readonly store: string;
  readonly category: string;
  /** First business date shown, YYYY-MM-DD. */
  readonly from: string;
  /** Last business date shown, YYYY-MM-DD (inclusive). */
  readonly to: string;
  /** The product the store manager's forecast panel follows; empty: the store's best seller. */
  readonly sku: string;
}

export class FilterError extends Error {
  override readonly name = 'FilterError';
  constructor(
    readonly parameter: string,
    message: string,
  ) {
    super(message);
  }
}

/** Days shown when the URL names no range: four weeks, enough to see weekly patterns. */
export const DEFAULT_RANGE_DAYS = 28;
/** The longest range a dashboard draws: a year, the BI query bench's data set. */
export const MAX_RANGE_DAYS = 400;

const CODE = /^[A-Za-z0-9][A-Za-z0-9._ -]{0,63}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const KNOWN = ['region', 'store', 'category', 'from', 'to', 'sku'];

function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function code(query: Readonly<Record<string, unknown>>, name: string): string {
  const value = query[name];
  if (value === undefined || value === '') return '';
  if (typeof value !== 'string' || !CODE.test(value)) throw new FilterError(name, `${name} must be a code of letters, digits, '.', '_', '-' or spaces (at most 64), got ${JSON.stringify(value)}`);
  return value;
}

function date(query: Readonly<Record<string, unknown>>, name: string): string | undefined {
  const value = query[name];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || !DATE.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`)) || isoDate(Date.parse(`${value}T00:00:00Z`)) !== value) {
    throw new FilterError(name, `${name} must be a date YYYY-MM-DD, got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * @param latestDay the last business date with data (YYYY-MM-DD): the default range ends there,
 *   not at today's date, so a demo replaying past days shows its data.
 */
export function parseFilters(query: Readonly<Record<string, unknown>>, latestDay: string): DashboardFilters {
  const unknown = Object.keys(query).filter((k) => !KNOWN.includes(k));
  if (unknown.length > 0) throw new FilterError(unknown[0]!, `unknown filter ${JSON.stringify(unknown[0])}; dashboards take ${KNOWN.join(', ')}`);
  const to = date(query, 'to') ?? latestDay;
  const from = date(query, 'from') ?? isoDate(Date.parse(`${to}T00:00:00Z`) - (DEFAULT_RANGE_DAYS - 1) * 86_400_000);
  if (from > to) throw new FilterError('from', `from (${from}) is after to (${to})`);
  const days = (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000 + 1;
  if (days > MAX_RANGE_DAYS) throw new FilterError('from', `the range ${from}..${to} spans ${days} days; at most ${MAX_RANGE_DAYS}`);
  return { region: code(query, 'region'), store: code(query, 'store'), category: code(query, 'category'), from, to, sku: code(query, 'sku') };
}

/** The filters as bound query parameters (every panel query may use any of them). */
export function filterParams(filters: DashboardFilters): Record<string, string> {
  return { region: filters.region, store: filters.store, category: filters.category, from: filters.from, to: filters.to, sku: filters.sku };
}
