/**
 * anomaly — demand spikes and drops, phantom inventory, price errors and void bursts.
 *
 * Consumes (co-partitioned by store_id, one task per partition number): inventory.counts,
 *   inventory.movements, pos.returns (the books), pricing.prices (shelf prices), pos.voids and
 *   pos.sales. Inventory topics are listed first: a fetch hands batches topic by topic in this
 *   order, so in a replay the books tend to run ahead of the sales that are judged against them.
 * Per record (pure):
 *   - sales: units per store x sku into the hour bucket of occurred_at; each line's unit_price
 *     checked against the shelf price (PRICE_ERROR at once); the books (book-history.ts);
 *   - voids: counted per store x terminal into their own hour buckets (VOID_BURST at once when
 *     the hour's count is improbable for that terminal);
 *   - counts, movements, returns: the books; price changes: the shelf price.
 * When the sales watermark closes an hour, every series of every store that traded in it is
 *   judged against its hour-of-week baseline (DEMAND_SPIKE, DEMAND_DROP, PHANTOM_INVENTORY) and
 *   then folded into it (not while one of its demand alerts is open, so an anomaly does not
 *   become the norm). Hours in which a store sold nothing at all are closed hours: skipped.
 *   Each family of detectors is driven by one topic's own order (sales, or voids), so a replay
 *   reaches the same decisions whatever the interleaving of topics; only the books come from
 *   other topics, read as of the hour judged.
 * Emits: each alert through emitAlert (shelfstream.alerts and the alerts table) when raised and
 *   when resolved, with a deterministic alert_id; one row per alert in `anomalies`; and the
 *   state that outlives an hour (baselines, evidence, books, shelf prices, open alerts) as rows
 *   of `anomaly_state`, listed last so it is written after what it produced.
 * Recovery: createTask restores the partition's state rows, whose `meta` row records, per
 *   topic, the next offset already folded into that state, and the last hour closed. The
 *   committed offset of sales and voids is the first offset of their open hour buckets; a
 *   replay rebuilds those buckets and skips every effect already in the state (records below
 *   the saved offsets), so nothing is folded twice and every alert keeps its id.
 * Late records (their hour closed) still update the books and the price check, and go to the
 *   dead-letter topic as LATE_EVENT for the hourly figures they missed.
 */
import type { Alert, AlertType, InventoryMovement, PriceChanged, SaleCompleted, SaleReturned, SaleVoided, StockCounted } from '../../schemas/generated/events';
import { alertId, emitAlert } from '../runtime/alerts';
import { TopicMapping } from '../runtime/topics';
import { DEFAULT_EVENT_ID_HORIZON_MS, openEventIdGuard, type EventIdGuard } from '../runtime/event-ids';
import type { InputRecord, PartitionTask, ProcessorDefinition, Rejection, RowSink, TaskDeps, TaskInit } from '../runtime/processor';
import { Watermark, tumblingStart, type WatermarkOptions } from '../runtime/windows';
import { ledgerEntries } from '../shared/ledger';
import { BookHistory, type BookSnapshot } from './book-history';
import { type DispersionEstimate, type SlotSeries, dispersionOf, emptyDispersion, emptySeries, ewUpdate, expectedUnits, foldHour, hourOfWeek, observeDispersion } from './baseline';
import {
  type Book,
  type DemandEvidence,
  dropDecision,
  emptyEvidence,
  isPriceError,
  isVoidBurst,
  phantomDecision,
  phantomEvidence,
  priceDeviation,
  spikeDecision,
  stepCensored,
  stepSilence,
  stepDemand,
  voidEvidence,
  zScore,
} from './detectors';
import { FALLBACK_TIME_ZONE, LocalClock } from './local-time';
import { ALLOWED_LATENESS_MS, BOOK_MEMORY_MS, DROP_RAISE, HOUR_MS, MAX_OUT_OF_ORDER_MS, MIN_HISTORY_HOURS, PRICE_ADOPT_MS, TIDE_PRIOR_UNITS, TIDE_RANGE, VOID_ALPHA, VOID_MIN_COUNT } from './tuning';

export const ANOMALIES_TABLE = 'anomalies';
export const ANOMALY_STATE_TABLE = 'anomaly_state';
const PROCESSOR = 'anomaly';

/** Catalogue topics read, in the order given to the consumer (see the header). */
export const ANOMALY_INPUTS = ['inventory.counts', 'inventory.movements', 'pos.returns', 'pricing.prices', 'pos.voids', 'pos.sales'] as const;
type AnomalyInput = (typeof ANOMALY_INPUTS)[number];

export interface AnomalyOptions extends WatermarkOptions {
  /** Stand-in topics: catalogue topic -> topic to read instead (tests, reprocessing). */
  readonly topics?: Readonly<Partial<Record<string, string>>>;
  /**
   * IANA time zone per store_id, for local hours of the week. The processor reads them from
   * dim_store (md.stores) when a task starts; entries here take precedence (tests, scoring).
   */
  readonly timeZones?: Readonly<Record<string, string>>;
  /** Event time an event_id is remembered for, to drop a repeat (ms); see runtime/event-ids.ts. */
  readonly eventIdHorizonMs?: number;
}

export const DEFAULT_ANOMALY_OPTIONS: AnomalyOptions = { maxOutOfOrderMs: MAX_OUT_OF_ORDER_MS, allowedLatenessMs: ALLOWED_LATENESS_MS };

