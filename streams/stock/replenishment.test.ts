import { DAY_MS, HOUR_MS } from './risk';
import { ORDER_TUNING, SkuOrders, StoreReplenishment, WeeklySlots, earliestDelivery, nextAtTimeOfDay, type DeliveryInputs } from './replenishment';

const monday = Date.UTC(2026, 0, 5); // a Monday
const day = (d: number, hours: number, minutes = 0): number => monday + d * DAY_MS + hours * HOUR_MS + minutes * 60_000;

describe('nextAtTimeOfDay', () => {
  it('answers the same day when that time is still ahead, else the next day', () => {
    expect(nextAtTimeOfDay(day(0, 14), 20 * HOUR_MS)).toBe(day(0, 20));
    expect(nextAtTimeOfDay(day(0, 21), 20 * HOUR_MS)).toBe(day(1, 20));
    expect(nextAtTimeOfDay(day(0, 20), 20 * HOUR_MS)).toBe(day(1, 20)); // strictly after
  });
});

describe('WeeklySlots', () => {
  it('keeps a time of day per weekday, and the latest one for weekdays not seen', () => {
    const reviews = new WeeklySlots();
    reviews.add(day(0, 20)); // Monday 20:00
    reviews.add(day(6, 15)); // Sunday: closes early
    const asOf = day(7, 9); // the next Monday morning
    expect(reviews.next(asOf, asOf)).toBe(day(7, 20)); // Monday's own time
    expect(reviews.next(day(7, 21), asOf)).toBe(day(8, 15)); // Tuesday not seen: the latest (Sunday's) time of day
    expect(reviews.next(day(12, 21), asOf)).toBe(day(13, 15)); // Sunday's own time
  });

  it('skips days that `accept` refuses, and forgets a weekday not seen for two weeks', () => {
    const reviews = new WeeklySlots();
    for (let d = 0; d < 7; d++) reviews.add(day(d, 20 + (d === 2 ? 1 : 0))); // Wednesday at 21:00
    const closedTuesday = (at: number): boolean => Math.floor((at - monday) / DAY_MS) % 7 !== 1;
    expect(reviews.next(day(7, 21), day(7, 21), closedTuesday)).toBe(day(9, 21));
    // Three weeks later Wednesday's 21:00 is forgotten: the latest time of day (Sunday's 20:00) is used.
    expect(reviews.next(day(23, 21), day(23, 21))).toBe(day(24, 20));
  });

  it('does not depend on the order instants were added in', () => {
    const instants = [day(0, 20), day(7, 21), day(3, 19), day(14, 20), day(10, 22)];
    const a = new WeeklySlots();
    const b = new WeeklySlots();
    for (const t of instants) a.add(t);
    for (const t of [...instants].reverse()) b.add(t);
    expect(b.toJSON()).toEqual(a.toJSON());
    expect(WeeklySlots.fromJSON(a.toJSON()).next(day(15, 0), day(15, 0))).toBe(a.next(day(15, 0), day(15, 0)));
  });

  it('answers nothing before any instant was seen', () => {
    expect(new WeeklySlots().next(day(0, 0), day(0, 0))).toBeUndefined();
  });
});

describe('StoreReplenishment', () => {
  it('takes the lead time of most of the store’s orders', () => {
    const store = new StoreReplenishment();
    expect(store.typicalLeadDays()).toBeUndefined();
    store.observe(day(0, 20), day(2, 6), 2);
    store.observe(day(0, 20), day(3, 6), 3);
    store.observe(day(1, 20), day(3, 6), 2);
    expect(store.typicalLeadDays()).toBe(2);
  });

  it('expects the review at the end of the UTC day until an order shows when it is, and none on a day without trading', () => {
    const store = new StoreReplenishment();
    expect(store.nextReview(day(0, 14))).toBe(day(1, 0));
    store.observe(day(0, 20), day(2, 6, 15), 2);
    expect(store.nextReview(day(0, 14))).toBe(day(0, 20));
    expect(store.nextReview(day(0, 20, 30))).toBe(day(1, 20));
    const noSunday = (at: number): boolean => Math.floor((at - monday) / DAY_MS) % 7 !== 6;
    expect(store.nextReview(day(5, 21), noSunday)).toBe(day(7, 20)); // Saturday night: Monday's review
    expect(store.nextReceiving(day(2, 20), day(2, 20))).toBe(day(3, 6, 15));
  });
});

