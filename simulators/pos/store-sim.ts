/**
 * One store, one UTC hour at a time. Within an hour, in event-time order:
 *   1. promotions that end, anomalies that start or end;
 *   2. the morning routine, an hour before opening: cycle counts (and corrections), deliveries,
 *      price changes, new promotions;
 *   3. trading: a demand draw per SKU, units split into lines, lines shuffled into baskets at
 *      sorted times, each line capped by the stock left when its basket reaches the till;
 *      returns (restocking) interleaved in time; voids; terminal heartbeats;
 *   4. closing: recorded shrink (spoilage), unrecorded theft, the replenishment review (an order
 *      event per purchase order, announcing its planned delivery).
 * Pure and synchronous: it appends events and ground truth to the arrays it is given.
 */
import type {
  InventoryMovement,
  PaymentMethod,
  PriceChanged,
  PromotionChanged,
  ReplenishmentOrdered,
  ReturnReason,
  SaleCompleted,
  SaleLine,
  SaleReturned,
  SaleVoided,
  StockCounted,
  TerminalHeartbeat,
  TopicValues,
  VoidReason,
} from '../../schemas/generated/events';
import { ANOMALY_COOLDOWN_DAYS, type AnomalyLabel, type PlannedAnomaly, labelOf, planDay } from './anomalies';
import { HOUR_MS, MINUTE_MS, formatDay } from './calendar';
import { type Chain, type ProductProfile, type StoreProfile, charmPrice, localPrice } from './chain';
import { DEMAND_DISPERSION, type DemandModel, type HourContext, expectedUnits, promotionUplift } from './demand';
import type { HourTruth } from './ground-truth';
import { type PendingOrder, StoreInventory, THEFT_RATE } from './inventory';
import { Rng } from './random';

export const EVENT_TOPICS = [
  'pos.sales',
  'pos.returns',
  'pos.voids',
  'inventory.movements',
  'inventory.counts',
  'inventory.orders',
  'pricing.prices',
  'pricing.promotions',
  'pos.heartbeats',
] as const;
export type EventTopic = (typeof EVENT_TOPICS)[number];
export type HourEvents = { [T in EventTopic]: TopicValues[T][] };

export function emptyEvents(): HourEvents {
  return {
    'pos.sales': [],
    'pos.returns': [],
    'pos.voids': [],
    'inventory.movements': [],
    'inventory.counts': [],
    'inventory.orders': [],
    'pricing.prices': [],
    'pricing.promotions': [],
    'pos.heartbeats': [],
  };
}

// ── behaviour rates (documented in simulators/README.md) ─────────────────────────────────

const PAYMENT_METHODS: readonly PaymentMethod[] = ['CARD', 'CASH', 'MOBILE', 'GIFT_CARD', 'OTHER'];
const PAYMENT_WEIGHTS = [0.6, 0.2, 0.16, 0.02, 0.02];
/** Units on one line: mostly 1. */
const LINE_QUANTITY_WEIGHTS = [0.78, 0.15, 0.05, 0.01, 0.01]; // 1, 2, 3, 4, 5 units
const LINE_QUANTITY_CDF = LINE_QUANTITY_WEIGHTS.map((_, i) => LINE_QUANTITY_WEIGHTS.slice(0, i + 1).reduce((a, b) => a + b, 0));

function lineQuantity(rng: Rng): number {
  const u = rng.next();
  let q = 0;
  while (q < LINE_QUANTITY_CDF.length - 1 && u >= LINE_QUANTITY_CDF[q]!) q++;
  return q + 1;
}
/** Basket size: 1 + NB(mean lines - 1, size 1.5), at most this many lines. */
const MAX_BASKET_LINES = 40;
const BASKET_DISPERSION = 1.5;
/** Returns per completed basket, drawn from the store's last RECENT_SALES sales. */
export const RETURN_RATE = 0.006;
const RECENT_SALES = 512;
const RETURN_WITH_RECEIPT = 0.8;
/** Ordinary voids per completed basket. */
export const VOID_RATE = 0.004;
/** Voids above this many euro cents need a supervisor (in the store's currency). */
const SUPERVISOR_THRESHOLD_EUR = 5_000;
/** Chance per store x SKU x open day of a shelf price change, and its size. */
const PRICE_CHANGE_RATE = 0.004;
const PRICE_CHANGE_RANGE = [0.92, 1.12] as const;
/** Each morning a new promotion starts with this chance while fewer than the maximum run. */
const PROMOTION_START_CHANCE = 0.3;
const MAX_ACTIVE_PROMOTIONS = 2;
const PROMOTION_SHARE = 0.02; // of the catalogue per promotion
const PROMOTION_PERCENTS = [10, 15, 20, 25, 30, 40] as const;
const PROMOTION_DAYS = [3, 10] as const;
/** Minutes before opening of the morning routine, and offsets of its parts. */
const ROUTINE_BEFORE_OPEN = 60;
const RECEIPTS_AFTER_ROUTINE = 15 * MINUTE_MS;
const PRICES_AFTER_ROUTINE = 45 * MINUTE_MS;
const PROMOTIONS_AFTER_ROUTINE = 50 * MINUTE_MS;
const SOFTWARE_VERSIONS = ['4.2.1', '4.3.0'] as const;

