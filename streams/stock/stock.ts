/**
 * stock — book on-hand per store x sku, hours to stock-out and the stock-out risk, with alerts.
 *
 * Consumes (co-partitioned, one task per partition number, all keyed by store_id):
 *   pos.sales, pos.returns, inventory.movements, inventory.counts (the books), and
 *   inventory.orders (when the next delivery can come; orders do not change the books), and
 *   pricing.promotions (promotions.ts: the store's promotions, their skus, discount and end). Not
 *   pos.voids: a voided transaction never completed, so no goods left the shelf (the simulator
 *   and sale_voided.avsc agree: a void carries no lines and no SaleCompleted precedes it).
 * Per record (pure): the event's ledger entries (ledger.ts) update the books of each sku it
 *   names; sales also teach the sku's daily rate and the store's hour-of-week shape (risk.ts),
 *   both holiday-free where the store's holiday calendar is known (demand-calendar.ts, from the
 *   master data below), and the risk then scales the coming days by their holiday factors
 *   (closed days sell nothing); the rate is told when the books run empty and fill again, since
 *   what sells on an empty shelf understates demand (DailyRate.books);
 *   an order opens until the receipt naming it, and teaches the sku's lead time and the store's
 *   review and receiving times (replenishment.ts); a promotion's expected demand inside the
 *   horizon is the rate times an uplift the store learns from what its promotions sold over
 *   what their skus' rates expected (promotions.ts). Then the sku's alerts are re-evaluated:
 *     OUT_OF_STOCK   raised when the books reach 0, resolved when units are back;
 *     STOCKOUT_RISK  raised when the model's P(run out before the next delivery) >= RISK_RAISE, resolved
 *                    when it falls below RISK_RESOLVE or a delivery arrives (hysteresis: one
 *                    situation, one alert). Only once the books are known (a count was seen)
 *                    and the rate has MIN_HISTORY_DAYS of history.
 * Master data (an input too, not co-partitioned): md.stores and md.products as global tables
 *   (runtime/global-table.ts), read whole by every instance. Before a record naming a store or
 *   sku the tables do not hold, the runtime awaits a barrier (the tables read to the topics'
 *   current ends, shared/master-data.ts), so a key's calendar does not depend on when its task
 *   started: a replay computes the same rows.
 * Emits, every flush, for the skus that changed: a `stockout_risk` row (their latest state,
 *   recomputed from the state, so the last row of any run over the same events is the same).
 * State: in the runtime's state stores (runtime/state-store.ts): each sku's books, rate, orders
 *   and open alerts in `stock-keys`, each store's shape and replenishment times in `stock-stores`,
 *   saved with every flush after the alerts and rows derived from them, with the input offsets
 *   the snapshot covers. Offsets are committed as usual (next offset); after a crash the records
 *   between the committed offset and the snapshot are read again and skipped as `applied`, so
 *   nothing is applied twice, whichever of dead letters, alerts, rows, snapshot or commit was the
 *   last write to land. A new consumer group starts empty (a rebuild replays from the start).
 *   The snapshot table of earlier versions (stock_state) is read once, on upgrade
 *   (legacy-snapshot.ts).
 */
import type { Alert, AlertType, InventoryMovement, PromotionChanged, ReplenishmentOrdered, SaleCompleted } from '../../schemas/generated/events';
import { alertId, emitAlert } from '../runtime/alerts';
import { TopicMapping } from '../runtime/topics';
import { DEFAULT_EVENT_ID_HORIZON_MS, openEventIdGuard, type EventIdGuard } from '../runtime/event-ids';
import type { InputRecord, PartitionTask, ProcessorDefinition, Rejection, RowSink, TaskDeps, TaskInit } from '../runtime/processor';
import { inMemoryStore, type KeyValueStore } from '../runtime/state-store';
import { DEFAULT_LEDGER_OPTIONS, OnHandLedger, STOCK_TOPICS, ledgerEntries, type LedgerSnapshot } from '../shared/ledger';
import { restoreLegacySnapshot } from './legacy-snapshot';
import { calibrateRisk, FITTED_RISK_MAP, MODEL_RISK, type RiskMap } from './risk-calibration-map';
import { DemandCalendars, NO_CALENDARS, type SkuCalendar, type StoreCalendar } from './demand-calendar';
import { MasterDataInput, NO_MASTER_DATA, PRODUCTS_TOPIC, skusOf, STORES_TOPIC, type MasterDataLookup } from '../shared/master-data';
import { SkuOrders, StoreReplenishment, earliestDelivery, type SkuOrdersSnapshot, type StoreReplenishmentSnapshot } from './replenishment';
import { DAY_MS, DailyRate, cumulativeShares, StoreShape, estimateRisk, expectedBetween, weekShareBetween, type DailyRateSnapshot, type DemandBoost, type RiskEstimate, type StoreShapeSnapshot } from './risk';
import { StorePromotionBook, StoreUplift, type PromotionSnapshot, type UpliftSnapshot } from './promotions';

