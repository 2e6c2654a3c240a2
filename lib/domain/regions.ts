/**
 * The chain's sales regions: time zone, currency, VAT, holiday culture, weekly rhythm and usual
 * opening hours. One table for the simulator's stores and the ClickHouse holiday dimension
 * (dim_holiday has a row per region and holiday), so BI and simulated demand never disagree.
 */
import type { Culture } from './calendar';

/** Opening window in minutes of the local day, [opens, closes). */
export interface OpeningWindow {
  readonly opens: number;
  readonly closes: number;
}

export interface RegionProfile {
  /** Sales region as BI sees it (row policies filter on it). */
  readonly region: string;
  readonly timeZone: string;
  readonly currency: string;
  /** Fixed exchange rate: local minor units per euro cent, for shelf prices. */
  readonly perEur: number;
  /** VAT included in food prices (tax_total of a sale). */
  readonly vatRate: number;
  readonly culture: Culture;
  /** Demand factor per ISO day of week, Monday first. */
  readonly dayOfWeek: readonly [number, number, number, number, number, number, number];
  /** Usual opening hours of a MEDIUM store; null on Sunday where shops close by law or custom. */
  readonly hours: { readonly weekday: OpeningWindow; readonly saturday: OpeningWindow; readonly sunday: OpeningWindow | null };
  readonly cities: readonly string[];
}

const WESTERN_WEEK = [0.88, 0.86, 0.9, 0.95, 1.12, 1.3, 0.99] as const;
// The UAE weekend is Saturday-Sunday since 2022, Friday a short working day.
const GULF_WEEK = [0.9, 0.9, 0.95, 1.0, 1.1, 1.25, 1.1] as const;
const MEDITERRANEAN_WEEK = [0.9, 0.9, 0.92, 0.95, 1.08, 1.3, 1.15] as const;

const w = (opens: number, closes: number): OpeningWindow => ({ opens, closes });

export const REGIONS: readonly RegionProfile[] = [
  { region: 'France', timeZone: 'Europe/Paris', currency: 'EUR', perEur: 1, vatRate: 0.055, culture: 'western', dayOfWeek: WESTERN_WEEK, hours: { weekday: w(510, 1260), saturday: w(510, 1260), sunday: w(540, 780) }, cities: ['Paris', 'Lyon', 'Marseille', 'Lille', 'Toulouse', 'Nantes'] },
  { region: 'Germany', timeZone: 'Europe/Berlin', currency: 'EUR', perEur: 1, vatRate: 0.07, culture: 'western', dayOfWeek: WESTERN_WEEK, hours: { weekday: w(420, 1320), saturday: w(420, 1320), sunday: null }, cities: ['Berlin', 'Hamburg', 'Munich', 'Cologne', 'Leipzig'] },
  { region: 'Spain', timeZone: 'Europe/Madrid', currency: 'EUR', perEur: 1, vatRate: 0.1, culture: 'western', dayOfWeek: WESTERN_WEEK, hours: { weekday: w(540, 1290), saturday: w(540, 1290), sunday: null }, cities: ['Madrid', 'Barcelona', 'Valencia', 'Seville'] },
  { region: 'Netherlands', timeZone: 'Europe/Amsterdam', currency: 'EUR', perEur: 1, vatRate: 0.09, culture: 'western', dayOfWeek: WESTERN_WEEK, hours: { weekday: w(480, 1320), saturday: w(480, 1320), sunday: w(720, 1200) }, cities: ['Amsterdam', 'Rotterdam', 'Utrecht'] },
  { region: 'United Kingdom', timeZone: 'Europe/London', currency: 'GBP', perEur: 0.85, vatRate: 0, culture: 'western', dayOfWeek: WESTERN_WEEK, hours: { weekday: w(420, 1320), saturday: w(420, 1320), sunday: w(600, 960) }, cities: ['London', 'Manchester', 'Leeds', 'Bristol'] },
  { region: 'United States East', timeZone: 'America/New_York', currency: 'USD', perEur: 1.08, vatRate: 0, culture: 'western', dayOfWeek: WESTERN_WEEK, hours: { weekday: w(420, 1380), saturday: w(420, 1380), sunday: w(480, 1320) }, cities: ['New York', 'Boston', 'Philadelphia'] },
  { region: 'United Arab Emirates', timeZone: 'Asia/Dubai', currency: 'AED', perEur: 4, vatRate: 0.05, culture: 'muslim', dayOfWeek: GULF_WEEK, hours: { weekday: w(480, 1380), saturday: w(480, 1380), sunday: w(480, 1380) }, cities: ['Dubai', 'Abu Dhabi', 'Sharjah'] },
  { region: 'Türkiye', timeZone: 'Europe/Istanbul', currency: 'TRY', perEur: 38, vatRate: 0.01, culture: 'muslim', dayOfWeek: MEDITERRANEAN_WEEK, hours: { weekday: w(540, 1320), saturday: w(540, 1320), sunday: w(540, 1320) }, cities: ['Istanbul', 'Ankara', 'Izmir'] },
  { region: 'Morocco', timeZone: 'Africa/Casablanca', currency: 'MAD', perEur: 10.8, vatRate: 0.07, culture: 'muslim', dayOfWeek: MEDITERRANEAN_WEEK, hours: { weekday: w(540, 1320), saturday: w(540, 1320), sunday: w(540, 1320) }, cities: ['Casablanca', 'Rabat', 'Marrakesh'] },
];
