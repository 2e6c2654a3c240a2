/**
 * The demand model. The mean number of units of product p wanted in store s during one hour is
 *
 *   base rate(p) x store factor(s) x seasonality(category, day of year) x day of week(region)
 *     x hour of day(local hour, only while open) x holidays(culture, day, category)
 *     x promotion uplift(discount, category) x anomaly factor x open fraction of the hour
 *
 * and the units actually wanted are a negative binomial draw around that mean (overdispersed:
 * variance = mean + mean²/k). Every factor is a table in this file, chain.ts or calendar.ts,
 * repeated in simulators/README.md, so a test can compute a case by hand.
 */
import { type HolidayDay, HolidayCalendar } from './calendar';
import { type Culture, dayOfYear, isoDayOfWeek } from '../../lib/domain/calendar';
import { DAY_MS, HOUR_MS } from '../../lib/domain/time';
import type { Chain, CategoryProfile, ProductProfile, StoreProfile } from './chain';
import type { OpeningWindow } from '../../lib/domain/regions';
import { WholeHourStoreClock } from './clock';
import type { DemandShift } from './options';

/** Local hour-of-day factor on ordinary days: a lunch peak and a larger after-work peak. */
export const HOUR_OF_DAY: readonly number[] = [
  0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.45, 0.6, // 00-07
  0.75, 0.85, 0.95, 1.1, 1.35, 1.25, 0.95, 0.9, // 08-15
  1, 1.3, 1.5, 1.3, 1, 0.75, 0.55, 0.4, // 16-23
];

/**
 * Local hour-of-day factor during Ramadan in regions of `muslim` culture: quiet while fasting,
 * a rush before iftar (sunset) and a second peak late in the evening.
 */
export const RAMADAN_HOUR_OF_DAY: readonly number[] = [
  0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, // 00-07
  0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.95, 1.3, // 08-15
  1.7, 1.9, 1.2, 0.8, 1.3, 1.6, 1.5, 1.2, // 16-23
];

/** Negative binomial size k of hourly demand: variance = mean + mean²/k. */
export const DEMAND_DISPERSION = 2;

export function seasonality(category: CategoryProfile, day: number): number {
  return 1 + category.seasonAmplitude * Math.cos((2 * Math.PI * (dayOfYear(day) - category.seasonPeakDay)) / 365.25);
}

/** Demand multiplier of a price cut of `percent` for a category of the given elasticity. */
export function promotionUplift(percent: number, elasticity: number): number {
  return percent > 0 ? Math.pow(1 - percent / 100, -elasticity) : 1;
}

/** Fraction of local hour `hour` (0-23) during which a store open [opens, closes) minutes is open. */
export function openFraction(hour: number, opens: number, closes: number): number {
  const from = Math.max(hour * 60, opens);
  const to = Math.min(hour * 60 + 60, closes);
  return to > from ? (to - from) / 60 : 0;
}

/** Everything about one store during one UTC hour that does not depend on the product. */
export interface HourContext {
  readonly hourStart: number;
  /** Local date (days since 1970-01-01) and hour of day at the start of the hour. */
  readonly localDay: number;
  readonly localHour: number;
  /** Minute of the local day at the start of the hour. */
  readonly localMinute: number;
  readonly holiday: HolidayDay;
  /** The store's opening window today, or null when it stays closed. */
  readonly opens: number;
  readonly closes: number;
  readonly open: boolean;
  readonly openFraction: number;
  /** First and last instant (UTC ms) of the open part of the hour. */
  readonly openFrom: number;
  readonly openTo: number;
  readonly storeFactor: number;
  readonly dayOfWeek: number;
  readonly hourOfDay: number;
  /** store factor x day of week x hour of day x open fraction. */
  readonly slotFactor: number;
  /** seasonality x holiday, per category index. */
  readonly categoryFactors: Float64Array;
}

export interface DemandFactors {
  readonly base: number;
  readonly store: number;
  readonly season: number;
  readonly dayOfWeek: number;
  readonly hourOfDay: number;
  readonly holiday: number;
  readonly promotion: number;
  readonly anomaly: number;
  readonly openFraction: number;
  /** The product of all factors: the expected units in the hour. */
  readonly mean: number;
}

export class DemandModel {
  private readonly clocks = new Map<string, WholeHourStoreClock>();
  private readonly calendars = new Map<Culture, HolidayCalendar>();
  private readonly dayFactorCache = new Map<string, Float64Array>();