export const STOCKOUT_RISK_TABLE = 'stockout_risk';
/** The stores of a stock task (runtime/state-store.ts). */
export const KEY_STORE = 'stock-keys';
export const STORE_STORE = 'stock-stores';
const PROCESSOR = 'stock';

/**
 * STOCKOUT_RISK thresholds, chosen on the quality scorer (quality.ts, 10 stores x 200 skus x 90
 * days, seeds 7 and 11): the risk is calibrated (a risk of 0.4 runs out before the earliest
 * replenishment about 45% of the time), and no threshold reaches the 80% of stock-outs
 * warned a day ahead with 20% false warnings. Raising at 0.4 warns of the most stock-outs a day
 * ahead (recall24h 0.44 / 0.43) while fewer than half the warnings are false (0.45 / 0.45).
 * Seed 7 for comparison: 0.5/0.05 -> recall24h 0.37, false 0.37; 0.3/0.1 -> 0.49, 0.54.
 * 0.45 since the rate learned that sales on an empty shelf understate demand (DailyRate.books):
 * its risks run higher, and at 0.4 the share of false warnings grew (seeds 7 / 11 / 12 at the
 * stockout-alerts scorer: 0.439 / 0.520 / 0.545 -> 0.468 / 0.539 / 0.565, recall24h 0.529 /
 * 0.456 / 0.431 -> 0.535 / 0.465 / 0.443). At 0.45 the false share is below where it was (0.425 /
 * 0.510 / 0.516) for recall24h 0.503 / 0.435 / 0.404: alert subscribers see no more false alarms.
 */
export const RISK_RAISE = 0.45;
/**
 * Resolve below this (or when a delivery arrives). The wide gap to RISK_RAISE keeps one
 * situation one alert while the risk wavers with each sale; on the scorer a lower resolve was
 * better on both counts (resolving at 0.2 instead: recall24h 0.40, false 0.48 on seed 7).
 */
export const RISK_RESOLVE = 0.05;
/** Days of sales history before a rate is trusted for alerts (a few days show the weekly level). */
export const MIN_HISTORY_DAYS = 3;

/** The topic of replenishment orders: an input of this processor, not a ledger topic (orders do not change the books). */
export const ORDERS_TOPIC = 'inventory.orders';
/**
 * The topic of promotions (promotions.ts): an input, not a ledger topic. Listed first: a
 * promotion starts before the store opens, and at equal event times it should be known before
 * the sales it explains.
 */
export const PROMOTIONS_TOPIC = 'pricing.promotions';
/** Every input of the stock processor, by catalogue name. */
export const STOCK_INPUTS = [PROMOTIONS_TOPIC, ...STOCK_TOPICS, ORDERS_TOPIC] as const;
export type StockInput = (typeof STOCK_INPUTS)[number];

export interface StockOptions {
  /** Stand-in topics: catalogue topic -> topic read instead (tests, reprocessing). */
  readonly topics?: Readonly<Record<string, string>>;
  /** STOCKOUT_RISK thresholds (the quality scorer sweeps them); RISK_RAISE and RISK_RESOLVE by default. */
  readonly riskThresholds?: { readonly raise: number; readonly resolve: number };
  /** Event time an event_id is remembered for, to drop a repeat (ms); see runtime/event-ids.ts. */
  readonly eventIdHorizonMs?: number;
  /** The map from the model's risk to the published one; FITTED_RISK_MAP by default, null for the model's own (fitting the map). */
  readonly riskMap?: RiskMap | null;
  /**
   * Master data of the stores and skus (their holiday calendars: demand-calendar.ts).
   * stockProcessor reads md.stores and md.products through the runtime's global tables, with the
   * barrier; a StockTask made directly has none unless given (the simulators pass the master
   * data they publish).
   */
  readonly masterData?: MasterDataLookup;
  /** How promotions enter the risk (the tuning scripts compare variants); PROMOTION_DEFAULTS by default. */
  readonly promotions?: PromotionOptions;
  /** Whether the rate treats sales while the books are empty as a lower bound of demand (risk.ts: DailyRate.books); true by default. */
  readonly censorStockouts?: boolean;
}

export interface PromotionOptions {
  /** Read pricing.promotions at all (false: the risk of the rolling rate alone, as before promotions were an input). */
  readonly use: boolean;
  /** A promotion's expected demand inside the horizon is the rate times the uplift. */
  readonly boostDemand: boolean;
  /** A promoted line's units enter the rate divided by the uplift, so the rate stays the regular demand. */
  readonly deflateRate: boolean;
  /** A given uplift in place of the learned one (diagnostics only: the simulator's truth, an upper bound). */
  readonly upliftOf?: (category: string, discountPercent: number) => number;
  /** Weight of the learned uplift's prior (promotions.ts: UPLIFT_TUNING.priorUnits by default). */
  readonly priorUnits?: number;
}

