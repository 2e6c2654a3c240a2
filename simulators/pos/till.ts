/**
 * The till of one store during one open hour: demand per SKU drawn and split into lines, lines
 * shuffled into baskets at sorted times, each line capped by the stock left when its basket
 * reaches the till (a line that finds nothing is lost demand); customer returns interleaved in
 * time (restockable units go back on the shelf); voids, ordinary and in bursts; heartbeats.
 */
import type { PaymentMethod, ReturnReason, SaleCompleted, SaleLine, SaleReturned, SaleVoided, TerminalHeartbeat, VoidReason } from '../../schemas/generated/events';
import { HOUR_MS, MINUTE_MS } from './calendar';
import type { ProductProfile } from './chain';
import { DEMAND_DISPERSION, type HourContext, expectedUnits } from './demand';
import type { HourTruth } from './ground-truth';
import type { HourEvents } from './hour-events';
import { Rng } from './random';
import type { StoreAnomalies } from './store-anomalies';
import type { StoreState } from './store-state';

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
const SOFTWARE_VERSIONS = ['4.2.1', '4.3.0'] as const;

const RETURN_REASONS: readonly ReturnReason[] = ['UNWANTED', 'DAMAGED', 'WRONG_ITEM', 'EXPIRED', 'OTHER'];
const RETURN_WEIGHTS_PERISHABLE = [0.1, 0.35, 0.05, 0.4, 0.1];
const RETURN_WEIGHTS_OTHER = [0.45, 0.2, 0.2, 0, 0.15];
const VOID_REASONS: readonly VoidReason[] = ['CUSTOMER_CANCELLED', 'SCAN_ERROR', 'PAYMENT_FAILED', 'PRICE_DISPUTE', 'OTHER'];
const VOID_WEIGHTS = [0.35, 0.35, 0.2, 0.05, 0.05];
const BURST_VOID_WEIGHTS = [0.6, 0, 0, 0, 0.4];

export class Till {
  private readonly terminalSeq: Int32Array;
  private readonly cashiers: string[][];
  private readonly supervisorThreshold: number;
  /** Lines per basket beyond the first: NB(basket lines - 1, BASKET_DISPERSION). */
  private readonly extraBasketLines: (rng: Rng) => number;
  // The last RECENT_SALES sales, one line each, kept as numbers: returns draw from them, and
  // holding the sale objects would keep them alive into the old generation of the heap.
  private readonly recentTransaction: string[] = [];
  private readonly recentSku = new Int32Array(RECENT_SALES);
  private readonly recentQty = new Int32Array(RECENT_SALES);
  private readonly recentPrice = new Float64Array(RECENT_SALES);
  private readonly recentDiscount = new Float64Array(RECENT_SALES);
  private recentNext = 0;
  private returnSeq = 0;

  // Scratch buffers for the hour's lines and baskets, reused.
  private lineSku = new Int32Array(1024);
  private lineQty = new Int32Array(1024);
  private lineOrder = new Int32Array(1024);
  private readonly basketSkus = new Int32Array(MAX_BASKET_LINES);
  private readonly basketWanted = new Int32Array(MAX_BASKET_LINES);
  /** SKU index of each line of the sale being built. */
  private readonly basketSold = new Int32Array(MAX_BASKET_LINES);

  constructor(
    private readonly s: StoreState,
    private readonly anomalies: StoreAnomalies,
  ) {
    const profile = s.profile;
    this.terminalSeq = new Int32Array(profile.terminals.length);
    this.cashiers = profile.terminals.map((_, t) => [`${s.storeId}-C${String(2 * t + 1).padStart(2, '0')}`, `${s.storeId}-C${String(2 * t + 2).padStart(2, '0')}`]);
    this.supervisorThreshold = SUPERVISOR_THRESHOLD_EUR * profile.region.perEur;
    this.extraBasketLines = Rng.negativeBinomialSampler(profile.size.basketLines - 1, BASKET_DISPERSION);
  }

