/**
 * The books of one store x sku as they stood at any time of the last few days (pure, no I/O).
 *
 * The anomaly processor judges an hour when the sales watermark closes it, but the books come
 * from other topics that a consumer may have read days ahead (a replay, a catch-up: batches are
 * handed topic by topic). streams/stock's OnHandLedger answers "now" and lets a count absorb
 * every change before it, so a count read ahead hides the stock-out the judged hour had. This
 * keeps each count and delta with its event time instead, so "as of t" is exact in any order:
 *
 *     level(t) = units of the latest count at or before t + deltas in (that count, t]
 *
 * (a COUNT_CORRECTION is stamped with its count's time, so the count covers it). The task
 * forgets what is older than it can still judge (forgetBefore): the history is collapsed into
 * one count at the cutoff. Not by the newest entry's time: in a replay the books can run weeks
 * ahead of the sales, and the hours being judged still need them.
 */
import type { Book } from './detectors';

export interface BookSnapshot {
  /** Sum of deltas forgotten before any count (see atLeast). */
  readonly uncounted?: number;
  /** [occurred_at, units] of counts, in time order. */
  readonly counts: readonly (readonly [number, number])[];
  /** [occurred_at, delta], in time order. */
  readonly deltas: readonly (readonly [number, number])[];
}

/** Index of the first entry with time > t (entries sorted by time). */
function upperBound(entries: readonly (readonly [number, number])[], t: number): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (entries[mid]![0] <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function insertSorted(entries: [number, number][], entry: [number, number]): void {
  const i = upperBound(entries, entry[0]);
  entries.splice(i, 0, entry);
}

export class BookHistory {
  private counts: [number, number][] = [];
  private deltas: [number, number][] = [];
  /** Deltas forgotten while no count was known: still part of the lower bound. */
  private uncounted = 0;
  applyCount(at: number, units: number): void {
    insertSorted(this.counts, [at, units]);
  }

  applyDelta(at: number, delta: number): void {
    insertSorted(this.deltas, [at, delta]);
  }

  /** Units on the books at `t`, or undefined when no count at or before t is known. */
  levelAt(t: number): number | undefined {
    const c = upperBound(this.counts, t) - 1;
    if (c < 0) return undefined;
    const [countAt, units] = this.counts[c]!;
    let level = units;
    for (let i = upperBound(this.deltas, countAt); i < this.deltas.length && this.deltas[i]![0] <= t; i++) level += this.deltas[i]![1];
    return level;
  }

  /**
   * A floor under the books at `t` before any count: the opening stock nobody reported is not
   * negative, so the books hold at least the deltas seen (receipts less sales). Undefined once a
   * count at or before t gives the level itself (levelAt).
   */
  atLeast(t: number): number | undefined {
    if (upperBound(this.counts, t) > 0) return undefined;
    let sum = this.uncounted;
    for (let i = 0; i < this.deltas.length && this.deltas[i]![0] <= t; i++) sum += this.deltas[i]![1];
    return sum;
  }

  /** The lowest the books stood during [from, to] (counts included), or undefined if unknown at `from`. */
  lowest(from: number, to: number): number | undefined {
    let level = this.levelAt(from);
    if (level === undefined) {
      // No count before `from`: start at the first count inside the span, if any.
      const c = upperBound(this.counts, from);
      if (c >= this.counts.length || this.counts[c]![0] > to) return undefined;
      return this.lowest(this.counts[c]![0], to);
    }
    let min = level;
    let d = upperBound(this.deltas, from);
    let c = upperBound(this.counts, from);
    // Walk counts and deltas in time order; at equal times the count covers the delta.
    while (true) {
      const nextDelta = d < this.deltas.length && this.deltas[d]![0] <= to ? this.deltas[d]![0] : Number.POSITIVE_INFINITY;
      const nextCount = c < this.counts.length && this.counts[c]![0] <= to ? this.counts[c]![0] : Number.POSITIVE_INFINITY;
      if (nextDelta === Number.POSITIVE_INFINITY && nextCount === Number.POSITIVE_INFINITY) break;
      if (nextCount <= nextDelta) {
        const at = this.counts[c++]![0];
        level = this.counts[c - 1]![1];
        while (d < this.deltas.length && this.deltas[d]![0] <= at) d++;
      } else {
        level += this.deltas[d++]![1];
      }
      if (level < min) min = level;
    }
    return min;
  }

  /** Collapses everything up to `cutoff` into one count at the cutoff (when a level is known). */
  forgetBefore(cutoff: number): void {
    if ((this.counts[0]?.[0] ?? cutoff) >= cutoff && (this.deltas[0]?.[0] ?? cutoff) >= cutoff) return;
    const level = this.levelAt(cutoff);
    if (level === undefined) this.uncounted = this.atLeast(cutoff) ?? 0;
    this.counts = this.counts.slice(upperBound(this.counts, cutoff));
    this.deltas = this.deltas.slice(upperBound(this.deltas, cutoff));
    if (level !== undefined) this.counts.unshift([cutoff, level]);
  }

  toJSON(): BookSnapshot {
    return { uncounted: this.uncounted, counts: this.counts.map((e) => [e[0], e[1]] as const), deltas: this.deltas.map((e) => [e[0], e[1]] as const) };
  }

  static fromJSON(snapshot: BookSnapshot | undefined): BookHistory {
    const books = new BookHistory();
    if (!snapshot) return books;
    books.counts = snapshot.counts.map((e) => [e[0], e[1]]);
    books.deltas = snapshot.deltas.map((e) => [e[0], e[1]]);
    books.uncounted = snapshot.uncounted ?? 0;
    return books;
  }
}

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