/**
 * Measured on the tuning seeds (simulators/quality/tune-stock-promotions.ts, model risk,
 * recall_vs_oracle pooled): no promotions 0.768; the learned uplift boosting the demand 0.840,
 * and with the rate deflated too 0.828 (with the simulator's true uplift: 0.879 boosted, 0.854
 * with the rate deflated as well). Deflating lost both times: a rate that learned the promotion
 * warns of the empty shelves it leaves behind, which a deflated one misses.
 */
export const PROMOTION_DEFAULTS: PromotionOptions = { use: true, boostDemand: true, deflateRate: false };

/** A promotion of the key being watched: what it sold against what the rate expected (promotions.ts learns the uplift from it). */
interface PromotionWatch {
  readonly id: string;
  readonly discountPercent: number;
  readonly from: number;
  readonly endsAt: number;
  /** The key's regular units per day when the promotion started. */
  readonly perDay: number;
  sold: number;
}

interface OpenAlert {
  readonly id: string;
  readonly raisedAt: number;
}

interface KeyState {
  readonly storeId: string;
  readonly sku: string;
  ledger: OnHandLedger;
  /** Records applied: the version of this key's rows (grows by one per applied record). */
  applied: number;
  lastEventAt: number;
  rate: DailyRate;
  orders: SkuOrders;
  riskAlert: OpenAlert | null;
  outAlert: OpenAlert | null;
  /** The running promotion being watched, if any. */
  promotion: PromotionWatch | null;
  dirty: boolean;
  /** From the master data, not the snapshot: undefined when the store or sku has none. */
  readonly calendar: SkuCalendar | undefined;
  /** From the master data: '' when the sku has none (its promotions then learn the store's uplift). */
  readonly category: string;
}

interface StoreState {
  readonly storeId: string;
  shape: StoreShape;
  replenishment: StoreReplenishment;
  salesApplied: number;
  movementsApplied: number;
  /** Orders applied: part of the version of every row of the store. */
  ordersApplied: number;
  lastSaleAt: number;
  cumulative: Float64Array;
  readonly keys: Set<KeyState>;
  promotions: StorePromotionBook;
  uplift: StoreUplift;
  dirty: boolean;
  readonly calendar: StoreCalendar | undefined;
}

/** What the `stock-keys` store holds per store x sku. */
export interface KeySnapshot {
  readonly storeId: string;
  readonly sku: string;
  readonly ledger: LedgerSnapshot;
  readonly applied: number;
  readonly lastEventAt: number;
  readonly rate: DailyRateSnapshot;
  readonly orders: SkuOrdersSnapshot;
  readonly riskAlert: OpenAlert | null;
  readonly outAlert: OpenAlert | null;
  /** Absent in snapshots from before promotions were an input. */
  readonly promotion?: PromotionWatch | null;
}
/** What the `stock-stores` store holds per store. */
export interface StoreSnapshot {
  readonly shape: StoreShapeSnapshot;
  readonly replenishment: StoreReplenishmentSnapshot;
  readonly salesApplied: number;
  readonly movementsApplied: number;
  readonly ordersApplied: number;
  readonly lastSaleAt: number;
  /** Absent in snapshots from before promotions were an input: none known, no uplift learned. */
  readonly promotions?: PromotionSnapshot[];
  readonly uplift?: UpliftSnapshot;
}

/** Where a stock task keeps its state: the runtime's stores, or memory alone (unit tests, the scorer). */
export interface StockState {
  readonly keys: KeyValueStore<KeySnapshot>;
  readonly stores: KeyValueStore<StoreSnapshot>;
  /** True when the restored state holds the record's effect already (a replay after a restart). */
  readonly applied: (record: InputRecord) => boolean;
}

export function inMemoryStockState(): StockState {
  return { keys: inMemoryStore(), stores: inMemoryStore(), applied: () => false };
}

const iso = (ms: number): string => new Date(ms).toISOString();
const round = (v: number, digits: number): number => Math.round(v * 10 ** digits) / 10 ** digits;

export class StockTask implements PartitionTask {
  private readonly keys = new Map<string, KeyState>();
  private readonly stores = new Map<string, StoreState>();
  /** Input topic -> the catalogue topic it stands for. */
  private readonly roles: ReadonlyMap<string, StockInput>;
  private readonly raiseAt: number;
  private readonly resolveBelow: number;
  private readonly riskMap: RiskMap;
  private readonly masterData: MasterDataLookup;
  private readonly calendars: DemandCalendars;
  private readonly promotions: PromotionOptions;
  private readonly censorStockouts: boolean;
  /** Counts refused because deltas after them were folded already (see ledger.ts). */
  staleCounts = 0;

