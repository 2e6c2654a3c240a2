import { ISLAMIC_DATES, civilFromDays, daysFromCivil, easterSunday, formatDay, holidayEffects, isoDayOfWeek, parseDay } from './calendar';

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

  });
});
