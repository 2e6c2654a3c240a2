/**
 * Reads reorder advice the way a store system of the chain would: one SQL query over
 * ClickHouse's HTTP interface (ShelfStream's SQL endpoint, or a ClickHouse server) against the
 * documented BI view `bi_reorder_recommendation`, as a BI user when credentials are given. No
 * ShelfStream code is imported: the simulator sees only what any client sees.
 */
import { ShelfStreamError } from '../../lib/errors';
import { formatDay } from './calendar';
import type { AdvisedLine } from './ordering';

export interface AdviceEndpoint {
  /** e.g. http://127.0.0.1:8123 */
  readonly url: string;
  readonly user?: string;
  readonly password?: string;
  readonly database?: string;
}

/** Store ids and skus are codes (S001, SKU-00042): anything else is refused rather than quoted. */
const CODE = /^[A-Za-z0-9_.-]+$/;

/**
 * The advised lines (units_to_order > 0) per store for local day `localDay`, the as-of date the
 * advice was made for. A store with no row for that day gets an empty list only when ShelfStream
 * wrote advice for it with nothing to order; a store with no advice at all for the day is an
 * error (the pipeline has not caught up, or the store is unknown to it).
 */
export async function readAdvice(endpoint: AdviceEndpoint, storeIds: readonly string[], localDay: number): Promise<Map<string, AdvisedLine[]>> {
  for (const id of storeIds) if (!CODE.test(id)) throw new ShelfStreamError('INVALID_ARGUMENT', `store id '${id}' is not a store code`, { context: { store_id: id } });
  const day = formatDay(localDay);
  const query = `SELECT store_id, sku, units_to_order FROM bi_reorder_recommendation WHERE as_of_date = '${day}' AND store_id IN (${storeIds.map((s) => `'${s}'`).join(', ')}) ORDER BY store_id, sku FORMAT JSONEachRow`;
  const url = new URL(endpoint.url);
  if (endpoint.database) url.searchParams.set('database', endpoint.database);
  const headers: Record<string, string> = { 'content-type': 'text/plain' };
  if (endpoint.user) headers.authorization = `Basic ${Buffer.from(`${endpoint.user}:${endpoint.password ?? ''}`).toString('base64')}`;
  let response: Response;
  try {
    response = await fetch(url, { method: 'POST', body: query, headers });
  } catch (error) {
    throw new ShelfStreamError('SERVICE_UNAVAILABLE', `cannot reach the SQL endpoint at ${endpoint.url} for reorder advice`, { cause: error, context: { url: endpoint.url } });
  }
  const text = await response.text();
  if (!response.ok) throw new ShelfStreamError('SERVICE_UNAVAILABLE', `the SQL endpoint answered ${response.status} to the reorder advice query: ${text.slice(0, 300)}`, { context: { url: endpoint.url, status: response.status } });
  const advice = new Map<string, AdvisedLine[]>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const row = JSON.parse(line) as { store_id: string; sku: string; units_to_order: number | string };
    const lines = advice.get(row.store_id) ?? advice.set(row.store_id, []).get(row.store_id)!;
    const quantity = Number(row.units_to_order);
    if (quantity > 0) lines.push({ sku: row.sku, quantity });
  }
  const missing = storeIds.filter((s) => !advice.has(s));
  if (missing.length > 0) {
    throw new ShelfStreamError('SERVICE_UNAVAILABLE', `no reorder advice as of ${day} for store(s) ${missing.join(', ')}: has the forecast job run for that day?`, { canRetry: true, context: { stores: missing, day } });
  }
  return advice;
}
