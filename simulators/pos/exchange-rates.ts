/**
 * Daily exchange rates of the chain's currencies against the euro, for md.exchange-rates. Shelf
 * prices stay at each region's fixed `perEur` (a retailer reprices rarely); the rate of the day
 * drifts around it, so converting a region's revenue to the reporting currency moves a little
 * from day to day as it does for a real chain.
 *
 * A rate depends only on the seed, the currency and the date (a walk from a fixed anchor day,
 * drawn from a stream of its own), so runs over different windows, shards, replays and the
 * realtime mode publish the same rate for the same day, and no draw of the sales model moves.
 */
import type { ExchangeRate } from '../../schemas/generated/events';
import { parseDay } from '../../lib/domain/calendar';
import { REGIONS } from '../../lib/domain/regions';
import { Rng } from './random';

/** The currency every rate is quoted against: the chain's home currency. */
export const BASE_CURRENCY = 'EUR';
/** First day of every walk; days before it take the region's fixed rate. */
const ANCHOR_DAY = parseDay('2024-01-01');
/** Daily standard deviation of the log rate (0.4%: a calm major currency moves about that). */
const DAILY_SIGMA = 0.004;
/** Share of the gap to the fixed rate closed each day, so a walk never strays far from prices. */
const REVERSION = 0.02;
/** Significant decimals kept, as a central bank fixing publishes them. */
const DECIMALS = 6;

/** The chain's currencies and their fixed rates per euro (the base currency itself included). */
export function chainCurrencies(): ReadonlyMap<string, number> {
  const out = new Map<string, number>();
  for (const r of REGIONS) if (!out.has(r.currency)) out.set(r.currency, r.perEur);
  return out;
}

/**
 * The rates of every chain currency for each day from `firstDay` to `lastDay` (days since
 * 1970-01-01, inclusive), in day then currency order, stamped `updatedAt`.
 */
export function exchangeRates(seed: number, firstDay: number, lastDay: number, updatedAt: number): ExchangeRate[] {
  const out: ExchangeRate[] = [];
  const walks = [...chainCurrencies()].map(([currency, perEur]) => ({ currency, perEur, rates: walk(seed, currency, perEur, lastDay) }));
  for (let day = firstDay; day <= lastDay; day++) {
    for (const w of walks) {
      const rate = w.currency === BASE_CURRENCY ? 1 : day < ANCHOR_DAY ? w.perEur : w.rates[day - ANCHOR_DAY]!;
      out.push({ currency: w.currency, base_currency: BASE_CURRENCY, rate_date: day, rate, source: 'simulator', updated_at: updatedAt });
    }
  }
  return out;
}

/** Rates from the anchor day to `lastDay`: a mean-reverting walk of the log rate around log(perEur). */
function walk(seed: number, currency: string, perEur: number, lastDay: number): number[] {
  const rng = Rng.derive(seed, 'exchange-rates', currency);
  const rates: number[] = [];
  let gap = 0;
  for (let day = ANCHOR_DAY; day <= lastDay; day++) {
    rates.push(Number((perEur * Math.exp(gap)).toFixed(DECIMALS)));
    gap = gap * (1 - REVERSION) + DAILY_SIGMA * rng.normal();
  }
  return rates;
}