type SeriesAlertType = 'DEMAND_SPIKE' | 'DEMAND_DROP' | 'PHANTOM_INVENTORY' | 'PRICE_ERROR';

/** An alert that is raised and not resolved yet. */
interface OpenAlert {
  readonly id: string;
  readonly raisedAt: number;
  readonly score: number;
  readonly expected: number;
  readonly observed: number;
  readonly reason: string;
}

interface SeriesState {
  readonly storeId: string;
  readonly sku: string;
  baseline: SlotSeries;
  evidence: DemandEvidence;
  /** The books with their history (see book-history.ts: the hour judged may be behind them). */
  books: BookHistory;
  /** Shelf price as last confirmed (a price change, or a normal sale), minor units. */
  shelfPrice: number | null;
  /** A deviating price rung again and again, and since when (adopted after PRICE_ADOPT_MS). */
  deviant: { price: number; since: number } | null;
  /**
   * [occurred_at, on promotion] each time a line of this sku changed between promotion and
   * regular price, in time order: an hour is on promotion when its last line before the hour's
   * end was (demand is then not judged against the baseline). Kept by time, not as "the last
   * line read", because an hour may be judged after later sales were read (it waits for books).
   */
  promo: [number, boolean][];
  alerts: Partial<Record<SeriesAlertType, OpenAlert>>;
  /** End of the last hour this series was judged (or skipped as stocked out) in; undefined before. */
  judgedThrough?: number;
  /**
   * Event time of its earliest record: hours before it are not this series' (a count read days
   * ahead creates the series early; its baseline must still start where its data starts).
   */
  firstSeen: number;
}

interface StoreState {
  readonly storeId: string;
  /**
   * The store's wall clock. Fixed when the store is first seen and saved with its state: a zone
   * learnt later would move every slot its baselines were learnt in.
   */
  clock: LocalClock;
  baseline: SlotSeries;
  dispersion: DispersionEstimate;
  readonly series: Map<string, SeriesState>;
}

interface TerminalState {
  readonly storeId: string;
  readonly terminalId: string;
  /** Exponentially weighted voids per hour. */
  rate: number;
  hours: number;
  alert: OpenAlert | null;
}

interface Meta {
  salesClosedThrough: number;
  voidsClosedThrough: number;
  /** Per input topic: the next offset whose effects are not in this state yet. */
  next: Record<string, number>;
}

interface SalesHour {
  readonly minOffset: number;
  /** store -> sku -> units. */
  readonly units: Map<string, Map<string, number>>;
  /** store \0 sku of lines sold on promotion. */
  readonly promo: Set<string>;
}

interface VoidHour {
  readonly minOffset: number;
  /** store \0 terminal -> voids. */
  readonly counts: Map<string, number>;
}

/** A row of anomaly_state as read back. */
export interface StateRow {
  readonly store_id: string;
  readonly entity: string;
  readonly state: string;
}

const iso = (ms: number): string => new Date(ms).toISOString();
const fmt = (x: number): string => (Math.abs(x) >= 10 ? x.toFixed(0) : x.toFixed(1));
const money = (minor: number): string => (minor / 100).toFixed(2);
const key2 = (a: string, b: string): string => `${a}\u0000${b}`;

/**
 * The books as of `t`, for the drop and phantom detectors: the counted level, or before any
 * count the floor the deltas prove when it is above 0 (stock is on the books for sure).
 */
export function bookAsOf(books: BookHistory, t: number): Book {
  const level = books.levelAt(t);
  if (level !== undefined) return { known: true, onHand: level };
  const floor = books.atLeast(t) ?? 0;
  return floor > 0 ? { known: true, onHand: floor } : { known: false, onHand: 0 };
}

/** Whether the last line at or before `t` was on promotion (false before any). */
export function promotionAt(changes: readonly (readonly [number, boolean])[], t: number): boolean {
  let on = false;
  for (const [at, promo] of changes) {
    if (at > t) break;
    on = promo;
  }
  return on;
}

/** Records a line's promotion flag at `at` where it changes the state (lines may be slightly out of order). */
export function notePromotion(changes: [number, boolean][], at: number, promo: boolean): void {
  const last = changes[changes.length - 1];
  if (!last || at >= last[0]) {
    if ((last?.[1] ?? false) !== promo) changes.push([at, promo]);
    return;
  }
  let i = changes.length;
  while (i > 0 && changes[i - 1]![0] > at) i--;
  changes.splice(i, 0, [at, promo]);
}

/** Drops changes before `cutoff`, keeping the one in force at the cutoff. */
export function forgetPromotionsBefore(changes: [number, boolean][], cutoff: number): void {
  let i = 0;
  while (i + 1 < changes.length && changes[i + 1]![0] <= cutoff) i++;
  if (i > 0) changes.splice(0, i);
}

