/**
 * Makes a write of exchange_rate_daily's inputs (dim_exchange_rate, dim_date, reporting_currency)
 * visible at once. exchange_rate_daily reads exchange_rate_daily_rows, which the refreshable
 * materialized view exchange_rate_daily_refresh rewrites every 10 s (migration 0049): any write
 * shows within that period, and the writers ShelfStream owns (the warehouse processor, fillCalendar,
 * applyReportingCurrency) call this after theirs so that their own change shows when they return.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { ShelfStreamError, describeError } from '../lib/errors';

export const EXCHANGE_RATE_REFRESH_VIEW = 'exchange_rate_daily_refresh';

/**
 * Asks for a refresh and waits for it. A refresh that was already running when the write landed
 * may have read the inputs before it: SYSTEM REFRESH VIEW then queues another one, and SYSTEM
 * WAIT VIEW returns only once the one asked for has finished, so the rows include the write.
 */
export async function refreshExchangeRates(client: ClickHouseClient, database: string): Promise<void> {
  const view = `${database}.${EXCHANGE_RATE_REFRESH_VIEW}`;
  try {
    await client.command({ query: `SYSTEM REFRESH VIEW ${view}` });
    await client.command({ query: `SYSTEM WAIT VIEW ${view}` });
  } catch (error) {
    // Retriable: the scheduled refresh keeps running whatever happens here. The warehouse logs
    // it and goes on (its rows show at the next scheduled refresh); init fails with it.
    throw new ShelfStreamError('VIEW_REFRESH_FAILED', `refresh of ${view} (exchange_rate_daily) failed: ${describeError(error)}`, {
      cause: error,
      canRetry: true,
      context: { view },
    });
  }
}
