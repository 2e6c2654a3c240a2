/**
 * Stock of one store, per SKU, in typed arrays. Two numbers per SKU:
 *   - on_hand: the units physically there, which caps sales;
 *   - book: what the store's system believes, changed only by events it sees (sales,
 *     restocked returns, receipts, recorded shrink, count corrections).
 * They differ after unrecorded losses (theft, phantom inventory) until a cycle count sets the
 * book to the count. Replenishment reviews the book once a day after closing (it cannot see
 * the shelf): the store's own rule orders up to the order-up-to level in whole cases when
 * book + on order <= reorder point (another policy can decide instead, ordering.ts); orders are
 * delivered after the category's lead time (a day later for some orders: the order itself only
 * knows the planned day).
 *
 * Every time on_hand reaches 0 a stock-out interval opens; it closes when units arrive.
 */
import type { CategoryProfile, ProductProfile, StoreProfile } from './chain';
import { formatDay } from './calendar';
import type { StoreLots } from './lots';
import { type Rng, seedOf } from './random';

export interface PendingOrder {
  readonly sku: number;
  readonly quantity: number;
  /** Local day the delivery is planned for: the order's day plus the lead time (what the order event announces). */
  readonly plannedDay: number;
  /** Local day of delivery: the planned day, or the day after for a late one (drawn when ordering; nobody knows it then). */
  readonly dueDay: number;
  readonly orderId: string;
}

export interface StockoutInterval {
  readonly sku: number;
  readonly start: number;
  /** Undefined while the shelf is still empty at the end of the run. */
  readonly end: number | undefined;
  /** What the books said when the shelf ran empty: > 0 means nobody could see the stock-out. */
  readonly bookOnHandAtStart: number;
}

/** Rough open hours per day, to turn an hourly base rate into daily demand for the policy. */
const OPEN_HOURS_PER_DAY = 12;
/** Chance per store x SKU x day of an unrecorded loss (theft, misplaced goods). */
export const THEFT_RATE = 0.004;
/** Share of deliveries that arrive short (50-90% of the order). */
const SHORT_SHIPMENT_RATE = 0.05;
/** Share of orders delivered a day late. */
const LATE_DELIVERY_RATE = 0.1;
/** Days between two counts of the same SKU (perishables are counted more often). */
export const COUNT_CYCLE_DAYS = 14;
export const PERISHABLE_COUNT_CYCLE_DAYS = 7;

/**
 * Where a purchase order's lateness and short delivery come from. The store's own stream by
 * default (one draw after another, as the pinned digests expect); keyed by store, sku and day
 * under common random numbers, so an order of a sku placed on a given day meets the same
 * supplier whichever policy placed it and whatever else was ordered before.
 */
export interface SupplierDraws {
  /** Whether an order placed on `orderDay` arrives a day after its planned day. */
  late(sku: number, orderDay: number): boolean;
  /** Units delivered of an order of `quantity` planned for `plannedDay`. */
  delivered(sku: number, plannedDay: number, quantity: number): number;
}

/** Draws taken in turn from one stream (the store's): what every run did before common random numbers. */
export function streamSupplier(rng: Rng): SupplierDraws {
  return {
    late: () => rng.chance(LATE_DELIVERY_RATE),
    delivered: (_sku, _day, quantity) => (rng.chance(SHORT_SHIPMENT_RATE) ? Math.max(1, Math.floor(quantity * rng.between(0.5, 0.9))) : quantity),
  };
}

/** Draws that are a function of (seed, store, sku, day): the same for every ordering policy. */
export function keyedSupplier(seed: number, storeIndex: number): SupplierDraws {
  const uniform = (purpose: string, sku: number, day: number): number => seedOf(seed, 'supplier', storeIndex, purpose, sku, day) / 4_294_967_296;
  return {
    late: (sku, orderDay) => uniform('late', sku, orderDay) < LATE_DELIVERY_RATE,
    delivered: (sku, plannedDay, quantity) =>
      uniform('short', sku, plannedDay) < SHORT_SHIPMENT_RATE ? Math.max(1, Math.floor(quantity * (0.5 + 0.4 * uniform('short-share', sku, plannedDay)))) : quantity,
  };
}

/**
 * A purchase order's id: the store, the local day it was placed and its number that day
 * (`PO-S005-20261201-3`). Unique across runs of the simulator that cover different days (a
 * realtime run after a backfill), and the same when a run covers the same day again (a replay):
 * with a count per store alone, a realtime run restarted at PO-S005-1, and its receipts were
 * joined to the backfill's orders of the same id (a mean delivery delay of -1,700 hours on the
 * demo's dashboard).
 */
