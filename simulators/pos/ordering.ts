/**
 * Who decides a store's purchase orders at its nightly review.
 *
 *   own     the store's own rule (inventory.ts ownOrderQuantities), reviewed at closing: the
 *           frozen baseline, the only policy of a default run (pinned by the digests);
 *   advised what an outside system advises (ShelfStream's reorder advice in the closed loop),
 *           reviewed at the top of the hour after closing, once the day's sales can have reached
 *           that system. The simulator never computes the advice: whoever drives the loop reads
 *           it as a store system would and hands it over (`AdviceBook.provide`) before the hour
 *           the review runs in (`PosSimulator.pendingReviews` says which).
 */
import { ShelfStreamError } from '../../lib/errors';
import { formatDay } from './calendar';
import type { StoreInventory } from './inventory';

export interface ReviewContext {
  readonly storeId: string;
  /** The local business day being reviewed (its sales are all in). */
  readonly localDay: number;
  readonly skus: readonly string[];
  readonly inventory: StoreInventory;
}

export interface OrderingPolicy {
  readonly name: string;
  /** False: the review of `localDay` runs at closing; true: at the top of the next hour, after the day's data can be published. */
  reviewsAfterClosing(localDay: number): boolean;
  /**
   * When a review after closing runs, given the first hour it could (`earliest`, UTC ms): that
   * hour when absent. A chain that computes its advice in one nightly run reviews every store at it.
   */
  reviewAt?(localDay: number, earliest: number): number;
  /** Units to order per SKU index (0: none). */
  quantities(review: ReviewContext): Int32Array;
}

export const OWN_POLICY: OrderingPolicy = {
  name: 'own',
  reviewsAfterClosing: () => false,
  quantities: (review) => review.inventory.ownOrderQuantities(),
};

/** The own rule with its reorder point and order-up-to level times `stockFactor`: its frontier in a service-level sweep. */
export function scaledOwnPolicy(stockFactor: number): OrderingPolicy {
  return { name: `own x${stockFactor}`, reviewsAfterClosing: () => false, quantities: (review) => review.inventory.ownOrderQuantities(stockFactor) };
}

/** One advised order line: what a store system reads from ShelfStream. */
export interface AdvisedLine {
  readonly sku: string;
  readonly quantity: number;
}

/**
 * Advice handed to the simulator per store and local day, taken once by that day's review. A
 * review with no advice handed over is an error, not an empty order: a loop that forgot to
 * read the advice must not pass for a policy that ordered nothing.
 */
export class AdviceBook {
  private readonly days = new Map<string, readonly AdvisedLine[]>();

  provide(storeId: string, localDay: number, lines: readonly AdvisedLine[]): void {
    this.days.set(`${storeId}/${localDay}`, lines);
  }

  take(storeId: string, localDay: number): readonly AdvisedLine[] {
    const key = `${storeId}/${localDay}`;
    const lines = this.days.get(key);
    if (!lines) {
      throw new ShelfStreamError('INVALID_ARGUMENT', `no advice was handed over for store ${storeId} on ${formatDay(localDay)}: read it before the review's hour`, {
        context: { store_id: storeId, day: formatDay(localDay) },
      });
    }
    this.days.delete(key);
    return lines;
  }
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The first instant at or after `earliest` whose UTC hour is `utcHour`. */
export function nextUtcHour(earliest: number, utcHour: number): number {
  const candidate = Math.floor(earliest / DAY) * DAY + utcHour * HOUR;
  return candidate >= earliest ? candidate : candidate + DAY;
}

/**
 * Orders what the book holds for the store and day; an advised sku the store does not sell is an
 * error. With `nightlyRunUtcHour`, every store reviews at the chain's nightly advice run (that UTC
 * hour, the first after its closing) rather than the hour after its own closing: one advice run
 * serves the whole chain, as a chain's head office would run it.
 */
export function advisedPolicy(book: AdviceBook, name = 'advice', nightlyRunUtcHour?: number): OrderingPolicy {
  if (nightlyRunUtcHour !== undefined && !(Number.isInteger(nightlyRunUtcHour) && nightlyRunUtcHour >= 0 && nightlyRunUtcHour < 24)) {
    throw new ShelfStreamError('INVALID_ARGUMENT', `the nightly advice run's UTC hour must be a whole hour 0-23, got ${nightlyRunUtcHour}`, { context: { nightlyRunUtcHour } });
  }
  return {
    name,
    reviewsAfterClosing: () => true,
    ...(nightlyRunUtcHour === undefined ? {} : { reviewAt: (_day: number, earliest: number) => nextUtcHour(earliest, nightlyRunUtcHour) }),
    quantities: (review) => {
      const index = new Map(review.skus.map((sku, j) => [sku, j]));
      const quantities = new Int32Array(review.skus.length);
      for (const line of book.take(review.storeId, review.localDay)) {
        const j = index.get(line.sku);
        if (j === undefined) throw new ShelfStreamError('INVALID_ARGUMENT', `advice for store ${review.storeId} names sku ${line.sku}, which the store does not sell`, { context: { store_id: review.storeId, sku: line.sku } });
        if (!Number.isInteger(line.quantity) || line.quantity < 0) throw new ShelfStreamError('INVALID_ARGUMENT', `advice for ${review.storeId}/${line.sku} orders ${line.quantity} units: not a whole number of units`, { context: { store_id: review.storeId, sku: line.sku } });
        quantities[j] = line.quantity;
      }
      return quantities;
    },
  };
}

/** `before` reviews the days before `firstDay` (a training history), `after` the rest. */
export function switchedPolicy(firstDay: number, before: OrderingPolicy, after: OrderingPolicy): OrderingPolicy {
  return {
    name: `${before.name} then ${after.name}`,
    reviewsAfterClosing: (localDay) => (localDay < firstDay ? before : after).reviewsAfterClosing(localDay),
    reviewAt: (localDay, earliest) => (localDay < firstDay ? before : after).reviewAt?.(localDay, earliest) ?? earliest,
    quantities: (review) => (review.localDay < firstDay ? before : after).quantities(review),
  };
}
