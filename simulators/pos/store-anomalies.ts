/**
 * A store's anomalies over time: planned each open day, switched on at the top of their hour
 * (a demand or price factor, a void burst, an emptied shelf), switched off when they end, and
 * labelled in the ground truth. Phantom inventory ends on a count, a delivery or a restocked
 * return, not on the clock; a SKU rests ANOMALY_COOLDOWN_DAYS after one ends.
 */
import { ANOMALY_COOLDOWN_DAYS, type AnomalyLabel, type PlannedAnomaly, labelOf, planDay } from './anomalies';
import { HOUR_MS } from './calendar';
import type { HourContext } from './demand';
import type { HourTruth } from './ground-truth';
import type { StoreState } from './store-state';

interface ActiveAnomaly {
  readonly plan: PlannedAnomaly;
  readonly start: number;
}

export class StoreAnomalies {
  private planned: PlannedAnomaly[] = [];
  private active: ActiveAnomaly[] = [];
  /** SKU -> active phantom anomaly. */
  private readonly phantoms = new Map<number, ActiveAnomaly>();
  /** SKU -> end of its last anomaly: a SKU rests ANOMALY_COOLDOWN_DAYS before the next one. */
  private readonly anomalyEnded = new Map<number, number>();
  private forcedCounts: { day: number; sku: number }[] = [];
  /** Void bursts in effect (the till voids on their terminal). */
  voidBursts: PlannedAnomaly[] = [];
  private anomalySeq = 0;

  constructor(private readonly s: StoreState) {}

  /** Plans the anomalies of an open local day that starts in hour `h`. */
  planDay(h: HourContext, opens: number, closes: number): void {
    const s = this.s;
    const plans = planDay(
      {
        store: s.profile,
        products: s.chain.products,
        localDay: h.localDay,
        midnight: s.model.clock(s.profile).localMidnight(h.localDay),
        opens,
        closes,
        notBefore: h.hourStart,
        rate: s.options.anomalyRate,
        busySkus: this.busySkus(h.hourStart),
        nextId: () => `A-${s.storeId}-${String(++this.anomalySeq).padStart(4, '0')}`,
      },
      s.anomalyRng,
    );
    this.planned = [...this.planned, ...plans].sort((a, b) => a.start - b.start);
  }

  /** SKUs counted on `localDay` because a phantom forced a count. */
  forcedCountSkus(localDay: number): Set<number> {
    return new Set(this.forcedCounts.filter((f) => f.day <= localDay).map((f) => f.sku));
  }

  /** At the top of an hour: ends what is over, starts what is due. */
  update(hourStart: number, truth: HourTruth): void {
    const s = this.s;
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
        if (s.inventory.book[plan.sku]! <= 0 || !s.counted.has(plan.sku) || s.inventory.onOrder[plan.sku]! > 0 || this.phantoms.has(plan.sku)) {
          if (hourStart + HOUR_MS < plan.end) postponed.push({ ...plan, start: hourStart + HOUR_MS });
          continue;
        }
        s.inventory.lose(plan.sku, s.inventory.onHand[plan.sku]!, hourStart);
        const a = { plan, start: hourStart };
        this.phantoms.set(plan.sku, a);
        this.forcedCounts.push({ day: plan.countDay, sku: plan.sku });
        this.active.push(a);
        continue;
      }
      if (plan.type === 'DEMAND_SPIKE' || plan.type === 'DEMAND_DROP') s.demandFactor[plan.sku] = plan.magnitude;
      if (plan.type === 'PRICE_ERROR') s.priceFactor[plan.sku] = plan.magnitude;
      if (plan.type === 'VOID_BURST') this.voidBursts.push(plan);
      this.active.push({ plan, start: plan.start });
    }
    if (postponed.length > 0) this.planned = [...this.planned, ...postponed].sort((a, b) => a.start - b.start);
  }

  /** A phantom ends when units reach the shelf or a count fixes the books. */
  endPhantom(sku: number, at: number, by: AnomalyLabel['ended_by'], truth: HourTruth): void {
    const a = this.phantoms.get(sku);
    if (!a) return;
    this.phantoms.delete(sku);
    this.active = this.active.filter((x) => x !== a);
    this.forcedCounts = this.forcedCounts.filter((f) => f.sku !== sku);
    truth.anomalies.push(this.label(a, at, by));
  }

  /** The run ends at `end`: labels what still runs. */
  finish(end: number, truth: HourTruth): void {
    for (const a of this.active) truth.anomalies.push(this.label(a, Math.min(a.plan.end, end), a.plan.end > end || a.plan.type === 'PHANTOM_INVENTORY' ? 'run_end' : 'planned'));
    this.active = [];
    this.phantoms.clear();
  }

  /** SKUs carrying, planned for, or recently out of an anomaly. */
  private busySkus(now: number): Set<number> {
    // Under common random numbers a phantom blocks no sku: when it starts and ends follows the
    // books and the orders (the policy), and the skus of later anomalies, demand ones included,
    // must not (store-state.ts).
    const counts = (p: PlannedAnomaly): boolean => !(this.s.options.commonRandomNumbers && p.type === 'PHANTOM_INVENTORY');
    const busy = new Set([...this.active.filter((a) => counts(a.plan)).map((a) => a.plan.sku), ...this.planned.filter(counts).map((p) => p.sku)]);
    for (const [sku, end] of this.anomalyEnded) {
      if (now - end < ANOMALY_COOLDOWN_DAYS * 24 * HOUR_MS) busy.add(sku);
      else this.anomalyEnded.delete(sku);
    }
    return busy;
  }

  private deactivate(plan: PlannedAnomaly): void {
    const s = this.s;
    if (plan.type === 'DEMAND_SPIKE' || plan.type === 'DEMAND_DROP') s.demandFactor[plan.sku] = 1;
    if (plan.type === 'PRICE_ERROR') s.priceFactor[plan.sku] = 1;
    if (plan.type === 'VOID_BURST') this.voidBursts = this.voidBursts.filter((b) => b !== plan);
  }

  private label(a: ActiveAnomaly, end: number, by: AnomalyLabel['ended_by']): AnomalyLabel {
    if (a.plan.sku >= 0 && !(this.s.options.commonRandomNumbers && a.plan.type === 'PHANTOM_INVENTORY')) this.anomalyEnded.set(a.plan.sku, end);
    return labelOf(this.s.profile, this.s.chain.products, a.plan, a.start, end, by);
  }
}
