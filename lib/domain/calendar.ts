/**
 * Dates and holidays of the chain's calendar, one source for the simulator's demand, the
 * ClickHouse date and holiday dimensions (clickhouse/calendar.ts) and the forecast features.
 * Days are whole numbers (days since 1970-01-01, the store's local date),
 * converted without Date objects (Howard Hinnant's civil-date algorithms), so the hot path can
 * ask "which day of the week, which holiday" millions of times cheaply.
 *
 * Holidays come in two kinds: fixed dates (Christmas, New Year) and moving ones: Easter
 * (computed) and the Islamic holidays (Ramadan, Eid al-Fitr, Eid al-Adha), which follow the
 * lunar Hijri calendar and move about 11 days earlier each Gregorian year. Their dates are a
 * table (ISLAMIC_DATES) for the years supported, 2024-2030.
 */
import { ShelfStreamError } from '../errors';

// ── civil dates ──────────────────────────────────────────────────────────────────────────

export interface CivilDate {
  readonly year: number;
  readonly month: number; // 1..12
  readonly day: number; // 1..31
}

/** Days since 1970-01-01 of a proleptic Gregorian date. */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

export function civilFromDays(days: number): CivilDate {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

/** ISO day of week: 1 = Monday ... 7 = Sunday (1970-01-01 was a Thursday). */
export function isoDayOfWeek(days: number): number {
  return ((((days + 3) % 7) + 7) % 7) + 1;
}

/** Day of the year, 1 = 1 January. */
export function dayOfYear(days: number): number {
  return days - daysFromCivil(civilFromDays(days).year, 1, 1) + 1;
}

export function formatDay(days: number): string {
  const { year, month, day } = civilFromDays(days);
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** Parses YYYY-MM-DD into a day number; throws CONFIG_INVALID naming the value otherwise. */
export function parseDay(text: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (m) {
    const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const days = daysFromCivil(year, month, day);
    const back = civilFromDays(days);
    if (back.year === year && back.month === month && back.day === day) return days;
  }
  throw new ShelfStreamError('CONFIG_INVALID', `"${text}" is not a date: expected YYYY-MM-DD, e.g. 2026-01-01`);
}

// ── moving holidays ──────────────────────────────────────────────────────────────────────

/** Easter Sunday (Gregorian, western churches): the anonymous algorithm (Meeus/Jones/Butcher). */
export function easterSunday(year: number): number {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return daysFromCivil(year, month, day);
}

export interface IslamicYear {
  /** Hijri year. */
  readonly hijri: number;
  /** 1 Ramadan: the first day of fasting. */
  readonly ramadanStart: string;
  /** 1 Shawwal: Eid al-Fitr, the day after Ramadan ends. */
  readonly eidAlFitr: string;
  /** 10 Dhu al-Hijjah: Eid al-Adha; null when it falls after the supported range. */
  readonly eidAlAdha: string | null;
}

/**
 * Gregorian dates of Ramadan and the two Eids, 1445-1452 AH (covering 2024-2030).
 * Source: the Umm al-Qura calendar, Saudi Arabia's official civil calendar (published by
 * KACST), as tabulated by ICU's `islamic-umalqura` calendar (Unicode CLDR/ICU 74+); the unit
 * test checks every date against ICU through Intl. Real observance is set by moon sighting and
 * may differ by a day between countries (e.g. Eid al-Fitr 1446 was 30 March 2025 in Saudi
 * Arabia and the UAE, 31 March in Morocco and Turkey); the simulator uses this one table for
 * every region.
 */
export const ISLAMIC_DATES: readonly IslamicYear[] = [
  { hijri: 1445, ramadanStart: '2024-03-11', eidAlFitr: '2024-04-10', eidAlAdha: '2024-06-16' },
  { hijri: 1446, ramadanStart: '2025-03-01', eidAlFitr: '2025-03-30', eidAlAdha: '2025-06-06' },
  { hijri: 1447, ramadanStart: '2026-02-18', eidAlFitr: '2026-03-20', eidAlAdha: '2026-05-27' },
  { hijri: 1448, ramadanStart: '2027-02-08', eidAlFitr: '2027-03-09', eidAlAdha: '2027-05-16' },
  { hijri: 1449, ramadanStart: '2028-01-28', eidAlFitr: '2028-02-26', eidAlAdha: '2028-05-05' },
  { hijri: 1450, ramadanStart: '2029-01-16', eidAlFitr: '2029-02-14', eidAlAdha: '2029-04-24' },
  { hijri: 1451, ramadanStart: '2030-01-05', eidAlFitr: '2030-02-04', eidAlAdha: '2030-04-13' },
  // Two Ramadans begin in 2030: 1452 starts on 26 December.
  { hijri: 1452, ramadanStart: '2030-12-26', eidAlFitr: '2031-01-24', eidAlAdha: null },
];

/** The calendar (and so the simulator and dim_date) covers only the years the holiday table completes. */
export const FIRST_SUPPORTED_DAY = daysFromCivil(2024, 1, 1);
export const LAST_SUPPORTED_DAY = daysFromCivil(2030, 12, 31);

// ── holiday effects ──────────────────────────────────────────────────────────────────────

/**
 * How a region's shoppers keep holidays. `western`: Christmas, New Year and Easter dominate,
 * the Islamic holidays are kept by a minority. `muslim`: Ramadan and the two Eids dominate.
 */
export type Culture = 'western' | 'muslim';

/** Every culture the holiday rules know: the values a store's holiday_calendar may take. */
export const CULTURES: readonly Culture[] = ['western', 'muslim'];

export interface HolidayEffect {
  readonly name: string;
  /** Demand multiplier for every category not listed in `categories`. */
  readonly factor: number;
  /** Category-specific multipliers that replace `factor` for that category. */
  readonly categories?: Readonly<Record<string, number>>;
  /** Stores close for the day: no sales, deliveries or counts. */
  readonly closed?: boolean;
}

type Rule = (day: number, year: number) => HolidayEffect | undefined;

const on = (target: number, day: number, effect: HolidayEffect): HolidayEffect | undefined => (day === target ? effect : undefined);
const within = (first: number, last: number, day: number, effect: HolidayEffect): HolidayEffect | undefined =>
  day >= first && day <= last ? effect : undefined;

interface IslamicDays {
  readonly ramadanStart: number;
  readonly eidAlFitr: number;
  readonly eidAlAdha: number | null;
}

const ISLAMIC_DAYS: readonly IslamicDays[] = ISLAMIC_DATES.map((y) => ({
  ramadanStart: parseDay(y.ramadanStart),
  eidAlFitr: parseDay(y.eidAlFitr),
  eidAlAdha: y.eidAlAdha ? parseDay(y.eidAlAdha) : null,
}));

function islamicRules(effects: {
  ramadan?: HolidayEffect;
  beforeFitr: HolidayEffect;
  fitr: HolidayEffect;
  afterFitr?: HolidayEffect;
  beforeAdha: HolidayEffect;
  adha: HolidayEffect;
  afterAdha?: HolidayEffect;
}): Rule[] {
  const rules: Rule[] = [];
  for (const y of ISLAMIC_DAYS) {
    if (effects.ramadan) rules.push((d) => within(y.ramadanStart, y.eidAlFitr - 1, d, effects.ramadan!));
    rules.push((d) => within(y.eidAlFitr - 3, y.eidAlFitr - 1, d, effects.beforeFitr));
    rules.push((d) => on(y.eidAlFitr, d, effects.fitr));
    if (effects.afterFitr) rules.push((d) => within(y.eidAlFitr + 1, y.eidAlFitr + 2, d, effects.afterFitr!));
    if (y.eidAlAdha !== null) {
      const adha = y.eidAlAdha;
      rules.push((d) => within(adha - 3, adha - 1, d, effects.beforeAdha));
      rules.push((d) => on(adha, d, effects.adha));
      if (effects.afterAdha) rules.push((d) => within(adha + 1, adha + 2, d, effects.afterAdha!));
    }
  }
  return rules;
}

/** Names of the effects that mark Ramadan; the demand model switches hour profile on them. */
export const RAMADAN = 'Ramadan';

/**
 * The holiday tables, documented in simulators/README.md. Several effects on one day
 * multiply (the last three days of Ramadan are both Ramadan and Eid preparations).
 */
export const HOLIDAY_RULES: Readonly<Record<Culture, readonly Rule[]>> = {
  western: [
    (d, y) => on(daysFromCivil(y, 1, 1), d, { name: "New Year's Day", factor: 0, closed: true }),
    (d, y) => within(daysFromCivil(y, 12, 18), daysFromCivil(y, 12, 23), d, { name: 'Christmas shopping', factor: 1.2, categories: { Confectionery: 1.6, 'Meat & Fish': 1.4 } }),
    (d, y) => on(daysFromCivil(y, 12, 24), d, { name: 'Christmas Eve', factor: 1.5, categories: { 'Meat & Fish': 2.2, Confectionery: 1.8, Bakery: 1.8 } }),
    (d, y) => on(daysFromCivil(y, 12, 25), d, { name: 'Christmas Day', factor: 0, closed: true }),
    (d, y) => on(daysFromCivil(y, 12, 26), d, { name: 'Boxing Day', factor: 0.8 }),
    (d, y) => on(daysFromCivil(y, 12, 31), d, { name: "New Year's Eve", factor: 1.3, categories: { Beverages: 2, 'Meat & Fish': 1.5 } }),
    (d, y) => on(easterSunday(y) - 2, d, { name: 'Good Friday', factor: 1.1, categories: { 'Meat & Fish': 1.5 } }),
    (d, y) => on(easterSunday(y) - 1, d, { name: 'Holy Saturday', factor: 1.4, categories: { Confectionery: 2.5, 'Meat & Fish': 1.6 } }),
    (d, y) => on(easterSunday(y), d, { name: 'Easter Sunday', factor: 0, closed: true }),
    (d, y) => on(easterSunday(y) + 1, d, { name: 'Easter Monday', factor: 0.7 }),
    ...islamicRules({
      beforeFitr: { name: 'Eid al-Fitr preparations', factor: 1, categories: { Confectionery: 1.15, 'Meat & Fish': 1.1 } },
      fitr: { name: 'Eid al-Fitr', factor: 1 },
      beforeAdha: { name: 'Eid al-Adha preparations', factor: 1, categories: { 'Meat & Fish': 1.2 } },
      adha: { name: 'Eid al-Adha', factor: 1 },
    }),
  ],
  muslim: [
    (d, y) => on(daysFromCivil(y, 1, 1), d, { name: "New Year's Day", factor: 0.9 }),
    (d, y) => on(daysFromCivil(y, 12, 31), d, { name: "New Year's Eve", factor: 1.1 }),
    ...islamicRules({
      ramadan: { name: RAMADAN, factor: 1.1, categories: { Confectionery: 1.35, Beverages: 1.2, Bakery: 1.2, 'Meat & Fish': 1.15 } },
      beforeFitr: { name: 'Eid al-Fitr preparations', factor: 1.4, categories: { Confectionery: 2.2, 'Meat & Fish': 1.6 } },
      fitr: { name: 'Eid al-Fitr', factor: 0.6 },
      afterFitr: { name: 'Eid al-Fitr holidays', factor: 0.85 },
      beforeAdha: { name: 'Eid al-Adha preparations', factor: 1.3, categories: { 'Meat & Fish': 2.5 } },
      adha: { name: 'Eid al-Adha', factor: 0.6, categories: { 'Meat & Fish': 0.4 } },
      afterAdha: { name: 'Eid al-Adha holidays', factor: 0.85 },
    }),
  ],
};

export function holidayEffects(culture: Culture, day: number): HolidayEffect[] {
  const year = civilFromDays(day).year;
  const out: HolidayEffect[] = [];
  for (const rule of HOLIDAY_RULES[culture]) {
    const effect = rule(day, year);
    if (effect) out.push(effect);
  }
  return out;
}
