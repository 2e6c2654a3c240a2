/**
 * Makes a write of vat_rate_periods' inputs (dim_vat_rate, which 0044's materialized view fills
 * from dim_store, and dim_store_utc_offset) visible at once. vat_rate_periods reads
 * vat_rate_periods_rows, which the refreshable materialized view vat_rate_periods_refresh rewrites
 * every 10 s (migration 0051): any write shows within that period, and the writers ShelfStream
 * owns (the warehouse processor after dim_store, the BI closing job after new UTC offsets) call
 * this after theirs so that their own change shows when they return.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { refreshAndWait } from './refreshed-view';

export const VAT_RATE_REFRESH_VIEW = 'vat_rate_periods_refresh';

/**
 * Asks for a refresh and waits for it (./refreshed-view.ts). On failure the warehouse logs it and
 * goes on (its rows show at the next scheduled refresh); the closing job closes its days anyway
 * and logs it (services/bi-rollups/index.ts).
 */
export async function refreshVatRatePeriods(client: ClickHouseClient, database: string): Promise<void> {
  await refreshAndWait(client, database, VAT_RATE_REFRESH_VIEW, 'vat_rate_periods');
}