describe('SkuOrders', () => {
  it('keeps orders open until the receipt naming them, and counts the units on order', () => {
    const orders = new SkuOrders();
    orders.place('PO-1', day(0, 20), day(2, 6), 24, 2);
    orders.place('PO-2', day(1, 20), day(3, 6), 12, 2);
    expect(orders.expected().sort()).toEqual([day(2, 6), day(3, 6)]);
    expect(orders.onOrder).toBe(36);
    orders.receive('PO-1', day(2, 6, 1));
    expect(orders.expected()).toEqual([day(3, 6)]);
    expect(orders.lastReceiptAt).toBe(day(2, 6, 1));
    orders.receive(null, day(2, 9)); // a receipt naming no order: a delivery all the same
    expect(orders.lastReceiptAt).toBe(day(2, 9));
    expect(orders.onOrder).toBe(12);
  });

  it('does not reopen an order read after its receipt, and forgets one long overdue', () => {
    const orders = new SkuOrders();
    orders.receive('PO-1', day(2, 6));
    orders.place('PO-1', day(0, 20), day(2, 6), 24, 2);
    expect(orders.expected()).toEqual([]);
    orders.place('PO-2', day(0, 20), day(2, 6), 24, 2);
    orders.receive('PO-3', day(2, 6) + ORDER_TUNING.giveUpMs + 1); // another order's receipt, much later
    expect(orders.expected()).toEqual([]);
  });

  it('takes the lead time of its latest order by order time, whatever order the events came in', () => {
    const orders = new SkuOrders();
    orders.place('PO-2', day(7, 20), day(10, 6), 24, 3);
    orders.place('PO-1', day(0, 20), day(2, 6), 24, 2);
    expect(orders.leadDays).toBe(3);
    expect(SkuOrders.fromJSON(orders.toJSON()).toJSON()).toEqual(orders.toJSON());
  });
});

describe('earliestDelivery', () => {
  // A store that reviews at 20:00 UTC and receives at 06:15 UTC, every day.
  const reviewAt = 20 * HOUR_MS;
  const receiveAt = 6 * HOUR_MS + 15 * 60_000;
  const inputs = (asOf: number, openOrders: number[], leadDays: number | null = 2): DeliveryInputs => ({
    asOf,
    openOrders,
    leadDays: leadDays ?? undefined,
    nextReview: nextAtTimeOfDay(asOf, reviewAt),
    nextReceiving: (after) => nextAtTimeOfDay(after, receiveAt),
  });

  it('with no open order: ordered at tonight’s review, received on the morning the lead time gives', () => {
    expect(earliestDelivery(inputs(day(0, 14), []))).toBe(day(2, 6, 15)); // Monday's review + 2 days: Wednesday
    expect(earliestDelivery(inputs(day(0, 21), []))).toBe(day(3, 6, 15)); // after Monday's review: Tuesday's, Thursday
    expect(earliestDelivery(inputs(day(0, 14), [], 1))).toBe(day(1, 6, 15));
  });

  it('takes an open order when it comes first, and the next review when that comes first', () => {
    expect(earliestDelivery(inputs(day(0, 14), [day(1, 6, 15)]))).toBe(day(1, 6, 15));
    // An order due Friday: a reorder at tonight's review would still come Wednesday.
    expect(earliestDelivery(inputs(day(0, 14), [day(4, 6, 15)]))).toBe(day(2, 6, 15));
  });

  it('expects an overdue order at the next receiving slot, until it is given up', () => {
    // Planned Tuesday 06:15, not received by Tuesday 10:00: Wednesday 06:15 (a reorder tonight: Thursday).
    expect(earliestDelivery(inputs(day(1, 10), [day(1, 6, 15)]))).toBe(day(2, 6, 15));
    // Four days overdue: ignored, the reorder path decides (Saturday's review + 2 days: Monday).
    expect(earliestDelivery(inputs(day(5, 10), [day(1, 6, 15)]))).toBe(day(7, 6, 15));
  });

  it('falls back to the review plus the lead time without a receiving slot, and to a week without a lead time', () => {
    expect(earliestDelivery({ ...inputs(day(0, 14), []), nextReceiving: () => undefined })).toBe(day(2, 20));
    expect(earliestDelivery(inputs(day(0, 14), [], null))).toBe(day(0, 14) + ORDER_TUNING.unknownDeliveryMs);
    expect(earliestDelivery(inputs(day(0, 14), [day(3, 6, 15)], null))).toBe(day(3, 6, 15));
  });
});