const RETURN_REASONS: readonly ReturnReason[] = ['UNWANTED', 'DAMAGED', 'WRONG_ITEM', 'EXPIRED', 'OTHER'];
const RETURN_WEIGHTS_PERISHABLE = [0.1, 0.35, 0.05, 0.4, 0.1];
const RETURN_WEIGHTS_OTHER = [0.45, 0.2, 0.2, 0, 0.15];
const VOID_REASONS: readonly VoidReason[] = ['CUSTOMER_CANCELLED', 'SCAN_ERROR', 'PAYMENT_FAILED', 'PRICE_DISPUTE', 'OTHER'];
const VOID_WEIGHTS = [0.35, 0.35, 0.2, 0.05, 0.05];
const BURST_VOID_WEIGHTS = [0.6, 0, 0, 0, 0.4];

export interface StoreWindow {
  /** First instant simulated (a whole UTC hour). */
  readonly start: number;
  /** End of the simulated time (exclusive); Infinity while a real-time run goes on. */
  readonly end: number;
}

export interface StoreSimOptions {
  readonly seed: number;
  readonly anomalyRate: number;
  readonly heartbeats: boolean;
}

interface Promotion {
  readonly id: string;
  readonly skus: readonly number[];
  readonly percent: number;
  readonly startsAt: number;
  readonly endsAt: number;
}

interface ActiveAnomaly {
  readonly plan: PlannedAnomaly;
  readonly start: number;
}

/** Per topic, the index where this store's events of the current hour begin. */
type Marks = { [T in EventTopic]: number };

export class StoreSimulator {
  readonly storeId: string;
  private readonly n: number;
  private readonly skus: readonly string[];
  private readonly rng: Rng;
  private readonly anomalyRng: Rng;
  /**
   * Ids of order events only. The orders were added to the model later: drawing their ids from
   * `rng` would shift every draw after the first order, so a seed would no longer give the
   * demand, stock-outs and anomalies it gave before.
   */
  private readonly ordersRng: Rng;
  readonly inventory: StoreInventory;
  private readonly baseRate: Float64Array;
  private readonly categoryOf: Int32Array;
  private readonly price: Int32Array;
  private readonly unitCost: Int32Array;
  private readonly uplift: Float64Array;
  private readonly promoPercent: Int32Array;
  private readonly promoId: (string | null)[];
  private readonly demandFactor: Float64Array;
  private readonly priceFactor: Float64Array;
  private readonly terminalSeq: Int32Array;
  private readonly cashiers: string[][];
  private readonly supervisorThreshold: number;
  /** Lines per basket beyond the first: NB(basket lines - 1, BASKET_DISPERSION). */
  private readonly extraBasketLines: (rng: Rng) => number;

  private promotions: Promotion[] = [];
  private planned: PlannedAnomaly[] = [];
  private active: ActiveAnomaly[] = [];
  /** SKU -> active phantom anomaly. */
  private readonly phantoms = new Map<number, ActiveAnomaly>();
  /** SKUs counted at least once in this run: only then do the events show what the books hold. */
  private readonly counted = new Set<number>();
  /** SKU -> end of its last anomaly: a SKU rests ANOMALY_COOLDOWN_DAYS before the next one. */
  private readonly anomalyEnded = new Map<number, number>();
  private forcedCounts: { day: number; sku: number }[] = [];
  private voidBursts: PlannedAnomaly[] = [];
  // The last RECENT_SALES sales, one line each, kept as numbers: returns draw from them, and
  // holding the sale objects would keep them alive into the old generation of the heap.
  private readonly recentTransaction: string[] = [];
  private readonly recentSku = new Int32Array(RECENT_SALES);
  private readonly recentQty = new Int32Array(RECENT_SALES);
  private readonly recentPrice = new Float64Array(RECENT_SALES);
  private readonly recentDiscount = new Float64Array(RECENT_SALES);
  private recentNext = 0;
  private returnSeq = 0;
  private promotionSeq = 0;
  private anomalySeq = 0;

  // The current local day.
  private day = Number.NaN;
  private dayHours = 0;
  private todayOpens = 0;
  private todayCloses = 0;
  private todayOpen = false;
  private routineDoneDay = Number.NaN;
  private closingDoneDay = Number.NaN;
  private lastHourEnd = Number.NaN;

  // Hourly and daily accumulators, per SKU.
  private readonly hExpected: Float64Array;
  private readonly hDemand: Int32Array;
  private readonly hSold: Int32Array;
  private readonly touched: Int32Array;
  private touchedCount = 0;
  private readonly dExpected: Float64Array;
  private readonly dDemand: Int32Array;
  private readonly dSold: Int32Array;

  // Scratch buffers for the hour's lines and baskets, reused.
  private lineSku = new Int32Array(1024);
  private lineQty = new Int32Array(1024);
  private lineOrder = new Int32Array(1024);
  private readonly basketSkus = new Int32Array(MAX_BASKET_LINES);
  private readonly basketWanted = new Int32Array(MAX_BASKET_LINES);
  /** SKU index of each line of the sale being built. */
  private readonly basketSold = new Int32Array(MAX_BASKET_LINES);

