import { inLocalSpan, localDate, nextLocalTime } from './local-time';

describe('store-local times', () => {
  it('finds the next 07:00 in Berlin in winter (UTC+1) and summer (UTC+2)', () => {
    expect(new Date(nextLocalTime(Date.parse('2026-12-05T08:00:00Z'), 'Europe/Berlin', '07:00')).toISOString()).toBe('2026-12-06T06:00:00.000Z');
    expect(new Date(nextLocalTime(Date.parse('2026-07-05T04:00:00Z'), 'Europe/Berlin', '07:00')).toISOString()).toBe('2026-07-05T05:00:00.000Z');
  });

  it('crosses the spring-forward night (29 March 2026 in Berlin)', () => {
    expect(new Date(nextLocalTime(Date.parse('2026-03-28T12:00:00Z'), 'Europe/Berlin', '07:00')).toISOString()).toBe('2026-03-29T05:00:00.000Z');
  });

  it('is strictly after the given instant', () => {
    const at = Date.parse('2026-12-06T06:00:00Z');
    expect(nextLocalTime(at, 'Europe/Berlin', '07:00')).toBe(Date.parse('2026-12-07T06:00:00Z'));
  });

  it('knows quiet hours that wrap past midnight', () => {
    expect(inLocalSpan(Date.parse('2026-12-05T22:30:00Z'), 'Europe/London', '22:00', '06:00')).toBe(true);
    expect(inLocalSpan(Date.parse('2026-12-06T05:59:00Z'), 'Europe/London', '22:00', '06:00')).toBe(true);
    expect(inLocalSpan(Date.parse('2026-12-06T06:00:00Z'), 'Europe/London', '22:00', '06:00')).toBe(false);
    expect(inLocalSpan(Date.parse('2026-12-05T12:00:00Z'), 'America/New_York', '12:00', '13:00')).toBe(false);
    expect(inLocalSpan(Date.parse('2026-12-05T17:30:00Z'), 'America/New_York', '12:00', '13:00')).toBe(true);
  });

  it('gives the local date', () => {
    expect(localDate(Date.parse('2026-12-05T23:30:00Z'), 'Asia/Tokyo')).toBe('2026-12-06');
  });
});