  constructor(
    readonly partition: number,
    options: StockOptions = {},
    private readonly state: StockState = inMemoryStockState(),
    /** Drops a repeated event_id (a retried request); absent in unit tests of the books alone. */
    private readonly eventIds?: EventIdGuard,
  ) {
    this.roles = new TopicMapping<StockInput>(options.topics).catalogueOf(STOCK_INPUTS);
    this.raiseAt = options.riskThresholds?.raise ?? RISK_RAISE;
    this.resolveBelow = options.riskThresholds?.resolve ?? RISK_RESOLVE;
    this.riskMap = options.riskMap === undefined ? FITTED_RISK_MAP : (options.riskMap ?? MODEL_RISK);
    this.masterData = options.masterData ?? NO_MASTER_DATA;
    this.calendars = options.masterData ? new DemandCalendars(options.masterData) : NO_CALENDARS;
    this.promotions = options.promotions ?? PROMOTION_DEFAULTS;
    this.censorStockouts = options.censorStockouts ?? true;
    // Stores first, so keys find theirs.
    for (const [storeId, snapshot] of state.stores.entries()) this.restoreStore(storeId, snapshot);
    for (const [, snapshot] of state.keys.entries()) this.restoreKey(snapshot);
  }

  // ── per record ─────────────────────────────────────────────────────────────────────────

  /** The master-data barrier (master-data.ts) before a record naming a store or sku the tables do not hold yet. */
  awaitBefore(record: InputRecord): Promise<void> | undefined {
    if (!this.masterData.awaitMissing || !this.roles.has(record.topic)) return undefined;
    const value = record.value as { store_id: string; sku?: unknown; lines?: readonly { sku: string }[]; skus?: readonly string[] };
    return this.masterData.awaitMissing(value.store_id, skusOf(value));
  }

  process(record: InputRecord, out: RowSink): Rejection | void {
    const role = this.roles.get(record.topic);
    if (!role) return;
    if (this.eventIds?.isRepeatedRecord(record)) return;
    // In the restored state already: its alerts and rows were written before the snapshot was.
    if (this.state.applied(record)) return;
    const value = record.value as { store_id: string; occurred_at: number };
    const store = this.store(value.store_id);
    if (role === ORDERS_TOPIC) return this.order(store, record, out);
    if (role === PROMOTIONS_TOPIC) return this.promotion(store, record, out);
    // Units of each sku sold on a promotion the store published, and its discount.
    let promoted: Map<string, { units: number; id: string; discountPercent: number }> | undefined;
    if (role === 'pos.sales') {
      store.salesApplied++;
      store.dirty = true;
      if (value.occurred_at > store.lastSaleAt) store.lastSaleAt = value.occurred_at;
      let units = 0;
      for (const line of (value as SaleCompleted).lines) {
        units += line.quantity;
        const discountPercent = line.promotion_id === null || !this.promotions.use ? undefined : store.promotions.discountOf(line.promotion_id);
        if (discountPercent === undefined) continue;
        promoted ??= new Map();
        const p = promoted.get(line.sku) ?? promoted.set(line.sku, { units: 0, id: line.promotion_id!, discountPercent }).get(line.sku)!;
        p.units += line.quantity;
      }
      if (store.shape.add(value.occurred_at, units, storeDayFactor(store.calendar))) {
        // A new day in the shape changes every sku's forecast: recompute their rows.
        store.cumulative = cumulativeShares(store.shape.shares());
        for (const k of store.keys) k.dirty = true;
      }
    }
    for (const entry of ledgerEntries(role, value as never)) {
      const key = this.key(store, entry.sku);
      this.claim(key, entry.at);
      let delivered = false;
      if (entry.kind === 'count') {
        if (key.ledger.applyCount(entry.at, entry.onHand) === 'stale') this.staleCounts++;
      } else {
        key.ledger.applyDelta(entry.at, entry.delta);
        if (role === 'pos.sales') this.sale(store, key, entry.at, -entry.delta, promoted?.get(entry.sku));
        if (role === 'inventory.movements') {
          const m = record.value as InventoryMovement;
          if (m.movement_type === 'RECEIPT' && m.quantity_delta > 0) {
            key.orders.receive(m.reference_id, entry.at);
            delivered = true;
          }
          store.movementsApplied++;
          store.dirty = true;
        }
      }
      if (this.censorStockouts) markBooks(key, entry.at);
      // A stock-out ends what a promotion can show of its demand: the units it did not sell were not there.
      if (key.promotion && key.ledger.known && key.ledger.onHand <= 0) this.endWatch(store, key, entry.at);
      this.evaluateAlerts(store, key, record, delivered, out);
    }
  }