  constructor(
    readonly profile: StoreProfile,
    private readonly chain: Chain,
    private readonly model: DemandModel,
    readonly window: StoreWindow,
    private readonly options: StoreSimOptions,
  ) {
    const products = chain.products;
    const n = (this.n = products.length);
    this.storeId = profile.store.store_id;
    this.rng = Rng.derive(options.seed, 'store', profile.index);
    this.anomalyRng = Rng.derive(options.seed, 'anomalies', profile.index);
    this.ordersRng = Rng.derive(options.seed, 'orders', profile.index);
    this.inventory = new StoreInventory(profile, products, Rng.derive(options.seed, 'inventory', profile.index));
    this.baseRate = Float64Array.from(products, (p) => p.baseRate);
    this.categoryOf = Int32Array.from(products, (p) => p.categoryIndex);
    this.price = Int32Array.from(products, (p) => localPrice(p.product.price, profile.region));
    this.unitCost = Int32Array.from(products, (p) => Math.max(1, Math.round(p.product.unit_cost * profile.region.perEur)));
    this.uplift = new Float64Array(n).fill(1);
    this.promoPercent = new Int32Array(n);
    this.promoId = new Array<string | null>(n).fill(null);
    this.demandFactor = new Float64Array(n).fill(1);
    this.priceFactor = new Float64Array(n).fill(1);
    this.terminalSeq = new Int32Array(profile.terminals.length);
    this.cashiers = profile.terminals.map((_, t) => [`${this.storeId}-C${String(2 * t + 1).padStart(2, '0')}`, `${this.storeId}-C${String(2 * t + 2).padStart(2, '0')}`]);
    this.supervisorThreshold = SUPERVISOR_THRESHOLD_EUR * profile.region.perEur;
    this.extraBasketLines = Rng.negativeBinomialSampler(profile.size.basketLines - 1, BASKET_DISPERSION);
    this.skus = products.map((p) => p.product.sku);
    this.hExpected = new Float64Array(n);
    this.hDemand = new Int32Array(n);
    this.hSold = new Int32Array(n);
    this.touched = new Int32Array(n);
    this.dExpected = new Float64Array(n);
    this.dDemand = new Int32Array(n);
    this.dSold = new Int32Array(n);
  }

  /** Simulates the UTC hour starting at `hourStart` (a no-op outside the store's window). */
  step(hourStart: number, events: HourEvents, truth: HourTruth): void {
    if (hourStart < this.window.start || hourStart >= this.window.end) return;
    const h = this.model.hour(this.profile, hourStart);
    if (h.localDay !== this.day) this.startDay(h, truth);
    this.dayHours++;
    this.lastHourEnd = hourStart + HOUR_MS;
    const marks = markOf(events);

    this.endPromotions(hourStart, events);
    this.updateAnomalies(hourStart, truth);
    const slotEnd = h.localMinute + 60;
    if (this.todayOpen && this.routineDoneDay !== h.localDay) {
      const routine = this.todayOpens - ROUTINE_BEFORE_OPEN;
      if (routine >= h.localMinute && routine < slotEnd) {
        this.routineDoneDay = h.localDay;
        this.routine(h.localDay, hourStart + (routine - h.localMinute) * MINUTE_MS, events, truth);
      }
    }
    if (h.open) this.trade(h, events, truth);
    if (this.todayOpen && this.closingDoneDay !== h.localDay && this.todayCloses >= h.localMinute && this.todayCloses < slotEnd) {
      this.closingDoneDay = h.localDay;
      this.closing(h.localDay, hourStart + (this.todayCloses - h.localMinute) * MINUTE_MS, events);
    }
    this.flushHour(hourStart, truth);
    for (const s of this.inventory.drainIntervals()) truth.stockouts.push(this.stockoutRow(s.sku, s.start, s.end!, false, s.bookOnHandAtStart));
    sortSince(events, marks);
  }

  /** Closes the run for this store: the partial day, open stock-outs and running anomalies. */
  finish(truth: HourTruth): void {
    if (Number.isNaN(this.lastHourEnd)) return; // never simulated
    // The window's end, or where a real-time run stopped.
    const end = Math.min(this.window.end, this.lastHourEnd);
    if (!Number.isNaN(this.day)) this.emitDaily(truth);
    this.day = Number.NaN;
    for (const s of this.inventory.openIntervals()) truth.stockouts.push(this.stockoutRow(s.sku, s.start, end, true, s.bookOnHandAtStart));
    for (const a of this.active) truth.anomalies.push(this.label(a, Math.min(a.plan.end, end), a.plan.end > end || a.plan.type === 'PHANTOM_INVENTORY' ? 'run_end' : 'planned'));
    this.active = [];
    this.phantoms.clear();
  }

  // ── days ───────────────────────────────────────────────────────────────────────────────

