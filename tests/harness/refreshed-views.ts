/**
 * For tests that write the inputs of a table a refreshable materialized view rewrites
 * (exchange_rate_daily, migration 0049; vat_rate_periods, 0051) straight into ClickHouse: whether
 * the rows the BI views read equal those computed from the inputs now.
 */
import type { ClickHouseClient } from '@clickhouse/client';

/** Rows of `shown` that `computed` lacks, and the other way round: [0, 0] when the two agree on `columns`. */
export async function refreshedViewDifferences(client: ClickHouseClient, database: string, shown: string, computed: string, columns: string): Promise<[number, number]> {
  const count = async (a: string, b: string): Promise<number> => {
    const result = await client.query({ query: `SELECT count() AS n FROM (SELECT ${columns} FROM ${database}.${a} EXCEPT SELECT ${columns} FROM ${database}.${b})`, format: 'JSONEachRow' });
    return Number((await result.json<{ n: string }>())[0]!.n);
  };
  return [await count(shown, computed), await count(computed, shown)];
}
