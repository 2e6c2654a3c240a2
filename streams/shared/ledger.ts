/**
 * The book on-hand of one store x sku, built from events that may arrive out of event-time
 * order (kafkajs hands batches per topic-partition, so a cycle count can be read before or
 * after the sales around it). Pure: no I/O, no clock, no Kafka offsets.
 *
 * The rule that makes the order not matter: a cycle count taken at `t` sets the books to the
 * counted units *as of t*, so it covers every change with occurred_at <= t, and
 *
 *     on_hand = counted units of the latest count + sum of deltas with occurred_at > its time.
 *
 * Deltas are sales (-), restocked returns (+) and inventory movements (receipts, shrink,
 * transfers, count corrections). A COUNT_CORRECTION is stamped with its count's time, so once
 * the count is applied it is covered and never counted twice; without a count it applies as a
 * delta. Before the first count the absolute level is unknown (`known` is false): the books
 * are then only the sum of the deltas seen, relative to an opening stock nobody reported.
 *
 * To stay bounded, deltas older than `horizonMs` behind the newest one seen (or beyond
 * `maxRecentDeltas`) are folded into one sum. A count older than what was folded cannot be
 * applied exactly any more; it is refused as 'stale' (a newer count is always applied).
 *
 * Used by streams/stock (on-hand, stock-out risk) and streams/anomaly (phantom inventory).
 */
import type { InventoryMovement, SaleCompleted, SaleReturned, StockCounted } from '../../schemas/generated/events';

export interface LedgerOptions {
  /** Deltas this far (event time, ms) behind the newest delta are folded into one sum. */
  readonly horizonMs: number;
  /** At most this many deltas are kept one by one; older ones are folded. */
  readonly maxRecentDeltas: number;
}

export const DEFAULT_LEDGER_OPTIONS: LedgerOptions = {
  // Topics of one partition are read batch by batch; in a backfill a small topic (counts) runs
  // ahead of a big one (sales) by days, not weeks: three days of deltas cover that skew.
  horizonMs: 3 * 24 * 3_600_000, // three days
  maxRecentDeltas: 512, // a fast mover sells ~100 lines a day: three days fit
};

/** What applying a count did. */
export type CountOutcome =
  /** The count is the newest: the books are now counted units + later deltas. */
  | 'applied'
  /** A newer count was applied already; this one changes nothing. */
  | 'superseded'
  /** Older than deltas already folded: cannot be applied exactly, ignored. */
  | 'stale';

/** What applying a delta did. */
export type DeltaOutcome = 'applied' | /** at or before the latest count: the count includes it */ 'covered';

/** The ledger's state as plain JSON (for snapshots). */
export interface LedgerSnapshot {
  readonly known: boolean;
  readonly countAt: number | null;
  readonly counted: number;
  readonly folded: number;
  readonly foldedUntil: number | null;
  /** [occurred_at, delta] pairs not folded yet. */
  readonly recent: readonly (readonly [number, number])[];
}

