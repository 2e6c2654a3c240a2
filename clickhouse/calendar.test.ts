import { buildCalendar, isoWeek } from './calendar';
import { parseDay } from '../lib/domain/calendar';

describe('isoWeek', () => {
  it('follows ISO 8601 around New Year', () => {
    // Published ISO weeks: 2026-01-01 is a Thursday (week 1); 2027-01-01 a Friday, still in
    // week 53 of 2026; 2024-12-30 a Monday, already week 1 of 2025.
    expect(isoWeek(parseDay('2026-01-01'))).toEqual({ week: 1, year: 2026 });
    expect(isoWeek(parseDay('2027-01-01'))).toEqual({ week: 53, year: 2026 });
    expect(isoWeek(parseDay('2024-12-30'))).toEqual({ week: 1, year: 2025 });
    expect(isoWeek(parseDay('2026-06-15'))).toEqual({ week: 25, year: 2026 });
  });
});

describe('buildCalendar', () => {
  it('writes one row per date and one per calendar x holiday, from the shared rules', () => {
    const calendar = buildCalendar('2026-03-18', '2026-03-22');
    expect(calendar.dates.map((d) => d.date)).toEqual(['2026-03-18', '2026-03-19', '2026-03-20', '2026-03-21', '2026-03-22']);
    const eid = calendar.dates.find((d) => d.date === '2026-03-20')!;
    expect(eid).toMatchObject({ day_name: 'Friday', day_of_week: 5, is_weekend: false, is_ramadan: false, muslim_holidays: 'Eid al-Fitr', quarter: 1 });
    // The last days of Ramadan are also Eid preparations (effects combine in the simulator).
    expect(calendar.dates.find((d) => d.date === '2026-03-19')).toMatchObject({ is_ramadan: true, muslim_holidays: 'Ramadan, Eid al-Fitr preparations' });
    const muslim = calendar.holidays.filter((h) => h.culture === 'muslim' && h.date === '2026-03-20');
    expect(muslim).toEqual([expect.objectContaining({ holiday_name: 'Eid al-Fitr', demand_factor: 0.6, store_closed: false })]);
    expect(new Set(calendar.holidays.map((h) => h.calendar_version))).toEqual(new Set([calendar.version]));
    // Morocco keeps the muslim calendar, France the western one (the region table).
    expect(calendar.regions.filter((r) => r.region === 'Morocco' || r.region === 'France').map((r) => [r.region, r.culture])).toEqual([
      ['France', 'western'],
      ['Morocco', 'muslim'],
    ]);
  });

  it('versions the region table apart from the date range', () => {
    const a = buildCalendar('2026-01-01', '2026-01-31');
    const b = buildCalendar('2026-03-01', '2026-03-31');
    expect(a.version).not.toBe(b.version);
    expect(a.regions).toEqual(b.regions);
  });

  it('gives the same version for the same rules and range, another for another range', () => {
    expect(buildCalendar('2026-01-01', '2026-01-31').version).toBe(buildCalendar('2026-01-01', '2026-01-31').version);
    expect(buildCalendar('2026-01-01', '2026-01-31').version).not.toBe(buildCalendar('2026-01-01', '2026-02-28').version);
  });

  it('refuses ranges the holiday table does not cover, and empty ranges', () => {
    expect(() => buildCalendar('2023-12-01', '2024-01-31')).toThrow(/Islamic holidays are known/);
    expect(() => buildCalendar('2030-01-01', '2031-01-31')).toThrow(/Islamic holidays are known/);
    expect(() => buildCalendar('2026-02-01', '2026-01-01')).toThrow(/empty/);
  });
});
