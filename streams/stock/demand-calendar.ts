/**
 * What the calendar tells the stock risk about demand that a rolling rate cannot see coming:
 * the holidays of the store's culture (lib/domain/calendar.ts, the table dim_holiday and the
 * forecast's holiday_factor come from), by the sku's category, on the store's local days.
 *
 * Measured on the simulator (the stock-warnings bench's seasons): given the true mean demand, the
 * processor's own delivery horizon already warns as well as the oracle does; what it lacked was
 * the demand. Before Christmas the 10-day rate trailed the true demand by 10-18%, and on closed
 * days (Christmas, New Year's Day) it expected sales that could not happen, so year-end warnings
 * reached a third of the oracle's recall. With the calendar the rate learns a holiday-free base
 * (each day's units divided by its factor; a closed day is not a day of the rate at all) and the
 * horizon's expected units are that base times each coming day's factor.
 *
 * Known at the time, deterministic under replay: the factors are a fixed table of dates, and a
 * store's culture, time zone and a sku's category are master data (md.stores, md.products), which
 * the processor reads from dim_store and dim_product when a task starts (`loadStockMasterData`).
 * A store or sku not in the master data when the task started has no calendar: its risk is the
 * plain rolling rate, as before (a restart picks it up).
 */
import { type Culture, CULTURES, holidayEffects } from '../../lib/domain/calendar';
import { REGIONS } from '../../lib/domain/regions';
import { StoreClock } from '../../lib/domain/time-zones';
import { DAY_MS } from '../../lib/domain/time';

/** The master data the calendar needs, as md.stores and md.products publish it. */
export interface StockMasterData {
  readonly stores: readonly { readonly store_id: string; readonly region: string; readonly time_zone: string; readonly holiday_calendar?: string | null }[];
  readonly products: readonly { readonly sku: string; readonly category: string }[];
}

/** One store x sku's days: local day numbers, where they start, and the demand factor of each. */
export interface SkuCalendar {
  /** Local wall-clock time of `at` as if it were UTC (so / DAY_MS gives the local day). */
  localTime(at: number): number;
  /** The local day (days since 1970-01-01) holding instant `at`. */
  dayOf(at: number): number;
  /** The UTC instant local day `day` begins. */
  startOf(day: number): number;
  /** Demand multiplier of the sku's category on local day `day`; 0 when the store stays closed. */
  factor(day: number): number;
}

/** One store's days, for what all its skus share (the hour-of-week shape). */
export interface StoreCalendar {
  dayOf(at: number): number;
  /** Demand multiplier of the store's categories not named by a holiday; 0 when it stays closed. */
  factor(day: number): number;
}

/** The culture a store keeps: its own holiday_calendar, else its region's in the chain's region table. */
function cultureOf(store: StockMasterData['stores'][number]): Culture | undefined {
  const own = store.holiday_calendar ?? '';
  if ((CULTURES as readonly string[]).includes(own)) return own as Culture;
  return REGIONS.find((r) => r.region === store.region)?.culture;
}

/** Holiday factor of a culture, day and category (null category: the default factor), cached: asked for every sale. */
class HolidayFactors {
  private readonly cache = new Map<string, number>();

  of(culture: Culture, day: number, category: string | null): number {
    const key = `${culture}\u0000${day}\u0000${category ?? ''}`;
    let f = this.cache.get(key);
    if (f === undefined) {
      f = 1;
      for (const effect of holidayEffects(culture, day)) f *= effect.closed ? 0 : category === null ? effect.factor : (effect.categories?.[category] ?? effect.factor);
      this.cache.set(key, f);
    }
    return f;
  }
}

/** The calendars of the stores and skus in the master data (lookups are pure). */
export class DemandCalendars {
  private readonly stores = new Map<string, { clock: StoreClock; culture: Culture }>();
  private readonly categories = new Map<string, string>();
  private readonly factors = new HolidayFactors();

  constructor(master: StockMasterData) {
    const clocks = new Map<string, StoreClock>();
    for (const s of master.stores) {
      const culture = cultureOf(s);
      if (culture === undefined || s.time_zone === '') continue;
      const clock = clocks.get(s.time_zone) ?? clocks.set(s.time_zone, new StoreClock(s.time_zone)).get(s.time_zone)!;
      this.stores.set(s.store_id, { clock, culture });
    }
    for (const p of master.products) if (p.category !== '') this.categories.set(p.sku, p.category);
  }

  get size(): number {
    return this.stores.size;
  }

  store(storeId: string): StoreCalendar | undefined {
    const s = this.stores.get(storeId);
    if (!s) return undefined;
    return { dayOf: (at) => s.clock.localDay(at), factor: (day) => this.factors.of(s.culture, day, null) };
  }

  sku(storeId: string, sku: string): SkuCalendar | undefined {
    const s = this.stores.get(storeId);
    const category = this.categories.get(sku);
    if (!s || category === undefined) return undefined;
    return {
      localTime: (at) => s.clock.local(at),
      dayOf: (at) => s.clock.localDay(at),
      startOf: (day) => s.clock.utcOf(day, 0),
      factor: (day) => this.factors.of(s.culture, day, category),
    };
  }
}

/** No calendar: every store and sku keeps the plain rolling rate. */
export const NO_CALENDARS = new DemandCalendars({ stores: [], products: [] });

/**
 * The current master data from dim_store and dim_product (FINAL: the newest version of each).
 * Rows missing a field are skipped, so a store half-described never gets a wrong calendar.
 */
export async function loadStockMasterData(query: <T>(sql: string) => Promise<T[]>, database: string): Promise<StockMasterData> {
  const stores = await query<Record<string, unknown>>(`SELECT store_id, region, time_zone, holiday_calendar FROM ${database}.dim_store FINAL`);
  const products = await query<Record<string, unknown>>(`SELECT sku, category FROM ${database}.dim_product FINAL`);
  const text = (v: unknown): v is string => typeof v === 'string';
  return {
    stores: stores.filter((s) => text(s.store_id) && text(s.region) && text(s.time_zone)).map((s) => ({ store_id: s.store_id as string, region: s.region as string, time_zone: s.time_zone as string, holiday_calendar: text(s.holiday_calendar) ? s.holiday_calendar : null })),
    products: products.filter((p) => text(p.sku) && text(p.category)).map((p) => ({ sku: p.sku as string, category: p.category as string })),
  };
}

/** Local days from the day holding `from` to the one holding `to`, each with the part of [from, to) it covers. */
export function* localDaysBetween(calendar: SkuCalendar, from: number, to: number): Generator<{ day: number; from: number; to: number }> {
  let day = calendar.dayOf(from);
  let start = from;
  // A day is 23 to 25 hours; the guard only stops a broken clock from looping forever.
  for (let guard = 0; start < to && guard < 400; guard++) {
    const next = calendar.startOf(day + 1);
    const end = Math.min(to, next > start ? next : start + DAY_MS);
    yield { day, from: start, to: end };
    start = end;
    day++;
  }
}