export class AnomalyTask implements PartitionTask {
  private readonly stores = new Map<string, StoreState>();
  private readonly terminals = new Map<string, TerminalState>();
  private readonly salesHours = new Map<number, SalesHour>();
  private readonly voidHours = new Map<number, VoidHour>();
  private readonly salesWatermark: Watermark;
  private readonly voidsWatermark: Watermark;
  private readonly meta: Meta = { salesClosedThrough: Number.NEGATIVE_INFINITY, voidsClosedThrough: Number.NEGATIVE_INFINITY, next: {} };
  /** What the restored state covered: records below are replayed only into hour buckets. */
  private readonly restoredNext: Record<string, number>;
  private readonly dirtySeries = new Set<SeriesState>();
  private readonly dirtyStores = new Set<StoreState>();
  private readonly dirtyTerminals = new Set<TerminalState>();
  private metaDirty = false;
  /** Catalogue topic of each input topic name. */
  private readonly catalogueOf: ReadonlyMap<string, AnomalyInput>;
  private readonly salesTopic: string;
  private readonly timeZones: Readonly<Record<string, string>>;
  private readonly clocks = new Map<string, LocalClock>();

  constructor(
    private readonly partition: number,
    options: AnomalyOptions = DEFAULT_ANOMALY_OPTIONS,
    restored: readonly StateRow[] = [],
    /** Drops a repeated event_id (a retried request); absent in unit tests of the detectors alone. */
    private readonly eventIds?: EventIdGuard,
  ) {
    this.timeZones = options.timeZones ?? {};
    this.salesWatermark = new Watermark(options);
    this.voidsWatermark = new Watermark(options);
    const topics = new TopicMapping<AnomalyInput>(options.topics as Record<string, string> | undefined);
    this.catalogueOf = topics.catalogueOf(ANOMALY_INPUTS);
    this.salesTopic = topics.read('pos.sales');
    this.restore(restored);
    this.restoredNext = { ...this.meta.next };
  }

  // ── records ─────────────────────────────────────────────────────────────────────────────

  process(record: InputRecord, out: RowSink): Rejection | void {
    const topic = this.catalogueOf.get(record.topic);
    // Before anything, replayed or not: a repeat never enters an hour bucket either.
    if (this.eventIds?.isRepeatedRecord(record)) return;
    const replayed = record.offset < (this.restoredNext[record.topic] ?? 0);
    if (!replayed) {
      this.meta.next[record.topic] = record.offset + 1;
      this.metaDirty = true;
    }
    switch (topic) {
      case 'pos.sales':
        return this.sale(record, record.value as SaleCompleted, replayed, out);
      case 'pos.voids':
        return this.voided(record, record.value as SaleVoided, replayed, out);
      case 'pricing.prices':
        if (!replayed) this.priceChanged(record.value as PriceChanged);
        return;
      case 'pos.returns':
        if (!replayed) this.book(record.value as SaleReturned, 'pos.returns');
        return;
      case 'inventory.movements':
        if (!replayed) this.book(record.value as InventoryMovement, 'inventory.movements');
        return;
      case 'inventory.counts':
        if (!replayed) this.book(record.value as StockCounted, 'inventory.counts');
        return;
      case undefined:
        return { code: 'CONTRACT_VIOLATION', reason: `topic ${record.topic} is not an input of the anomaly processor` };
    }
  }

  private store(storeId: string): StoreState {
    let s = this.stores.get(storeId);
    if (!s) {
      const clock = this.clock(this.timeZones[storeId] ?? FALLBACK_TIME_ZONE);
      this.stores.set(storeId, (s = { storeId, clock, baseline: emptySeries(), dispersion: emptyDispersion(), series: new Map() }));
      this.dirtyStores.add(s);
    }
    return s;
  }

  private clock(timeZone: string): LocalClock {
    let c = this.clocks.get(timeZone);
    if (!c) this.clocks.set(timeZone, (c = new LocalClock(timeZone)));
    return c;
  }

  private series(storeId: string, sku: string): SeriesState {
    const store = this.store(storeId);
    let s = store.series.get(sku);
    if (!s) {
      s = { storeId, sku, baseline: emptySeries(), evidence: emptyEvidence(), books: new BookHistory(), shelfPrice: null, deviant: null, promo: [], alerts: {}, firstSeen: Number.POSITIVE_INFINITY };
      store.series.set(sku, s);
      this.dirtyStores.add(store);
    }
    return s;
  }

  private book(value: SaleReturned | InventoryMovement | StockCounted | SaleCompleted, topic: 'pos.returns' | 'inventory.movements' | 'inventory.counts' | 'pos.sales'): void {
    for (const entry of ledgerEntries(topic, value)) {
      const s = this.series(value.store_id, entry.sku);
      if (entry.at < s.firstSeen) s.firstSeen = entry.at;
      if (entry.kind === 'count') s.books.applyCount(entry.at, entry.onHand);
      else s.books.applyDelta(entry.at, entry.delta);
      this.dirtySeries.add(s);
    }
  }

  private priceChanged(change: PriceChanged): void {
    const s = this.series(change.store_id, change.sku);
    if (change.occurred_at < s.firstSeen) s.firstSeen = change.occurred_at;
    s.shelfPrice = change.new_price;
    s.deviant = null;
    this.dirtySeries.add(s);
  }

