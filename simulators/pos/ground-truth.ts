/**
 * Ground truth: what really happened, written beside the events so tests, benchmarks and
 * model evaluations can score the platform against it. Formats (simulators/README.md):
 *
 *   manifest.json        the run: seed, parameters, window, event counts by topic, files
 *   chain.json           stores and products with the model's hidden inputs (store factor, base rate)
 *   hourly_demand.csv    store_id,sku,hour_start,expected,demand,sold,lost,on_hand
 *                        one row per store x SKU x UTC hour with demand > 0 (no row = no demand)
 *   daily_demand.csv     store_id,sku,date,hours,expected,demand,sold,lost,on_hand,book_on_hand
 *                        one row per store x SKU x local day, zeros included
 *   stockouts.csv        store_id,sku,start,end,censored,book_on_hand_at_start
 *   anomalies.jsonl      one label per line (AnomalyLabel, times as epoch ms and ISO)
 *   waste.csv            store_id,sku,date,lot_id,received_date,expiry_date,units,unit_cost
 *                        one row per lot written off expired (only with expiry write-offs on)
 *
 * Times are ISO 8601 UTC; `date` is the store's local date. Rows of one store are in time
 * order; rows of different stores may interleave (shards write concurrently).
 */
import { closeSync, mkdirSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ShelfStreamError, describeError } from '../../lib/errors';
import type { AnomalyLabel } from './anomalies';
import type { Chain } from './chain';

export interface HourlyDemandRow {
  readonly store_id: string;
  readonly sku: string;
  readonly hour_start: number;
  /** Mean of the demand distribution (the model's expectation). */
  readonly expected: number;
  /** Units customers wanted (the draw), before stock capped it. */
  readonly demand: number;
  readonly sold: number;
  readonly lost: number;
  /** Physical units at the end of the hour. */
  readonly on_hand: number;
}

export interface DailyDemandRow {
  readonly store_id: string;
  readonly sku: string;
  /** Local date, YYYY-MM-DD. */
  readonly date: string;
  /** Simulated hours of that local day (24; 23 or 25 on DST days; fewer for partial days). */
  readonly hours: number;
  readonly expected: number;
  readonly demand: number;
  readonly sold: number;
  readonly lost: number;
  readonly on_hand: number;
  readonly book_on_hand: number;
}

export interface StockoutRow {
  readonly store_id: string;
  readonly sku: string;
  readonly start: number;
  /** When units came back; the run's end when `censored`. */
  readonly end: number;
  readonly censored: boolean;
  /** Book on_hand when the shelf ran empty: > 0 means the system could not see the stock-out. */
  readonly book_on_hand_at_start: number;
}

/** A lot of perishable stock written off because it expired (simulators/pos/lots.ts). */
export interface WasteRow {
  readonly store_id: string;
  readonly sku: string;
  /** Local date of the write-off (the morning routine of the expiry day, or of the next open day). */
  readonly date: string;
  /** The purchase order that delivered the lot, or OPENING-<store>-<sku index> for the stock before the run. */
  readonly lot_id: string;
  readonly received_date: string;
  /** First local date the lot is no longer sold (received date + shelf life). */
  readonly expiry_date: string;
  readonly units: number;
  /** Cost of one unit in minor units of the store's currency (as receipts carry it). */
  readonly unit_cost: number;
}

/**
 * Hourly rows stored column by column: there are about two per event, and an object each
 * would double the garbage the generator makes (the columns hold numbers and references to
 * the existing store_id and sku strings).
 */
export class HourlyDemandTable implements Iterable<HourlyDemandRow> {
  readonly store_id: string[] = [];
  readonly sku: string[] = [];
  readonly hour_start: number[] = [];
  readonly expected: number[] = [];
  readonly demand: number[] = [];
  readonly sold: number[] = [];
  readonly lost: number[] = [];
  readonly on_hand: number[] = [];

  get length(): number {
    return this.sku.length;
  }

  push(storeId: string, sku: string, hourStart: number, expected: number, demand: number, sold: number, lost: number, onHand: number): void {
    this.store_id.push(storeId);
    this.sku.push(sku);
    this.hour_start.push(hourStart);
    this.expected.push(expected);
    this.demand.push(demand);
    this.sold.push(sold);
    this.lost.push(lost);
    this.on_hand.push(onHand);
  }

