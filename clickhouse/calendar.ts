/**
 * Fills dim_date, holiday_calendar and region_calendar for a date range from the chain's
 * holiday rules (lib/domain/calendar.ts) and region table (lib/domain/regions.ts), which the
 * simulator's demand also follows: one source of holidays for the simulated demand and for BI,
 * never a second list. Holidays are written per calendar (western, muslim), not per region: the
 * dim_holiday view (migration 0041) gives them to every region, including regions of stores
 * imported after this fill, by the calendar a store declares or the region table's.
 *
 * The fill is idempotent and says whether it changed anything: every row carries a checksum
 * of the whole generated calendar (`calendar_version`); when ClickHouse already holds exactly
 * that version for every date of the range, nothing is written. Otherwise the range's
 * holidays are deleted and the tables rewritten (dim_date is a ReplacingMergeTree keyed by
 * date, so a new row replaces the old one), which also removes a holiday that a rule change
 * dropped.
 */
import { createHash } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { ShelfStreamError } from '../lib/errors';
import { refreshExchangeRates } from './exchange-rate-refresh';
import { FIRST_SUPPORTED_DAY, LAST_SUPPORTED_DAY, RAMADAN, civilFromDays, dayOfYear, daysFromCivil, formatDay, holidayEffects, isoDayOfWeek, parseDay, type Culture } from '../lib/domain/calendar';
import { REGIONS } from '../lib/domain/regions';

const MONTH_NAMES = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'] as const;
const DAY_NAMES = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'] as const;

export interface DateRow {
  readonly date: string;
  readonly year: number;
  readonly quarter: number;
  readonly month: number;
  readonly month_name: string;
  readonly day_of_month: number;
  readonly day_of_year: number;
  readonly day_of_week: number;
  readonly day_name: string;
  readonly iso_week: number;
  readonly iso_year: number;
  readonly is_weekend: boolean;
  readonly western_holidays: string;
  readonly muslim_holidays: string;
  readonly is_ramadan: boolean;
  readonly calendar_version: string;
}

export interface HolidayRow {
  readonly date: string;
  readonly culture: Culture;
  readonly holiday_name: string;
  readonly store_closed: boolean;
  readonly demand_factor: number;
  readonly calendar_version: string;
}

export interface RegionCalendarRow {
  readonly region: string;
  readonly culture: Culture;
  readonly calendar_version: string;
}

const checksum = (value: unknown): string => createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16);

export interface CalendarRows {
  readonly version: string;
  readonly dates: readonly DateRow[];
  readonly holidays: readonly HolidayRow[];
  readonly regions: readonly RegionCalendarRow[];
}

/** ISO 8601 week and week-numbering year: the week belongs to the year of its Thursday. */
export function isoWeek(day: number): { readonly week: number; readonly year: number } {
  const thursday = day - isoDayOfWeek(day) + 4;
  const year = civilFromDays(thursday).year;
  return { week: Math.floor((thursday - daysFromCivil(year, 1, 1)) / 7) + 1, year };
}

/**
 * The calendar rows for [from, to] (YYYY-MM-DD, inclusive). Refuses days outside the range
 * the holiday table covers: the Islamic holidays are a table for 2024-2030, and a date
 * dimension that silently lacked them would be wrong without anyone noticing.
 */