  /**
   * A promotion starts or ends: the book of the store changes, and so do the risks of its skus.
   * Counted in the version of each sku it names, like an order.
   */
  private promotion(store: StoreState, record: InputRecord, out: RowSink): void {
    if (!this.promotions.use) return;
    const e = record.value as PromotionChanged;
    store.promotions.apply(e);
    store.dirty = true;
    for (const sku of e.skus) {
      const key = this.key(store, sku);
      this.claim(key, e.occurred_at);
      if (key.promotion && (e.phase === 'ENDED' || key.promotion.id !== e.promotion_id)) this.endWatch(store, key, Math.min(e.occurred_at, key.promotion.endsAt));
      if (e.phase === 'STARTED' && !key.promotion && key.ledger.known && key.ledger.onHand > 0 && historyDays(key) >= MIN_HISTORY_DAYS) {
        const from = Math.max(e.starts_at, e.occurred_at);
        key.promotion = { id: e.promotion_id, discountPercent: e.discount_percent, from, endsAt: e.ends_at, perDay: rateOf(key, from).perDay, sold: 0 };
      }
      this.evaluateAlerts(store, key, record, false, out);
    }
  }

  /** Units of a sale: into the rate (promoted ones divided by the uplift when deflateRate) and the watched promotion's tally. */
  private sale(store: StoreState, key: KeyState, at: number, units: number, promoted: { units: number; id: string; discountPercent: number } | undefined): void {
    if (key.promotion && at >= key.promotion.endsAt) this.endWatch(store, key, key.promotion.endsAt);
    if (promoted && key.promotion?.id === promoted.id) key.promotion.sold += promoted.units;
    const regular = promoted && this.promotions.deflateRate ? units - promoted.units + promoted.units / this.upliftOf(store, key, promoted.discountPercent) : units;
    addSale(key, at, regular);
  }

  /** The watched promotion ends at `at`: what it sold against what the rate expected becomes evidence of the uplift. */
  private endWatch(store: StoreState, key: KeyState, at: number): void {
    const w = key.promotion!;
    key.promotion = null;
    const expected = expectedBetween(w.perDay * 7, store.cumulative, key.calendar, w.from, Math.max(w.from, Math.min(at, w.endsAt)));
    store.uplift.observe(key.category, w.discountPercent, w.sold, expected);
    store.dirty = true;
  }

  private upliftOf(store: StoreState, key: KeyState, discountPercent: number): number {
    return this.promotions.upliftOf?.(key.category, discountPercent) ?? store.uplift.uplift(key.category, discountPercent);
  }

  /** The sku's promotions inside [asOf, deliveryAt) at their uplift. */
  private boosts(store: StoreState, key: KeyState, asOf: number, deliveryAt: number): DemandBoost[] | undefined {
    if (!this.promotions.use || !this.promotions.boostDemand) return undefined;
    const spans = store.promotions.spans(key.sku, asOf, deliveryAt);
    return spans.length === 0 ? undefined : spans.map((s) => ({ from: s.from, to: s.to, factor: this.upliftOf(store, key, s.discountPercent) }));
  }

  /** A record about to be applied to `key`, happening at `at`: the key's version, as-of time and dirty flag move on. */
  private claim(key: KeyState, at: number): void {
    key.applied++;
    key.dirty = true;
    if (at > key.lastEventAt) key.lastEventAt = at;
  }

  /**
   * A replenishment order: opens on its key until a receipt names it. Not a ledger entry (the
   * books do not change), but a record of the key all the same: counted in its version, and the
   * sku's alerts are re-evaluated.
   */
  private order(store: StoreState, record: InputRecord, out: RowSink): void {
    const o = record.value as ReplenishmentOrdered;
    const key = this.key(store, o.sku);
    this.claim(key, o.occurred_at);
    key.orders.place(o.order_id, o.occurred_at, o.expected_delivery_at, o.quantity, o.lead_time_days);
    // The store's review and receiving times changed for all its skus: their rows are recomputed,
    // and the count is part of their version.
    store.replenishment.observe(o.occurred_at, o.expected_delivery_at, o.lead_time_days);
    store.ordersApplied++;
    store.dirty = true;
    for (const k of store.keys) k.dirty = true;
    this.evaluateAlerts(store, key, record, false, out);
  }