  row(i: number): HourlyDemandRow {
    return {
      store_id: this.store_id[i]!,
      sku: this.sku[i]!,
      hour_start: this.hour_start[i]!,
      expected: this.expected[i]!,
      demand: this.demand[i]!,
      sold: this.sold[i]!,
      lost: this.lost[i]!,
      on_hand: this.on_hand[i]!,
    };
  }

  *[Symbol.iterator](): Iterator<HourlyDemandRow> {
    for (let i = 0; i < this.length; i++) yield this.row(i);
  }
}

/** Daily rows, column by column (one per store x SKU at every local midnight). */
export class DailyDemandTable implements Iterable<DailyDemandRow> {
  readonly store_id: string[] = [];
  readonly sku: string[] = [];
  readonly date: string[] = [];
  readonly hours: number[] = [];
  readonly expected: number[] = [];
  readonly demand: number[] = [];
  readonly sold: number[] = [];
  readonly lost: number[] = [];
  readonly on_hand: number[] = [];
  readonly book_on_hand: number[] = [];

  get length(): number {
    return this.sku.length;
  }

  push(storeId: string, sku: string, date: string, hours: number, expected: number, demand: number, sold: number, lost: number, onHand: number, book: number): void {
    this.store_id.push(storeId);
    this.sku.push(sku);
    this.date.push(date);
    this.hours.push(hours);
    this.expected.push(expected);
    this.demand.push(demand);
    this.sold.push(sold);
    this.lost.push(lost);
    this.on_hand.push(onHand);
    this.book_on_hand.push(book);
  }

  row(i: number): DailyDemandRow {
    return {
      store_id: this.store_id[i]!,
      sku: this.sku[i]!,
      date: this.date[i]!,
      hours: this.hours[i]!,
      expected: this.expected[i]!,
      demand: this.demand[i]!,
      sold: this.sold[i]!,
      lost: this.lost[i]!,
      on_hand: this.on_hand[i]!,
      book_on_hand: this.book_on_hand[i]!,
    };
  }

  *[Symbol.iterator](): Iterator<DailyDemandRow> {
    for (let i = 0; i < this.length; i++) yield this.row(i);
  }
}

/**
 * A purchase order as placed at a nightly review, with the day it really arrives (kept in
 * memory for the closed loop and the impact bench; not one of the truth files).
 */
export interface OrderRow {
  readonly store_id: string;
  readonly sku: string;
  readonly order_id: string;
  /** Local business day reviewed. */
  readonly date: string;
  readonly quantity: number;
  readonly planned_date: string;
  /** The day it is due in fact (a day after the planned one when late). */
  readonly due_date: string;
}

/** Ground truth produced while simulating one hour (or at the end of the run). */
export interface HourTruth {
  readonly hourly: HourlyDemandTable;
  readonly daily: DailyDemandTable;
  readonly stockouts: StockoutRow[];
  readonly anomalies: AnomalyLabel[];
  readonly waste: WasteRow[];
  readonly orders: OrderRow[];
}

export function emptyTruth(): HourTruth {
  return { hourly: new HourlyDemandTable(), daily: new DailyDemandTable(), stockouts: [], anomalies: [], waste: [], orders: [] };
}

export const TRUTH_FILES = {
  manifest: 'manifest.json',
  chain: 'chain.json',
  hourly: 'hourly_demand.csv',
  daily: 'daily_demand.csv',
  stockouts: 'stockouts.csv',
  anomalies: 'anomalies.jsonl',
  waste: 'waste.csv',
} as const;

export const CSV_HEADERS = {
  hourly: 'store_id,sku,hour_start,expected,demand,sold,lost,on_hand',
  daily: 'store_id,sku,date,hours,expected,demand,sold,lost,on_hand,book_on_hand',
  stockouts: 'store_id,sku,start,end,censored,book_on_hand_at_start',
  waste: 'store_id,sku,date,lot_id,received_date,expiry_date,units,unit_cost',
} as const;

const iso = (ms: number): string => new Date(ms).toISOString();

/** "0000".."9999": four decimals by table lookup, since number-to-string of a fraction is slow. */
const DECIMALS: readonly string[] = Array.from({ length: 10_000 }, (_, i) => String(i).padStart(4, '0'));
const COMMA = 44;
const NEWLINE = 10;
const DOT = 46;

