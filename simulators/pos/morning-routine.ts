/**
 * The morning routine, an hour before a store opens, in this order: cycle counts of the SKUs due
 * (and those a phantom forced) with a COUNT_CORRECTION where the books were wrong, then the
 * deliveries due (RECEIPT movements), then shelf price changes, then perhaps a new promotion.
 */
import type { PriceChanged, StockCounted } from '../../schemas/generated/events';
import { MINUTE_MS, formatDay } from './calendar';
import { charmPrice } from './chain';
import type { HourTruth } from './ground-truth';
import type { HourEvents } from './hour-events';
import type { StoreAnomalies } from './store-anomalies';
import type { StorePromotions } from './store-promotions';
import type { StoreState } from './store-state';

/** Minutes before opening of the morning routine, and offsets of its parts. */
export const ROUTINE_BEFORE_OPEN = 60;
export const RECEIPTS_AFTER_ROUTINE = 15 * MINUTE_MS;
/** Expired lots are taken off the shelf after the counts, before the deliveries come in. */
const WRITE_OFFS_AFTER_ROUTINE = 5 * MINUTE_MS;
const PRICES_AFTER_ROUTINE = 45 * MINUTE_MS;
const PROMOTIONS_AFTER_ROUTINE = 50 * MINUTE_MS;
/** Chance per store x SKU x open day of a shelf price change, and its size. */
const PRICE_CHANGE_RATE = 0.004;
const PRICE_CHANGE_RANGE = [0.92, 1.12] as const;

export function morningRoutine(s: StoreState, anomalies: StoreAnomalies, promotions: StorePromotions, localDay: number, at: number, events: HourEvents, truth: HourTruth): void {
  const rng = s.rng;
  const inv = s.inventory;
  const products = s.chain.products;
  const counts = events['inventory.counts'];
  const movements = events['inventory.movements'];

  // Cycle counts first, on the night's stock; then corrections where the books were wrong.
  const forced = anomalies.forcedCountSkus(localDay);
  let k = 0;
  for (let j = 0; j < s.n; j++) {
    if (!inv.isCountDay(j, localDay) && !forced.has(j)) continue;
    const t = at + k++ * 1000;
    const count: StockCounted = {
      event_id: rng.uuid(),
      occurred_at: t,
      store_id: s.storeId,
      sku: products[j]!.product.sku,
      on_hand: inv.onHand[j]!,
      counted_by: `${s.storeId}-E${1 + rng.below(4)}`,
    };
    counts.push(count);
    s.counted.add(j);
    const delta = inv.count(j);
    if (delta !== 0) {
      movements.push(s.movement(t, j, 'COUNT_CORRECTION', delta, 'cycle count', count.event_id, null));
    }
    anomalies.endPhantom(j, t, 'count', truth);
  }

  if (s.lots) writeOffExpired(s, localDay, at + WRITE_OFFS_AFTER_ROUTINE, events, truth);

  k = 0;
  for (const { order, delivered } of inv.deliveries(localDay, s.supplier)) {
    const t = at + RECEIPTS_AFTER_ROUTINE + k++ * 1000;
    inv.add(order.sku, delivered, t);
    s.lots?.receive(order.sku, delivered, localDay, order.orderId);
    const reason = delivered < order.quantity ? 'supplier delivery (short)' : 'supplier delivery';
    movements.push(s.movement(t, order.sku, 'RECEIPT', delivered, reason, order.orderId, s.unitCost[order.sku]!));
    anomalies.endPhantom(order.sku, t, 'receipt', truth);
  }

  k = 0;
  for (let j = 0; j < s.n; j++) {
    if (!rng.chance(PRICE_CHANGE_RATE)) continue;
    const old = s.price[j]!;
    const next = charmPrice(old * rng.between(PRICE_CHANGE_RANGE[0], PRICE_CHANGE_RANGE[1]));
    if (next === old) continue;
    const t = at + PRICES_AFTER_ROUTINE + k++ * 1000;
    const change: PriceChanged = { event_id: rng.uuid(), occurred_at: t, store_id: s.storeId, sku: products[j]!.product.sku, old_price: old, new_price: next, currency: s.profile.region.currency, effective_at: t };
    events['pricing.prices'].push(change);
    s.price[j] = next;
  }

  promotions.maybeStart(at + PROMOTIONS_AFTER_ROUTINE, events);
}

/**
 * Lots whose expiry day has come leave the shelf and the books: a SHRINK movement per lot, reason
 * `expired`, reference_id the lot (the order that delivered it), and a waste row of ground truth.
 * Their ids come from the store's waste stream, so turning write-offs on draws nothing more from
 * the store's own stream.
 */
function writeOffExpired(s: StoreState, localDay: number, at: number, events: HourEvents, truth: HourTruth): void {
  const lots = s.lots!;
  let k = 0;
  for (let j = 0; j < s.n; j++) {
    if (!lots.isTracked(j)) continue;
    for (const lot of lots.expired(j, localDay)) {
      const t = at + k++ * 1000;
      const removed = s.inventory.shrink(j, lot.units, t);
      events['inventory.movements'].push(s.movement(t, j, 'SHRINK', -removed, 'expired', lot.lotId, null, s.wasteRng));
      truth.waste.push({
        store_id: s.storeId,
        sku: s.skus[j]!,
        date: formatDay(localDay),
        lot_id: lot.lotId,
        received_date: formatDay(lot.receivedDay),
        expiry_date: formatDay(lot.expiryDay),
        units: removed,
        unit_cost: s.unitCost[j]!,
      });
    }
  }
}