export class OnHandLedger {
  private knownLevel = false;
  /** Time of the latest applied count (-Infinity: none). */
  private countAt = Number.NEGATIVE_INFINITY;
  private counted = 0;
  /** Sum of folded deltas, all later than countAt. */
  private folded = 0;
  /** Latest occurred_at among folded deltas (-Infinity: none). */
  private foldedUntil = Number.NEGATIVE_INFINITY;
  private recent: [number, number][] = [];
  private recentSum = 0;
  private newest = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: LedgerOptions = DEFAULT_LEDGER_OPTIONS) {}

  /** Book units on hand: exact once `known`, relative to the unknown opening stock before. */
  get onHand(): number {
    return this.counted + this.folded + this.recentSum;
  }

  /** True once a count has set the absolute level. */
  get known(): boolean {
    return this.knownLevel;
  }

  /** Event time of the latest applied count, or undefined. */
  get lastCountAt(): number | undefined {
    return this.knownLevel ? this.countAt : undefined;
  }

  /** A cycle count: `onHand` units found at `at`. */
  applyCount(at: number, onHand: number): CountOutcome {
    if (this.knownLevel && at <= this.countAt) return 'superseded';
    if (at <= this.foldedUntil) return 'stale';
    this.knownLevel = true;
    this.countAt = at;
    this.counted = onHand;
    // Every folded delta is older than `at` (checked above), so the count covers them.
    this.folded = 0;
    this.foldedUntil = Number.NEGATIVE_INFINITY;
    const kept: [number, number][] = [];
    let sum = 0;
    for (const entry of this.recent) {
      if (entry[0] > at) {
        kept.push(entry);
        sum += entry[1];
      }
    }
    this.recent = kept;
    this.recentSum = sum;
    return 'applied';
  }

  /** A change of `delta` units at `at` (negative for a sale). */
  applyDelta(at: number, delta: number): DeltaOutcome {
    if (at <= this.countAt) return 'covered';
    this.recent.push([at, delta]);
    this.recentSum += delta;
    if (at > this.newest) this.newest = at;
    this.fold();
    return 'applied';
  }

  private fold(): void {
    const limit = this.newest - this.options.horizonMs;
    const tooMany = this.recent.length > this.options.maxRecentDeltas;
    if (!tooMany && !(this.recent.length > 0 && this.minRecentAt() < limit)) return;
    this.recent.sort((a, b) => a[0] - b[0]);
    let drop = 0;
    while (drop < this.recent.length && (this.recent[drop]![0] < limit || this.recent.length - drop > this.options.maxRecentDeltas)) {
      const [at, delta] = this.recent[drop]!;
      this.folded += delta;
      this.recentSum -= delta;
      if (at > this.foldedUntil) this.foldedUntil = at;
      drop++;
    }
    this.recent.splice(0, drop);
  }

  private minRecentAt(): number {
    let min = Number.POSITIVE_INFINITY;
    for (const entry of this.recent) if (entry[0] < min) min = entry[0];
    return min;
  }

  toJSON(): LedgerSnapshot {
    return {
      known: this.knownLevel,
      countAt: Number.isFinite(this.countAt) ? this.countAt : null,
      counted: this.counted,
      folded: this.folded,
      foldedUntil: Number.isFinite(this.foldedUntil) ? this.foldedUntil : null,
      recent: this.recent.map((e) => [e[0], e[1]] as const),
    };
  }

  static fromJSON(snapshot: LedgerSnapshot, options: LedgerOptions = DEFAULT_LEDGER_OPTIONS): OnHandLedger {
    const ledger = new OnHandLedger(options);
    ledger.knownLevel = snapshot.known;
    ledger.countAt = snapshot.countAt ?? Number.NEGATIVE_INFINITY;
    ledger.counted = snapshot.counted;
    ledger.folded = snapshot.folded;
    ledger.foldedUntil = snapshot.foldedUntil ?? Number.NEGATIVE_INFINITY;
    ledger.recent = snapshot.recent.map((e) => [e[0], e[1]]);
    ledger.recentSum = ledger.recent.reduce((s, e) => s + e[1], 0);
    for (const e of ledger.recent) if (e[0] > ledger.newest) ledger.newest = e[0];
    if (ledger.foldedUntil > ledger.newest) ledger.newest = ledger.foldedUntil;
    return ledger;
  }
}

// ── from events to ledger entries ───────────────────────────────────────────────────────

/** The topics whose events change the books (pos.voids do not: a voided transaction never completed). */
export const STOCK_TOPICS = ['pos.sales', 'pos.returns', 'inventory.movements', 'inventory.counts'] as const;
export type StockTopic = (typeof STOCK_TOPICS)[number];

/** One effect of an event on the books of one sku (the store is the event's store_id). */
export type LedgerEntry = { readonly sku: string; readonly at: number; readonly kind: 'delta'; readonly delta: number } | { readonly sku: string; readonly at: number; readonly kind: 'count'; readonly onHand: number };

/**
 * The entries of one event of a stock topic. A sale gives one negative delta per sku (lines of
 * the same sku add up); a return one positive delta per restockable line (damaged or expired
 * goods do not go back on the shelf); a movement its signed quantity_delta; a count its units.
 */
export function ledgerEntries(topic: 'pos.sales', value: SaleCompleted): LedgerEntry[];
export function ledgerEntries(topic: 'pos.returns', value: SaleReturned): LedgerEntry[];
export function ledgerEntries(topic: 'inventory.movements', value: InventoryMovement): LedgerEntry[];
export function ledgerEntries(topic: 'inventory.counts', value: StockCounted): LedgerEntry[];
export function ledgerEntries(topic: StockTopic, value: SaleCompleted | SaleReturned | InventoryMovement | StockCounted): LedgerEntry[];
export function ledgerEntries(topic: StockTopic, value: SaleCompleted | SaleReturned | InventoryMovement | StockCounted): LedgerEntry[] {
  switch (topic) {
    case 'pos.sales': {
      const sale = value as SaleCompleted;
      const bySku = new Map<string, number>();
      for (const line of sale.lines) bySku.set(line.sku, (bySku.get(line.sku) ?? 0) + line.quantity);
      return [...bySku].map(([sku, units]) => ({ sku, at: sale.occurred_at, kind: 'delta', delta: -units }));
    }
    case 'pos.returns': {
      const ret = value as SaleReturned;
      const bySku = new Map<string, number>();
      for (const line of ret.lines) if (line.restockable) bySku.set(line.sku, (bySku.get(line.sku) ?? 0) + line.quantity);
      return [...bySku].map(([sku, units]) => ({ sku, at: ret.occurred_at, kind: 'delta', delta: units }));
    }
    case 'inventory.movements': {
      const m = value as InventoryMovement;
      return [{ sku: m.sku, at: m.occurred_at, kind: 'delta', delta: m.quantity_delta }];
    }
    case 'inventory.counts': {
      const c = value as StockCounted;
      return [{ sku: c.sku, at: c.occurred_at, kind: 'count', onHand: c.on_hand }];
    }
  }
}