/**
 * CSV bytes written straight into a buffer: about twice as fast as building strings (there
 * are two ground-truth rows per event), and the buffer moves between threads without a copy.
 * Every value written is ASCII (ids, ISO times, numbers).
 */
class ByteWriter {
  private buf: Buffer;
  private at = 0;

  constructor(capacity: number) {
    // Not Buffer.allocUnsafe: a pooled buffer cannot be transferred to another thread.
    this.buf = Buffer.from(new ArrayBuffer(Math.max(256, capacity)));
  }

  private ensure(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const next = Buffer.from(new ArrayBuffer(Math.max(this.buf.length * 2, this.at + n)));
    this.buf.copy(next, 0, 0, this.at);
    this.buf = next;
  }

  ascii(text: string): this {
    this.ensure(text.length);
    this.at += this.buf.write(text, this.at, 'latin1');
    return this;
  }

  utf8(text: string): this {
    this.ensure(text.length * 3);
    this.at += this.buf.write(text, this.at, 'utf8');
    return this;
  }

  /** A whole number >= 0, digit by digit. */
  uint(v: number): this {
    if (v < 10) {
      this.ensure(1);
      this.buf[this.at++] = 48 + v;
      return this;
    }
    return this.ascii(String(v));
  }

  /** A number >= 0 with four decimals (1.2300). */
  fixed4(v: number): this {
    const scaled = Math.round(v * 10_000);
    const whole = Math.floor(scaled / 10_000);
    this.uint(whole);
    this.ensure(5);
    this.buf[this.at++] = DOT;
    this.at += this.buf.write(DECIMALS[scaled - whole * 10_000]!, this.at, 'latin1');
    return this;
  }

  byte(b: number): this {
    this.ensure(1);
    this.buf[this.at++] = b;
    return this;
  }

  comma(): this {
    return this.byte(COMMA);
  }

  bytes(): Uint8Array {
    return new Uint8Array(this.buf.buffer, 0, this.at);
  }
}

/** One chunk of bytes per file, ready to append. Formatting is pure; shards do it in parallel. */
export interface TruthBytes {
  readonly hourly: Uint8Array;
  readonly daily: Uint8Array;
  readonly stockouts: Uint8Array;
  readonly anomalies: Uint8Array;
  readonly waste: Uint8Array;
}

/** The ArrayBuffers of a chunk, to transfer (not copy) it to another thread. */
export function transferables(bytes: TruthBytes): ArrayBuffer[] {
  return [...new Set([bytes.hourly, bytes.daily, bytes.stockouts, bytes.anomalies, bytes.waste].map((b) => b.buffer as ArrayBuffer))];
}

export function formatTruth(truth: HourTruth): TruthBytes {
  const h = truth.hourly;
  const hourly = new ByteWriter(h.length * 64);
  let lastHour = Number.NaN;
  let hourText = '';
  for (let i = 0; i < h.length; i++) {
    // Every row of an hour shares its timestamp: format it once.
    if (h.hour_start[i] !== lastHour) {
      lastHour = h.hour_start[i]!;
      hourText = iso(lastHour);
    }
    hourly.ascii(h.store_id[i]!).comma().ascii(h.sku[i]!).comma().ascii(hourText).comma().fixed4(h.expected[i]!).comma();
    hourly.uint(h.demand[i]!).comma().uint(h.sold[i]!).comma().uint(h.lost[i]!).comma().uint(h.on_hand[i]!).byte(NEWLINE);
  }
  const d = truth.daily;
  const daily = new ByteWriter(d.length * 64);
  for (let i = 0; i < d.length; i++) {
    daily.ascii(d.store_id[i]!).comma().ascii(d.sku[i]!).comma().ascii(d.date[i]!).comma().uint(d.hours[i]!).comma().fixed4(d.expected[i]!).comma();
    daily.uint(d.demand[i]!).comma().uint(d.sold[i]!).comma().uint(d.lost[i]!).comma().uint(d.on_hand[i]!).comma().uint(d.book_on_hand[i]!).byte(NEWLINE);
  }
  const stockouts = new ByteWriter(truth.stockouts.length * 96);
  for (const r of truth.stockouts) {
    stockouts.ascii(r.store_id).comma().ascii(r.sku).comma().ascii(iso(r.start)).comma().ascii(iso(r.end)).comma();
    stockouts.ascii(String(r.censored)).comma().uint(r.book_on_hand_at_start).byte(NEWLINE);
  }
  const anomalies = new ByteWriter(truth.anomalies.length * 320);
  for (const a of truth.anomalies) anomalies.utf8(JSON.stringify({ ...a, start_iso: iso(a.start), end_iso: iso(a.end) })).byte(NEWLINE);
  const waste = new ByteWriter(truth.waste.length * 96);
  for (const w of truth.waste) {
    waste.ascii(w.store_id).comma().ascii(w.sku).comma().ascii(w.date).comma().ascii(w.lot_id).comma().ascii(w.received_date).comma().ascii(w.expiry_date).comma();
    waste.uint(w.units).comma().uint(w.unit_cost).byte(NEWLINE);
  }
  return { hourly: hourly.bytes(), daily: daily.bytes(), stockouts: stockouts.bytes(), anomalies: anomalies.bytes(), waste: waste.bytes() };
}

