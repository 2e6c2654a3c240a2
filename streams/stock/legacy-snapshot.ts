/**
 * Upgrading from the stock processor's own snapshot table (stock_state, migration 0006) to the
 * runtime's state stores, once, without losing state.
 *
 * Earlier versions saved every changed store x sku to stock_state with each flush (after the
 * alerts and risk rows, before the runtime's snapshot and the commit), each with the last offset
 * it applied per input topic. One insert per flush, so the table held the state as of a flush
 * point: every record below that flush's next offsets applied to every key it touched. The
 * largest offset any key applied per topic, plus one, is therefore a floor: records below it are
 * in the restored state, records from it are not. (The runtime's own covered offsets, saved
 * later in each flush, are never past it.)
 *
 * Only the live consumer group (`shelfstream.stock`) upgrades: stock_state was that group's, and
 * a rebuild under another group must start empty. A marker in the `stock-upgrade` store says the
 * upgrade was done (or there was nothing to upgrade), so stock_state is read once; the floor is
 * kept there too, since a crash before the next snapshots covers it would otherwise apply the
 * records between the committed offset and the floor twice.
 */
import { consumerGroupOf, type InputRecord, type TaskDeps } from '../runtime/processor';
import type { KeyValueStore } from '../runtime/state-store';
import { SkuOrders, StoreReplenishment } from './replenishment';
import { keyId, type KeySnapshot, type StoreSnapshot } from './stock';

export const LEGACY_STATE_TABLE = 'stock_state';
export const UPGRADE_STORE = 'stock-upgrade';

/** A row of stock_state as read back (sku '' is the store's own row). */
interface LegacyRow {
  readonly store_id: string;
  readonly sku: string;
  readonly state: string;
}

/** Next offset per input topic below which the upgraded state holds every record's effect. */
type Floor = Record<string, number>;

export interface Upgrade {
  /** True when the state restored from stock_state holds the record's effect. */
  applied(record: Pick<InputRecord, 'topic' | 'offset'>): boolean;
}

/**
 * Restores stock_state into `target` (empty stores of a task that never upgraded) and answers
 * the floor; a task upgraded before gets its saved floor back. `topicOf` maps the catalogue
 * topics of the old per-key offsets to the topics read (stand-ins).
 */
export async function restoreLegacySnapshot(
  deps: Pick<TaskDeps, 'stores' | 'query' | 'database' | 'logger'>,
  partition: number,
  processor: string,
  target: { readonly keys: KeyValueStore<KeySnapshot>; readonly stores: KeyValueStore<StoreSnapshot> },
  topicOf: (catalogueTopic: string) => string = (t) => t,
): Promise<Upgrade> {
  const marker = await deps.stores.open<Floor>(UPGRADE_STORE);
  let floor = marker.get('floor');
  if (!floor) {
    floor = {};
    if (deps.stores.owner === consumerGroupOf({ name: processor }) && target.keys.size === 0 && target.stores.size === 0) {
      const rows = await deps.query<LegacyRow>(
        `SELECT store_id, sku, argMax(state, version) AS state FROM ${deps.database}.${LEGACY_STATE_TABLE} WHERE input_partition = {partition:UInt32} GROUP BY store_id, sku`,
        { partition },
      );
      floor = upgradeRows(rows, target, topicOf);
      deps.logger.info({ partition, rows: rows.length, floor }, 'stock state upgraded from stock_state to the runtime state stores');
    }
    marker.put('floor', floor);
  }
  const saved = floor;
  return { applied: (record) => record.offset < (saved[record.topic] ?? 0) };
}

/** Old snapshots into the new stores; answers the floor (see the header). */
export function upgradeRows(rows: readonly LegacyRow[], target: { readonly keys: KeyValueStore<KeySnapshot>; readonly stores: KeyValueStore<StoreSnapshot> }, topicOf: (catalogueTopic: string) => string): Floor {
  const floor: Floor = {};
  const reach = (topic: string, last: number): void => {
    const t = topicOf(topic);
    if (last + 1 > (floor[t] ?? 0)) floor[t] = last + 1;
  };
  for (const row of rows) {
    if (row.sku === '') {
      const s = JSON.parse(row.state) as Omit<StoreSnapshot, 'replenishment' | 'ordersApplied'> & Partial<StoreSnapshot> & { lastSalesOffset: number };
      reach('pos.sales', s.lastSalesOffset);
      target.stores.put(row.store_id, {
        shape: s.shape,
        // Snapshots from before orders were read have none: the store learns from the next ones.
        replenishment: s.replenishment ?? new StoreReplenishment().toJSON(),
        salesApplied: s.salesApplied,
        movementsApplied: s.movementsApplied,
        ordersApplied: s.ordersApplied ?? 0,
        lastSaleAt: s.lastSaleAt,
      });
      continue;
    }
    const s = JSON.parse(row.state) as Omit<KeySnapshot, 'storeId' | 'sku' | 'orders'> & Partial<KeySnapshot> & { last: Record<string, number> };
    for (const [topic, last] of Object.entries(s.last)) reach(topic, last);
    target.keys.put(keyId(row.store_id, row.sku), {
      storeId: row.store_id,
      sku: row.sku,
      ledger: s.ledger,
      applied: s.applied,
      lastEventAt: s.lastEventAt,
      rate: s.rate,
      // Absent from a snapshot written before orders were read: the sku learns from its next orders.
      orders: s.orders ?? new SkuOrders().toJSON(),
      riskAlert: s.riskAlert,
      outAlert: s.outAlert,
    });
  }
  return floor;
}