  private sale(record: InputRecord, sale: SaleCompleted, replayed: boolean, out: RowSink): Rejection | void {
    if (!replayed) {
      this.book(sale, 'pos.sales');
      for (const line of sale.lines) this.checkPrice(record, sale, line.sku, line.unit_price, line.promotion_id !== null, out);
    }
    const hour = tumblingStart(HOUR_MS, sale.occurred_at);
    if (hour <= this.meta.salesClosedThrough || this.salesWatermark.isClosed(hour + HOUR_MS)) {
      if (replayed) return;
      return { code: 'LATE_EVENT', reason: `sale at ${iso(sale.occurred_at)} arrived after its hour closed (watermark ${iso(this.salesWatermark.valueMs)}); books and prices were updated, hourly demand was not` };
    }
    let bucket = this.salesHours.get(hour);
    if (!bucket) this.salesHours.set(hour, (bucket = { minOffset: record.offset, units: new Map(), promo: new Set() }));
    let units = bucket.units.get(sale.store_id);
    if (!units) bucket.units.set(sale.store_id, (units = new Map()));
    for (const line of sale.lines) {
      units.set(line.sku, (units.get(line.sku) ?? 0) + line.quantity);
      if (line.promotion_id !== null) bucket.promo.add(key2(sale.store_id, line.sku));
    }
    this.store(sale.store_id);
    const before = this.salesWatermark.valueMs;
    this.salesWatermark.observe(sale.occurred_at);
    if (this.salesWatermark.valueMs !== before) this.closeSalesHours(out);
  }

  private checkPrice(record: InputRecord, sale: SaleCompleted, sku: string, unitPrice: number, onPromotion: boolean, out: RowSink): void {
    const s = this.series(sale.store_id, sku);
    notePromotion(s.promo, sale.occurred_at, onPromotion);
    if (sale.occurred_at < s.firstSeen) s.firstSeen = sale.occurred_at;
    this.dirtySeries.add(s);
    if (s.shelfPrice === null) {
      s.shelfPrice = unitPrice;
      return;
    }
    const open = s.alerts.PRICE_ERROR;
    if (!isPriceError(unitPrice, s.shelfPrice)) {
      s.shelfPrice = unitPrice; // follows small shelf changes nobody announced
      s.deviant = null;
      if (open) this.resolve(out, 'PRICE_ERROR', s, open, sale.occurred_at, `${sku} rings ${money(unitPrice)} again, the shelf price`);
      return;
    }
    if (s.deviant?.price === unitPrice) {
      if (sale.occurred_at - s.deviant.since >= PRICE_ADOPT_MS) {
        // Rung the same way for a day and a half: a new shelf price, not an error.
        s.shelfPrice = unitPrice;
        s.deviant = null;
        if (open) this.resolve(out, 'PRICE_ERROR', s, open, sale.occurred_at, `${sku} has rung ${money(unitPrice)} steadily for ${PRICE_ADOPT_MS / HOUR_MS} h: taken as the new shelf price`);
        return;
      }
    } else {
      s.deviant = { price: unitPrice, since: sale.occurred_at };
    }
    if (open) return;
    const deviation = priceDeviation(unitPrice, s.shelfPrice);
    const reason = `${sku} rang at ${money(unitPrice)} where the shelf price is ${money(s.shelfPrice)} (x${(unitPrice / s.shelfPrice).toPrecision(2)})${onPromotion ? ' on a promotion line' : ''}`;
    this.raise(out, 'PRICE_ERROR', s, { topic: record.topic, partition: record.partition, offset: record.offset }, sale.occurred_at, Math.log10(deviation), s.shelfPrice, unitPrice, reason, {
      shelf_price: s.shelfPrice,
      unit_price: unitPrice,
      price_ratio: unitPrice / s.shelfPrice,
    });
  }

  private voided(record: InputRecord, v: SaleVoided, replayed: boolean, out: RowSink): Rejection | void {
    const hour = tumblingStart(HOUR_MS, v.occurred_at);
    if (hour <= this.meta.voidsClosedThrough || this.voidsWatermark.isClosed(hour + HOUR_MS)) {
      if (replayed) return;
      return { code: 'LATE_EVENT', reason: `void at ${iso(v.occurred_at)} arrived after its hour closed (watermark ${iso(this.voidsWatermark.valueMs)})` };
    }
    let bucket = this.voidHours.get(hour);
    if (!bucket) this.voidHours.set(hour, (bucket = { minOffset: record.offset, counts: new Map() }));
    const k = key2(v.store_id, v.terminal_id);
    const count = (bucket.counts.get(k) ?? 0) + 1;
    bucket.counts.set(k, count);
    let t = this.terminals.get(k);
    if (!t) {
      this.terminals.set(k, (t = { storeId: v.store_id, terminalId: v.terminal_id, rate: 0, hours: 0, alert: null }));
      this.dirtyTerminals.add(t);
    }
    if (!replayed && !t.alert && isVoidBurst(count, t.rate)) {
      const evidence = voidEvidence(count, t.rate);
      const reason = `terminal ${v.terminal_id} voided ${count} transactions since ${iso(hour).slice(11, 16)} UTC where ${fmt(t.rate)} an hour is usual${v.supervisor_id === null ? ', without a supervisor' : ''}`;
      const id = alertId(PROCESSOR, 'VOID_BURST', v.store_id, null, { topic: record.topic, partition: record.partition, offset: record.offset });
      t.alert = { id, raisedAt: v.occurred_at, score: evidence, expected: t.rate, observed: count, reason };
      this.publish(out, 'RAISED', 'VOID_BURST', v.store_id, null, v.terminal_id, t.alert, v.occurred_at, null, { voids: count, usual_voids_per_hour: t.rate });
      this.dirtyTerminals.add(t);
    }
    const before = this.voidsWatermark.valueMs;
    this.voidsWatermark.observe(v.occurred_at);
    if (this.voidsWatermark.valueMs !== before) this.closeVoidHours(out);
  }

