import { ISLAMIC_DATES, civilFromDays, daysFromCivil, easterSunday, formatDay, holidayEffects, HolidayCalendar, isoDayOfWeek, parseDay } from './calendar';
import { StoreClock } from './clock';

describe('civil dates', () => {
  it('round-trips every day of the supported years', () => {
    for (let d = daysFromCivil(2023, 12, 1); d <= daysFromCivil(2031, 1, 31); d++) {
      const c = civilFromDays(d);
      expect(daysFromCivil(c.year, c.month, c.day)).toBe(d);
      expect(parseDay(formatDay(d))).toBe(d);
    }
    expect(daysFromCivil(1970, 1, 1)).toBe(0);
    expect(Date.UTC(2026, 2, 20) / 86_400_000).toBe(parseDay('2026-03-20'));
  });

  it('knows the day of the week', () => {
    expect(isoDayOfWeek(parseDay('2026-01-01'))).toBe(4); // Thursday
    expect(isoDayOfWeek(parseDay('2026-03-20'))).toBe(5); // Friday
    expect(isoDayOfWeek(parseDay('2026-03-22'))).toBe(7); // Sunday
  });

  it('refuses what is not a date', () => {
    expect(() => parseDay('2026-02-30')).toThrow(/not a date/);
    expect(() => parseDay('20260101')).toThrow(/YYYY-MM-DD/);
  });
});

describe('moving holidays', () => {
  it('computes Easter Sunday', () => {
    // Published dates of western Easter.
    const known = { 2024: '2024-03-31', 2025: '2025-04-20', 2026: '2026-04-05', 2027: '2027-03-28', 2028: '2028-04-16', 2029: '2029-04-01', 2030: '2030-04-21' };
    for (const [year, date] of Object.entries(known)) expect(formatDay(easterSunday(Number(year)))).toBe(date);
  });

  // The table is the Umm al-Qura calendar; ICU implements it independently.
  const icu = (() => {
    try {
      return new Intl.DateTimeFormat('en-u-ca-islamic-umalqura', { timeZone: 'UTC', year: 'numeric', month: 'numeric', day: 'numeric' });
    } catch {
      return undefined;
    }
  })();
  const withIcu = icu?.resolvedOptions().calendar === 'islamic-umalqura' ? it : it.skip;

  withIcu('has the Umm al-Qura dates of Ramadan and both Eids', () => {
    const hijri = (date: string): [number, number, number] => {
      const parts = icu!.formatToParts(new Date(`${date}T12:00:00Z`));
      const get = (t: string): number => parseInt(parts.find((p) => p.type === t)?.value ?? 'NaN', 10);
      return [get('year') || get('relatedYear'), get('month'), get('day')];
    };
    for (const y of ISLAMIC_DATES) {
      expect([y.hijri, ...hijri(y.ramadanStart).slice(1)]).toEqual([y.hijri, 9, 1]);
      expect(hijri(y.eidAlFitr).slice(1)).toEqual([10, 1]);
      if (y.eidAlAdha) expect(hijri(y.eidAlAdha).slice(1)).toEqual([12, 10]);
    }
  });

  it('applies the culture tables, multiplying effects on the same day', () => {
    const names = (culture: 'western' | 'muslim', date: string): string[] => holidayEffects(culture, parseDay(date)).map((e) => e.name);
    expect(names('western', '2026-12-25')).toEqual(['Christmas Day']);
    expect(names('western', '2026-04-04')).toEqual(['Holy Saturday']);
    expect(names('muslim', '2026-12-25')).toEqual([]);
    expect(names('muslim', '2026-03-20')).toEqual(['Eid al-Fitr']);
    expect(names('muslim', '2026-03-19')).toEqual(['Ramadan', 'Eid al-Fitr preparations']);
    expect(names('muslim', '2026-05-26')).toEqual(['Eid al-Adha preparations']);

    const categories = ['Dairy', 'Confectionery', 'Meat & Fish'];
    const muslim = new HolidayCalendar('muslim', categories);
    const eve = muslim.day(parseDay('2026-03-19'));
    expect(eve.ramadan).toBe(true);
    expect(eve.categoryFactors[0]).toBeCloseTo(1.1 * 1.4, 12);
    expect(eve.categoryFactors[1]).toBeCloseTo(1.35 * 2.2, 12);
    expect(eve.categoryFactors[2]).toBeCloseTo(1.15 * 1.6, 12);
    const western = new HolidayCalendar('western', categories);
    expect(western.day(parseDay('2026-12-25')).closed).toBe(true);
    expect(western.day(parseDay('2026-04-05')).closed).toBe(true); // Easter Sunday
    expect(western.day(parseDay('2026-03-20')).categoryFactors[0]).toBe(1);
  });
});

describe('StoreClock', () => {
  it('follows daylight saving time and Morocco’s Ramadan clock', () => {
    const paris = new StoreClock('Europe/Paris');
    expect(paris.offsetMinutes(Date.parse('2026-01-15T12:00:00Z'))).toBe(60);
    expect(paris.offsetMinutes(Date.parse('2026-07-15T12:00:00Z'))).toBe(120);
    // The night the clocks go forward: local midnight is 23:00 UTC, the next one 22:00 UTC.
    expect(new Date(paris.localMidnight(parseDay('2026-03-29'))).toISOString()).toBe('2026-03-28T23:00:00.000Z');
    expect(new Date(paris.localMidnight(parseDay('2026-03-30'))).toISOString()).toBe('2026-03-29T22:00:00.000Z');
    const casablanca = new StoreClock('Africa/Casablanca');
    expect(casablanca.offsetMinutes(Date.parse('2026-03-01T12:00:00Z'))).toBe(0);
    expect(casablanca.offsetMinutes(Date.parse('2026-05-01T12:00:00Z'))).toBe(60);
    const dubai = new StoreClock('Asia/Dubai');
    expect(dubai.localDay(Date.parse('2026-03-19T20:00:00Z'))).toBe(parseDay('2026-03-20'));
  });

  it('refuses unknown and half-hour zones', () => {
    expect(() => new StoreClock('Mars/Olympus')).toThrow(/unknown IANA time zone/);
    expect(() => new StoreClock('Asia/Kolkata').offsetMinutes(0)).toThrow(/whole-hour/);
  });
});