  /** The risk picture of a key as of its latest event. */
  estimate(store: StoreState, key: KeyState): RiskEstimate {
    const asOf = key.lastEventAt;
    const { perDay, daySize } = rateOf(key, asOf);
    const cumulative = store.cumulative;
    const deliveryAt = earliestDelivery({
      asOf,
      openOrders: key.orders.expected(),
      leadDays: key.orders.leadDays ?? store.replenishment.typicalLeadDays(),
      // No review on a day the store does not trade (its shape shows no sales in the day before).
      nextReview: store.replenishment.nextReview(asOf, (at) => weekShareBetween(cumulative, at - DAY_MS, at) > 0),
      nextReceiving: (after) => store.replenishment.nextReceiving(after, asOf),
    });
    const boosts = this.boosts(store, key, asOf, deliveryAt);
    return estimateRisk({ onHand: key.ledger.onHand, asOf, perDay, daySize, cumulative, deliveryAt, ...(key.calendar ? { calendar: key.calendar } : {}), ...(boosts ? { boosts } : {}) });
  }

  private evaluateAlerts(store: StoreState, key: KeyState, record: InputRecord, delivered: boolean, out: RowSink): void {
    if (!key.ledger.known) return;
    const onHand = key.ledger.onHand;
    const source = { topic: record.topic, partition: record.partition, offset: record.offset };
    const at = (record.value as { occurred_at: number }).occurred_at;
    if (onHand <= 0 && !key.outAlert) {
      key.outAlert = { id: alertId(PROCESSOR, 'OUT_OF_STOCK', key.storeId, key.sku, source), raisedAt: at };
      this.alert(out, key, 'OUT_OF_STOCK', key.outAlert, 'RAISED', at, 1, `no units left in the books (on_hand ${onHand})`, { on_hand: onHand }, record.offset);
    } else if (onHand > 0 && key.outAlert) {
      this.alert(out, key, 'OUT_OF_STOCK', key.outAlert, 'RESOLVED', at, 0, `${onHand} units back in the books`, { on_hand: onHand }, record.offset);
      key.outAlert = null;
    }
    if (historyDays(key) < MIN_HISTORY_DAYS) return;
    const e = this.estimate(store, key);
    const hoursToDelivery = (e.nextDeliveryAt - key.lastEventAt) / 3_600_000;
    // Decided on the model's risk (the thresholds were tuned on it; the map keeps its order),
    // told in the calibrated one (what the alert claims is what happens).
    const risk = calibrateRisk(this.riskMap, e.risk);
    const measures: Record<string, number> = {
      on_hand: onHand,
      risk,
      expected_units: round(e.expectedUnits, 3),
      hours_to_delivery: round(hoursToDelivery, 2),
      ...(e.hoursToStockout === null ? {} : { hours_to_stockout: round(e.hoursToStockout, 2) }),
    };
    if (key.riskAlert && (e.risk < this.resolveBelow || delivered)) {
      const why = delivered ? `a delivery arrived: ${onHand} units on hand` : `risk fell to ${Math.round(risk * 100)}% with ${onHand} units on hand`;
      this.alert(out, key, 'STOCKOUT_RISK', key.riskAlert, 'RESOLVED', at, risk, why, measures, record.offset);
      key.riskAlert = null;
    }
    // Not once the books are at 0: that is OUT_OF_STOCK's situation, and a "warning" raised then
    // warns of nothing (the quality scorer would count it as a true warning of the stock-out it
    // merely reports). An alert raised before stays open until a delivery or the risk ends it.
    if (!key.riskAlert && onHand > 0 && e.risk >= this.raiseAt) {
      key.riskAlert = { id: alertId(PROCESSOR, 'STOCKOUT_RISK', key.storeId, key.sku, source), raisedAt: at };
      const reason = `${onHand} units on hand, ${Math.round(risk * 100)}% chance to sell out before the delivery expected in ${Math.round(hoursToDelivery)} h (about ${e.expectedUnits.toFixed(1)} units expected by then)`;
      this.alert(out, key, 'STOCKOUT_RISK', key.riskAlert, 'RAISED', at, risk, reason, measures, record.offset);
    }
  }

  private alert(out: RowSink, key: KeyState, type: AlertType, open: OpenAlert, state: Alert['state'], at: number, score: number, reason: string, measures: Record<string, number>, offset: number): void {
    const severity = type === 'OUT_OF_STOCK' ? 'CRITICAL' : 'WARNING';
    emitAlert(out, { alert_id: open.id, state, occurred_at: at, store_id: key.storeId, sku: key.sku, terminal_id: null, alert_type: type, severity, score, reason, processor: PROCESSOR, measures, acted_by: null, snoozed_until: null }, offset);
  }

  // ── per flush ──────────────────────────────────────────────────────────────────────────

  punctuate(out: RowSink): void {
    this.eventIds?.seal();
    for (const store of this.stores.values()) {
      for (const key of store.keys) {
        if (!key.dirty) continue;
        key.dirty = false;
        out.emit(STOCKOUT_RISK_TABLE, this.riskRow(store, key));
        this.state.keys.put(keyId(key.storeId, key.sku), this.snapshotOf(key));
      }
      if (store.dirty) {
        store.dirty = false;
        this.state.stores.put(store.storeId, {
          shape: store.shape.toJSON(),
          replenishment: store.replenishment.toJSON(),
          salesApplied: store.salesApplied,
          movementsApplied: store.movementsApplied,
          ordersApplied: store.ordersApplied,
          lastSaleAt: store.lastSaleAt,
          promotions: store.promotions.toJSON(),
          uplift: store.uplift.toJSON(),
        });
      }
    }
  }

