/**
 * Rows of a master-data file (CSV or JSON) turned into the records of the compacted topics:
 * stores (md.stores), products (md.products) and exchange rates (md.exchange-rates). Every
 * problem names its row and field; the record is then checked against the same contract as
 * the topic's other producers (schemas/contract.ts). Pure: no I/O.
 *
 * Columns (CSV header, or the keys of each JSON object):
 *   stores:   store_id, name, region, time_zone (IANA), currency, size_class, opened_on (YYYY-MM-DD),
 *             opening_hours ("1-5 08:00-21:00, 6 09:00-19:00": ISO weekdays, local times; a JSON
 *             file may give the Avro array instead), vat_rate (optional fraction: 0.2 = 20%),
 *             holiday_calendar (western or muslim; required for a region outside lib/domain/regions.ts)
 *   products: sku, name, category, brand, unit_cost, price (minor units), currency, perishable
 *             (true/false), shelf_life_days (optional)
 *   rates:    currency, base_currency, rate_date (YYYY-MM-DD), rate, source (optional)
 * Every record of one import gets the same updated_at, the import time: the newest wins.
 */
import { contractIssues } from '../../schemas/contract';
import type { ExchangeRate, Product, Store, StoreSizeClass } from '../../schemas/generated/events';
import { CULTURES, type Culture } from '../../lib/domain/calendar';
import { REGIONS } from '../../lib/domain/regions';

export const MASTER_DATA_KINDS = { stores: 'md.stores', products: 'md.products', rates: 'md.exchange-rates' } as const;
export type MasterDataKind = keyof typeof MASTER_DATA_KINDS;
export type MasterDataTopic = (typeof MASTER_DATA_KINDS)[MasterDataKind];

export interface RowIssue {
  /** 1-based row of data (the first row after a CSV header is row 1). */
  readonly row: number;
  /** Line of the file where the row starts (CSV only). */
  readonly line?: number;
  /** Column or field; empty for the row as a whole. */
  readonly field: string;
  readonly reason: string;
}

export interface SourceRow {
  readonly row: number;
  readonly line?: number;
  readonly values: Readonly<Record<string, unknown>>;
}

export interface ParsedRow {
  readonly row: number;
  readonly line?: number;
  readonly key: string;
  readonly record: Store | Product | ExchangeRate;
}

const SIZE_CLASSES: readonly StoreSizeClass[] = ['EXPRESS', 'SMALL', 'MEDIUM', 'LARGE', 'HYPERMARKET'];

const COLUMNS: Record<MasterDataKind, { required: readonly string[]; optional: readonly string[] }> = {
  stores: { required: ['store_id', 'name', 'region', 'time_zone', 'currency', 'size_class', 'opened_on', 'opening_hours'], optional: ['vat_rate', 'holiday_calendar'] },
  products: { required: ['sku', 'name', 'category', 'brand', 'unit_cost', 'price', 'currency', 'perishable'], optional: ['shelf_life_days'] },
  rates: { required: ['currency', 'base_currency', 'rate_date', 'rate'], optional: ['source'] },
};

/** Reads one row's fields, collecting an issue per bad field instead of stopping at the first. */
class FieldReader {
  readonly issues: { field: string; reason: string }[] = [];
  constructor(private readonly values: Readonly<Record<string, unknown>>) {}

  private raw(field: string): unknown {
    const v = this.values[field];
    return typeof v === 'string' ? v.trim() : v;
  }

  private missing(field: string): boolean {
    const v = this.raw(field);
    return v === undefined || v === null || v === '';
  }

  private bad(field: string, reason: string): undefined {
    this.issues.push({ field, reason });
    return undefined;
  }

  text(field: string): string {
    if (this.missing(field)) return this.bad(field, 'is required and empty') ?? '';
    const v = this.raw(field);
    return typeof v === 'string' ? v : (this.bad(field, `expected text, got ${JSON.stringify(v)}`) ?? '');
  }

  optionalText(field: string): string {
    return this.missing(field) ? '' : this.text(field);
  }

  number(field: string, integer: boolean): number {
    if (this.missing(field)) return this.bad(field, 'is required and empty') ?? 0;
    const v = this.raw(field);
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : Number.NaN;
    if (!Number.isFinite(n)) return this.bad(field, `expected a number, got ${JSON.stringify(v)}`) ?? 0;
    if (integer && !Number.isSafeInteger(n)) return this.bad(field, `expected a whole number (minor units, days), got ${JSON.stringify(v)}`) ?? 0;
    return n;
  }