export function orderIdOf(storeId: string, localDay: number, seqOfDay: number): string {
  return `PO-${storeId}-${formatDay(localDay).replaceAll('-', '')}-${seqOfDay}`;
}

export class StoreInventory {
  readonly onHand: Int32Array;
  readonly book: Int32Array;
  readonly onOrder: Int32Array;
  readonly reorderPoint: Int32Array;
  readonly orderUpTo: Int32Array;
  readonly leadTimeDays: Int32Array;
  /** Offset of each SKU in the count cycle. */
  readonly countOffset: Int32Array;
  /** NaN while in stock, else the instant the shelf ran empty. */
  private readonly outSince: Float64Array;
  private readonly bookAtOut: Int32Array;
  private pending: PendingOrder[] = [];
  private closedIntervals: StockoutInterval[] = [];
  /** Orders placed so far on `orderDay`: an order id is the store's, the day's and this count's. */
  private orderDay = Number.NaN;
  private orderSeq = 0;
  /** Lots of perishable stock when expiry is simulated: every unit leaving the shelf leaves the oldest lot. */
  lots: StoreLots | null = null;

  constructor(
    private readonly store: StoreProfile,
    private readonly products: readonly ProductProfile[],
    rng: Rng,
  ) {
    const n = products.length;
    this.onHand = new Int32Array(n);
    this.book = new Int32Array(n);
    this.onOrder = new Int32Array(n);
    this.reorderPoint = new Int32Array(n);
    this.orderUpTo = new Int32Array(n);
    this.leadTimeDays = new Int32Array(n);
    this.countOffset = new Int32Array(n);
    this.outSince = new Float64Array(n).fill(Number.NaN);
    this.bookAtOut = new Int32Array(n);
    for (let j = 0; j < n; j++) {
      const p = products[j]!;
      const daily = p.baseRate * store.factor * OPEN_HOURS_PER_DAY;
      const lead = p.category.leadTimeDays + (rng.chance(0.3) ? 1 : 0);
      // A safety factor below 1 under-stocks on purpose: some SKUs run out on busy days.
      const safety = rng.between(0.8, 1.6);
      const coverDays = p.category.perishable ? 2 : rng.intBetween(4, 8);
      const rop = Math.ceil(daily * (lead + 1) * safety);
      const upTo = rop + Math.max(p.casePack, Math.ceil(daily * coverDays));
      this.leadTimeDays[j] = lead;
      this.reorderPoint[j] = rop;
      this.orderUpTo[j] = upTo;
      const initial = Math.max(1, Math.round(upTo * rng.between(0.6, 1)));
      this.onHand[j] = initial;
      this.book[j] = initial;
      this.countOffset[j] = rng.below(countCycle(p.category));
    }
  }

  /** Sells up to `wanted` units at `at`; answers the units sold. */
  take(sku: number, wanted: number, at: number): number {
    const have = this.onHand[sku]!;
    const sold = wanted < have ? wanted : have;
    if (sold > 0) {
      this.lots?.consume(sku, sold);
      this.onHand[sku] = have - sold;
      this.book[sku] = this.book[sku]! - sold;
      if (sold === have) this.markOut(sku, at);
    }
    return sold;
  }

  /** Units that come onto the shelf and into the books (a receipt, a restocked return). */
  add(sku: number, units: number, at: number): void {
    const was = this.onHand[sku]!;
    this.onHand[sku] = was + units;
    this.book[sku] = this.book[sku]! + units;
    if (was === 0 && units > 0) this.markIn(sku, at);
  }

  /** Recorded shrink: gone from shelf and books (a SHRINK movement). Answers the units removed. */
  shrink(sku: number, units: number, at: number): number {
    const removed = Math.min(units, this.onHand[sku]!);
    if (removed > 0) {
      this.lots?.consume(sku, removed);
      this.onHand[sku] = this.onHand[sku]! - removed;
      this.book[sku] = this.book[sku]! - removed;
      if (this.onHand[sku] === 0) this.markOut(sku, at);
    }
    return removed;
  }

  /** Unrecorded loss: gone from the shelf only; the books find out at the next count. */
  lose(sku: number, units: number, at: number): number {
    const removed = Math.min(units, this.onHand[sku]!);
    if (removed > 0) {
      this.lots?.consume(sku, removed);
      this.onHand[sku] = this.onHand[sku]! - removed;
      if (this.onHand[sku] === 0) this.markOut(sku, at);
    }
    return removed;
  }