  private startDay(h: HourContext, truth: HourTruth): void {
    if (!Number.isNaN(this.day)) this.emitDaily(truth);
    this.day = h.localDay;
    this.dayHours = 0;
    const window = this.model.opening(this.profile, h.localDay);
    this.todayOpen = window !== null;
    this.todayOpens = window?.opens ?? 0;
    this.todayCloses = window?.closes ?? 0;
    if (!window || this.options.anomalyRate <= 0) return;
    const plans = planDay(
      {
        store: this.profile,
        products: this.chain.products,
        localDay: h.localDay,
        midnight: this.model.clock(this.profile).localMidnight(h.localDay),
        opens: window.opens,
        closes: window.closes,
        notBefore: h.hourStart,
        rate: this.options.anomalyRate,
        busySkus: this.busySkus(h.hourStart),
        nextId: () => `A-${this.storeId}-${String(++this.anomalySeq).padStart(4, '0')}`,
      },
      this.anomalyRng,
    );
    this.planned = [...this.planned, ...plans].sort((a, b) => a.start - b.start);
  }

  /** SKUs carrying, planned for, or recently out of an anomaly. */
  private busySkus(now: number): Set<number> {
    const busy = new Set([...this.active.map((a) => a.plan.sku), ...this.planned.map((p) => p.sku)]);
    for (const [sku, end] of this.anomalyEnded) {
      if (now - end < ANOMALY_COOLDOWN_DAYS * 24 * HOUR_MS) busy.add(sku);
      else this.anomalyEnded.delete(sku);
    }
    return busy;
  }

  private emitDaily(truth: HourTruth): void {
    const date = formatDay(this.day);
    const inv = this.inventory;
    const products = this.chain.products;
    for (let j = 0; j < this.n; j++) {
      const demand = this.dDemand[j]!;
      const sold = this.dSold[j]!;
      truth.daily.push(this.storeId, products[j]!.product.sku, date, this.dayHours, this.dExpected[j]!, demand, sold, demand - sold, inv.onHand[j]!, inv.book[j]!);
    }
    this.dExpected.fill(0);
    this.dDemand.fill(0);
    this.dSold.fill(0);
  }

  // ── anomalies and promotions at the top of the hour ────────────────────────────────────

  private updateAnomalies(hourStart: number, truth: HourTruth): void {
    // End what is over (phantoms end on counts and deliveries, not on the clock).
    if (this.active.length > 0) {
      const still: ActiveAnomaly[] = [];
      for (const a of this.active) {
        if (a.plan.type !== 'PHANTOM_INVENTORY' && a.plan.end <= hourStart) {
          this.deactivate(a.plan);
          truth.anomalies.push(this.label(a, a.plan.end, 'planned'));
        } else {
          still.push(a);
        }
      }
      this.active = still;
    }
    if (this.planned.length === 0 || this.planned[0]!.start > hourStart) return;
    const due: PlannedAnomaly[] = [];
    while (this.planned.length > 0 && this.planned[0]!.start <= hourStart) due.push(this.planned.shift()!);
    const postponed: PlannedAnomaly[] = [];
    for (const plan of due) {
      if (plan.type === 'PHANTOM_INVENTORY') {
        // Phantom inventory needs the books to show stock, in the events too (a count of the SKU
        // in this run: the stream has no opening balance), and no delivery due (which would
        // refill the shelf within hours); wait for that until the count day.
        if (this.inventory.book[plan.sku]! <= 0 || !this.counted.has(plan.sku) || this.inventory.onOrder[plan.sku]! > 0 || this.phantoms.has(plan.sku)) {
          if (hourStart + HOUR_MS < plan.end) postponed.push({ ...plan, start: hourStart + HOUR_MS });
          continue;
        }
        this.inventory.lose(plan.sku, this.inventory.onHand[plan.sku]!, hourStart);
        const a = { plan, start: hourStart };
        this.phantoms.set(plan.sku, a);
        this.forcedCounts.push({ day: plan.countDay, sku: plan.sku });
        this.active.push(a);
        continue;
      }
      if (plan.type === 'DEMAND_SPIKE' || plan.type === 'DEMAND_DROP') this.demandFactor[plan.sku] = plan.magnitude;
      if (plan.type === 'PRICE_ERROR') this.priceFactor[plan.sku] = plan.magnitude;
      if (plan.type === 'VOID_BURST') this.voidBursts.push(plan);
      this.active.push({ plan, start: plan.start });
    }
    if (postponed.length > 0) this.planned = [...this.planned, ...postponed].sort((a, b) => a.start - b.start);
  }

  private deactivate(plan: PlannedAnomaly): void {
    if (plan.type === 'DEMAND_SPIKE' || plan.type === 'DEMAND_DROP') this.demandFactor[plan.sku] = 1;
    if (plan.type === 'PRICE_ERROR') this.priceFactor[plan.sku] = 1;
    if (plan.type === 'VOID_BURST') this.voidBursts = this.voidBursts.filter((b) => b !== plan);
  }

  /** A phantom ends when units reach the shelf or a count fixes the books. */
  private endPhantom(sku: number, at: number, by: AnomalyLabel['ended_by'], truth: HourTruth): void {
    const a = this.phantoms.get(sku);
    if (!a) return;
    this.phantoms.delete(sku);
    this.active = this.active.filter((x) => x !== a);
    this.forcedCounts = this.forcedCounts.filter((f) => f.sku !== sku);
    truth.anomalies.push(this.label(a, at, by));
  }

  private label(a: ActiveAnomaly, end: number, by: AnomalyLabel['ended_by']): AnomalyLabel {
    if (a.plan.sku >= 0) this.anomalyEnded.set(a.plan.sku, end);
    return labelOf(this.profile, this.chain.products, a.plan, a.start, end, by);
  }