  optionalNumber(field: string, integer: boolean): number | null {
    return this.missing(field) ? null : this.number(field, integer);
  }

  boolean(field: string): boolean {
    const v = this.raw(field);
    if (typeof v === 'boolean') return v;
    const text = typeof v === 'string' ? v.toLowerCase() : '';
    if (text === 'true' || text === 'yes' || text === '1') return true;
    if (text === 'false' || text === 'no' || text === '0') return false;
    return this.bad(field, `expected true or false, got ${JSON.stringify(v ?? '')}`) ?? false;
  }

  /** A calendar date YYYY-MM-DD as days since 1970-01-01. */
  date(field: string): number {
    const v = this.text(field);
    if (v === '') return 0;
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
    const ms = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : Number.NaN;
    if (!m || new Date(ms).toISOString().slice(0, 10) !== v) return this.bad(field, `expected a date as YYYY-MM-DD, got ${JSON.stringify(v)}`) ?? 0;
    return ms / 86_400_000;
  }

  timeZone(field: string): string {
    const v = this.text(field);
    if (v === '') return v;
    try {
      new Intl.DateTimeFormat('en', { timeZone: v });
      return v;
    } catch {
      return this.bad(field, `${JSON.stringify(v)} is not an IANA time zone (e.g. Europe/Paris)`) ?? v;
    }
  }

  /**
   * A store's holiday calendar: one the rules know, or empty for a region of the chain's region
   * table (which names its calendar). A region outside that table must say which calendar it
   * keeps, or BI and the forecast would treat its Easter or Eid as an ordinary day.
   */
  holidayCalendar(field: string, regionField: string): string | null {
    const v = this.missing(field) ? '' : this.text(field).toLowerCase();
    if (v !== '') return CULTURES.includes(v as Culture) ? v : (this.bad(field, `expected one of ${CULTURES.join(', ')}, got ${JSON.stringify(v)}`) ?? v);
    const region = this.missing(regionField) ? '' : String(this.raw(regionField));
    if (region !== '' && !REGIONS.some((r) => r.region === region)) {
      this.bad(field, `is required for region ${JSON.stringify(region)}, which is not in the chain's region table (${REGIONS.map((r) => r.region).join(', ')}): say which holidays its stores keep (${CULTURES.join(' or ')})`);
    }
    return null;
  }

  sizeClass(field: string): StoreSizeClass {
    const v = this.text(field).toUpperCase();
    if (v !== '' && !SIZE_CLASSES.includes(v as StoreSizeClass)) this.bad(field, `expected one of ${SIZE_CLASSES.join(', ')}, got ${JSON.stringify(v)}`);
    return v as StoreSizeClass;
  }

