/**
 * The anomaly processor's task: its per-record logic (pure, no I/O).
 *   - sales: units per store x sku into the hour bucket of occurred_at; each line's unit_price
 *     checked against the shelf price (PRICE_ERROR at once); the books (book-history.ts);
 *   - voids: counted per store x terminal into their own hour buckets (VOID_BURST at once when
 *     the hour's count is improbable for that terminal);
 *   - counts, movements, returns: the books; price changes: the shelf price.
 * When the sales watermark closes an hour it is judged (judge-hour.ts); when the voids watermark
 *   closes one, every terminal's rate learns it and open bursts may resolve. Each family of
 *   detectors is driven by one topic's own order (sales, or voids), so a replay reaches the same
 *   decisions whatever the interleaving of topics; only the books come from other topics, read as
 *   of the hour judged.
 * Recovery: the state (state.ts) is restored from the runtime's stores; the committed offset of
 *   sales and voids is the first offset of their open hour buckets, so a replay rebuilds those
 *   buckets and skips every effect already in the state (`applied`): nothing is folded twice and
 *   every alert keeps its id.
 * Late records (their hour closed) still update the books and the price check, and go to the
 *   dead-letter topic as LATE_EVENT for the hourly figures they missed.
 */
import type { PriceChanged, SaleCompleted, SaleReturned, SaleVoided, StockCounted, InventoryMovement, AlertType } from '../../schemas/generated/events';
import { alertId } from '../runtime/alerts';
import type { EventIdGuard } from '../runtime/event-ids';
import type { InputRecord, PartitionTask, Rejection, RowSink } from '../runtime/processor';
import { TopicMapping } from '../runtime/topics';
import { Watermark, tumblingStart } from '../runtime/windows';
import { ledgerEntries } from '../shared/ledger';
import { emptyDispersion, emptySeries, ewUpdate } from './baseline';
import { BookHistory } from './book-history';
import { emptyEvidence, isPriceError, isVoidBurst, priceDeviation, voidEvidence } from './detectors';
import { ANOMALY_PROCESSOR, publishAlert, raiseSeriesAlert, resolveSeriesAlert } from './emit';
import { ANOMALY_INPUTS, DEFAULT_ANOMALY_OPTIONS, type AnomalyInput, type AnomalyOptions } from './inputs';
import { judgeSalesHour } from './judge-hour';
import { FALLBACK_TIME_ZONE, LocalClock } from './local-time';
import type { MasterDataLookup } from '../shared/master-data';
import { forgetPromotionsBefore, notePromotion } from './promotions';
import {
  type AnomalyState,
  type Changes,
  type ClosedHours,
  type SalesHour,
  type SeriesAlertType,
  type SeriesState,
  type StoreState,
  type TerminalState,
  type VoidHour,
  CLOSED_KEY,
  finiteOrNull,
  inMemoryAnomalyState,
  key2,
  seriesSnapshot,
  storeSnapshot,
  terminalSnapshot,
} from './state';
import { BOOK_MEMORY_MS, HOUR_MS, PRICE_ADOPT_MS, VOID_ALPHA, VOID_MIN_COUNT } from './tuning';

const iso = (ms: number): string => new Date(ms).toISOString();
const fmt = (x: number): string => (Math.abs(x) >= 10 ? x.toFixed(0) : x.toFixed(1));
const money = (minor: number): string => (minor / 100).toFixed(2);

export class AnomalyTask implements PartitionTask {
  private readonly stores = new Map<string, StoreState>();
  private readonly terminals = new Map<string, TerminalState>();
  private readonly salesHours = new Map<number, SalesHour>();
  private readonly voidHours = new Map<number, VoidHour>();
  private readonly salesWatermark: Watermark;
  private readonly voidsWatermark: Watermark;
  private readonly meta: ClosedHours = { salesClosedThrough: Number.NEGATIVE_INFINITY, voidsClosedThrough: Number.NEGATIVE_INFINITY };
  private readonly changes: Changes = { series: new Set(), stores: new Set(), terminals: new Set() };
  private metaDirty = false;
  /** Catalogue topic of each input topic name. */
  private readonly catalogueOf: ReadonlyMap<string, AnomalyInput>;
  private readonly salesTopic: string;
  private readonly timeZones: Readonly<Record<string, string>>;
  private readonly clocks = new Map<string, LocalClock>();

  constructor(
    private readonly partition: number,
    options: AnomalyOptions = DEFAULT_ANOMALY_OPTIONS,
    private readonly state: AnomalyState = inMemoryAnomalyState(),
    /** Drops a repeated event_id (a retried request); absent in unit tests of the detectors alone. */
    private readonly eventIds?: EventIdGuard,
    /** Each store's time zone from md.stores (with its barrier); none: `options.timeZones` alone. */
    private readonly masterData?: MasterDataLookup,
  ) {
    this.timeZones = options.timeZones ?? {};
    this.salesWatermark = new Watermark(options);
    this.voidsWatermark = new Watermark(options);
    const topics = new TopicMapping<AnomalyInput>(options.topics as Record<string, string> | undefined);
    this.catalogueOf = topics.catalogueOf(ANOMALY_INPUTS);
    this.salesTopic = topics.read('pos.sales');
    this.restore();
  }

