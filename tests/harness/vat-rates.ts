/**
 * For tests that write dim_store, dim_vat_rate or dim_store_utc_offset straight into ClickHouse
 * rather than through the warehouse processor or the closing job: vat_rate_periods shows such a
 * write once the refreshable view of migration 0051 has run again (every 10 s). As ShelfStream's
 * own writers do after theirs, the test asks for the refresh at once, then checks that the rows
 * read equal those computed from the inputs now.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { refreshVatRatePeriods } from '../../clickhouse/vat-rate-refresh';
import { waitFor } from './fixtures';
import { refreshedViewDifferences } from './refreshed-views';

const COLUMNS = 'store_id, valid_from, vat_rate';
/** Two refresh periods and the refresh itself on a busy machine. */
const CAUGHT_UP_WITHIN_MS = 30_000;

/** Rows of vat_rate_periods and of its inputs' rows now that the other lacks: [0, 0] when they agree. */
export async function vatRatePeriodDifferences(client: ClickHouseClient, database: string): Promise<[number, number]> {
  return refreshedViewDifferences(client, database, 'vat_rate_periods', 'vat_rate_periods_computed', COLUMNS);
}

/** Asks for the refresh (SYSTEM REFRESH VIEW then WAIT VIEW) and checks the rows against the inputs. */
export async function refreshAndCheckVatRatePeriods(client: ClickHouseClient, database: string): Promise<void> {
  await refreshVatRatePeriods(client, database);
  await waitFor(async () => (await vatRatePeriodDifferences(client, database)).every((n) => n === 0), {
    timeoutMs: CAUGHT_UP_WITHIN_MS,
    intervalMs: 250,
    what: `${database}.vat_rate_periods to show the stores, rates and offsets written (refreshed every 10 s)`,
  });
}