/** Appends ground truth to the files of one output directory (synchronous, large chunks). */
export class GroundTruthWriter {
  private readonly fds: Record<'hourly' | 'daily' | 'stockouts' | 'anomalies' | 'waste', number>;

  constructor(readonly dir: string) {
    try {
      mkdirSync(dir, { recursive: true });
      // The manifest is written last, on success: a stale one must not describe these files.
      rmSync(join(dir, TRUTH_FILES.manifest), { force: true });
      const open = (name: string, header?: string): number => {
        const fd = openSync(join(dir, name), 'w');
        if (header) writeSync(fd, header + '\n');
        return fd;
      };
      this.fds = {
        hourly: open(TRUTH_FILES.hourly, CSV_HEADERS.hourly),
        daily: open(TRUTH_FILES.daily, CSV_HEADERS.daily),
        stockouts: open(TRUTH_FILES.stockouts, CSV_HEADERS.stockouts),
        anomalies: open(TRUTH_FILES.anomalies),
        waste: open(TRUTH_FILES.waste, CSV_HEADERS.waste),
      };
    } catch (error) {
      throw new ShelfStreamError('CONFIG_INVALID', `cannot write ground truth to ${dir}: ${describeError(error)}`, { cause: error });
    }
  }

  append(bytes: TruthBytes): void {
    for (const file of ['hourly', 'daily', 'stockouts', 'anomalies', 'waste'] as const) {
      const chunk = bytes[file];
      for (let at = 0; at < chunk.length; ) at += writeSync(this.fds[file], chunk, at, chunk.length - at);
    }
  }

  writeJson(name: string, value: unknown): void {
    writeFileSync(join(this.dir, name), JSON.stringify(value, null, 2) + '\n');
  }

  close(): void {
    for (const fd of Object.values(this.fds)) closeSync(fd);
  }
}

/**
 * chain.json: the master data plus the model's hidden inputs, so a reader can recompute the
 * expected demand (store factor, culture; product base rate, category index, case pack).
 */
export function chainDocument(chain: Chain): Record<string, unknown> {
  return {
    stores: chain.stores.map((s) => ({
      ...s.store,
      store_factor: s.factor,
      culture: s.region.culture,
      vat_rate: s.region.vatRate,
      local_per_eur: s.region.perEur,
      terminals: s.terminals,
    })),
    products: chain.products.map((p) => ({ ...p.product, base_rate: p.baseRate, case_pack: p.casePack })),
    categories: chain.categories.map((c) => ({
      name: c.name,
      season_amplitude: c.seasonAmplitude,
      season_peak_day: c.seasonPeakDay,
      elasticity: c.elasticity,
      lead_time_days: c.leadTimeDays,
    })),
  };
}

// ── reading it back (tests, benchmarks, evaluations) ─────────────────────────────────────

/** Parses one of the CSV files into objects keyed by the header, numbers converted. */
export function parseCsv(text: string): Record<string, string | number | boolean>[] {
  const [header, ...lines] = text.split('\n').filter((l) => l.length > 0);
  if (!header) return [];
  const names = header.split(',');
  return lines.map((line) => {
    const cells = line.split(',');
    const row: Record<string, string | number | boolean> = {};
    names.forEach((name, i) => {
      const cell = cells[i] ?? '';
      row[name] = cell === 'true' ? true : cell === 'false' ? false : /^-?\d+(\.\d+)?$/.test(cell) ? Number(cell) : cell;
    });
    return row;
  });
}