  // ── closing hours ───────────────────────────────────────────────────────────────────────

  /**
   * Judges the hours the sales watermark has closed. The books they are judged against are
   * complete up to then: the runtime hands a co-partitioned task its inputs in event-time order
   * (streams/runtime/align.ts), so every count and delivery before the watermark has been read,
   * in a replay or a catch-up as live. (Judged against books that lag, a delivery not read yet
   * would show an empty shelf, and a run's timing would turn into alerts.)
   */
  private closeSalesHours(out: RowSink): void {
    const closing = [...this.salesHours.keys()].filter((h) => this.salesWatermark.isClosed(h + HOUR_MS)).sort((a, b) => a - b);
    for (const hour of closing) {
      const bucket = this.salesHours.get(hour)!;
      this.salesHours.delete(hour);
      this.judgeHour(hour, bucket, out);
      if (Math.floor(hour / BOOK_MEMORY_MS) !== Math.floor(this.meta.salesClosedThrough / BOOK_MEMORY_MS)) {
        // Books older than any hour still to be judged (a store shut for days included).
        for (const store of this.stores.values()) {
          for (const s of store.series.values()) {
            s.books.forgetBefore(hour - BOOK_MEMORY_MS);
            forgetPromotionsBefore(s.promo, hour - BOOK_MEMORY_MS);
          }
        }
      }
      this.meta.salesClosedThrough = Math.max(this.meta.salesClosedThrough, hour);
      this.metaDirty = true;
    }
  }