export function buildCalendar(from: string, to: string): CalendarRows {
  const first = parseDay(from);
  const last = parseDay(to);
  if (first > last) throw new ShelfStreamError('CONFIG_INVALID', `calendar range ${from}..${to} is empty: the first date is after the last`);
  if (first < FIRST_SUPPORTED_DAY || last > LAST_SUPPORTED_DAY) {
    throw new ShelfStreamError(
      'CONFIG_INVALID',
      `calendar range ${from}..${to} leaves ${formatDay(FIRST_SUPPORTED_DAY)}..${formatDay(LAST_SUPPORTED_DAY)}, the years whose Islamic holidays are known (lib/domain/calendar.ts ISLAMIC_DATES)`,
    );
  }
  const dates: Omit<DateRow, 'calendar_version'>[] = [];
  const holidays: Omit<HolidayRow, 'calendar_version'>[] = [];
  for (let day = first; day <= last; day++) {
    const { year, month, day: dayOfMonth } = civilFromDays(day);
    const dow = isoDayOfWeek(day);
    const iso = isoWeek(day);
    const western = holidayEffects('western', day);
    const muslim = holidayEffects('muslim', day);
    const date = formatDay(day);
    dates.push({
      date,
      year,
      quarter: Math.ceil(month / 3),
      month,
      month_name: MONTH_NAMES[month - 1]!,
      day_of_month: dayOfMonth,
      day_of_year: dayOfYear(day),
      day_of_week: dow,
      day_name: DAY_NAMES[dow - 1]!,
      iso_week: iso.week,
      iso_year: iso.year,
      is_weekend: dow >= 6,
      western_holidays: western.map((e) => e.name).join(', '),
      muslim_holidays: muslim.map((e) => e.name).join(', '),
      is_ramadan: muslim.some((e) => e.name === RAMADAN),
    });
    for (const [culture, effects] of [['western', western], ['muslim', muslim]] as const) {
      for (const effect of effects) {
        holidays.push({ date, culture, holiday_name: effect.name, store_closed: effect.closed === true, demand_factor: effect.factor });
      }
    }
  }
  const version = checksum([dates, holidays]);
  // The region table's own checksum: it does not depend on the date range, so filling two
  // ranges one after the other leaves it unchanged.
  const regions = REGIONS.map((r) => ({ region: r.region, culture: r.culture }));
  const regionsVersion = checksum(regions);
  return {
    version,
    dates: dates.map((d) => ({ ...d, calendar_version: version })),
    holidays: holidays.map((h) => ({ ...h, calendar_version: version })),
    regions: regions.map((r) => ({ ...r, calendar_version: regionsVersion })),
  };
}

export type CalendarOutcome = 'filled' | 'unchanged';

async function countVersion(client: ClickHouseClient, table: string, version: string, range?: { from: string; to: string }): Promise<{ rows: number; current: number }> {
  const result = await client.query({
    query: `SELECT count() AS rows, countIf(calendar_version = {version:String}) AS current FROM ${table} FINAL${range ? ' WHERE date BETWEEN {from:Date} AND {to:Date}' : ''}`,
    query_params: { version, ...range },
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ rows: string | number; current: string | number }>();
  return { rows: Number(row?.rows ?? 0), current: Number(row?.current ?? 0) };
}

/** Writes the calendar for [from, to] unless ClickHouse already holds exactly this version. */
export async function fillCalendar(client: ClickHouseClient, database: string, from: string, to: string): Promise<{ outcome: CalendarOutcome; dates: number; holidays: number }> {
  const calendar = buildCalendar(from, to);
  const dateTable = `${database}.dim_date`;
  const holidayTable = `${database}.holiday_calendar`;
  const regionTable = `${database}.region_calendar`;
  const [dates, holidays, regions] = await Promise.all([
    countVersion(client, dateTable, calendar.version, { from, to }),
    countVersion(client, holidayTable, calendar.version, { from, to }),
    countVersion(client, regionTable, calendar.regions[0]?.calendar_version ?? ''),
  ]);
  const summary = { dates: calendar.dates.length, holidays: calendar.holidays.length };
  const current = (found: { rows: number; current: number }, expected: number): boolean => found.rows === expected && found.current === found.rows;
  if (current(dates, calendar.dates.length) && current(holidays, calendar.holidays.length) && current(regions, calendar.regions.length)) {
    return { outcome: 'unchanged', ...summary };
  }

  // Holidays and regions a changed rule set no longer produces must go; dates are replaced by key.
  await client.command({
    query: `DELETE FROM ${holidayTable} WHERE date BETWEEN {from:Date} AND {to:Date}`,
    query_params: { from, to },
  });
  await client.command({ query: `DELETE FROM ${regionTable} WHERE calendar_version != {version:String}`, query_params: { version: calendar.regions[0]?.calendar_version ?? '' } });
  await client.insert({ table: dateTable, values: [...calendar.dates], format: 'JSONEachRow' });
  await client.insert({ table: holidayTable, values: [...calendar.holidays], format: 'JSONEachRow' });
  await client.insert({ table: regionTable, values: [...calendar.regions], format: 'JSONEachRow' });
  // exchange_rate_daily has a row per currency and calendar date: new dates carry a rate.
  await refreshExchangeRates(client, database);
  return { outcome: 'filled', ...summary };
}