  private endPromotions(hourStart: number, events: HourEvents): void {
    if (this.promotions.length === 0) return;
    const hourEnd = hourStart + HOUR_MS;
    const still: Promotion[] = [];
    for (const p of this.promotions) {
      if (p.endsAt >= hourEnd) {
        still.push(p);
        continue;
      }
      for (const j of p.skus) {
        this.uplift[j] = 1;
        this.promoPercent[j] = 0;
        this.promoId[j] = null;
      }
      events['pricing.promotions'].push(this.promotionEvent(p, 'ENDED', Math.max(p.endsAt, hourStart)));
    }
    this.promotions = still;
  }

  private promotionEvent(p: Promotion, phase: 'STARTED' | 'ENDED', at: number): PromotionChanged {
    const products = this.chain.products;
    return {
      event_id: this.rng.uuid(),
      occurred_at: at,
      store_id: this.storeId,
      promotion_id: p.id,
      phase,
      skus: p.skus.map((j) => products[j]!.product.sku),
      discount_percent: p.percent,
      starts_at: p.startsAt,
      ends_at: p.endsAt,
    };
  }

  // ── morning routine ────────────────────────────────────────────────────────────────────

  private routine(localDay: number, at: number, events: HourEvents, truth: HourTruth): void {
    const rng = this.rng;
    const inv = this.inventory;
    const products = this.chain.products;
    const counts = events['inventory.counts'];
    const movements = events['inventory.movements'];

    // Cycle counts first, on the night's stock; then corrections where the books were wrong.
    const forced = new Set(this.forcedCounts.filter((f) => f.day <= localDay).map((f) => f.sku));
    let k = 0;
    for (let j = 0; j < this.n; j++) {
      if (!inv.isCountDay(j, localDay) && !forced.has(j)) continue;
      const t = at + k++ * 1000;
      const count: StockCounted = {
        event_id: rng.uuid(),
        occurred_at: t,
        store_id: this.storeId,
        sku: products[j]!.product.sku,
        on_hand: inv.onHand[j]!,
        counted_by: `${this.storeId}-E${1 + rng.below(4)}`,
      };
      counts.push(count);
      this.counted.add(j);
      const delta = inv.count(j);
      if (delta !== 0) {
        movements.push(this.movement(t, j, 'COUNT_CORRECTION', delta, 'cycle count', count.event_id, null));
      }
      this.endPhantom(j, t, 'count', truth);
    }

    k = 0;
    for (const { order, delivered } of inv.deliveries(localDay, rng)) {
      const t = at + RECEIPTS_AFTER_ROUTINE + k++ * 1000;
      inv.add(order.sku, delivered, t);
      const reason = delivered < order.quantity ? 'supplier delivery (short)' : 'supplier delivery';
      movements.push(this.movement(t, order.sku, 'RECEIPT', delivered, reason, order.orderId, this.unitCost[order.sku]!));
      this.endPhantom(order.sku, t, 'receipt', truth);
    }

    k = 0;
    for (let j = 0; j < this.n; j++) {
      if (!rng.chance(PRICE_CHANGE_RATE)) continue;
      const old = this.price[j]!;
      const next = charmPrice(old * rng.between(PRICE_CHANGE_RANGE[0], PRICE_CHANGE_RANGE[1]));
      if (next === old) continue;
      const t = at + PRICES_AFTER_ROUTINE + k++ * 1000;
      const change: PriceChanged = { event_id: rng.uuid(), occurred_at: t, store_id: this.storeId, sku: products[j]!.product.sku, old_price: old, new_price: next, currency: this.profile.region.currency, effective_at: t };
      events['pricing.prices'].push(change);
      this.price[j] = next;
    }

    if (this.promotions.length < MAX_ACTIVE_PROMOTIONS && rng.chance(PROMOTION_START_CHANCE)) this.startPromotion(at + PROMOTIONS_AFTER_ROUTINE, events);
  }

  private startPromotion(at: number, events: HourEvents): void {
    const rng = this.rng;
    const wanted = Math.max(1, Math.round(this.n * PROMOTION_SHARE));
    const skus: number[] = [];
    for (let attempt = 0; attempt < wanted * 4 && skus.length < wanted; attempt++) {
      const j = rng.below(this.n);
      if (this.promoPercent[j] === 0 && !skus.includes(j)) skus.push(j);
    }
    if (skus.length === 0) return;
    skus.sort((a, b) => a - b);
    const percent = rng.pick(PROMOTION_PERCENTS);
    const promotion: Promotion = {
      id: `${this.storeId}-PR${String(++this.promotionSeq).padStart(4, '0')}`,
      skus,
      percent,
      startsAt: at,
      endsAt: at + rng.intBetween(PROMOTION_DAYS[0], PROMOTION_DAYS[1]) * 24 * HOUR_MS,
    };
    for (const j of skus) {
      this.promoPercent[j] = percent;
      this.promoId[j] = promotion.id;
      this.uplift[j] = promotionUplift(percent, this.chain.products[j]!.category.elasticity);
    }
    this.promotions.push(promotion);
    events['pricing.promotions'].push(this.promotionEvent(promotion, 'STARTED', at));
  }

