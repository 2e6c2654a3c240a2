/**
 * Injected anomalies and their labels, the ground truth an anomaly detector is scored on.
 *
 * | type              | what happens                                                         | label names |
 * | ----------------- | -------------------------------------------------------------------- | ----------- |
 * | DEMAND_SPIKE      | true demand of one SKU in one store x magnitude (5-10) for 6-12 hours | store, sku  |
 * | DEMAND_DROP       | true demand x magnitude (0.15-0.35) for 36-72 hours                    | store, sku  |
 * | PHANTOM_INVENTORY | the shelf empties without any event (on_hand -> 0, book unchanged), so | store, sku  |
 * |                   | sales stop while the books show stock; ends at the next count of the   |             |
 * |                   | SKU (forced 2-4 days later) or when units arrive; not started while a  |             |
 * |                   | delivery of the SKU is due, nor before the SKU's first count in the    |             |
 * |                   | run (before it, the events show no level for the books)                |             |
 * | PRICE_ERROR       | the till rings unit_price x magnitude (10, 0.1 or 0.01) for 2-8 hours | store, sku  |
 * | VOID_BURST        | one terminal voids `magnitude` (15-40) transactions an hour, 1-3 hours | store, terminal |
 *
 * Anomalies are planned per store and local day, when the store's day begins, from the store's
 * own anomaly stream; they start on a whole local hour inside opening hours.
 *
 * Demand anomalies (spike, drop, phantom inventory) are injected only where they are visible
 * in principle, and sized like the ones a store manager acts on. Hourly demand is negative
 * binomial with size 2 (demand.ts): a SKU selling 0.3 units an hour has a standard deviation
 * twice its mean, so tripling it for two hours, or stopping its sales for an afternoon, leaves
 * no trace that tells it from an ordinary quiet or busy spell (the expected log-likelihood
 * ratio of such an anomaly is under one nat, where any test with one false alarm per 10^5
 * series-hours needs about 12: Lorden's bound). More volume does not make an hour clearer
 * beyond a point: with size 2, the hour's demand varies by a factor of 0.7 (its coefficient of
 * variation) however fast the SKU sells, so an hour of x5 demand carries at most 1.6 nats and an
 * hour at a fifth of it at most 1.6 too. Hence: the SKU must sell at least
 * MIN_UNITS_PER_OPEN_HOUR in that store (base rate x store factor); a spike multiplies demand
 * by 5-10 for 6-12 hours (a local event, a post gone viral, a competitor out of stock: most of
 * a trading day); a drop keeps demand at 15-35% for 36-72 hours (a blocked display, a
 * mis-shelved item: situations that last until someone notices; at ~0.5 nat per open hour an
 * optimal test needs some 24 open hours on average, so a label lasts up to twice that) while
 * sales go on at the lower rate: at least ~3 units a trading day on a SKU selling 1.5 an hour.
 * A drop to 5% would leave the shelf as silent as phantom inventory (books show stock, nothing
 * sells): measured, every phantom alert that matched no label fell inside such a drop.
 * Phantom inventory is found at a forced count 2-4 days later, never the next morning (a few
 * evening hours without a sale are no evidence), and does not start while a delivery of the
 * SKU is due (the delivery would refill the shelf within hours: a gap, not books that stay
 * wrong). A SKU carries at most one
 * anomaly at a time, and none for ANOMALY_COOLDOWN_DAYS after one ended, so one label's
 * aftermath does not run into the next (the store-sim keeps that list).
 */
import { HOUR_MS } from '../../lib/domain/time';
import type { ProductProfile, StoreProfile } from './chain';
import type { Rng } from './random';

export const ANOMALY_TYPES = ['DEMAND_SPIKE', 'DEMAND_DROP', 'PHANTOM_INVENTORY', 'PRICE_ERROR', 'VOID_BURST'] as const;
export type AnomalyType = (typeof ANOMALY_TYPES)[number];

/** Expected anomalies of each type per store and open day, at anomaly rate 1. */
export const ANOMALY_RATES: Readonly<Record<AnomalyType, number>> = {
  DEMAND_SPIKE: 0.08,
  DEMAND_DROP: 0.08,
  PHANTOM_INVENTORY: 0.08,
  PRICE_ERROR: 0.04,
  VOID_BURST: 0.04,
};

export interface AnomalyLabel {
  readonly anomaly_id: string;
  readonly type: AnomalyType;
  readonly store_id: string;
  readonly sku: string | null;
  readonly terminal_id: string | null;
  /** Epoch ms, UTC; the anomaly is in effect on [start, end). */
  readonly start: number;
  readonly end: number;
  /** Demand or price multiplier, or voids per hour for VOID_BURST. */
  readonly magnitude: number;
  /** What ended it: `planned`, `count` or `receipt`/`return` (phantom inventory), `run_end`. */
  readonly ended_by: 'planned' | 'count' | 'receipt' | 'return' | 'run_end';
}

export interface PlannedAnomaly {
  readonly id: string;
  readonly type: AnomalyType;
  readonly sku: number; // -1 for VOID_BURST
  readonly terminal: number; // -1 unless VOID_BURST
  readonly start: number;
  /** Planned end; for PHANTOM_INVENTORY the start of the local day of the forced count. */
  readonly end: number;
  /** Local day of the forced count (PHANTOM_INVENTORY), else -1. */
  readonly countDay: number;
  readonly magnitude: number;
}

