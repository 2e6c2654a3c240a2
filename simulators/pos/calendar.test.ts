import { parseDay } from '../../lib/domain/calendar';
import { HolidayCalendar } from './calendar';
import { WholeHourStoreClock } from './clock';

describe('HolidayCalendar', () => {
  it('multiplies the effects of one day per category', () => {
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

describe('WholeHourStoreClock', () => {
  it('refuses half-hour zones, which the simulator cannot step through', () => {
    expect(() => new WholeHourStoreClock('Asia/Kolkata').offsetMinutes(0)).toThrow(/whole-hour/);
    expect(new WholeHourStoreClock('Asia/Dubai').offsetMinutes(0)).toBe(240);
  });
});
