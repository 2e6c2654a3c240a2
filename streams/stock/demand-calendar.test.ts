import { DemandCalendars, localDaysBetween } from './demand-calendar';
import { DailyRate, cumulativeShares, estimateRisk, expectedBetween, DAY_MS, HOUR_MS } from './risk';
import { daysFromCivil } from '../../lib/domain/calendar';
import { staticMasterData } from '../shared/master-data';

const master = {
  stores: [
    { store_id: 'S-PARIS', region: 'France', time_zone: 'Europe/Paris', holiday_calendar: 'western' },
    // No calendar of its own: its region's (muslim) in the chain's region table.
    { store_id: 'S-DUBAI', region: 'United Arab Emirates', time_zone: 'Asia/Dubai', holiday_calendar: null },
  ],
  products: [
    { sku: 'SKU-CHOC', category: 'Confectionery' },
    { sku: 'SKU-SOAP', category: 'Household' },
  ],
};
const calendars = new DemandCalendars(staticMasterData(master));
const day = (y: number, m: number, d: number): number => daysFromCivil(y, m, d);

describe('holiday factors of a store x sku', () => {
  it('follow the culture and the category (the holiday table of lib/domain/calendar.ts)', () => {
    const choc = calendars.sku('S-PARIS', 'SKU-CHOC')!;
    const soap = calendars.sku('S-PARIS', 'SKU-SOAP')!;
    expect(choc.factor(day(2026, 10, 6))).toBe(1);
    // Christmas shopping: Confectionery 1.6, every other category 1.2; Christmas Eve 1.8; Christmas Day closed.
    expect(choc.factor(day(2026, 12, 20))).toBe(1.6);
    expect(soap.factor(day(2026, 12, 20))).toBe(1.2);
    expect(choc.factor(day(2026, 12, 24))).toBe(1.8);
    expect(choc.factor(day(2026, 12, 25))).toBe(0);
    // A muslim store keeps no Christmas; Ramadan 1448 (from 2027-02-08) lifts Confectionery 1.35.
    const dubai = calendars.sku('S-DUBAI', 'SKU-CHOC')!;
    expect(dubai.factor(day(2026, 12, 25))).toBe(1);
    expect(dubai.factor(day(2027, 2, 15))).toBe(1.35);
    expect(calendars.store('S-PARIS')!.factor(day(2026, 12, 20))).toBe(1.2);
  });

  it('has none for a store or sku the master data does not describe', () => {
    expect(calendars.sku('S-UNKNOWN', 'SKU-CHOC')).toBeUndefined();
    expect(calendars.sku('S-PARIS', 'SKU-UNKNOWN')).toBeUndefined();
    expect(calendars.store('S-UNKNOWN')).toBeUndefined();
  });

  it('splits a span at the store\'s local midnights', () => {
    const choc = calendars.sku('S-PARIS', 'SKU-CHOC')!;
    // Paris is UTC+1 in December: 24 December ends at 23:00 UTC.
    const pieces = [...localDaysBetween(choc, Date.UTC(2026, 11, 24, 12), Date.UTC(2026, 11, 26, 0))];
    expect(pieces).toEqual([
      { day: day(2026, 12, 24), from: Date.UTC(2026, 11, 24, 12), to: Date.UTC(2026, 11, 24, 23) },
      { day: day(2026, 12, 25), from: Date.UTC(2026, 11, 24, 23), to: Date.UTC(2026, 11, 25, 23) },
      { day: day(2026, 12, 26), from: Date.UTC(2026, 11, 25, 23), to: Date.UTC(2026, 11, 26, 0) },
    ]);
  });
});

describe('the risk on the calendar', () => {
  const uniform = cumulativeShares(new Float64Array(168).fill(1 / 168));
  const choc = calendars.sku('S-PARIS', 'SKU-CHOC')!;
  const midnight = (y: number, m: number, d: number): number => choc.startOf(day(y, m, d));

  it('scales each coming local day by its factor and expects nothing on a closed day', () => {
    // 7 units a day of base: 49 a week spread evenly, so a whole local day holds 7 units x its factor.
    expect(expectedBetween(49, uniform, choc, midnight(2026, 12, 24), midnight(2026, 12, 25))).toBeCloseTo(7 * 1.8, 9);
    expect(expectedBetween(49, uniform, choc, midnight(2026, 12, 25), midnight(2026, 12, 26))).toBeCloseTo(0, 9);
    // 23 (1.6) + 24 (Christmas Eve 1.8) + 25 (closed) + 26 (Boxing Day 0.8).
    expect(expectedBetween(49, uniform, choc, midnight(2026, 12, 23), midnight(2026, 12, 27))).toBeCloseTo(7 * (1.6 + 1.8 + 0 + 0.8), 9);
    // Without a calendar the same span is four plain days.
    expect(expectedBetween(49, uniform, undefined, midnight(2026, 12, 23), midnight(2026, 12, 27))).toBeCloseTo(28, 9);
  });

  it('finds the hours to stock-out across a closed day', () => {
    // 20 units from the start of 24 December: 12.6 expected that day (1.8 x 7), none on the 25th,
    // 5.6 on Boxing Day (0.8 x 7); the last 1.8 units go on the 27th, at 7 a day: 1.8 / 7 of its 24 h.
    const e = estimateRisk({ onHand: 20, asOf: midnight(2026, 12, 24), perDay: 7, daySize: Number.POSITIVE_INFINITY, cumulative: uniform, deliveryAt: midnight(2026, 12, 28), calendar: choc });
    const hours = (midnight(2026, 12, 27) - midnight(2026, 12, 24)) / HOUR_MS + ((20 - 12.6 - 5.6) / 7) * 24;
    expect(e.hoursToStockout).toBeCloseTo(hours, 1);
    expect(e.expectedUnits).toBeCloseTo(7 * (1.8 + 0 + 0.8 + 1), 9);
  });

  it('leaves closed days out of the daily rate', () => {
    const first = Date.UTC(2026, 0, 5, 12);
    const plain = new DailyRate();
    const skipping = new DailyRate();
    plain.add(first, 10);
    skipping.add(first, 10);
    // Two days later: with day 1 an empty open day, the rate decays (alpha 0.1: m1 0.9, weight 0.19);
    // with day 1 closed, the rate is the one day it saw.
    const closed = (d: number): boolean => d === Math.floor(first / DAY_MS) + 1;
    expect(plain.estimate(first + 2 * DAY_MS).perDay).toBeCloseTo(0.9 / 0.19, 9);
    expect(skipping.estimate(first + 2 * DAY_MS, closed).perDay).toBeCloseTo(10, 9);
  });
});