  private movement(at: number, sku: number, type: InventoryMovement['movement_type'], delta: number, reason: string, reference: string | null, unitCost: number | null): InventoryMovement {
    return {
      event_id: this.rng.uuid(),
      occurred_at: at,
      store_id: this.storeId,
      sku: this.chain.products[sku]!.product.sku,
      movement_type: type,
      quantity_delta: delta,
      reason,
      reference_id: reference,
      unit_cost: unitCost,
    };
  }

  // ── trading ────────────────────────────────────────────────────────────────────────────

  private trade(h: HourContext, events: HourEvents, truth: HourTruth): void {
    const rng = this.rng;
    const n = this.n;
    const slot = h.slotFactor;
    const cf = h.categoryFactors;
    const base = this.baseRate;
    const cat = this.categoryOf;

    // 1. Demand per SKU, split into lines.
    let lines = 0;
    for (let j = 0; j < n; j++) {
      const mean = expectedUnits(base[j]!, slot, cf[cat[j]!]!, this.uplift[j]!, this.demandFactor[j]!);
      this.dExpected[j] = this.dExpected[j]! + mean;
      const demand = rng.negativeBinomial(mean, DEMAND_DISPERSION);
      if (demand === 0) continue;
      this.hExpected[j] = mean;
      this.hDemand[j] = demand;
      this.dDemand[j] = this.dDemand[j]! + demand;
      this.touched[this.touchedCount++] = j;
      let rest = demand;
      while (rest > 0) {
        const q = Math.min(rest, lineQuantity(rng));
        if (lines === this.lineSku.length) this.growLines();
        this.lineSku[lines] = j;
        this.lineQty[lines] = q;
        this.lineOrder[lines] = lines;
        lines++;
        rest -= q;
      }
    }

    // 2. Lines shuffled into baskets; basket times sorted within the open part of the hour.
    rng.shuffle(this.lineOrder, lines);
    const sizes: number[] = [];
    for (let used = 0; used < lines; ) {
      const size = Math.min(lines - used, MAX_BASKET_LINES, 1 + this.extraBasketLines(rng));
      sizes.push(size);
      used += size;
    }
    const span = h.openTo - h.openFrom;
    const times = new Float64Array(sizes.length);
    for (let b = 0; b < sizes.length; b++) times[b] = h.openFrom + Math.floor(rng.next() * span);
    times.sort();

    // Returns happen between the sales of the hour, so a restocked unit can be sold again.
    const returnCount = this.recentTransaction.length > 0 ? rng.poisson(RETURN_RATE * sizes.length) : 0;
    const returnTimes = new Float64Array(returnCount);
    for (let r = 0; r < returnCount; r++) returnTimes[r] = h.openFrom + Math.floor(rng.next() * span);
    returnTimes.sort();
    let nextReturn = 0;

    // 3. Each basket at the till, in time order.
    const sales = events['pos.sales'];
    const terminals = this.profile.terminals;
    const shift = h.localHour < 14 ? 0 : 1;
    const currency = this.profile.region.currency;
    const vat = this.profile.region.vatRate;
    let line = 0;
    let completed = 0;
    for (let b = 0; b < sizes.length; b++) {
      const at = times[b]!;
      while (nextReturn < returnCount && returnTimes[nextReturn]! <= at) this.customerReturn(returnTimes[nextReturn++]!, events, truth);
      // Merge repeated SKUs of the basket into one line.
      let unique = 0;
      for (let k = 0; k < sizes[b]!; k++, line++) {
        const idx = this.lineOrder[line]!;
        const j = this.lineSku[idx]!;
        let u = 0;
        while (u < unique && this.basketSkus[u] !== j) u++;
        if (u === unique) {
          this.basketSkus[unique] = j;
          this.basketWanted[unique++] = this.lineQty[idx]!;
        } else {
          this.basketWanted[u] = this.basketWanted[u]! + this.lineQty[idx]!;
        }
      }
      const saleLines: SaleLine[] = new Array<SaleLine>(unique);
      let kept = 0;
      let subtotal = 0;
      let discountTotal = 0;
      for (let u = 0; u < unique; u++) {
        const j = this.basketSkus[u]!;
        const sold = this.inventory.take(j, this.basketWanted[u]!, at);
        if (sold === 0) continue;
        this.hSold[j] = this.hSold[j]! + sold;
        this.dSold[j] = this.dSold[j]! + sold;
        const factor = this.priceFactor[j]!;
        const unitPrice = factor === 1 ? this.price[j]! : Math.max(1, Math.round(this.price[j]! * factor));
        const percent = this.promoPercent[j]!;
        const discount = percent > 0 ? Math.round((sold * unitPrice * percent) / 100) : 0;
        this.basketSold[kept] = j;
        saleLines[kept] = { line_number: kept + 1, sku: this.skus[j]!, quantity: sold, unit_price: unitPrice, discount, promotion_id: percent > 0 ? this.promoId[j]! : null };
        kept++;
        subtotal += sold * unitPrice;
        discountTotal += discount;
      }
      if (kept === 0) continue; // everything the customer wanted was out of stock
      if (kept < unique) saleLines.length = kept;
      const terminal = rng.below(terminals.length);
      const total = subtotal - discountTotal;
      const sale: SaleCompleted = {
        event_id: rng.uuid(),
        occurred_at: at,
        store_id: this.storeId,
        terminal_id: terminals[terminal]!,
        transaction_id: this.nextTransaction(terminal),
        cashier_id: this.cashiers[terminal]![shift]!,
        payment_method: PAYMENT_METHODS[rng.weighted(PAYMENT_WEIGHTS)]!,
        currency,
        lines: saleLines,
        subtotal,
        discount_total: discountTotal,
        tax_total: Math.round((total * vat) / (1 + vat)),
        total,
      };
      sales.push(sale);
      completed++;
      const keptLine = rng.below(kept);
      const recentLine = saleLines[keptLine]!;
      const r = this.recentNext;
      this.recentTransaction[r] = sale.transaction_id;
      this.recentSku[r] = this.basketSold[keptLine]!;
      this.recentQty[r] = recentLine.quantity;
      this.recentPrice[r] = recentLine.unit_price;
      this.recentDiscount[r] = recentLine.discount;
      this.recentNext = (r + 1) % RECENT_SALES;
    }
    while (nextReturn < returnCount) this.customerReturn(returnTimes[nextReturn++]!, events, truth);

    this.voids(h, completed, events);
    if (this.options.heartbeats) this.heartbeats(h, events);
  }

