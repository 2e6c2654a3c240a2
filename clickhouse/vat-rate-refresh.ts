/**
 * Makes a write of vat_rate_periods' inputs (dim_vat_rate, which 0044's materialized view fills
 * from dim_store, and dim_store_utc_offset) visible at once. vat_rate_periods reads
 * vat_rate_periods_rows, which the refreshable materialized view vat_rate_periods_refresh rewrites
 * every 10 s (migration 0051): any write shows within that period, and the writers ShelfStream
 * owns (the warehouse processor after dim_store, the BI closing job after new UTC offsets) call
 * this after theirs so that their own change shows when they return.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { ShelfStreamError, describeError } from '../lib/errors';

export const VAT_RATE_REFRESH_VIEW = 'vat_rate_periods_refresh';

/**
 * Asks for a refresh and waits for it. A refresh that was already running when the write landed
 * may have read the inputs before it: SYSTEM REFRESH VIEW then queues another one, and SYSTEM
 * WAIT VIEW returns only once the one asked for has finished, so the rows include the write.
 */
export async function refreshVatRatePeriods(client: ClickHouseClient, database: string): Promise<void> {
  const view = `${database}.${VAT_RATE_REFRESH_VIEW}`;
  try {
    await client.command({ query: `SYSTEM REFRESH VIEW ${view}` });
    await client.command({ query: `SYSTEM WAIT VIEW ${view}` });
  } catch (error) {
    // Retriable: the scheduled refresh keeps running whatever happens here. The warehouse logs
    // it and goes on (its rows show at the next scheduled refresh); the closing job closes its
    // days anyway and logs it (services/bi-rollups/index.ts).
    throw new ShelfStreamError('VIEW_REFRESH_FAILED', `refresh of ${view} (vat_rate_periods) failed: ${describeError(error)}`, {
      cause: error,
      canRetry: true,
      context: { view },
    });
  }
}
