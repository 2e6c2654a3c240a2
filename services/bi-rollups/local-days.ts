/**
 * Store-local time without ClickHouse's help: ClickHouse takes a time zone only as a constant,
 * so the BI views read a store's UTC offsets from a table (dim_store_utc_offset), and the
 * closing job needs each business day's bounds as UTC instants. Both come from the IANA zone
 * through Intl, here, as pure functions.
 */
import { DAY_MS, HOUR_MS } from '../../lib/domain/time';

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterOf(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Local time minus UTC at an instant, in seconds (throws RangeError for an unknown zone). */
export function utcOffsetSeconds(timeZone: string, atMs: number): number {
  const parts = Object.fromEntries(formatterOf(timeZone).formatToParts(new Date(atMs)).map((p) => [p.type, p.value]));
  const asUtc = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
  return Math.round((asUtc - Math.floor(atMs / 1000) * 1000) / 1000);
}

export interface OffsetPeriod {
  /** First instant (UTC, ms) of the offset. */
  readonly validFromMs: number;
  readonly offsetS: number;
}

/** Computed once per zone and range: a chain's stores share a handful of zones. */
const periodsByZone = new Map<string, readonly OffsetPeriod[]>();

/**
 * The zone's offsets over [fromMs, toMs): the offset at fromMs, then one period per change.
 * Zones change on a whole quarter hour (UTC), so a change found between two hourly samples
 * is located to the minute by bisection.
 *
 * A day at a time first: each Intl lookup costs about 6 us, and hourly samples over the
 * calendar's seven years were 61k lookups a store, 18 s of the closing job's first cycle on the
 * event loop of `run all` for a chain of 50 stores (every BI query waited). A day whose offset
 * at its end is the one it started with is taken as unchanged; one that differs is searched
 * hour by hour. Two changes within one day that cancel each other would be missed: the tz
 * database has none (changes are months apart; the closest, Morocco's around Ramadan, weeks).
 */
export function offsetPeriods(timeZone: string, fromMs: number, toMs: number): readonly OffsetPeriod[] {
  const key = `${timeZone}|${fromMs}|${toMs}`;
  const cached = periodsByZone.get(key);
  if (cached) return cached;
  const start = Math.floor(fromMs / HOUR_MS) * HOUR_MS;
  const lastSample = start + Math.floor((toMs - 1 - start) / HOUR_MS) * HOUR_MS; // the last hour before toMs
  const periods: OffsetPeriod[] = [{ validFromMs: start, offsetS: utcOffsetSeconds(timeZone, start) }];
  let previous = periods[0]!.offsetS;
  for (let dayStart = start; dayStart < lastSample; ) {
    const dayEnd = Math.min(dayStart + DAY_MS, lastSample);
    if (utcOffsetSeconds(timeZone, dayEnd) !== previous) {
      for (let t = dayStart + HOUR_MS; t <= dayEnd; t += HOUR_MS) {
        const offset = utcOffsetSeconds(timeZone, t);
        if (offset === previous) continue;
        let lo = t - HOUR_MS; // still the previous offset
        let hi = t; // already the new one
        while (hi - lo > 60_000) {
          const mid = lo + Math.floor((hi - lo) / 120_000) * 60_000;
          if (utcOffsetSeconds(timeZone, mid) === previous) lo = mid;
          else hi = mid;
        }
        periods.push({ validFromMs: hi, offsetS: offset });
        previous = offset;
      }
    }
    dayStart = dayEnd;
  }
  periodsByZone.set(key, periods);
  return periods;
}

/** A business date (days since 1970-01-01, local) as 'YYYY-MM-DD'. */
export function isoDate(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/**
 * The UTC instants of the local midnights that start and end a business date: 24 hours apart,
 * or 23 / 25 on the day a daylight-saving change falls.
 */
export function businessDayBounds(timeZone: string, day: number): { readonly startMs: number; readonly endMs: number } {
  return { startMs: localMidnightUtc(timeZone, day), endMs: localMidnightUtc(timeZone, day + 1) };
}

function localMidnightUtc(timeZone: string, day: number): number {
  // Guess with the offset at UTC midnight, then correct once with the offset at the guess (a
  // change between the two moves midnight by its size; none happens twice within hours).
  const utcMidnight = day * DAY_MS;
  let guess = utcMidnight - utcOffsetSeconds(timeZone, utcMidnight) * 1000;
  guess = utcMidnight - utcOffsetSeconds(timeZone, guess) * 1000;
  return guess;
}

/** The business date (days since 1970-01-01, local) of an instant. */
export function businessDateOf(timeZone: string, atMs: number): number {
  return Math.floor((atMs + utcOffsetSeconds(timeZone, atMs) * 1000) / DAY_MS);
}
