/**
 * Writes REPORTING_CURRENCY into ClickHouse (table reporting_currency, migration 0011), where the
 * BI views read it: a change takes effect at the next `shelfstream init` without redefining any
 * view (exchange_rate_daily is refreshed before it returns), and an unchanged one writes nothing,
 * so a second init says so.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { refreshExchangeRates } from './exchange-rate-refresh';

export type ReportingCurrencyOutcome = 'unchanged' | `set to ${string}` | `changed from ${string} to ${string}`;

export async function applyReportingCurrency(client: ClickHouseClient, database: string, currency: string): Promise<ReportingCurrencyOutcome> {
  const result = await client.query({ query: `SELECT currency FROM ${database}.reporting_currency FINAL`, format: 'JSONEachRow' });
  const current = (await result.json<{ currency: string }>())[0]?.currency;
  if (current === currency) return 'unchanged';
  await client.insert({ table: `${database}.reporting_currency`, values: [{ currency, updated_at: new Date().toISOString() }], format: 'JSONEachRow' });
  // Every row's to_reporting changes with the reporting currency.
  await refreshExchangeRates(client, database);
  return current === undefined ? `set to ${currency}` : `changed from ${current} to ${currency}`;
}
