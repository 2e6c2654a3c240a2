/**
 * Closing a store's stock days (migration 0034): the books of its business days that are over,
 * written once into inventory_daily so the inventory views read small rows for them.
 *
 * Books carry from day to day: a late event on a closed day changes every later day's level, so
 * a store's closing rewrites every day from its earliest day due (or the day after its last
 * closed one, so days without a touch between closings get their rows too) to its latest closed
 * or due day, in one INSERT ... SELECT from inventory_books_daily, which reads the facts from
 * that first day on. Only then are the due days marked closed, so the views never take a day as
 * clean before its rows are in. Rows are keyed (store, sku, day) in a ReplacingMergeTree
 * versioned by the closing time: a closing again replaces them.
 */
import type { ClickHouseClient } from '../../lib/clients/clickhouse';
import type { DueDay } from './closing';
import { businessDayBounds, isoDate } from './local-days';

const toDateTime64 = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

/** The days from which to the day until which a store's books are written again. */
export function stockClosingRange(dueDays: readonly number[], lastClosedDay: number | undefined): { from: number; to: number } {
  const from = Math.min(...dueDays, lastClosedDay === undefined ? Number.POSITIVE_INFINITY : lastClosedDay + 1);
  const to = Math.max(...dueDays, lastClosedDay ?? Number.NEGATIVE_INFINITY);
  return { from, to };
}

export async function closeStockDays(client: ClickHouseClient, db: string, due: ReadonlyMap<string, DueDay>, closedAtMs: number): Promise<void> {
  if (due.size === 0) return;
  const byStore = new Map<string, DueDay[]>();
  for (const d of due.values()) (byStore.get(d.store.storeId) ?? byStore.set(d.store.storeId, []).get(d.store.storeId)!).push(d);
  const lastClosed = new Map(
    (await (
      await client.query({
        query: `SELECT toString(store_id) AS store_id, toUInt32(max(business_date)) AS day FROM ${db}.days_closed WHERE fact = 'stock' GROUP BY store_id`,
        format: 'JSONEachRow',
      })
    ).json<{ store_id: string; day: number }>()).map((r) => [r.store_id, Number(r.day)]),
  );
  for (const [storeId, days] of byStore) {
    const { from, to } = stockClosingRange(
      days.map((d) => d.day),
      lastClosed.get(storeId),
    );
    await client.command({
      query: `INSERT INTO ${db}.inventory_daily (store_id, sku, business_date, units_on_hand, min_level, units_sold, net_sales_minor, units_received, receipt_cost, counted_today, stockout_hours, closed_at)
        SELECT store_id, sku, business_date, units_on_hand, min_level, units_sold, net_sales_minor, units_received, receipt_cost, counted_today, stockout_hours,
          toDateTime64({closed:Float64}, 3, 'UTC') AS closed_at
        FROM ${db}.inventory_books_daily
        WHERE store_id = {store:String} AND business_date >= toDate({from:String}) AND business_date <= toDate({to:String}) AND is_counted = 1`,
      query_params: { store: storeId, from: isoDate(from), to: isoDate(to), closed: closedAtMs / 1000 },
    });
    await client.insert({
      table: `${db}.days_closed`,
      values: days.map(({ store, day }) => {
        const { startMs, endMs } = businessDayBounds(store.timeZone, day);
        return { fact: 'stock', store_id: storeId, business_date: isoDate(day), day_start_utc: startMs / 1000, day_end_utc: endMs / 1000, closed_at: toDateTime64(closedAtMs) };
      }),
      format: 'JSONEachRow',
    });
  }
}