  constructor(
    private readonly chain: Chain,
    private readonly shift?: DemandShift,
  ) {}

  clock(store: StoreProfile): WholeHourStoreClock {
    const tz = store.region.timeZone;
    let clock = this.clocks.get(tz);
    if (!clock) this.clocks.set(tz, (clock = new WholeHourStoreClock(tz)));
    return clock;
  }

  holidays(culture: Culture): HolidayCalendar {
    let calendar = this.calendars.get(culture);
    if (!calendar) this.calendars.set(culture, (calendar = new HolidayCalendar(culture, this.chain.categories.map((c) => c.name))));
    return calendar;
  }

  /** seasonality x holiday factor per category, for a culture and local day (cached). */
  categoryFactors(culture: Culture, day: number): Float64Array {
    const key = `${culture}:${day}`;
    let factors = this.dayFactorCache.get(key);
    if (!factors) {
      const holiday = this.holidays(culture).day(day).categoryFactors;
      const shift = this.shift;
      factors = Float64Array.from(this.chain.categories, (c, i) => seasonality(c, day) * holiday[i]! * (shift && c.name === shift.category && day >= shift.fromDay ? shift.factor : 1));
      this.dayFactorCache.set(key, factors);
    }
    return factors;
  }

  /** The store's opening window on local day `day`; null when it stays closed (its weekly closing day, a closing holiday). */
  opening(store: StoreProfile, day: number): OpeningWindow | null {
    return this.holidays(store.region.culture).day(day).closed ? null : store.opening[isoDayOfWeek(day) - 1]!;
  }

  /** The product-independent part of the model for `store` during the UTC hour at `hourStart`. */
  hour(store: StoreProfile, hourStart: number): HourContext {
    const clock = this.clock(store);
    const local = clock.local(hourStart);
    const localDay = Math.floor(local / DAY_MS);
    const localMinute = Math.floor((local - localDay * DAY_MS) / 60_000);
    const localHour = Math.floor(localMinute / 60);
    const holiday = this.holidays(store.region.culture).day(localDay);
    const dow = isoDayOfWeek(localDay);
    const window = this.opening(store, localDay);
    const fraction = window ? openFraction(localHour, window.opens, window.closes) : 0;
    const hourOfDay = (holiday.ramadan && store.region.culture === 'muslim' ? RAMADAN_HOUR_OF_DAY : HOUR_OF_DAY)[localHour]!;
    const dayOfWeek = store.region.dayOfWeek[dow - 1]!;
    const openFrom = window ? hourStart + Math.max(0, window.opens - localMinute) * 60_000 : hourStart;
    const openTo = window ? hourStart + Math.min(60, Math.max(0, window.closes - localMinute)) * 60_000 : hourStart;
    return {
      hourStart,
      localDay,
      localHour,
      localMinute,
      holiday,
      opens: window?.opens ?? 0,
      closes: window?.closes ?? 0,
      open: fraction > 0,
      openFraction: fraction,
      openFrom,
      openTo: Math.min(openTo, hourStart + HOUR_MS),
      storeFactor: store.factor,
      dayOfWeek,
      hourOfDay,
      slotFactor: store.factor * dayOfWeek * hourOfDay * fraction,
      categoryFactors: this.categoryFactors(store.region.culture, localDay),
    };
  }

  /** Every factor of the mean demand for one store, product and hour, for tests and docs. */
  factors(store: StoreProfile, product: ProductProfile, hourStart: number, promotionPercent = 0, anomalyFactor = 1): DemandFactors {
    const h = this.hour(store, hourStart);
    const holiday = h.holiday.categoryFactors[product.categoryIndex]!;
    const season = seasonality(product.category, h.localDay);
    const promotion = promotionUplift(promotionPercent, product.category.elasticity);
    return {
      base: product.baseRate,
      store: store.factor,
      season,
      dayOfWeek: h.dayOfWeek,
      hourOfDay: h.hourOfDay,
      holiday,
      promotion,
      anomaly: anomalyFactor,
      openFraction: h.openFraction,
      mean: expectedUnits(product.baseRate, h.slotFactor, h.categoryFactors[product.categoryIndex]!, promotion, anomalyFactor),
    };
  }
}

/** The hot path's formula; `factors` uses it too, so the documented model is the one simulated. */
export function expectedUnits(baseRate: number, slotFactor: number, categoryFactor: number, uplift: number, anomalyFactor: number): number {
  return baseRate * slotFactor * categoryFactor * uplift * anomalyFactor;
}
