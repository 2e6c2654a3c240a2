/**
 * When the next delivery of one store x sku can come, from the replenishment orders the store
 * publishes (inventory.orders) and the receipts that close them (pure, no I/O):
 *
 *   an open order       arrives at its planned time (expected_delivery_at); once that is past
 *                       and no receipt named it, at the store's next receiving slot (suppliers
 *                       are sometimes a day late), until it is ORDER_GIVE_UP_MS overdue;
 *   a sku without one   can still be ordered at the store's next review (stores review after
 *                       closing, and the order events show when) and then arrives the sku's lead
 *                       time later, at the receiving slot;
 *   the next delivery   is the earliest of these.
 *
 * The earliest, not the open order's: while an order is on its way the store still reviews
 * every night, and a sku selling faster than planned is ordered again. Measured on the
 * simulator with the true orders (simulators/quality/stockout-alerts.ts): risk as "demand until the open
 * order arrives" overstates stock-outs; with the earliest possible replenishment the predicted
 * risk matches the observed share of stock-outs.
 *
 * Review and receiving times are learned per UTC weekday from the order events (when orders
 * were placed, when they are planned to arrive); a day the store does not trade on (its learned
 * hour-of-week shape shows no sales) has no review. Times of day are UTC: events carry no time
 * zone. Only the day matters much: reviews and receipts happen while the store is closed, where
 * the demand shape is flat.
 */
import { DAY_MS } from './risk';

export const ORDER_TUNING = {
  /** An open order this long past its planned delivery with no receipt is no longer expected (cancelled, or the receipt went unrecorded). */
  giveUpMs: 3 * DAY_MS,
  /** A weekday's review or receiving slot is trusted for this long after it was last seen: two missed weeks (holidays) and it is forgotten. */
  slotMemoryMs: 15 * DAY_MS,
  /** Received order ids remembered per sku, so an order event read after its receipt does not open it again. */
  receivedMemory: 8,
  /** With no lead time known at all (no order of the sku or its store yet): a typical weekly replenishment cycle. */
  unknownDeliveryMs: 7 * DAY_MS,
} as const;

const WEEK = 7;

/** Day of the week of a UTC instant (0 = Thursday 1970-01-01; only used as an index). */
function weekdayOf(at: number): number {
  return Math.floor(at / DAY_MS) % WEEK;
}

/** The first instant after `after` at `timeOfDay` (ms after UTC midnight). */
export function nextAtTimeOfDay(after: number, timeOfDay: number): number {
  const sameDay = Math.floor(after / DAY_MS) * DAY_MS + timeOfDay;
  return sameDay > after ? sameDay : sameDay + DAY_MS;
}

// ── the store's weekly rhythm ───────────────────────────────────────────────────────────

/**
 * The latest instant seen on each UTC weekday (a review, or a planned delivery), as a weekly
 * schedule: on weekday w something happens at that instant's time of day (stores close earlier
 * on some days). A weekday not seen lately takes the time of day of the latest instant of any
 * day. Maxima, so the schedule does not depend on the order the instants came in.
 */
export class WeeklySlots {
  private latest: (number | null)[] = new Array<number | null>(WEEK).fill(null);

  add(at: number): void {
    const w = weekdayOf(at);
    if (this.latest[w] === null || at > this.latest[w]!) this.latest[w] = at;
  }

  /**
   * The first slot after `after` on a day `accept` takes (all by default), within a week;
   * undefined before any instant was seen. Weekdays not seen within slotMemoryMs of `asOf` use
   * the latest time of day.
   */
  next(after: number, asOf: number, accept: (at: number) => boolean = () => true): number | undefined {
    let newest: number | undefined;
    for (const seen of this.latest) if (seen !== null && (newest === undefined || seen > newest)) newest = seen;
    if (newest === undefined) return undefined;
    const timeOfDay = (at: number): number => at - Math.floor(at / DAY_MS) * DAY_MS;
    const firstDay = Math.floor(after / DAY_MS);
    for (let d = firstDay; d <= firstDay + WEEK; d++) {
      const seen = this.latest[d % WEEK];
      const at = d * DAY_MS + timeOfDay(seen !== null && asOf - seen! <= ORDER_TUNING.slotMemoryMs ? seen! : newest);
      if (at > after && accept(at)) return at;
    }
    return undefined;
  }

  toJSON(): (number | null)[] {
    return [...this.latest];
  }

  static fromJSON(s: readonly (number | null)[]): WeeklySlots {
    const slots = new WeeklySlots();
    slots.latest = [...s];
    return slots;
  }
}

export interface StoreReplenishmentSnapshot {
  readonly reviews: (number | null)[];
  readonly receiving: (number | null)[];
  /** Orders seen per lead time in days (index = days). */
  readonly leadCounts: number[];
}

/** What a store's orders show: when it reviews, when it receives, and its usual lead times. */
export class StoreReplenishment {
  private reviews = new WeeklySlots();
  private receiving = new WeeklySlots();
  private leadCounts: number[] = [];

  /** An order placed at `at`, planned for `expectedAt`, `leadDays` ahead. */
  observe(at: number, expectedAt: number, leadDays: number): void {
    this.reviews.add(at);
    this.receiving.add(expectedAt);
    const days = Math.max(0, Math.min(366, Math.round(leadDays)));
    while (this.leadCounts.length <= days) this.leadCounts.push(0);
    this.leadCounts[days]!++;
  }

  /** The lead time of most of the store's orders (for a sku with no order of its own yet). */
  typicalLeadDays(): number | undefined {
    let best: number | undefined;
    this.leadCounts.forEach((n, days) => {
      if (n > 0 && (best === undefined || n > this.leadCounts[best]!)) best = days;
    });
    return best;
  }

