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

const COLUMNS = 'store_id, valid_from, vat_rate';
/** Two refresh periods and the refresh itself on a busy machine. */
const CAUGHT_UP_WITHIN_MS = 30_000;

/** Rows of `a` that `b` lacks, both ways: [0, 0] when vat_rate_periods agrees with its inputs. */
export async function vatRatePeriodDifferences(client: ClickHouseClient, database: string): Promise<[number, number]> {
  const count = async (a: string, b: string): Promise<number> => {
    const result = await client.query({ query: `SELECT count() AS n FROM (SELECT ${COLUMNS} FROM ${database}.${a} EXCEPT SELECT ${COLUMNS} FROM ${database}.${b})`, format: 'JSONEachRow' });
    return Number((await result.json<{ n: string }>())[0]!.n);
  };
  return [await count('vat_rate_periods', 'vat_rate_periods_computed'), await count('vat_rate_periods_computed', 'vat_rate_periods')];
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