  trade(h: HourContext, events: HourEvents, truth: HourTruth): void {
    const s = this.s;
    const rng = s.rng;
    const n = s.n;
    const slot = h.slotFactor;
    const cf = h.categoryFactors;
    const base = s.baseRate;
    const cat = s.categoryOf;
    const demandRng = s.demandRng;

    // 1. Demand per SKU, split into lines.
    let lines = 0;
    for (let j = 0; j < n; j++) {
      const mean = expectedUnits(base[j]!, slot, cf[cat[j]!]!, s.uplift[j]!, s.demandFactor[j]!);
      s.dExpected[j] = s.dExpected[j]! + mean;
      const demand = demandRng.negativeBinomial(mean, DEMAND_DISPERSION);
      if (demand === 0) continue;
      s.hExpected[j] = mean;
      s.hDemand[j] = demand;
      s.dDemand[j] = s.dDemand[j]! + demand;
      s.touched[s.touchedCount++] = j;
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
    const terminals = s.profile.terminals;
    const shift = h.localHour < 14 ? 0 : 1;
    const currency = s.profile.region.currency;
    const vat = s.profile.region.vatRate;
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
        const sold = s.inventory.take(j, this.basketWanted[u]!, at);
        if (sold === 0) continue;
        s.hSold[j] = s.hSold[j]! + sold;
        s.dSold[j] = s.dSold[j]! + sold;
        const factor = s.priceFactor[j]!;
        const unitPrice = factor === 1 ? s.price[j]! : Math.max(1, Math.round(s.price[j]! * factor));
        const percent = s.promoPercent[j]!;
        const discount = percent > 0 ? Math.round((sold * unitPrice * percent) / 100) : 0;
        this.basketSold[kept] = j;
        saleLines[kept] = { line_number: kept + 1, sku: s.skus[j]!, quantity: sold, unit_price: unitPrice, discount, promotion_id: percent > 0 ? s.promoId[j]! : null };
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
        store_id: s.storeId,
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
    if (s.options.heartbeats) this.heartbeats(h, events);
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
    const s = this.s;
    const seq = (this.terminalSeq[terminal] = this.terminalSeq[terminal]! + 1);
    return `${s.profile.terminals[terminal]}-${String(seq).padStart(6, '0')}`;
  }

  private customerReturn(at: number, events: HourEvents, truth: HourTruth): void {
    const s = this.s;
    const rng = s.rng;
    const r = rng.below(this.recentTransaction.length);
    const j = this.recentSku[r]!;
    const lineQuantity = this.recentQty[r]!;
    const product: ProductProfile = s.chain.products[j]!;
    const quantity = lineQuantity > 1 && rng.chance(0.4) ? lineQuantity : 1;
    const reason = RETURN_REASONS[rng.weighted(product.category.perishable ? RETURN_WEIGHTS_PERISHABLE : RETURN_WEIGHTS_OTHER)]!;
    const restockable = !product.category.perishable && (reason === 'UNWANTED' || reason === 'WRONG_ITEM');
    const refund = Math.round(((lineQuantity * this.recentPrice[r]! - this.recentDiscount[r]!) * quantity) / lineQuantity);
    const terminal = rng.below(s.profile.terminals.length);
    const event: SaleReturned = {
      event_id: rng.uuid(),
      occurred_at: at,
      store_id: s.storeId,
      terminal_id: s.profile.terminals[terminal]!,
      return_id: `${s.profile.terminals[terminal]}-R${String(++this.returnSeq).padStart(6, '0')}`,
      original_transaction_id: rng.chance(RETURN_WITH_RECEIPT) ? this.recentTransaction[r]! : null,
      cashier_id: this.cashiers[terminal]![0]!,
      currency: s.profile.region.currency,
      lines: [{ sku: product.product.sku, quantity, refund_amount: refund, restockable, reason }],
      refund_total: refund,
    };
    events['pos.returns'].push(event);
    if (restockable) {
      s.inventory.add(j, quantity, at);
      this.anomalies.endPhantom(j, at, 'return', truth);
    }
  }

  private voids(h: HourContext, completed: number, events: HourEvents): void {
    const s = this.s;
    const rng = s.rng;
    const span = h.openTo - h.openFrom;
    const ordinary = rng.poisson(VOID_RATE * completed);
    const planned: { at: number; terminal: number; burst: boolean }[] = [];
    for (let v = 0; v < ordinary; v++) planned.push({ at: h.openFrom + Math.floor(rng.next() * span), terminal: rng.below(s.profile.terminals.length), burst: false });
    for (const burst of this.anomalies.voidBursts) {
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
      for (let l = 0; l < lineCount; l++) total += s.price[rng.below(s.n)]!;
      const event: SaleVoided = {
        event_id: rng.uuid(),
        occurred_at: p.at,
        store_id: s.storeId,
        terminal_id: s.profile.terminals[p.terminal]!,
        transaction_id: this.nextTransaction(p.terminal),
        cashier_id: this.cashiers[p.terminal]![shift]!,
        // A burst is the fraud pattern: no supervisor approves the voids.
        supervisor_id: !p.burst && total > this.supervisorThreshold ? `${s.storeId}-SUP${1 + rng.below(2)}` : null,
        currency: s.profile.region.currency,
        line_count: lineCount,
        void_total: total,
        reason: VOID_REASONS[rng.weighted(p.burst ? BURST_VOID_WEIGHTS : VOID_WEIGHTS)]!,
      };
      events['pos.voids'].push(event);
    }
  }

  private heartbeats(h: HourContext, events: HourEvents): void {
    const s = this.s;
    const minutes = Math.max(1, Math.floor((h.openTo - h.openFrom) / MINUTE_MS));
    const out = events['pos.heartbeats'];
    s.profile.terminals.forEach((terminal, t) => {
      const beat: TerminalHeartbeat = {
        event_id: s.rng.uuid(),
        occurred_at: h.openFrom + ((t * 7 + 1) % minutes) * MINUTE_MS,
        store_id: s.storeId,
        terminal_id: terminal,
        software_version: SOFTWARE_VERSIONS[t % SOFTWARE_VERSIONS.length]!,
        queue_depth: s.rng.chance(0.01) ? s.rng.intBetween(1, 20) : 0,
      };
      out.push(beat);
    });
  }
}
