/**
 * Makes a write of exchange_rate_daily's inputs (dim_exchange_rate, dim_date, reporting_currency)
 * visible at once. exchange_rate_daily reads exchange_rate_daily_rows, which the refreshable
 * materialized view exchange_rate_daily_refresh rewrites every 10 s (migration 0049): any write
 * shows within that period, and the writers ShelfStream owns (the warehouse processor, fillCalendar,
 * applyReportingCurrency) call this after theirs so that their own change shows when they return.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { refreshAndWait } from './refreshed-view';

export const EXCHANGE_RATE_REFRESH_VIEW = 'exchange_rate_daily_refresh';

/**
 * Asks for a refresh and waits for it (./refreshed-view.ts). On failure the warehouse logs it and
 * goes on (its rows show at the next scheduled refresh); init fails with it.
 */
export async function refreshExchangeRates(client: ClickHouseClient, database: string): Promise<void> {
  await refreshAndWait(client, database, EXCHANGE_RATE_REFRESH_VIEW, 'exchange_rate_daily');
}
