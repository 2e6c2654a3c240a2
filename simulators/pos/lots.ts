/**
 * Lots of perishable stock (SmartShelf), kept only when a run writes off what expires
 * (`expiryWriteOffs`, off by default: writing off changes the shelf, so every later sale,
 * order and event of a seed would change with it, and the pinned digests of existing runs hold
 * only with it off).
 *
 * Per perishable SKU, a queue of lots oldest first: the stock on hand when the run starts is one
 * lot received the day before the first day; every receipt is a lot expiring on its local day
 * plus the product's shelf life (a unit received on day D with a shelf life of L days sells on
 * D .. D + L - 1). Whatever leaves the shelf (sales, recorded shrink, theft, phantom losses)
 * leaves the oldest lot first (FIFO). The morning routine writes off the lots whose expiry day
 * has come. The physical units of a perishable SKU always equal the sum of its lots.
 */
export interface Lot {
  readonly lotId: string;
  /** Local day number the lot was received. */
  readonly receivedDay: number;
  /** Local day number from which the lot is expired (received day + shelf life). */
  readonly expiryDay: number;
  units: number;
}

export class StoreLots {
  /** Per SKU, oldest first; null for SKUs that do not spoil. */
  private readonly queues: (Lot[] | null)[];

  constructor(private readonly shelfLifeDays: readonly (number | null)[]) {
    this.queues = shelfLifeDays.map((d) => (d === null ? null : []));
  }

  isTracked(sku: number): boolean {
    return this.queues[sku] !== null;
  }

  /** The stock on hand before the run: one lot per perishable SKU, received the day before `firstDay`. */
  open(onHand: Int32Array, firstDay: number, storeId: string): void {
    this.queues.forEach((q, sku) => {
      if (q && onHand[sku]! > 0) q.push({ lotId: `OPENING-${storeId}-${sku}`, receivedDay: firstDay - 1, expiryDay: firstDay - 1 + this.shelfLifeDays[sku]!, units: onHand[sku]! });
    });
  }

  receive(sku: number, units: number, localDay: number, lotId: string): void {
    const q = this.queues[sku];
    if (!q || units <= 0) return;
    q.push({ lotId, receivedDay: localDay, expiryDay: localDay + this.shelfLifeDays[sku]!, units });
  }

  /** Units that left the shelf, taken from the oldest lots. */
  consume(sku: number, units: number): void {
    const q = this.queues[sku];
    if (!q) return;
    let rest = units;
    while (rest > 0 && q.length > 0) {
      const lot = q[0]!;
      const taken = Math.min(rest, lot.units);
      lot.units -= taken;
      rest -= taken;
      if (lot.units === 0) q.shift();
    }
  }

  /**
   * The lots of `sku` expired on `localDay`, oldest first, as they stand (copies). They are the
   * oldest lots, so writing their units off through `consume` (FIFO) removes exactly them.
   */
  expired(sku: number, localDay: number): Lot[] {
    const q = this.queues[sku] ?? [];
    const expired: Lot[] = [];
    for (const lot of q) {
      if (lot.expiryDay > localDay) break;
      expired.push({ ...lot });
    }
    return expired;
  }

  units(sku: number): number {
    return (this.queues[sku] ?? []).reduce((n, l) => n + l.units, 0);
  }

  lots(sku: number): readonly Lot[] {
    return this.queues[sku] ?? [];
  }
}