  openingHours(field: string): Store['opening_hours'] {
    const v = this.raw(field);
    if (Array.isArray(v)) return v as Store['opening_hours'];
    const text = this.text(field);
    if (text === '') return [];
    const out: { day_of_week: number; opens_at_minute: number; closes_at_minute: number }[] = [];
    for (const part of text.split(',').map((p) => p.trim())) {
      const m = /^([1-7])(?:-([1-7]))?\s+(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$/.exec(part);
      if (!m) return this.bad(field, `${JSON.stringify(part)} is not "<days> HH:MM-HH:MM" (e.g. "1-5 08:00-21:00", ISO weekdays 1 = Monday)`) ?? [];
      const [from, to] = [Number(m[1]), Number(m[2] ?? m[1])];
      const opens = Number(m[3]) * 60 + Number(m[4]);
      const closes = Number(m[5]) * 60 + Number(m[6]);
      if (from > to) return this.bad(field, `${JSON.stringify(part)}: the first day comes after the last`) ?? [];
      if (closes < opens || closes > 1440) return this.bad(field, `${JSON.stringify(part)}: closes before it opens or after midnight`) ?? [];
      for (let d = from; d <= to; d++) {
        if (out.some((o) => o.day_of_week === d)) return this.bad(field, `day ${d} is given twice`) ?? [];
        out.push({ day_of_week: d, opens_at_minute: opens, closes_at_minute: closes });
      }
    }
    return out.sort((a, b) => a.day_of_week - b.day_of_week);
  }
}

function build(kind: MasterDataKind, f: FieldReader, updatedAt: number): { key: string; record: Store | Product | ExchangeRate } {
  switch (kind) {
    case 'stores': {
      const store: Store = {
        store_id: f.text('store_id'),
        name: f.text('name'),
        region: f.text('region'),
        time_zone: f.timeZone('time_zone'),
        opening_hours: f.openingHours('opening_hours'),
        size_class: f.sizeClass('size_class'),
        currency: f.text('currency'),
        opened_on: f.date('opened_on'),
        vat_rate: f.optionalNumber('vat_rate', false),
        holiday_calendar: f.holidayCalendar('holiday_calendar', 'region'),
        updated_at: updatedAt,
      };
      return { key: store.store_id, record: store };
    }
    case 'products': {
      const product: Product = {
        sku: f.text('sku'),
        name: f.text('name'),
        category: f.text('category'),
        brand: f.text('brand'),
        unit_cost: f.number('unit_cost', true),
        price: f.number('price', true),
        currency: f.text('currency'),
        perishable: f.boolean('perishable'),
        shelf_life_days: f.optionalNumber('shelf_life_days', true),
        updated_at: updatedAt,
      };
      return { key: product.sku, record: product };
    }
    case 'rates': {
      const rate: ExchangeRate = {
        currency: f.text('currency'),
        base_currency: f.text('base_currency'),
        rate_date: f.date('rate_date'),
        rate: f.number('rate', false),
        source: f.optionalText('source'),
        updated_at: updatedAt,
      };
      return { key: `${rate.currency}:${rate.rate_date}`, record: rate };
    }
  }
}

/** Columns the kind needs that the file lacks, and columns it does not know. */
export function columnIssues(kind: MasterDataKind, columns: readonly string[]): string[] {
  const { required, optional } = COLUMNS[kind];
  const known = new Set([...required, ...optional]);
  return [
    ...required.filter((c) => !columns.includes(c)).map((c) => `missing column ${c} (${kind} need ${required.join(', ')}; optional: ${optional.join(', ') || 'none'})`),
    ...columns.filter((c) => !known.has(c)).map((c) => `unknown column ${c}`),
  ];
}

/** The records of the rows, and every issue of every row: the caller decides what to publish. */
export function masterDataRecords(kind: MasterDataKind, rows: readonly SourceRow[], updatedAt: number): { records: ParsedRow[]; issues: RowIssue[] } {
  const topic = MASTER_DATA_KINDS[kind];
  const records: ParsedRow[] = [];
  const issues: RowIssue[] = [];
  const firstRowOf = new Map<string, number>();
  const { required, optional } = COLUMNS[kind];
  const known = new Set([...required, ...optional]);
  for (const source of rows) {
    const at = { row: source.row, ...(source.line !== undefined ? { line: source.line } : {}) };
    const rowIssues: RowIssue[] = Object.keys(source.values)
      .filter((k) => !known.has(k))
      .map((k) => ({ ...at, field: k, reason: 'unknown field' }));
    const reader = new FieldReader(source.values);
    const { key, record } = build(kind, reader, updatedAt);
    for (const i of reader.issues) rowIssues.push({ ...at, ...i });
    // The contract's own rules (ISO codes, ranges) on fields that read well.
    if (reader.issues.length === 0) {
      for (const i of contractIssues(topic, record, updatedAt)) rowIssues.push({ ...at, field: i.path.split(/[.[]/)[0] ?? '', reason: i.reason });
    }
    const first = firstRowOf.get(key);
    if (rowIssues.length === 0 && first !== undefined) rowIssues.push({ ...at, field: kind === 'rates' ? 'rate_date' : (required[0] ?? ''), reason: `repeats the ${kind === 'rates' ? 'currency and date' : required[0]} of row ${first}` });
    if (rowIssues.length > 0) issues.push(...rowIssues);
    else {
      firstRowOf.set(key, source.row);
      records.push({ ...at, key, record });
    }
  }
  return { records, issues };
}

/** "row 3 (line 4), field vat_rate: must be ..." */
export function describeRowIssue(issue: RowIssue): string {
  const where = `row ${issue.row}${issue.line !== undefined ? ` (line ${issue.line})` : ''}`;
  return `${where}${issue.field ? `, field ${issue.field}` : ''}: ${issue.reason}`;
}
