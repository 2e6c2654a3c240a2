/**
 * For tests that write dim_exchange_rate (or the calendar, or the reporting currency) straight
 * into ClickHouse rather than through the warehouse processor: exchange_rate_daily shows such a
 * write once the refreshable view of migration 0049 has run again (every 10 s), so the test
 * polls, with a deadline, until the rows it reads equal those computed from the inputs now.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { refreshExchangeRates } from '../../clickhouse/exchange-rate-refresh';
import type { ExchangeRate } from '../../schemas/generated/events';
import { waitFor } from './fixtures';
import { refreshedViewDifferences } from './refreshed-views';

const COLUMNS = 'currency, business_date, rate, rate_date, days_carried, base_currency, reporting_currency, to_reporting';
/** Two refresh periods and the refresh itself on a busy machine. */
const CAUGHT_UP_WITHIN_MS = 30_000;

/** Rows of exchange_rate_daily and of its inputs' rows now that the other lacks: [0, 0] when they agree. */
export async function exchangeRateDifferences(client: ClickHouseClient, database: string): Promise<[number, number]> {
  return refreshedViewDifferences(client, database, 'exchange_rate_daily', 'exchange_rate_daily_computed', COLUMNS);
}

/** Waits until exchange_rate_daily holds the rows of its inputs as they are now. */
export async function waitForExchangeRates(client: ClickHouseClient, database: string): Promise<void> {
  await waitFor(async () => (await exchangeRateDifferences(client, database)).every((n) => n === 0), {
    timeoutMs: CAUGHT_UP_WITHIN_MS,
    intervalMs: 250,
    what: `${database}.exchange_rate_daily to show the rates written (refreshed every 10 s)`,
  });
}

/**
 * For tests whose subject is not the schedule: asks for the refresh at once (SYSTEM REFRESH VIEW
 * then WAIT VIEW, as ShelfStream's own writers do after theirs) instead of waiting for the next
 * scheduled one, up to 10 s and 5 s on average on the success path, then checks the rows as
 * waitForExchangeRates does. exchange-rate-daily.test.ts keeps waiting for the schedule itself.
 */
export async function refreshAndCheckExchangeRates(client: ClickHouseClient, database: string): Promise<void> {
  await refreshExchangeRates(client, database);
  await waitForExchangeRates(client, database);
}

/** A rate against EUR for `isoDate` (YYYY-MM-DD), as md.exchange-rates carries it; updated on 2026-03-01 unless said. */
export function testExchangeRate(currency: string, isoDate: string, rate: number, updatedAt = Date.UTC(2026, 2, 1)): ExchangeRate {
  return { currency, base_currency: 'EUR', rate_date: Date.parse(`${isoDate}T00:00:00Z`) / 86_400_000, rate, source: 'test', updated_at: updatedAt };
}