  private judgeHour(hour: number, bucket: SalesHour, out: RowSink): void {
    const end = hour + HOUR_MS;
    for (const store of this.stores.values()) {
      const sold = bucket.units.get(store.storeId);
      if (!sold || sold.size === 0) continue; // the store was closed (or had no till online)
      const slot = hourOfWeek(store.clock.local(hour));
      let total = 0;
      for (const units of sold.values()) total += units;
      const storeExpected = expectedUnits(store.baseline, store.baseline, slot);
      const ready = store.baseline.hours >= MIN_HISTORY_HOURS;
      // The store's tide for one sku is read on the other skus (leave one out): a top seller's
      // own spike can be a large share of the store's units and would otherwise lift its
      // expectation with it, hiding half of the spike.
      const tideWithout = (units: number, expected: number): number =>
        Math.min(TIDE_RANGE[1], Math.max(TIDE_RANGE[0], (total - units + TIDE_PRIOR_UNITS) / (Math.max(0, storeExpected - expected) + TIDE_PRIOR_UNITS)));
      const k = dispersionOf(store.dispersion);
      // In sku order, not in the order series were first read: the dispersion estimate weighs
      // each observation by its position, and that order depends on how topics interleaved.
      for (const s of [...store.series.values()].sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0))) {
        if (s.firstSeen >= end) continue; // not started yet in event time
        const x = sold.get(s.sku) ?? 0;
        const onPromotion = promotionAt(s.promo, end) || bucket.promo.has(key2(store.storeId, s.sku));
        const judged = ready && s.baseline.hours >= MIN_HISTORY_HOURS && !onPromotion;
        const stock = this.stockIn(s, hour, end);
        if (stock !== 'stocked') {
          // The books show an empty shelf for part of the hour: sales were capped by stock, not
          // chosen by customers (a censored hour). Read as an ordinary hour it would look like
          // a drop (or, once stock is back, raise a drop on evidence piled up while the shelf
          // was empty), and teach the baseline the stock-out. The stock processor alerts on
          // stock-outs; here the hour counts only as "demand was at least x" towards a spike,
          // ends a phantom alert (the books agree with the shelf now), and is not learnt.
          // Only a sell-out in this very hour says "demand >= x": books already empty when it
          // began (or that only look empty, a delivery not read) add nothing to a spike.
          if (judged) {
            const own = expectedUnits(s.baseline, store.baseline, slot);
            stepCensored(s.evidence, stock === 'sold out' ? x : 0, Math.max(1e-6, own * tideWithout(x, own)), k);
            this.decide(s, x, end, bucket, out, 'spike');
          } else {
            s.evidence = emptyEvidence();
          }
          const phantom = s.alerts.PHANTOM_INVENTORY;
          if (phantom) this.resolve(out, 'PHANTOM_INVENTORY', s, phantom, end, `the books of ${s.sku} show no stock any more`);
          this.dirtySeries.add(s);
          continue;
        }
        if (judged) {
          const own = expectedUnits(s.baseline, store.baseline, slot);
          const mu = Math.max(1e-6, own * tideWithout(x, own));
          observeDispersion(store.dispersion, x, mu);
          stepDemand(s.evidence, x, mu, k);
          this.decide(s, x, end, bucket, out, 'all');
        } else if (onPromotion && ready && s.baseline.hours >= MIN_HISTORY_HOURS) {
          // A promotion lifts demand on purpose: spikes and drops start afresh once it is over.
          // A silence is still judged (against the regular baseline, which a promotion only
          // exceeds): phantom inventory on a promoted item is the costliest kind.
          const own = expectedUnits(s.baseline, store.baseline, slot);
          stepSilence(s.evidence, x, Math.max(1e-6, own * tideWithout(x, own)), k);
          this.decide(s, x, end, bucket, out, 'phantom');
        } else if (onPromotion) {
          s.evidence = emptyEvidence();
        }
        const open = s.alerts.DEMAND_SPIKE || s.alerts.DEMAND_DROP || s.alerts.PHANTOM_INVENTORY;
        if (!open && !onPromotion) foldHour(s.baseline, slot, x);
        this.dirtySeries.add(s);
      }
      foldHour(store.baseline, slot, total);
      this.dirtyStores.add(store);
    }
  }

  /**
   * What the books say of the shelf since the series was last judged (closed hours included: a
   * count that finds the shelf empty overnight, then a delivery, leaves books that are positive
   * at both ends of the next hour, yet the evidence before it is stale): 'stocked', 'sold out'
   * (stock at the start of the hour, none at some point in it: this hour's sales emptied it), or
   * 'empty' (no stock already when the hour began).
   */
  private stockIn(s: SeriesState, hour: number, end: number): 'stocked' | 'sold out' | 'empty' {
    const from = Math.min(hour, s.judgedThrough ?? hour);
    s.judgedThrough = end;
    const lowest = s.books.lowest(from, end);
    if (lowest === undefined || lowest > 0) return 'stocked';
    const before = s.books.lowest(from, hour);
    return before !== undefined && before > 0 ? 'sold out' : 'empty';
  }

  /**
   * Raises and resolves the demand alerts of a series after its hour: every kind, spikes only (a
   * censored hour), or phantom inventory only (an hour on promotion).
   */
  private decide(s: SeriesState, x: number, end: number, bucket: SalesHour, out: RowSink, kinds: 'all' | 'spike' | 'phantom'): void {
    const e = s.evidence;
    const source = { topic: this.salesTopic, partition: this.partition, offset: bucket.minOffset };
    let memo: Book | undefined;
    const book = (): Book => (memo ??= bookAsOf(s.books, end));
    const hours = (n: number): string => `${n} h`;

    const spike = kinds === 'phantom' ? undefined : s.alerts.DEMAND_SPIKE;
    const spikeNext = spikeDecision(e, spike !== undefined);
    if (spikeNext === 'raise') {
      const r = e.spikeRun;
      this.raise(out, 'DEMAND_SPIKE', s, source, end, zScore(r), r.expected, r.observed, `${s.sku} sold ${fmt(r.observed)} units in the last ${hours(r.hours)} where ${fmt(r.expected)} were expected (x${(r.observed / Math.max(r.expected, 1e-9)).toFixed(1)})`, {
        expected_units: r.expected,
        observed_units: r.observed,
        hours: r.hours,
      });
    } else if (spikeNext === 'resolve' && spike) {
      this.resolve(out, 'DEMAND_SPIKE', s, spike, end, `${s.sku} sells at its usual rate again`);
    }

    if (kinds === 'spike') return;

    const drop = kinds === 'all' ? s.alerts.DEMAND_DROP : undefined;
    const dropNext = dropDecision(e, drop !== undefined, drop || e.drop < DROP_RAISE ? { known: false, onHand: 0 } : book());
    if (dropNext === 'raise') {
      const r = e.dropRun;
      this.raise(out, 'DEMAND_DROP', s, source, end, -zScore(r), r.expected, r.observed, `${s.sku} sold ${fmt(r.observed)} units in the last ${hours(r.hours)} where ${fmt(r.expected)} were expected`, {
        expected_units: r.expected,
        observed_units: r.observed,
        hours: r.hours,
      });
    } else if (dropNext === 'resolve' && drop) {
      this.resolve(out, 'DEMAND_DROP', s, drop, end, `${s.sku} sells at its usual rate again`);
    }

    const phantom = s.alerts.PHANTOM_INVENTORY;
    // The books are read only when the silence is long enough to matter (toJSON copies them).
    // While a drop is open the silence is part of that situation: one situation, one alert.
    const phantomNext = phantom || (e.zeroExpected > 0 && !s.alerts.DEMAND_DROP) ? phantomDecision(e, phantom !== undefined, book(), x) : undefined;
    if (phantomNext === 'raise') {
      const b = book();
      this.raise(out, 'PHANTOM_INVENTORY', s, source, end, phantomEvidence(e), e.zeroExpected, 0, `${s.sku}: no sale for ${hours(e.zeroHours)} of trading where ${fmt(e.zeroExpected)} units were expected (chance 1 in 10^${phantomEvidence(e).toFixed(0)}) while the books show ${b.onHand} on hand`, {
        expected_units: e.zeroExpected,
        observed_units: 0,
        hours: e.zeroHours,
        on_hand: b.onHand,
      });
    } else if (phantomNext === 'resolve' && phantom) {
      this.resolve(out, 'PHANTOM_INVENTORY', s, phantom, end, x > 0 ? `${s.sku} sells again` : `the books of ${s.sku} show no stock any more (${book().onHand})`);
    }
  }

  private closeVoidHours(out: RowSink): void {
    // Every hour the watermark has passed, those without a single void included (zeros count).
    const first = Number.isFinite(this.meta.voidsClosedThrough) ? this.meta.voidsClosedThrough + HOUR_MS : Math.min(...this.voidHours.keys());
    for (let hour = first; this.voidsWatermark.isClosed(hour + HOUR_MS); hour += HOUR_MS) {
      const bucket = this.voidHours.get(hour);
      this.voidHours.delete(hour);
      for (const [k, t] of this.terminals) {
        const count = bucket?.counts.get(k) ?? 0;
        if (t.alert) {
          if (count < VOID_MIN_COUNT / 2) {
            this.publish(out, 'RESOLVED', 'VOID_BURST', t.storeId, null, t.terminalId, t.alert, hour + HOUR_MS, hour + HOUR_MS, { voids: count, usual_voids_per_hour: t.rate }, `terminal ${t.terminalId} voided ${count} in the hour from ${iso(hour).slice(11, 16)} UTC: back to normal`);
            t.alert = null;
          }
        } else {
          t.rate = ewUpdate(t.rate, t.hours, count, VOID_ALPHA);
          t.hours++;
        }
        this.dirtyTerminals.add(t);
      }
      this.meta.voidsClosedThrough = hour;
      this.metaDirty = true;
    }
  }

  // ── alerts ──────────────────────────────────────────────────────────────────────────────

  private raise(out: RowSink, type: SeriesAlertType, s: SeriesState, source: { topic: string; partition: number; offset: number }, at: number, score: number, expected: number, observed: number, reason: string, measures: Record<string, number>): void {
    const alert: OpenAlert = { id: alertId(PROCESSOR, type, s.storeId, s.sku, source), raisedAt: at, score, expected, observed, reason };
    s.alerts[type] = alert;
    this.dirtySeries.add(s);
    this.publish(out, 'RAISED', type, s.storeId, s.sku, null, alert, at, null, measures);
  }

  private resolve(out: RowSink, type: SeriesAlertType, s: SeriesState, alert: OpenAlert, at: number, why: string): void {
    delete s.alerts[type];
    this.dirtySeries.add(s);
    this.publish(out, 'RESOLVED', type, s.storeId, s.sku, null, alert, at, at, {}, why);
  }

  private publish(out: RowSink, state: 'RAISED' | 'RESOLVED', type: AlertType, storeId: string, sku: string | null, terminalId: string | null, alert: OpenAlert, at: number, endedAt: number | null, measures: Record<string, number>, why?: string): void {
    // Every number the reader may want, the raise's figures included on the resolution.
    const allMeasures = { expected: alert.expected, observed: alert.observed, ...measures };
    const reason = state === 'RAISED' ? alert.reason : `${why ?? 'over'} (raised: ${alert.reason})`;
    const severity = type === 'PRICE_ERROR' || type === 'VOID_BURST' || alert.score >= 10 ? 'CRITICAL' : 'WARNING';
    const value: Alert = { alert_id: alert.id, state, occurred_at: at, store_id: storeId, sku, terminal_id: terminalId, alert_type: type, severity, score: alert.score, reason, processor: PROCESSOR, measures: allMeasures };
    // Event time orders the versions: a resolution is never older than its raise.
    const version = at * 2 + (state === 'RESOLVED' ? 1 : 0);
    emitAlert(out, value, version);
    out.emit(ANOMALIES_TABLE, {
      alert_id: alert.id,
      anomaly_type: type,
      store_id: storeId,
      sku,
      terminal_id: terminalId,
      started_at: iso(alert.raisedAt),
      ended_at: endedAt === null ? null : iso(endedAt),
      state,
      severity,
      score: alert.score,
      expected: alert.expected,
      observed: alert.observed,
      reason: alert.reason,
      resolution: state === 'RESOLVED' ? (why ?? '') : '',
      version,
    });
  }

  // ── flush, offsets, state ───────────────────────────────────────────────────────────────

  punctuate(out: RowSink): void {
    this.eventIds?.seal();
    if (this.dirtySeries.size === 0 && this.dirtyStores.size === 0 && this.dirtyTerminals.size === 0 && !this.metaDirty) return;
    let version = 0;
    for (const n of Object.values(this.meta.next)) version += n;
    const row = (storeId: string, entity: string, state: unknown): void => out.emit(ANOMALY_STATE_TABLE, { partition: this.partition, store_id: storeId, entity, state: JSON.stringify(state), version });
    for (const s of this.dirtySeries) {
      row(s.storeId, `series:${s.sku}`, { baseline: s.baseline, evidence: s.evidence, books: s.books.toJSON(), shelfPrice: s.shelfPrice, deviant: s.deviant, promo: s.promo, alerts: s.alerts, judgedThrough: s.judgedThrough ?? null, firstSeen: finiteOrNull(s.firstSeen) });
    }
    for (const st of this.dirtyStores) row(st.storeId, 'store', { timeZone: st.clock.timeZone, baseline: st.baseline, dispersion: st.dispersion });
    for (const t of this.dirtyTerminals) row(t.storeId, `terminal:${t.terminalId}`, { rate: t.rate, hours: t.hours, alert: t.alert });
    row('', 'meta', { ...this.meta, salesClosedThrough: finiteOrNull(this.meta.salesClosedThrough), voidsClosedThrough: finiteOrNull(this.meta.voidsClosedThrough) });
    this.dirtySeries.clear();
    this.dirtyStores.clear();
    this.dirtyTerminals.clear();
    this.metaDirty = false;
  }

  private restore(rows: readonly StateRow[]): void {
    // Stores first, so series find theirs.
    const sorted = [...rows].sort((a, b) => rank(a.entity) - rank(b.entity));
    for (const r of sorted) {
      const state = JSON.parse(r.state) as Record<string, unknown>;
      if (r.entity === 'meta') {
        const m = state as { salesClosedThrough: number | null; voidsClosedThrough: number | null; next: Record<string, number> };
        this.meta.salesClosedThrough = m.salesClosedThrough ?? Number.NEGATIVE_INFINITY;
        this.meta.voidsClosedThrough = m.voidsClosedThrough ?? Number.NEGATIVE_INFINITY;
        this.meta.next = { ...m.next };
      } else if (r.entity === 'store') {
        const st = this.store(r.store_id);
        if (typeof state.timeZone === 'string') st.clock = this.clock(state.timeZone);
        st.baseline = state.baseline as SlotSeries;
        st.dispersion = state.dispersion as DispersionEstimate;
      } else if (r.entity.startsWith('series:')) {
        const s = this.series(r.store_id, r.entity.slice('series:'.length));
        s.baseline = state.baseline as SlotSeries;
        s.evidence = state.evidence as DemandEvidence;
        s.books = BookHistory.fromJSON(state.books as BookSnapshot | undefined);
        s.shelfPrice = state.shelfPrice as number | null;
        s.deviant = state.deviant as SeriesState['deviant'];
        s.promo = Array.isArray(state.promo) ? (state.promo as [number, boolean][]) : [];
        s.alerts = state.alerts as SeriesState['alerts'];
        s.judgedThrough = (state.judgedThrough as number | null | undefined) ?? undefined;
        s.firstSeen = (state.firstSeen as number | null | undefined) ?? Number.NEGATIVE_INFINITY;
      } else if (r.entity.startsWith('terminal:')) {
        const terminalId = r.entity.slice('terminal:'.length);
        this.terminals.set(key2(r.store_id, terminalId), { storeId: r.store_id, terminalId, ...(state as { rate: number; hours: number; alert: OpenAlert | null }) });
      }
    }
    this.dirtyStores.clear();
  }

  earliestNeededOffset(topic: string): number | undefined {
    const buckets = topic === this.salesTopic ? this.salesHours : this.catalogueOf.get(topic) === 'pos.voids' ? this.voidHours : undefined;
    if (!buckets) return undefined;
    let min: number | undefined;
    for (const b of buckets.values()) if (min === undefined || b.minOffset < min) min = b.minOffset;
    return min;
  }

  checkpoint(topic: string): string {
    return JSON.stringify({ next: this.meta.next[topic] ?? null, salesClosedThrough: finiteOrNull(this.meta.salesClosedThrough) });
  }

  /** Open alerts by type, for tests and the demo. */
  openAlerts(): { type: AlertType; storeId: string; key: string }[] {
    const open: { type: AlertType; storeId: string; key: string }[] = [];
    for (const st of this.stores.values()) for (const s of st.series.values()) for (const type of Object.keys(s.alerts) as SeriesAlertType[]) open.push({ type, storeId: s.storeId, key: s.sku });
    for (const t of this.terminals.values()) if (t.alert) open.push({ type: 'VOID_BURST', storeId: t.storeId, key: t.terminalId });
    return open;
  }
}

