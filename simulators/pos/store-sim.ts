/**
 * One store, one UTC hour at a time. Within an hour, in event-time order:
 *   1. promotions that end, anomalies that start or end (store-promotions.ts, store-anomalies.ts);
 *   2. the morning routine, an hour before opening: cycle counts (and corrections), deliveries,
 *      price changes, new promotions (morning-routine.ts);
 *   3. trading: a demand draw per SKU, units split into lines, lines shuffled into baskets at
 *      sorted times, each line capped by the stock left when its basket reaches the till;
 *      returns (restocking) interleaved in time; voids; terminal heartbeats (till.ts);
 *   0. a review left pending by the last closing, for policies that review after it (ordering.ts);
 *   4. closing: recorded shrink (spoilage), unrecorded theft, the replenishment review (an order
 *      event per purchase order, announcing its planned delivery) (closing.ts).
 * The state they share is in store-state.ts, the ground-truth rows in store-truth.ts.
 * Pure and synchronous: it appends events and ground truth to the arrays it is given.
 */
import type { Chain, StoreProfile } from './chain';
import type { DemandModel, HourContext } from './demand';
import { HOUR_MS, MINUTE_MS } from './calendar';
import { closeStore, review } from './closing';
import type { HourTruth } from './ground-truth';
import { type HourEvents, markOf, sortSince } from './hour-events';
import type { StoreInventory } from './inventory';
import { ROUTINE_BEFORE_OPEN, morningRoutine } from './morning-routine';
import { StoreAnomalies } from './store-anomalies';
import { StorePromotions } from './store-promotions';
import { type StoreSimOptions, StoreState, type StoreWindow } from './store-state';
import { emitDaily, flushHour, stockoutRow } from './store-truth';
import { Till } from './till';

export { EVENT_TOPICS, type EventTopic, type HourEvents, emptyEvents } from './hour-events';
export type { StoreSimOptions, StoreWindow } from './store-state';
export { RETURN_RATE, VOID_RATE } from './till';

export class StoreSimulator {
  readonly storeId: string;
  readonly inventory: StoreInventory;
  private readonly s: StoreState;
  private readonly anomalies: StoreAnomalies;
  private readonly promotions: StorePromotions;
  private readonly till: Till;

  constructor(
    readonly profile: StoreProfile,
    chain: Chain,
    model: DemandModel,
    readonly window: StoreWindow,
    options: StoreSimOptions,
  ) {
    const s = (this.s = new StoreState(profile, chain, model, window, options));
    this.storeId = s.storeId;
    this.inventory = s.inventory;
    this.anomalies = new StoreAnomalies(s);
    this.promotions = new StorePromotions(s);
    this.till = new Till(s, this.anomalies);
  }

  /** Simulates the UTC hour starting at `hourStart` (a no-op outside the store's window). */
  step(hourStart: number, events: HourEvents, truth: HourTruth): void {
    const s = this.s;
    if (hourStart < this.window.start || hourStart >= this.window.end) return;
    const h = s.model.hour(this.profile, hourStart);
    if (h.localDay !== s.day) this.startDay(h, truth);
    s.dayHours++;
    s.lastHourEnd = hourStart + HOUR_MS;
    const marks = markOf(events);
    if (s.reviewDue && s.reviewDue.at <= hourStart) {
      const due = s.reviewDue;
      s.reviewDue = null;
      review(s, due.localDay, hourStart, events, truth);
    }

    this.promotions.endDue(hourStart, events);
    this.anomalies.update(hourStart, truth);
    const slotEnd = h.localMinute + 60;
    if (s.todayOpen && s.routineDoneDay !== h.localDay) {
      const routine = s.todayOpens - ROUTINE_BEFORE_OPEN;
      if (routine >= h.localMinute && routine < slotEnd) {
        s.routineDoneDay = h.localDay;
        morningRoutine(s, this.anomalies, this.promotions, h.localDay, hourStart + (routine - h.localMinute) * MINUTE_MS, events, truth);
      }
    }
    if (h.open) this.till.trade(h, events, truth);
    if (s.todayOpen && s.closingDoneDay !== h.localDay && s.todayCloses >= h.localMinute && s.todayCloses < slotEnd) {
      s.closingDoneDay = h.localDay;
      closeStore(s, h.localDay, hourStart + (s.todayCloses - h.localMinute) * MINUTE_MS, events, truth);
    }
    flushHour(s, hourStart, truth);
    for (const o of s.inventory.drainIntervals()) truth.stockouts.push(stockoutRow(s, o.sku, o.start, o.end!, false, o.bookOnHandAtStart));
    sortSince(events, marks);
  }

  /** The review waiting after closing (a policy that reviews then): its local day and the hour it runs at; or null. */
  get pendingReview(): { readonly localDay: number; readonly at: number } | null {
    return this.s.reviewDue;
  }

  /**
   * Expected units per sku (the demand distribution's mean, by product index) summed over the
   * hours simulated so far in the local day `localDay`: a live view, for the stock-warning oracle
   * (simulators/quality/stock-oracle.ts), which knows the true demand mean.
   */
  get expectedToday(): { readonly localDay: number; readonly units: Float64Array } {
    return { localDay: this.s.day, units: this.s.dExpected };
  }

  /** Closes the run for this store: the partial day, open stock-outs and running anomalies. */
  finish(truth: HourTruth): void {
    const s = this.s;
    if (Number.isNaN(s.lastHourEnd)) return; // never simulated
    // The window's end, or where a real-time run stopped.
    const end = Math.min(this.window.end, s.lastHourEnd);
    if (!Number.isNaN(s.day)) emitDaily(s, truth);
    s.day = Number.NaN;
    for (const o of s.inventory.openIntervals()) truth.stockouts.push(stockoutRow(s, o.sku, o.start, end, true, o.bookOnHandAtStart));
    this.anomalies.finish(end, truth);
  }

  private startDay(h: HourContext, truth: HourTruth): void {
    const s = this.s;
    if (!Number.isNaN(s.day)) emitDaily(s, truth);
    s.day = h.localDay;
    s.dayHours = 0;
    const window = s.model.opening(this.profile, h.localDay);
    s.todayOpen = window !== null;
    s.todayOpens = window?.opens ?? 0;
    s.todayCloses = window?.closes ?? 0;
    if (!window || s.options.anomalyRate <= 0) return;
    this.anomalies.planDay(h, window.opens, window.closes);
  }
}
