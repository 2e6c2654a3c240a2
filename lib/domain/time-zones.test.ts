import { parseDay } from './calendar';
import { StoreClock } from './time-zones';

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

  it('refuses an unknown zone and keeps half-hour ones', () => {
    expect(() => new StoreClock('Mars/Olympus')).toThrow(/unknown IANA time zone/);
    expect(new StoreClock('Asia/Kolkata').offsetMinutes(0)).toBe(330);
  });
});