const PRICE_ERROR_FACTORS = [10, 0.1, 0.01] as const;

const DURATION_HOURS: Readonly<Record<AnomalyType, readonly [number, number]>> = {
  DEMAND_SPIKE: [6, 12],
  DEMAND_DROP: [36, 72],
  PHANTOM_INVENTORY: [0, 0],
  PRICE_ERROR: [2, 8],
  VOID_BURST: [1, 3],
};

export interface DayPlanInput {
  readonly store: StoreProfile;
  readonly products: readonly ProductProfile[];
  readonly localDay: number;
  /** UTC instant of the local midnight starting the day. */
  readonly midnight: number;
  /** Today's opening window in minutes of the local day. */
  readonly opens: number;
  readonly closes: number;
  /** Anomalies may only start at or after this instant (the run's start, or now). */
  readonly notBefore: number;
  readonly rate: number;
  /** SKUs already carrying an anomaly, not to be reused while it lasts. */
  readonly busySkus: ReadonlySet<number>;
  readonly nextId: () => string;
}

/**
 * Units per open hour (base rate x store factor) a SKU must sell in the store for a demand
 * anomaly on it to be visible (see the header): at 1.5 an hour, an hour without a sale has
 * probability 0.33, so a day of phantom inventory is a one-in-a-million silence, and a spike
 * of x5 for six hours brings some 45 units where 9 were due.
 */
export const MIN_UNITS_PER_OPEN_HOUR = 1.5;
/** Days after an anomaly on a SKU ends before the SKU can carry another one. */
export const ANOMALY_COOLDOWN_DAYS = 7;

/**
 * Anomalies starting during one open local day. Demand anomalies and price errors go to SKUs
 * selling at least MIN_UNITS_PER_OPEN_HOUR in this store (a wrong price on an item nobody buys
 * for the next hours is never rung: measured, a fifth of price-error labels had no sale at all
 * while they lasted); a store without such a SKU free gets none that day.
 */
export function planDay(input: DayPlanInput, rng: Rng): PlannedAnomaly[] {
  const planned: PlannedAnomaly[] = [];
  const { opens, closes } = input;
  // Start on a whole hour, at least an hour after opening and two before closing.
  const firstHour = Math.ceil(opens / 60) + 1;
  const lastHour = Math.floor(closes / 60) - 2;
  if (input.rate <= 0 || lastHour < firstHour) return planned;
  const busy = new Set(input.busySkus);
  for (const type of ANOMALY_TYPES) {
    const count = rng.poisson(ANOMALY_RATES[type] * input.rate);
    for (let i = 0; i < count; i++) {
      const start = input.midnight + rng.intBetween(firstHour, lastHour) * HOUR_MS;
      const [minH, maxH] = DURATION_HOURS[type];
      let sku = -1;
      let terminal = -1;
      if (type === 'VOID_BURST') {
        terminal = rng.below(input.store.terminals.length);
      } else {
        sku = pickFastSku(input.store, input.products, busy, rng);
        if (sku < 0) continue;
        busy.add(sku);
      }
      const countDay = type === 'PHANTOM_INVENTORY' ? input.localDay + rng.intBetween(2, 4) : -1;
      if (start < input.notBefore) continue;
      planned.push({
        id: input.nextId(),
        type,
        sku,
        terminal,
        start,
        end: type === 'PHANTOM_INVENTORY' ? input.midnight + (countDay - input.localDay) * 24 * HOUR_MS : start + rng.intBetween(minH, maxH) * HOUR_MS,
        countDay,
        magnitude: magnitudeOf(type, rng),
      });
    }
  }
  return planned.sort((a, b) => a.start - b.start);
}

function magnitudeOf(type: AnomalyType, rng: Rng): number {
  switch (type) {
    case 'DEMAND_SPIKE':
      return Math.round(rng.between(5, 10) * 100) / 100;
    case 'DEMAND_DROP':
      return Math.round(rng.between(0.15, 0.35) * 100) / 100;
    case 'PRICE_ERROR':
      return rng.pick(PRICE_ERROR_FACTORS);
    case 'VOID_BURST':
      return rng.intBetween(15, 40);
    case 'PHANTOM_INVENTORY':
      return 0;
  }
}

/** A free SKU selling at least MIN_UNITS_PER_OPEN_HOUR in the store, or -1. */
function pickFastSku(store: StoreProfile, products: readonly ProductProfile[], busy: ReadonlySet<number>, rng: Rng): number {
  const candidates: number[] = [];
  for (let j = 0; j < products.length; j++) {
    if (busy.has(j)) continue;
    if (products[j]!.baseRate * store.factor >= MIN_UNITS_PER_OPEN_HOUR) candidates.push(j);
  }
  return candidates.length === 0 ? -1 : candidates[rng.below(candidates.length)]!;
}

export function labelOf(store: StoreProfile, products: readonly ProductProfile[], a: PlannedAnomaly, start: number, end: number, endedBy: AnomalyLabel['ended_by']): AnomalyLabel {
  return {
    anomaly_id: a.id,
    type: a.type,
    store_id: store.store.store_id,
    sku: a.sku >= 0 ? products[a.sku]!.product.sku : null,
    terminal_id: a.terminal >= 0 ? store.terminals[a.terminal]! : null,
    start,
    end,
    magnitude: a.magnitude,
    ended_by: endedBy,
  };
}
