import { businessDateOf, businessDayBounds, isoDate, offsetPeriods, utcOffsetSeconds } from './local-days';

const day = (iso: string): number => Date.parse(`${iso}T00:00:00Z`) / 86_400_000;

describe('store-local days', () => {
  it('gives the offsets of zones with and without daylight saving (hand-checked against the tz database)', () => {
    expect(utcOffsetSeconds('Asia/Dubai', Date.parse('2026-07-01T12:00:00Z'))).toBe(4 * 3600);
    expect(utcOffsetSeconds('Europe/Paris', Date.parse('2026-01-15T12:00:00Z'))).toBe(3600);
    expect(utcOffsetSeconds('Europe/Paris', Date.parse('2026-07-15T12:00:00Z'))).toBe(7200);
    expect(utcOffsetSeconds('America/New_York', Date.parse('2026-01-15T12:00:00Z'))).toBe(-5 * 3600);
    expect(utcOffsetSeconds('Asia/Kolkata', Date.parse('2026-01-15T12:00:00Z'))).toBe(5.5 * 3600);
  });

  it('finds each daylight-saving change to the minute: Paris moves at 01:00 UTC on the last Sundays of March and October 2026', () => {
    const periods = offsetPeriods('Europe/Paris', Date.parse('2026-01-01T00:00:00Z'), Date.parse('2027-01-01T00:00:00Z'));
    expect(periods.map((p) => [new Date(p.validFromMs).toISOString(), p.offsetS])).toEqual([
      ['2026-01-01T00:00:00.000Z', 3600],
      ['2026-03-29T01:00:00.000Z', 7200],
      ['2026-10-25T01:00:00.000Z', 3600],
    ]);
    expect(offsetPeriods('Asia/Dubai', Date.parse('2026-01-01T00:00:00Z'), Date.parse('2027-01-01T00:00:00Z'))).toHaveLength(1);
  });

  it('finds every change of seven years as an hour-by-hour scan does, in zones with odd rules', () => {
    // The reference: every hour of the range, then the minute of each change, by brute force.
    const from = Date.parse('2024-01-01T00:00:00Z');
    const to = Date.parse('2031-01-02T00:00:00Z');
    const scan = (zone: string): [string, number][] => {
      const out: [string, number][] = [[new Date(from).toISOString(), utcOffsetSeconds(zone, from)]];
      for (let t = from + 3_600_000; t < to; t += 3_600_000) {
        const offset = utcOffsetSeconds(zone, t);
        if (offset === out[out.length - 1]![1]) continue;
        let minute = t - 3_600_000;
        while (utcOffsetSeconds(zone, minute) !== offset) minute += 60_000;
        out.push([new Date(minute).toISOString(), offset]);
      }
      return out;
    };
    // Morocco's changes around Ramadan (weeks apart), Lord Howe's half-hour daylight saving,
    // Chatham's 45-minute offsets, Santiago's southern-hemisphere rules, and two plain ones.
    for (const zone of ['Africa/Casablanca', 'Australia/Lord_Howe', 'Pacific/Chatham', 'America/Santiago', 'Europe/Paris', 'Asia/Dubai']) {
      const found = offsetPeriods(zone, from, to).map((p): [string, number] => [new Date(p.validFromMs).toISOString(), p.offsetS]);
      expect([zone, found]).toEqual([zone, scan(zone)]);
    }
    // Casablanca alone changes twice a year around Ramadan: 14 changes in seven years at least.
    expect(offsetPeriods('Africa/Casablanca', from, to).length).toBeGreaterThan(14);
  });

  it('cuts business days at local midnight, 23 hours long on the spring change', () => {
    expect(businessDayBounds('Asia/Dubai', day('2026-03-19'))).toEqual({ startMs: Date.parse('2026-03-18T20:00:00Z'), endMs: Date.parse('2026-03-19T20:00:00Z') });
    const spring = businessDayBounds('Europe/Paris', day('2026-03-29'));
    expect(new Date(spring.startMs).toISOString()).toBe('2026-03-28T23:00:00.000Z');
    expect(new Date(spring.endMs).toISOString()).toBe('2026-03-29T22:00:00.000Z');
    const ny = businessDayBounds('America/New_York', day('2026-11-01'));
    expect((ny.endMs - ny.startMs) / 3_600_000).toBe(25);
    expect(isoDate(businessDateOf('America/New_York', Date.parse('2026-03-02T03:00:00Z')))).toBe('2026-03-01');
    expect(isoDate(businessDateOf('Asia/Dubai', Date.parse('2026-03-01T21:00:00Z')))).toBe('2026-03-02');
  });
});
