/**
 * Injected anomalies and their labels, the ground truth an anomaly detector is scored on.
 *
 * | type              | what happens                                                         | label names |
 * | ----------------- | -------------------------------------------------------------------- | ----------- |
 * | DEMAND_SPIKE      | true demand of one SKU in one store x magnitude (3-8) for 2-6 hours   | store, sku  |
 * | DEMAND_DROP       | true demand x magnitude (0-0.2) for 3-8 hours                          | store, sku  |
 * | PHANTOM_INVENTORY | the shelf empties without any event (on_hand -> 0, book unchanged), so | store, sku  |
 * |                   | sales stop while the books show stock; ends at the next count of the   |             |
 * |                   | SKU (forced 1-3 days later) or when units arrive                       |             |
 * | PRICE_ERROR       | the till rings unit_price x magnitude (10, 0.1 or 0.01) for 2-8 hours | store, sku  |
 * | VOID_BURST        | one terminal voids `magnitude` (15-40) transactions an hour, 1-3 hours | store, terminal |
 *
 * Anomalies are planned per store and local day, when the store's day begins, from the store's
 * own anomaly stream; they start on a whole local hour inside opening hours.
 */
import { HOUR_MS } from './calendar';
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
  DEMAND_SPIKE: [2, 6],
  DEMAND_DROP: [3, 8],
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
 * Anomalies starting during one open local day. SKUs are drawn among the faster half of the
 * catalogue so an injected anomaly is visible in the data, not lost in zeros.
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
        sku = pickVisibleSku(input.products, busy, rng);
        if (sku < 0) continue;
        busy.add(sku);
      }
      const countDay = type === 'PHANTOM_INVENTORY' ? input.localDay + rng.intBetween(1, 3) : -1;
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
      return Math.round(rng.between(3, 8) * 100) / 100;
    case 'DEMAND_DROP':
      return Math.round(rng.between(0, 0.2) * 100) / 100;
    case 'PRICE_ERROR':
      return rng.pick(PRICE_ERROR_FACTORS);
    case 'VOID_BURST':
      return rng.intBetween(15, 40);
    case 'PHANTOM_INVENTORY':
      return 0;
  }
}

function pickVisibleSku(products: readonly ProductProfile[], busy: ReadonlySet<number>, rng: Rng): number {
  for (let attempt = 0; attempt < 20; attempt++) {
    const j = rng.below(products.length);
    if (busy.has(j)) continue;
    // Accept slow movers only rarely.
    if (products[j]!.baseRate >= 0.2 || rng.chance(0.1)) return j;
  }
  return -1;
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