  /** The latest state of a key, for stockout_risk: a function of the state only. */
  riskRow(store: StoreState, key: KeyState): Record<string, unknown> {
    const ledger = key.ledger;
    const { perDay } = rateOf(key, key.lastEventAt);
    const e = this.estimate(store, key);
    const trusted = ledger.known && historyDays(key) >= MIN_HISTORY_DAYS;
    return {
      store_id: key.storeId,
      sku: key.sku,
      on_hand: ledger.onHand,
      on_hand_known: ledger.known,
      last_count_at: ledger.lastCountAt === undefined ? null : iso(ledger.lastCountAt),
      sales_rate_per_day: round(perDay, 4),
      hours_to_stockout: ledger.known && e.hoursToStockout !== null ? round(e.hoursToStockout, 2) : null,
      next_delivery_expected_at: iso(e.nextDeliveryAt),
      last_receipt_at: key.orders.lastReceiptAt === undefined ? null : iso(key.orders.lastReceiptAt),
      expected_units_to_delivery: round(e.expectedUnits, 3),
      risk: trusted ? round(calibrateRisk(this.riskMap, e.risk), 4) : null,
      risk_alert_open: key.riskAlert !== null,
      out_of_stock: key.outAlert !== null,
      updated_at: iso(key.lastEventAt),
      // Grows with every record applied to the key, every day the store's shape learned and
      // every order of the store (each marks all its keys dirty): the row of the final state has
      // the highest version in every run over the same events.
      version: key.applied + store.shape.foldedDays + store.ordersApplied,
    };
  }

  earliestNeededOffset(): number | undefined {
    return undefined; // the snapshot holds the state: replay only from the committed offset
  }

  checkpoint(): string {
    return '';
  }

  // ── state ──────────────────────────────────────────────────────────────────────────────

  private store(storeId: string): StoreState {
    let s = this.stores.get(storeId);
    if (!s) {
      const shape = new StoreShape();
      s = {
        storeId,
        shape,
        replenishment: new StoreReplenishment(),
        salesApplied: 0,
        movementsApplied: 0,
        ordersApplied: 0,
        lastSaleAt: 0,
        cumulative: cumulativeShares(shape.shares()),
        keys: new Set(),
        promotions: new StorePromotionBook(),
        uplift: new StoreUplift(this.promotions.priorUnits),
        dirty: false,
        calendar: this.calendars.store(storeId),
      };
      this.stores.set(storeId, s);
    }
    return s;
  }

  private key(store: StoreState, sku: string): KeyState {
    const id = keyId(store.storeId, sku);
    let k = this.keys.get(id);
    if (!k) {
      k = {
        storeId: store.storeId,
        sku,
        ledger: new OnHandLedger(DEFAULT_LEDGER_OPTIONS),
        applied: 0,
        lastEventAt: Number.NEGATIVE_INFINITY,
        rate: new DailyRate(),
        orders: new SkuOrders(),
        riskAlert: null,
        outAlert: null,
        promotion: null,
        dirty: false,
        calendar: this.calendars.sku(store.storeId, sku),
        category: this.masterData.product(sku)?.category ?? '',
      };
      this.keys.set(id, k);
      store.keys.add(k);
    }
    return k;
  }

  private snapshotOf(key: KeyState): KeySnapshot {
    return {
      storeId: key.storeId,
      sku: key.sku,
      ledger: key.ledger.toJSON(),
      applied: key.applied,
      lastEventAt: key.lastEventAt,
      rate: key.rate.toJSON(),
      orders: key.orders.toJSON(),
      riskAlert: key.riskAlert,
      outAlert: key.outAlert,
      promotion: key.promotion,
    };
  }

  private restoreStore(storeId: string, s: StoreSnapshot): void {
    const store = this.store(storeId);
    store.shape = StoreShape.fromJSON(s.shape);
    store.replenishment = StoreReplenishment.fromJSON(s.replenishment);
    store.cumulative = cumulativeShares(store.shape.shares());
    store.salesApplied = s.salesApplied;
    store.movementsApplied = s.movementsApplied;
    store.ordersApplied = s.ordersApplied;
    store.lastSaleAt = s.lastSaleAt;
    store.promotions = StorePromotionBook.fromJSON(s.promotions);
    store.uplift = StoreUplift.fromJSON(s.uplift, this.promotions.priorUnits);
  }