  /** A cycle count: answers the correction (count - book, 0 when they agree) and fixes the book. */
  count(sku: number): number {
    const delta = this.onHand[sku]! - this.book[sku]!;
    this.book[sku] = this.onHand[sku]!;
    return delta;
  }

  isCountDay(sku: number, localDay: number): boolean {
    return (localDay + this.countOffset[sku]!) % countCycle(this.products[sku]!.category) === 0;
  }

  /**
   * The store's own rule (frozen: the baseline ShelfStream's advice is measured against): a SKU
   * whose book + on order is at or below its reorder point is ordered up to its order-up-to
   * level, in whole cases. Answers units per SKU index (0: no order).
   */
  ownOrderQuantities(stockFactor = 1): Int32Array {
    const quantities = new Int32Array(this.products.length);
    // stockFactor scales both levels (a service-level sweep of the own rule); 1 is the rule itself
    const level = (units: number): number => (stockFactor === 1 ? units : Math.round(units * stockFactor));
    for (let j = 0; j < this.products.length; j++) {
      const position = this.book[j]! + this.onOrder[j]!;
      if (position > level(this.reorderPoint[j]!)) continue;
      const pack = this.products[j]!.casePack;
      quantities[j] = Math.max(0, Math.ceil((level(this.orderUpTo[j]!) - position) / pack) * pack);
    }
    return quantities;
  }

  /** Places a purchase order per SKU with a positive quantity, in SKU order, each due after its lead time. */
  place(localDay: number, quantities: ArrayLike<number>, supplier: SupplierDraws): PendingOrder[] {
    const placed: PendingOrder[] = [];
    if (localDay !== this.orderDay) [this.orderDay, this.orderSeq] = [localDay, 0];
    for (let j = 0; j < this.products.length; j++) {
      const quantity = quantities[j]!;
      if (!(quantity > 0)) continue;
      const plannedDay = localDay + this.leadTimeDays[j]!;
      const order: PendingOrder = {
        sku: j,
        quantity,
        plannedDay,
        dueDay: plannedDay + (supplier.late(j, localDay) ? 1 : 0),
        orderId: orderIdOf(this.store.store.store_id, localDay, ++this.orderSeq),
      };
      this.onOrder[j] = this.onOrder[j]! + quantity;
      this.pending.push(order);
      placed.push(order);
    }
    return placed;
  }

  /**
   * Orders due on or before `localDay`, with the units actually delivered (some arrive short;
   * the rest of a short order is cancelled). They leave the pending list; call `add` to shelve.
   */
  deliveries(localDay: number, supplier: SupplierDraws): { order: PendingOrder; delivered: number }[] {
    const due: { order: PendingOrder; delivered: number }[] = [];
    const later: PendingOrder[] = [];
    for (const order of this.pending) {
      if (order.dueDay > localDay) {
        later.push(order);
        continue;
      }
      const delivered = supplier.delivered(order.sku, order.plannedDay, order.quantity);
      this.onOrder[order.sku] = this.onOrder[order.sku]! - order.quantity;
      due.push({ order, delivered });
    }
    this.pending = later;
    return due;
  }

  isOut(sku: number): boolean {
    return !Number.isNaN(this.outSince[sku]!);
  }

  /** Stock-out intervals closed since the last call. */
  drainIntervals(): StockoutInterval[] {
    const out = this.closedIntervals;
    this.closedIntervals = [];
    return out;
  }

  /** Intervals still open (the shelf is empty at `end`), marked with no end. */
  openIntervals(): StockoutInterval[] {
    const open: StockoutInterval[] = [];
    for (let j = 0; j < this.products.length; j++) {
      if (this.isOut(j)) open.push({ sku: j, start: this.outSince[j]!, end: undefined, bookOnHandAtStart: this.bookAtOut[j]! });
    }
    return open;
  }

  private markOut(sku: number, at: number): void {
    if (!this.isOut(sku)) {
      this.outSince[sku] = at;
      this.bookAtOut[sku] = this.book[sku]!;
    }
  }

  private markIn(sku: number, at: number): void {
    if (this.isOut(sku)) {
      this.closedIntervals.push({ sku, start: this.outSince[sku]!, end: at, bookOnHandAtStart: this.bookAtOut[sku]! });
      this.outSince[sku] = Number.NaN;
    }
  }
}

function countCycle(category: CategoryProfile): number {
  return category.perishable ? PERISHABLE_COUNT_CYCLE_DAYS : COUNT_CYCLE_DAYS;
}
