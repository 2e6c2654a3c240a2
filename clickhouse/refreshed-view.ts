/**
 * A write that the BI views read through a table a refreshable materialized view rewrites
 * (exchange_rate_daily, migration 0049; vat_rate_periods, 0051) shows within the view's period;
 * the writers ShelfStream owns ask for a refresh and wait for it, so that their own change shows
 * when they return (./exchange-rate-refresh.ts, ./vat-rate-refresh.ts).
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { ShelfStreamError, describeError } from '../lib/errors';

/**
 * Asks for a refresh of `database.refreshView` and waits for it. A refresh that was already
 * running when the write landed may have read the inputs before it: SYSTEM REFRESH VIEW then
 * queues another one, and SYSTEM WAIT VIEW returns only once the one asked for has finished, so
 * the rows include the write. `shows`: the view its readers read, for the error.
 */
export async function refreshAndWait(client: ClickHouseClient, database: string, refreshView: string, shows: string): Promise<void> {
  const view = `${database}.${refreshView}`;
  try {
    await client.command({ query: `SYSTEM REFRESH VIEW ${view}` });
    await client.command({ query: `SYSTEM WAIT VIEW ${view}` });
  } catch (error) {
    // Retriable: the scheduled refresh keeps running whatever happens here, and the rows show at
    // its next run. Each caller says what it does with the failure.
    throw new ShelfStreamError('VIEW_REFRESH_FAILED', `refresh of ${view} (${shows}) failed: ${describeError(error)}`, {
      cause: error,
      canRetry: true,
      context: { view },
    });
  }
}
