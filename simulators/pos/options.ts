/**
 * The simulator's parameters: defaults (with units), limits, and one validation that reports
 * every problem at once, so the CLI and tests share the same rules.
 */
import { ShelfStreamError } from '../../lib/errors';
import { DAY_MS, HOUR_MS } from '../../lib/domain/time';
import { FIRST_SUPPORTED_DAY, LAST_SUPPORTED_DAY, formatDay } from '../../lib/domain/calendar';
import { CATEGORIES } from './chain';
import type { OrderingPolicy } from './ordering';

/** Which simulated time to cover. */
export type SimulationWindow =
  /** Whole local days of every store: [local midnight of startDay, local midnight of startDay + days). */
  | { readonly kind: 'days'; readonly startDay: number; readonly days: number }
  /** From an instant (rounded down to the hour) for all stores, until `end` or forever. */
  | { readonly kind: 'continuous'; readonly start: number; readonly end?: number };

export interface SimulationOptions {
  readonly seed: number;
  readonly stores: number;
  readonly skus: number;
  readonly window: SimulationWindow;
  /** Multiplier on the anomaly rates (0 = no anomalies). */
  readonly anomalyRate: number;
  /** One heartbeat per terminal per open hour. */
  readonly heartbeats: boolean;
  /**
   * Perishable stock is kept in lots and what expires is written off at the morning routine
   * (a SHRINK movement, reason `expired`, reference_id the lot). Off when absent: writing off
   * changes the shelf and so every later event of a seed (lots.ts).
   */
  readonly expiryWriteOffs?: boolean;
  /**
   * Common random numbers: demand, promotions, closing losses and supplier draws each from a
   * stream of its own, so runs that differ by ordering policy alone see the same demand
   * (store-state.ts). Off when absent: it moves draws, and a default run keeps its pinned digests.
   */
  readonly commonRandomNumbers?: boolean;
  /** Who orders at each store's nightly review (ordering.ts); the store's own rule when absent. */
  readonly ordering?: OrderingPolicy;
  /** The stores this simulator runs (a shard of the chain); all when absent. */
  readonly storeIndices?: readonly number[];
  /**
   * A lasting change of demand for one category from a local day on (a competitor closes, a
   * range is relisted): what a model monitor must flag. Absent by default, so every stream of a
   * seed stays byte for byte what the pinned digests say.
   */
  readonly demandShift?: DemandShift;
}

export interface DemandShift {
  /** A category name of the chain (chain.ts CATEGORIES). */
  readonly category: string;
  /** First local day (days since 1970-01-01) with the changed demand. */
  readonly fromDay: number;
  /** Multiplier on the category's demand from then on (1.4 = +40%). */
  readonly factor: number;
}

export const SIMULATION_DEFAULTS = {
  seed: 42,
  stores: 10,
  skus: 200,
  days: 7,
  start: '2026-01-01',
  anomalyRate: 1,
  heartbeats: true,
} as const;

export const SIMULATION_LIMITS = {
  maxStores: 999, // store ids are S001..S999
  maxSkus: 100_000,
  maxAnomalyRate: 100,
} as const;

/** Checks every option; throws CONFIG_INVALID listing all problems. Answers the options unchanged. */
export function validateSimulation(options: SimulationOptions): SimulationOptions {
  const issues: string[] = [];
  const int = (name: string, v: number, min: number, max: number): void => {
    if (!Number.isInteger(v) || v < min || v > max) issues.push(`${name} must be a whole number from ${min} to ${max}, got ${v}`);
  };
  int('seed', options.seed, 0, 4_294_967_295);
  int('stores', options.stores, 1, SIMULATION_LIMITS.maxStores);
  int('skus', options.skus, 1, SIMULATION_LIMITS.maxSkus);
  if (!(options.anomalyRate >= 0 && options.anomalyRate <= SIMULATION_LIMITS.maxAnomalyRate)) {
    issues.push(`anomaly rate must be from 0 to ${SIMULATION_LIMITS.maxAnomalyRate}, got ${options.anomalyRate}`);
  }
  const range = `${formatDay(FIRST_SUPPORTED_DAY)} to ${formatDay(LAST_SUPPORTED_DAY)} (the years the holiday tables cover)`;
  const w = options.window;
  if (w.kind === 'days') {
    if (w.startDay < FIRST_SUPPORTED_DAY || w.startDay > LAST_SUPPORTED_DAY) issues.push(`start ${formatDay(w.startDay)} is outside ${range}`);
    else int('days', w.days, 1, LAST_SUPPORTED_DAY - w.startDay + 1);
  } else {
    const first = FIRST_SUPPORTED_DAY * DAY_MS;
    const last = (LAST_SUPPORTED_DAY + 1) * DAY_MS;
    if (!(w.start >= first && w.start < last)) issues.push(`start ${new Date(w.start).toISOString()} is outside ${range}`);
    if (w.end !== undefined && !(w.end > w.start && w.end <= last)) issues.push(`end must be after start and no later than ${formatDay(LAST_SUPPORTED_DAY)}`);
    if (w.end !== undefined && w.end - w.start < HOUR_MS) issues.push('a continuous run covers at least one hour');
  }
  for (const i of options.storeIndices ?? []) {
    if (!Number.isInteger(i) || i < 0 || i >= options.stores) issues.push(`store index ${i} is not in the chain of ${options.stores} stores`);
  }
  const shift = options.demandShift;
  if (shift) {
    if (!CATEGORIES.some((c) => c.name === shift.category)) issues.push(`demand shift category '${shift.category}' is not one of ${CATEGORIES.map((c) => c.name).join(', ')}`);
    if (!(shift.factor > 0 && shift.factor <= 10)) issues.push(`demand shift factor must be above 0 and at most 10, got ${shift.factor}`);
    if (!Number.isInteger(shift.fromDay)) issues.push(`demand shift first day must be a whole day number, got ${shift.fromDay}`);
  }
  if (issues.length > 0) throw new ShelfStreamError('CONFIG_INVALID', `invalid simulation: ${issues.join('; ')}`, { context: { issues } });
  return options;
}