  private growLines(): void {
    const grow = (a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> => {
      const b = new Int32Array(a.length * 2);
      b.set(a);
      return b;
    };
    this.lineSku = grow(this.lineSku);
    this.lineQty = grow(this.lineQty);
    this.lineOrder = grow(this.lineOrder);
  }

  private nextTransaction(terminal: number): string {
    const seq = (this.terminalSeq[terminal] = this.terminalSeq[terminal]! + 1);
    return `${this.profile.terminals[terminal]}-${String(seq).padStart(6, '0')}`;
  }

  private customerReturn(at: number, events: HourEvents, truth: HourTruth): void {
    const rng = this.rng;
    const r = rng.below(this.recentTransaction.length);
    const j = this.recentSku[r]!;
    const lineQuantity = this.recentQty[r]!;
    const product: ProductProfile = this.chain.products[j]!;
    const quantity = lineQuantity > 1 && rng.chance(0.4) ? lineQuantity : 1;
    const reason = RETURN_REASONS[rng.weighted(product.category.perishable ? RETURN_WEIGHTS_PERISHABLE : RETURN_WEIGHTS_OTHER)]!;
    const restockable = !product.category.perishable && (reason === 'UNWANTED' || reason === 'WRONG_ITEM');
    const refund = Math.round(((lineQuantity * this.recentPrice[r]! - this.recentDiscount[r]!) * quantity) / lineQuantity);
    const terminal = rng.below(this.profile.terminals.length);
    const event: SaleReturned = {
      event_id: rng.uuid(),
      occurred_at: at,
      store_id: this.storeId,
      terminal_id: this.profile.terminals[terminal]!,
      return_id: `${this.profile.terminals[terminal]}-R${String(++this.returnSeq).padStart(6, '0')}`,
      original_transaction_id: rng.chance(RETURN_WITH_RECEIPT) ? this.recentTransaction[r]! : null,
      cashier_id: this.cashiers[terminal]![0]!,
      currency: this.profile.region.currency,
      lines: [{ sku: product.product.sku, quantity, refund_amount: refund, restockable, reason }],
      refund_total: refund,
    };
    events['pos.returns'].push(event);
    if (restockable) {
      this.inventory.add(j, quantity, at);
      this.endPhantom(j, at, 'return', truth);
    }
  }

  private voids(h: HourContext, completed: number, events: HourEvents): void {
    const rng = this.rng;
    const span = h.openTo - h.openFrom;
    const ordinary = rng.poisson(VOID_RATE * completed);
    const planned: { at: number; terminal: number; burst: boolean }[] = [];
    for (let v = 0; v < ordinary; v++) planned.push({ at: h.openFrom + Math.floor(rng.next() * span), terminal: rng.below(this.profile.terminals.length), burst: false });
    for (const burst of this.voidBursts) {
      const from = Math.max(h.openFrom, burst.start);
      const to = Math.min(h.openTo, burst.end);
      if (to > from) {
        const count = rng.poisson((burst.magnitude * (to - from)) / HOUR_MS);
        for (let v = 0; v < count; v++) planned.push({ at: from + Math.floor(rng.next() * (to - from)), terminal: burst.terminal, burst: true });
      }
    }
    if (planned.length === 0) return;
    planned.sort((a, b) => a.at - b.at);
    const shift = h.localHour < 14 ? 0 : 1;
    for (const p of planned) {
      const lineCount = 1 + rng.below(6);
      let total = 0;
      for (let l = 0; l < lineCount; l++) total += this.price[rng.below(this.n)]!;
      const event: SaleVoided = {
        event_id: rng.uuid(),
        occurred_at: p.at,
        store_id: this.storeId,
        terminal_id: this.profile.terminals[p.terminal]!,
        transaction_id: this.nextTransaction(p.terminal),
        cashier_id: this.cashiers[p.terminal]![shift]!,
        // A burst is the fraud pattern: no supervisor approves the voids.
        supervisor_id: !p.burst && total > this.supervisorThreshold ? `${this.storeId}-SUP${1 + rng.below(2)}` : null,
        currency: this.profile.region.currency,
        line_count: lineCount,
        void_total: total,
        reason: VOID_REASONS[rng.weighted(p.burst ? BURST_VOID_WEIGHTS : VOID_WEIGHTS)]!,
      };
      events['pos.voids'].push(event);
    }
  }

  private heartbeats(h: HourContext, events: HourEvents): void {
    const minutes = Math.max(1, Math.floor((h.openTo - h.openFrom) / MINUTE_MS));
    const out = events['pos.heartbeats'];
    this.profile.terminals.forEach((terminal, t) => {
      const beat: TerminalHeartbeat = {
        event_id: this.rng.uuid(),
        occurred_at: h.openFrom + ((t * 7 + 1) % minutes) * MINUTE_MS,
        store_id: this.storeId,
        terminal_id: terminal,
        software_version: SOFTWARE_VERSIONS[t % SOFTWARE_VERSIONS.length]!,
        queue_depth: this.rng.chance(0.01) ? this.rng.intBetween(1, 20) : 0,
      };
      out.push(beat);
    });
  }

  // ── closing ────────────────────────────────────────────────────────────────────────────

  private closing(localDay: number, at: number, events: HourEvents): void {
    const rng = this.rng;
    const inv = this.inventory;
    let k = 0;
    for (let j = 0; j < this.n; j++) {
      const category = this.chain.products[j]!.category;
      if (inv.onHand[j]! > 0 && rng.chance(category.spoilageRate)) {
        const t = at + k++ * 1000;
        const removed = inv.shrink(j, 1 + rng.below(3), t);
        events['inventory.movements'].push(this.movement(t, j, 'SHRINK', -removed, category.perishable ? 'spoiled' : 'damaged', null, null));
      }
      if (inv.onHand[j]! > 0 && rng.chance(THEFT_RATE)) inv.lose(j, 1 + rng.below(2), at + k * 1000);
    }
    const orders = events['inventory.orders'];
    for (const order of inv.review(localDay, rng)) orders.push(this.orderEvent(order, at));
  }

  /** The order as the store's system publishes it: when it was placed and when it is planned to arrive (not whether it will be late). */
  private orderEvent(order: PendingOrder, at: number): ReplenishmentOrdered {
    return {
      event_id: this.ordersRng.uuid(),
      occurred_at: at,
      store_id: this.storeId,
      sku: this.skus[order.sku]!,
      order_id: order.orderId,
      quantity: order.quantity,
      expected_delivery_at: this.receivingSlot(order.plannedDay),
      lead_time_days: this.inventory.leadTimeDays[order.sku]!,
    };
  }

  /**
   * When goods due on local day `day` are received: at that day's morning routine (receipts are
   * stamped RECEIPTS_AFTER_ROUTINE into it), or the next open day's when the store is closed.
   */
  private receivingSlot(day: number): number {
    for (let d = day; d < day + 366; d++) {
      const window = this.model.opening(this.profile, d);
      if (window) return this.model.clock(this.profile).utcOf(d, window.opens - ROUTINE_BEFORE_OPEN) + RECEIPTS_AFTER_ROUTINE;
    }
    throw new Error(`store ${this.storeId} opens on no day of the year after ${formatDay(day)}`);
  }

  // ── ground truth ───────────────────────────────────────────────────────────────────────

  private flushHour(hourStart: number, truth: HourTruth): void {
    const products = this.chain.products;
    for (let t = 0; t < this.touchedCount; t++) {
      const j = this.touched[t]!;
      const demand = this.hDemand[j]!;
      const sold = this.hSold[j]!;
      truth.hourly.push(this.storeId, products[j]!.product.sku, hourStart, this.hExpected[j]!, demand, sold, demand - sold, this.inventory.onHand[j]!);
      this.hDemand[j] = 0;
      this.hSold[j] = 0;
      this.hExpected[j] = 0;
    }
    this.touchedCount = 0;
  }

  private stockoutRow(sku: number, start: number, end: number, censored: boolean, book: number) {
    return { store_id: this.storeId, sku: this.chain.products[sku]!.product.sku, start, end, censored, book_on_hand_at_start: book };
  }
}

function markOf(events: HourEvents): Marks {
  const marks = {} as Record<EventTopic, number>;
  for (const topic of EVENT_TOPICS) marks[topic] = events[topic].length;
  return marks;
}

/** Sorts this store's events of the hour by event time where construction left them unsorted. */
function sortSince(events: HourEvents, marks: Marks): void {
  for (const topic of EVENT_TOPICS) {
    const list = events[topic] as { occurred_at: number }[];
    const from = marks[topic];
    let sorted = true;
    for (let i = from + 1; i < list.length && sorted; i++) if (list[i]!.occurred_at < list[i - 1]!.occurred_at) sorted = false;
    if (!sorted) {
      const tail = list.slice(from).sort((a, b) => a.occurred_at - b.occurred_at);
      for (let i = 0; i < tail.length; i++) list[from + i] = tail[i]!;
    }
  }
}