  // ── records ─────────────────────────────────────────────────────────────────────────────

  /**
   * A store first met takes its clock from master data, for good (saved with its state): before
   * deciding it has none, the master-data barrier (shared/master-data.ts), so the clock does not
   * depend on when the task started.
   */
  awaitBefore(record: InputRecord): Promise<void> | undefined {
    const storeId = (record.value as { store_id?: unknown }).store_id;
    if (!this.masterData?.awaitMissing || typeof storeId !== 'string' || this.stores.has(storeId) || this.timeZones[storeId] !== undefined) return undefined;
    return this.masterData.awaitMissing(storeId, []);
  }

  process(record: InputRecord, out: RowSink): Rejection | void {
    const topic = this.catalogueOf.get(record.topic);
    // Before anything, replayed or not: a repeat never enters an hour bucket either.
    if (this.eventIds?.isRepeatedRecord(record)) return;
    // In the restored state already: handed again only to rebuild the open hour buckets.
    const replayed = this.state.applied(record);
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
      const clock = this.clock(this.timeZones[storeId] ?? this.masterData?.store(storeId)?.time_zone ?? FALLBACK_TIME_ZONE);
      this.stores.set(storeId, (s = { storeId, clock, baseline: emptySeries(), dispersion: emptyDispersion(), series: new Map() }));
      this.changes.stores.add(s);
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
      this.changes.stores.add(store);
    }
    return s;
  }

  private book(value: SaleReturned | InventoryMovement | StockCounted | SaleCompleted, topic: 'pos.returns' | 'inventory.movements' | 'inventory.counts' | 'pos.sales'): void {
    for (const entry of ledgerEntries(topic, value)) {
      const s = this.series(value.store_id, entry.sku);
      if (entry.at < s.firstSeen) s.firstSeen = entry.at;
      if (entry.kind === 'count') s.books.applyCount(entry.at, entry.onHand);
      else s.books.applyDelta(entry.at, entry.delta);
      this.changes.series.add(s);
    }
  }

  private priceChanged(change: PriceChanged): void {
    const s = this.series(change.store_id, change.sku);
    if (change.occurred_at < s.firstSeen) s.firstSeen = change.occurred_at;
    s.shelfPrice = change.new_price;
    s.deviant = null;
    this.changes.series.add(s);
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
    this.changes.series.add(s);
    if (s.shelfPrice === null) {
      s.shelfPrice = unitPrice;
      return;
    }
    const open = s.alerts.PRICE_ERROR;
    if (!isPriceError(unitPrice, s.shelfPrice)) {
      s.shelfPrice = unitPrice; // follows small shelf changes nobody announced
      s.deviant = null;
      if (open) resolveSeriesAlert(out, this.changes, 'PRICE_ERROR', s, open, sale.occurred_at, `${sku} rings ${money(unitPrice)} again, the shelf price`);
      return;
    }
    if (s.deviant?.price === unitPrice) {
      if (sale.occurred_at - s.deviant.since >= PRICE_ADOPT_MS) {
        // Rung the same way for a day and a half: a new shelf price, not an error.
        s.shelfPrice = unitPrice;
        s.deviant = null;
        if (open) resolveSeriesAlert(out, this.changes, 'PRICE_ERROR', s, open, sale.occurred_at, `${sku} has rung ${money(unitPrice)} steadily for ${PRICE_ADOPT_MS / HOUR_MS} h: taken as the new shelf price`);
        return;
      }
    } else {
      s.deviant = { price: unitPrice, since: sale.occurred_at };
    }
    if (open) return;
    const deviation = priceDeviation(unitPrice, s.shelfPrice);
    const reason = `${sku} rang at ${money(unitPrice)} where the shelf price is ${money(s.shelfPrice)} (x${(unitPrice / s.shelfPrice).toPrecision(2)})${onPromotion ? ' on a promotion line' : ''}`;
    raiseSeriesAlert(out, this.changes, 'PRICE_ERROR', s, { topic: record.topic, partition: record.partition, offset: record.offset }, sale.occurred_at, Math.log10(deviation), s.shelfPrice, unitPrice, reason, {
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
      this.changes.terminals.add(t);
    }
    if (!replayed && !t.alert && isVoidBurst(count, t.rate)) {
      const evidence = voidEvidence(count, t.rate);
      const reason = `terminal ${v.terminal_id} voided ${count} transactions since ${iso(hour).slice(11, 16)} UTC where ${fmt(t.rate)} an hour is usual${v.supervisor_id === null ? ', without a supervisor' : ''}`;
      const id = alertId(ANOMALY_PROCESSOR, 'VOID_BURST', v.store_id, null, { topic: record.topic, partition: record.partition, offset: record.offset });
      t.alert = { id, raisedAt: v.occurred_at, score: evidence, expected: t.rate, observed: count, reason };
      publishAlert(out, 'RAISED', 'VOID_BURST', v.store_id, null, v.terminal_id, t.alert, v.occurred_at, null, { voids: count, usual_voids_per_hour: t.rate });
      this.changes.terminals.add(t);
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
      judgeSalesHour(hour, bucket, this.stores.values(), { topic: this.salesTopic, partition: this.partition, offset: bucket.minOffset }, this.changes, out);
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
            publishAlert(out, 'RESOLVED', 'VOID_BURST', t.storeId, null, t.terminalId, t.alert, hour + HOUR_MS, hour + HOUR_MS, { voids: count, usual_voids_per_hour: t.rate }, `terminal ${t.terminalId} voided ${count} in the hour from ${iso(hour).slice(11, 16)} UTC: back to normal`);
            t.alert = null;
          }
        } else {
          t.rate = ewUpdate(t.rate, t.hours, count, VOID_ALPHA);
          t.hours++;
        }
        this.changes.terminals.add(t);
      }
      this.meta.voidsClosedThrough = hour;
      this.metaDirty = true;
    }
  }

  // ── flush, offsets, state ───────────────────────────────────────────────────────────────

  punctuate(): void {
    this.eventIds?.seal();
    for (const s of this.changes.series) this.state.series.put(key2(s.storeId, s.sku), seriesSnapshot(s));
    for (const st of this.changes.stores) this.state.stores.put(st.storeId, storeSnapshot(st));
    for (const t of this.changes.terminals) this.state.terminals.put(key2(t.storeId, t.terminalId), terminalSnapshot(t));
    if (this.metaDirty) this.state.hours.put(CLOSED_KEY, { salesClosedThrough: finiteOrNull(this.meta.salesClosedThrough), voidsClosedThrough: finiteOrNull(this.meta.voidsClosedThrough) });
    this.changes.series.clear();
    this.changes.stores.clear();
    this.changes.terminals.clear();
    this.metaDirty = false;
  }

  private restore(): void {
    const closed = this.state.hours.get(CLOSED_KEY);
    if (closed) {
      this.meta.salesClosedThrough = closed.salesClosedThrough ?? Number.NEGATIVE_INFINITY;
      this.meta.voidsClosedThrough = closed.voidsClosedThrough ?? Number.NEGATIVE_INFINITY;
    }
    // Stores first, so series find theirs.
    for (const [storeId, snapshot] of this.state.stores.entries()) {
      const st = this.store(storeId);
      if (snapshot.timeZone !== null) st.clock = this.clock(snapshot.timeZone);
      st.baseline = structuredClone(snapshot.baseline);
      st.dispersion = structuredClone(snapshot.dispersion);
    }
    for (const [, snapshot] of this.state.series.entries()) {
      const s = this.series(snapshot.storeId, snapshot.sku);
      const copy = structuredClone(snapshot);
      s.baseline = copy.baseline;
      s.evidence = copy.evidence;
      s.books = BookHistory.fromJSON(copy.books);
      s.shelfPrice = copy.shelfPrice;
      s.deviant = copy.deviant;
      s.promo = copy.promo;
      s.alerts = copy.alerts;
      s.judgedThrough = copy.judgedThrough ?? undefined;
      s.firstSeen = copy.firstSeen ?? Number.NEGATIVE_INFINITY;
    }
    for (const [, t] of this.state.terminals.entries()) this.terminals.set(key2(t.storeId, t.terminalId), { ...t });
    this.changes.stores.clear();
    this.changes.series.clear();
  }

  earliestNeededOffset(topic: string): number | undefined {
    const buckets = topic === this.salesTopic ? this.salesHours : this.catalogueOf.get(topic) === 'pos.voids' ? this.voidHours : undefined;
    if (!buckets) return undefined;
    let min: number | undefined;
    for (const b of buckets.values()) if (min === undefined || b.minOffset < min) min = b.minOffset;
    return min;
  }

  checkpoint(topic: string): string {
    // Informational (the stores hold the state): where the hours stood at the commit.
    return JSON.stringify({ topic, salesClosedThrough: finiteOrNull(this.meta.salesClosedThrough) });
  }

  /** Open alerts by type, for tests and the demo. */
  openAlerts(): { type: AlertType; storeId: string; key: string }[] {
    const open: { type: AlertType; storeId: string; key: string }[] = [];
    for (const st of this.stores.values()) for (const s of st.series.values()) for (const type of Object.keys(s.alerts) as SeriesAlertType[]) open.push({ type, storeId: s.storeId, key: s.sku });
    for (const t of this.terminals.values()) if (t.alert) open.push({ type: 'VOID_BURST', storeId: t.storeId, key: t.terminalId });
    return open;
  }
}
