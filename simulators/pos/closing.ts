/**
 * Closing time of a store: recorded shrink (spoilage, damage: a SHRINK movement), unrecorded
 * theft (no event, only the shelf drops), then the replenishment review on the books, each
 * purchase order published when placed with its planned delivery (not whether it will be late).
 */
import type { ReplenishmentOrdered } from '../../schemas/generated/events';
import { formatDay } from './calendar';
import type { HourEvents } from './hour-events';
import { type PendingOrder, THEFT_RATE } from './inventory';
import { RECEIPTS_AFTER_ROUTINE, ROUTINE_BEFORE_OPEN } from './morning-routine';
import type { StoreState } from './store-state';

export function closeStore(s: StoreState, localDay: number, at: number, events: HourEvents): void {
  const rng = s.rng;
  const inv = s.inventory;
  let k = 0;
  for (let j = 0; j < s.n; j++) {
    const category = s.chain.products[j]!.category;
    if (inv.onHand[j]! > 0 && rng.chance(category.spoilageRate)) {
      const t = at + k++ * 1000;
      const removed = inv.shrink(j, 1 + rng.below(3), t);
      events['inventory.movements'].push(s.movement(t, j, 'SHRINK', -removed, category.perishable ? 'spoiled' : 'damaged', null, null));
    }
    if (inv.onHand[j]! > 0 && rng.chance(THEFT_RATE)) inv.lose(j, 1 + rng.below(2), at + k * 1000);
  }
  const orders = events['inventory.orders'];
  for (const order of inv.review(localDay, rng)) orders.push(orderEvent(s, order, at));
}

/** The order as the store's system publishes it: when it was placed and when it is planned to arrive (not whether it will be late). */
function orderEvent(s: StoreState, order: PendingOrder, at: number): ReplenishmentOrdered {
  return {
    event_id: s.ordersRng.uuid(),
    occurred_at: at,
    store_id: s.storeId,
    sku: s.skus[order.sku]!,
    order_id: order.orderId,
    quantity: order.quantity,
    expected_delivery_at: receivingSlot(s, order.plannedDay),
    lead_time_days: s.inventory.leadTimeDays[order.sku]!,
  };
}

/**
 * When goods due on local day `day` are received: at that day's morning routine (receipts are
 * stamped RECEIPTS_AFTER_ROUTINE into it), or the next open day's when the store is closed.
 */
function receivingSlot(s: StoreState, day: number): number {
  for (let d = day; d < day + 366; d++) {
    const window = s.model.opening(s.profile, d);
    if (window) return s.model.clock(s.profile).utcOf(d, window.opens - ROUTINE_BEFORE_OPEN) + RECEIPTS_AFTER_ROUTINE;
  }
  throw new Error(`store ${s.storeId} opens on no day of the year after ${formatDay(day)}`);
}
