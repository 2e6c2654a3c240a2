/**
 * The anomaly processor's state: what outlives an hour (baselines, evidence, books, shelf prices,
 * open alerts, the hours closed) per store x sku, store and terminal, kept in the runtime's
 * state stores (runtime/state-store.ts), and the hour buckets still open, which live in memory
 * only (a restart rebuilds them: the committed offset is the first offset of the open buckets).
 */
import type { InputRecord } from '../runtime/processor';
import { inMemoryStore, type KeyValueStore } from '../runtime/state-store';
import type { DispersionEstimate, SlotSeries } from './baseline';
import type { BookHistory, BookSnapshot } from './book-history';
import type { DemandEvidence } from './detectors';
import type { LocalClock } from './local-time';

export type SeriesAlertType = 'DEMAND_SPIKE' | 'DEMAND_DROP' | 'PHANTOM_INVENTORY' | 'PRICE_ERROR';

/** An alert that is raised and not resolved yet. */
export interface OpenAlert {
  readonly id: string;
  readonly raisedAt: number;
  readonly score: number;
  readonly expected: number;
  readonly observed: number;
  readonly reason: string;
}

export interface SeriesState {
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
  /** [occurred_at, on promotion] each time a line of this sku changed (promotions.ts). */
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

export interface StoreState {
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

export interface TerminalState {
  readonly storeId: string;
  readonly terminalId: string;
  /** Exponentially weighted voids per hour. */
  rate: number;
  hours: number;
  alert: OpenAlert | null;
}

/** The last hour closed by each watermark (-Infinity before the first). */
export interface ClosedHours {
  salesClosedThrough: number;
  voidsClosedThrough: number;
}

/** An open hour of sales (memory only). */
export interface SalesHour {
  readonly minOffset: number;
  /** store -> sku -> units. */
  readonly units: Map<string, Map<string, number>>;
  /** store \0 sku of lines sold on promotion. */
  readonly promo: Set<string>;
}

/** An open hour of voids (memory only). */
export interface VoidHour {
  readonly minOffset: number;
  /** store \0 terminal -> voids. */
  readonly counts: Map<string, number>;
}

/** What changed since the last flush: saved to the stores by the next one. */
export interface Changes {
  readonly series: Set<SeriesState>;
  readonly stores: Set<StoreState>;
  readonly terminals: Set<TerminalState>;
}

// ── in the stores ───────────────────────────────────────────────────────────────────────

export const SERIES_STORE = 'anomaly-series';
export const STORE_STORE = 'anomaly-stores';
export const TERMINAL_STORE = 'anomaly-terminals';
export const HOURS_STORE = 'anomaly-hours';
/** The one key of HOURS_STORE. */
export const CLOSED_KEY = 'closed';

export interface SeriesSnapshot {
  readonly storeId: string;
  readonly sku: string;
  readonly baseline: SlotSeries;
  readonly evidence: DemandEvidence;
  readonly books: BookSnapshot;
  readonly shelfPrice: number | null;
  readonly deviant: SeriesState['deviant'];
  readonly promo: [number, boolean][];
  readonly alerts: SeriesState['alerts'];
  readonly judgedThrough: number | null;
  readonly firstSeen: number | null;
}

export interface StoreSnapshot {
  /** Null in a state upgraded from rows written before it was kept: the zone known at start then. */
  readonly timeZone: string | null;
  readonly baseline: SlotSeries;
  readonly dispersion: DispersionEstimate;
}

export interface TerminalSnapshot {
  readonly storeId: string;
  readonly terminalId: string;
  readonly rate: number;
  readonly hours: number;
  readonly alert: OpenAlert | null;
}

/** ClosedHours as JSON (no infinities). */
export interface ClosedHoursSnapshot {
  readonly salesClosedThrough: number | null;
  readonly voidsClosedThrough: number | null;
}

/** Where an anomaly task keeps its state: the runtime's stores, or memory alone (unit tests, the scorer). */
export interface AnomalyState {
  readonly series: KeyValueStore<SeriesSnapshot>;
  readonly stores: KeyValueStore<StoreSnapshot>;
  readonly terminals: KeyValueStore<TerminalSnapshot>;
  readonly hours: KeyValueStore<ClosedHoursSnapshot>;
  /**
   * True when the restored state holds the record's effect already: a replay after a restart
   * hands it again only to rebuild the open hour buckets.
   */
  readonly applied: (record: InputRecord) => boolean;
}

export function inMemoryAnomalyState(): AnomalyState {
  return { series: inMemoryStore(), stores: inMemoryStore(), terminals: inMemoryStore(), hours: inMemoryStore(), applied: () => false };
}

export const key2 = (a: string, b: string): string => `${a}\u0000${b}`;

export function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

/**
 * Snapshots are copies: the runtime saves them while the next records are processed, and hours
 * fold into baselines and evidence in place.
 */
export function seriesSnapshot(s: SeriesState): SeriesSnapshot {
  return structuredClone({
    storeId: s.storeId,
    sku: s.sku,
    baseline: s.baseline,
    evidence: s.evidence,
    books: s.books.toJSON(),
    shelfPrice: s.shelfPrice,
    deviant: s.deviant,
    promo: s.promo,
    alerts: s.alerts,
    judgedThrough: s.judgedThrough ?? null,
    firstSeen: finiteOrNull(s.firstSeen),
  });
}

export function storeSnapshot(st: StoreState): StoreSnapshot {
  return structuredClone({ timeZone: st.clock.timeZone, baseline: st.baseline, dispersion: st.dispersion });
}

export function terminalSnapshot(t: TerminalState): TerminalSnapshot {
  return { storeId: t.storeId, terminalId: t.terminalId, rate: t.rate, hours: t.hours, alert: t.alert };
}