  /**
   * The store's next review after `asOf`: a learned slot on a day `trades` says the store is
   * open (no review on a day it stays closed), else the end of the current UTC day.
   */
  nextReview(asOf: number, trades: (reviewAt: number) => boolean = () => true): number {
    return this.reviews.next(asOf, asOf, trades) ?? (Math.floor(asOf / DAY_MS) + 1) * DAY_MS;
  }

  /** The first receiving slot after `after`, or undefined before any order showed one. */
  nextReceiving(after: number, asOf: number): number | undefined {
    return this.receiving.next(after, asOf);
  }

  toJSON(): StoreReplenishmentSnapshot {
    return { reviews: this.reviews.toJSON(), receiving: this.receiving.toJSON(), leadCounts: [...this.leadCounts] };
  }

  static fromJSON(s: StoreReplenishmentSnapshot): StoreReplenishment {
    const r = new StoreReplenishment();
    r.reviews = WeeklySlots.fromJSON(s.reviews);
    r.receiving = WeeklySlots.fromJSON(s.receiving);
    r.leadCounts = [...s.leadCounts];
    return r;
  }
}

// ── one sku's orders ────────────────────────────────────────────────────────────────────

export interface SkuOrdersSnapshot {
  /** [order_id, expected_delivery_at, quantity] of each open order. */
  readonly open: [string, number, number][];
  readonly received: string[];
  readonly leadDays: number | null;
  readonly lastOrderAt: number | null;
  readonly lastReceiptAt: number | null;
}

/** The open orders of one store x sku (order_id -> planned delivery), closed by the receipt naming them. */
export class SkuOrders {
  private open = new Map<string, { expectedAt: number; quantity: number }>();
  private received: string[] = [];
  /** Lead time of the sku's latest order (by order time). */
  leadDays: number | undefined;
  private lastOrderAt: number | undefined;
  lastReceiptAt: number | undefined;

  /** An order placed at `at`. */
  place(orderId: string, at: number, expectedAt: number, quantity: number, leadDays: number): void {
    if (this.lastOrderAt === undefined || at >= this.lastOrderAt) {
      this.lastOrderAt = at;
      this.leadDays = leadDays;
    }
    if (!this.received.includes(orderId)) this.open.set(orderId, { expectedAt, quantity });
    this.forgetOverdue(at);
  }

  /** A receipt at `at`, naming its purchase order in `reference` (or not). */
  receive(reference: string | null, at: number): void {
    if (this.lastReceiptAt === undefined || at > this.lastReceiptAt) this.lastReceiptAt = at;
    if (reference !== null) {
      this.open.delete(reference);
      if (!this.received.includes(reference)) {
        this.received.push(reference);
        if (this.received.length > ORDER_TUNING.receivedMemory) this.received.shift();
      }
    }
    this.forgetOverdue(at);
  }

  /** Planned delivery times of the open orders. */
  expected(): number[] {
    return [...this.open.values()].map((o) => o.expectedAt);
  }

  /** Units on order. */
  get onOrder(): number {
    let units = 0;
    for (const o of this.open.values()) units += o.quantity;
    return units;
  }

  private forgetOverdue(now: number): void {
    for (const [id, o] of this.open) if (now - o.expectedAt > ORDER_TUNING.giveUpMs) this.open.delete(id);
  }

  toJSON(): SkuOrdersSnapshot {
    return {
      open: [...this.open].map(([id, o]) => [id, o.expectedAt, o.quantity]),
      received: [...this.received],
      leadDays: this.leadDays ?? null,
      lastOrderAt: this.lastOrderAt ?? null,
      lastReceiptAt: this.lastReceiptAt ?? null,
    };
  }

  static fromJSON(s: SkuOrdersSnapshot): SkuOrders {
    const o = new SkuOrders();
    o.open = new Map(s.open.map(([id, expectedAt, quantity]) => [id, { expectedAt, quantity }]));
    o.received = [...s.received];
    o.leadDays = s.leadDays ?? undefined;
    o.lastOrderAt = s.lastOrderAt ?? undefined;
    o.lastReceiptAt = s.lastReceiptAt ?? undefined;
    return o;
  }
}

// ── putting it together ─────────────────────────────────────────────────────────────────

export interface DeliveryInputs {
  readonly asOf: number;
  /** Planned delivery times of the sku's open orders. */
  readonly openOrders: readonly number[];
  /** The sku's lead time in days (its latest order's, else its store's usual); undefined when nothing is known. */
  readonly leadDays: number | undefined;
  /** The store's next review after asOf. */
  readonly nextReview: number;
  /** The store's first receiving slot after an instant, if its orders showed one. */
  readonly nextReceiving: (after: number) => number | undefined;
}

/** The earliest time the next delivery of the sku can come (see the top of this file). */
export function earliestDelivery(inputs: DeliveryInputs): number {
  const { asOf, openOrders, leadDays, nextReview, nextReceiving } = inputs;
  let earliest =
    leadDays === undefined
      ? asOf + ORDER_TUNING.unknownDeliveryMs
      : // Ordered at the review (after closing), received in the slot on the lead time's day: the
        // first slot after the review plus all but one of the lead days.
        (nextReceiving(nextReview + Math.max(0, leadDays - 1) * DAY_MS) ?? nextReview + leadDays * DAY_MS);
  for (const planned of openOrders) {
    let at = planned;
    if (planned <= asOf) {
      if (asOf - planned > ORDER_TUNING.giveUpMs) continue;
      // Overdue: the next time the store receives goods.
      at = nextReceiving(asOf) ?? nextAtTimeOfDay(asOf, planned - Math.floor(planned / DAY_MS) * DAY_MS);
    }
    if (at < earliest) earliest = at;
  }
  return earliest;
}
