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
 * store's culture, time zone and a sku's category are master data, an input of the processor
 * read from md.stores and md.products (streams/shared/master-data.ts: a barrier before a key is
 * taken for absent). A store or sku with no master data has no calendar: its risk is the plain
 * rolling rate (the neutral factor 1 every day, UTC days), on every run alike.
 */
import { type Culture, CULTURES, holidayEffects } from '../../lib/domain/calendar';
import { REGIONS } from '../../lib/domain/regions';
import { StoreClock } from '../../lib/domain/time-zones';
import { DAY_MS } from '../../lib/domain/time';
import { NO_MASTER_DATA, type MasterDataLookup, type StoreMaster } from '../shared/master-data';

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
function cultureOf(store: StoreMaster): Culture | undefined {
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

/**
 * The calendars of the stores and skus of the master data (lookups are pure: the master data's
 * barrier runs before the record, see master-data.ts). A store's clock and culture are derived
 * once per version of its record.
 */
export class DemandCalendars {
  private readonly stores = new Map<string, { readonly record: StoreMaster; readonly day: { clock: StoreClock; culture: Culture } | undefined }>();
  private readonly clocks = new Map<string, StoreClock>();
  private readonly factors = new HolidayFactors();

  constructor(private readonly master: MasterDataLookup) {}

  private storeDays(storeId: string): { clock: StoreClock; culture: Culture } | undefined {
    const record = this.master.store(storeId);
    if (!record) return undefined;
    const cached = this.stores.get(storeId);
    if (cached?.record === record) return cached.day;
    const culture = cultureOf(record);
    let day: { clock: StoreClock; culture: Culture } | undefined;
    if (culture !== undefined && record.time_zone !== '') {
      const clock = this.clocks.get(record.time_zone) ?? this.clocks.set(record.time_zone, new StoreClock(record.time_zone)).get(record.time_zone)!;
      day = { clock, culture };
    }
    this.stores.set(storeId, { record, day });
    return day;
  }

  store(storeId: string): StoreCalendar | undefined {
    const s = this.storeDays(storeId);
    if (!s) return undefined;
    return { dayOf: (at) => s.clock.localDay(at), factor: (day) => this.factors.of(s.culture, day, null) };
  }

  sku(storeId: string, sku: string): SkuCalendar | undefined {
    const s = this.storeDays(storeId);
    const category = this.master.product(sku)?.category;
    if (!s || category === undefined || category === '') return undefined;
    return {
      localTime: (at) => s.clock.local(at),
      dayOf: (at) => s.clock.localDay(at),
      startOf: (day) => s.clock.utcOf(day, 0),
      factor: (day) => this.factors.of(s.culture, day, category),
    };
  }
}

/** No calendar: every store and sku keeps the plain rolling rate. */
export const NO_CALENDARS = new DemandCalendars(NO_MASTER_DATA);

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