  private restoreKey(s: KeySnapshot): void {
    const key = this.key(this.store(s.storeId), s.sku);
    key.ledger = OnHandLedger.fromJSON(s.ledger, DEFAULT_LEDGER_OPTIONS);
    key.applied = s.applied;
    key.lastEventAt = s.lastEventAt;
    key.rate = DailyRate.fromJSON(s.rate);
    key.orders = SkuOrders.fromJSON(s.orders);
    key.riskAlert = s.riskAlert;
    key.outAlert = s.outAlert;
    key.promotion = s.promotion ?? null;
  }

  /** Books of every key (tests, the scorer): store_id, sku, on_hand, known. */
  books(): { store_id: string; sku: string; on_hand: number; known: boolean }[] {
    return [...this.keys.values()].map((k) => ({ store_id: k.storeId, sku: k.sku, on_hand: k.ledger.onHand, known: k.ledger.known }));
  }
}

// ── the rate on the key's calendar ─────────────────────────────────────────────────────
// With a calendar the rate counts local days and holiday-free units (risk.ts); without one, UTC days and units as sold.

function closedDay(calendar: SkuCalendar): (day: number) => boolean {
  return (day) => calendar.factor(day) === 0;
}

function addSale(key: KeyState, at: number, units: number): void {
  const c = key.calendar;
  if (!c) return key.rate.add(at, units);
  const factor = c.factor(c.dayOf(at));
  // A sale on a day the calendar calls closed (a store that opened anyway) counts as sold.
  key.rate.add(c.localTime(at), factor > 0 ? units / factor : units, closedDay(c));
}

/** Tells the rate whether the key's books are empty after an entry at `at` (unknown books are not). */
function markBooks(key: KeyState, at: number): void {
  const out = key.ledger.known && key.ledger.onHand <= 0;
  // Most entries change nothing: no local time or closure for them (one per sale line).
  if (out === key.rate.out) return;
  const c = key.calendar;
  if (!c) return key.rate.books(at, out);
  key.rate.books(c.localTime(at), out, closedDay(c));
}

function rateOf(key: KeyState, at: number): { perDay: number; daySize: number } {
  const c = key.calendar;
  return c ? key.rate.estimate(c.localTime(at), closedDay(c)) : key.rate.estimate(at);
}

function historyDays(key: KeyState): number {
  const c = key.calendar;
  return key.rate.historyDays(c ? c.localTime(key.lastEventAt) : key.lastEventAt);
}

/** The store's holiday factor of a UTC day (the local day holding its noon), for the shape. */
function storeDayFactor(calendar: StoreCalendar | undefined): ((utcDay: number) => number) | undefined {
  return calendar && ((utcDay) => calendar.factor(calendar.dayOf(utcDay * DAY_MS + DAY_MS / 2)));
}

/** The key of a store x sku in the `stock-keys` store. */
export function keyId(storeId: string, sku: string): string {
  return `${storeId}\u0000${sku}`;
}

export function stockProcessor(options: StockOptions = {}): ProcessorDefinition {
  const masterTopics = new TopicMapping<typeof STORES_TOPIC | typeof PRODUCTS_TOPIC>(options.topics);
  return {
    name: PROCESSOR,
    ...new TopicMapping<StockInput>(options.topics).inputs(STOCK_INPUTS),
    globalTables: options.masterData ? [] : [masterTopics.read(STORES_TOPIC), masterTopics.read(PRODUCTS_TOPIC)],
    copartitioned: true,
    tables: ['alerts', STOCKOUT_RISK_TABLE],
    createTask: async (init: TaskInit, deps: TaskDeps) => {
      const keys = await deps.stores.open<KeySnapshot>(KEY_STORE);
      const stores = await deps.stores.open<StoreSnapshot>(STORE_STORE);
      const mapping = new TopicMapping<StockInput>(options.topics);
      const upgrade = await restoreLegacySnapshot(deps, init.partition, PROCESSOR, { keys, stores }, (t) => mapping.read(t as StockInput));
      const eventIds = await openEventIdGuard(deps, PROCESSOR, options.eventIdHorizonMs ?? DEFAULT_EVENT_ID_HORIZON_MS);
      const applied = (record: InputRecord): boolean => deps.stores.applied(record) || upgrade.applied(record);
      const masterData = options.masterData ?? MasterDataInput.of(deps, { stores: masterTopics.read(STORES_TOPIC), products: masterTopics.read(PRODUCTS_TOPIC) });
      // Restored keys take their calendars from what was published before the task was made.
      if (masterData instanceof MasterDataInput) await masterData.catchUp();
      const task = new StockTask(init.partition, { ...options, masterData }, { keys, stores, applied }, eventIds);
      deps.logger.info({ partition: init.partition, keys: keys.size }, 'stock state restored from the snapshot');
      return task;
    },
  };
}