function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

function rank(entity: string): number {
  return entity === 'meta' ? 0 : entity === 'store' ? 1 : 2;
}

/** Reads the partition's saved state (the newest version of each row). */
export async function loadAnomalyState(deps: Pick<TaskDeps, 'query' | 'database'>, partition: number): Promise<StateRow[]> {
  return deps.query<StateRow>(
    `SELECT store_id, entity, argMax(state, version) AS state FROM ${deps.database}.${ANOMALY_STATE_TABLE} WHERE partition = {partition:UInt16} GROUP BY store_id, entity`,
    { partition },
  );
}

/**
 * Time zones of the stores the warehouse processor has seen on md.stores. That topic is not
 * co-partitioned with the events (fewer partitions), so it is read from dim_store when a task
 * starts; a store not there yet gets UTC slots (FALLBACK_TIME_ZONE) and keeps them.
 */
export async function loadStoreTimeZones(deps: Pick<TaskDeps, 'query' | 'database'>): Promise<Record<string, string>> {
  const rows = await deps.query<{ store_id: string; time_zone: string }>(`SELECT store_id, argMax(time_zone, updated_at) AS time_zone FROM ${deps.database}.dim_store GROUP BY store_id`);
  return Object.fromEntries(rows.map((r) => [r.store_id, r.time_zone]));
}

export function anomalyProcessor(options: AnomalyOptions = DEFAULT_ANOMALY_OPTIONS): ProcessorDefinition {
  return {
    name: PROCESSOR,
    ...new TopicMapping<AnomalyInput>(options.topics as Record<string, string> | undefined).inputs(ANOMALY_INPUTS),
    copartitioned: true,
    // The state last: it is saved only after the alerts and rows derived from it.
    tables: ['alerts', ANOMALIES_TABLE, ANOMALY_STATE_TABLE],
    createTask: async (init: TaskInit, deps: TaskDeps) => {
      const timeZones = { ...(await loadStoreTimeZones(deps)), ...options.timeZones };
      const eventIds = await openEventIdGuard(deps, PROCESSOR, options.eventIdHorizonMs ?? DEFAULT_EVENT_ID_HORIZON_MS);
      return new AnomalyTask(init.partition, { ...options, timeZones }, await loadAnomalyState(deps, init.partition), eventIds);
    },
  };
}
