/**
 * Closing time of a store: recorded shrink (spoilage, damage: a SHRINK movement), unrecorded
 * theft (no event, only the shelf drops), then the replenishment review on the books, each
 * purchase order published when placed with its planned delivery (not whether it will be late).
 */
import type { ReplenishmentOrdered } from '../../schemas/generated/events';
import { HOUR_MS, formatDay } from './calendar';
import type { HourTruth } from './ground-truth';
import type { HourEvents } from './hour-events';
import { type PendingOrder, THEFT_RATE } from './inventory';
import { RECEIPTS_AFTER_ROUTINE, ROUTINE_BEFORE_OPEN } from './morning-routine';
import type { StoreState } from './store-state';

export function closeStore(s: StoreState, localDay: number, at: number, events: HourEvents, truth: HourTruth): void {
  const rng = s.closingRng;
  const inv = s.inventory;
  const common = s.options.commonRandomNumbers ?? false;
  let k = 0;
  for (let j = 0; j < s.n; j++) {
    const category = s.chain.products[j]!.category;
    if (common) {
      // Every draw taken whatever the shelf holds, so the next SKU's draws do not depend on it.
      const spoiled = rng.chance(category.spoilageRate);
      const spoiledUnits = 1 + rng.below(3);
      const stolen = rng.chance(THEFT_RATE);
      const stolenUnits = 1 + rng.below(2);
      if (spoiled && inv.onHand[j]! > 0) spoil(s, j, spoiledUnits, at + k++ * 1000, events);
      if (stolen && inv.onHand[j]! > 0) inv.lose(j, stolenUnits, at + k * 1000);
      continue;
    }
    if (inv.onHand[j]! > 0 && rng.chance(category.spoilageRate)) spoil(s, j, 1 + rng.below(3), at + k++ * 1000, events);
    if (inv.onHand[j]! > 0 && rng.chance(THEFT_RATE)) inv.lose(j, 1 + rng.below(2), at + k * 1000);
  }
  if (!s.ordering.reviewsAfterClosing(localDay)) {
    review(s, localDay, at, events, truth);
    return;
  }
  const earliest = Math.floor(at / HOUR_MS) * HOUR_MS + HOUR_MS;
  const next = s.ordering.reviewAt?.(localDay, earliest) ?? earliest;
  // a review that would fall after the store's simulated time does not happen
  if (next < s.window.end) s.reviewDue = { localDay, at: next };
}

/** Recorded shrink at closing: spoiled (perishables) or damaged goods, a SHRINK movement. */
function spoil(s: StoreState, j: number, units: number, t: number, events: HourEvents): void {
  const removed = s.inventory.shrink(j, units, t);
  events['inventory.movements'].push(s.movement(t, j, 'SHRINK', -removed, s.chain.products[j]!.category.perishable ? 'spoiled' : 'damaged', null, null));
}

/**
 * The nightly review of `localDay` at `at`: the policy's quantities become purchase orders, an
 * order event each, and a ground-truth row each (what was ordered, and when it will really come).
 */
export function review(s: StoreState, localDay: number, at: number, events: HourEvents, truth: HourTruth): void {
  const quantities = s.ordering.quantities({ storeId: s.storeId, localDay, skus: s.skus, inventory: s.inventory });
  for (const order of s.inventory.place(localDay, quantities, s.supplier)) {
    events['inventory.orders'].push(orderEvent(s, order, at));
    truth.orders.push({ store_id: s.storeId, sku: s.skus[order.sku]!, order_id: order.orderId, date: formatDay(localDay), quantity: order.quantity, planned_date: formatDay(order.plannedDay), due_date: formatDay(order.dueDay) });
  }
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
