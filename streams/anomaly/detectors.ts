/**
 * The detectors' pure logic: evidence that accumulates hour by hour (or line by line) and the
 * decisions to raise and resolve, with hysteresis so one situation gives one alert.
 *
 *   - demand spike / drop: a CUSUM per direction on the negative-binomial log-likelihood ratio
 *     of "demand x SPIKE_RATIO (or x DROP_RATIO)" against the baseline; raise at a threshold,
 *     resolve once the evidence has decayed (the CUSUM falls back as ordinary hours come in);
 *   - phantom inventory: a streak of hours without a single sale while the books show stock;
 *     its probability under the baseline is the product of P(0) of each hour;
 *   - price error: a rung unit_price far from the shelf price;
 *   - void burst: voids of one terminal within an hour against the terminal's usual rate.
 */
import { nbLogP0, nbLogRatio, nbLogSurvivalRatio, nbVariance, poissonUpperLog10 } from './baseline';
import {
  CUSUM_CAP_FACTOR,
  DROP_RAISE,
  DROP_RATIO,
  PHANTOM_MIN_EXPECTED,
  PHANTOM_RAISE_LOG10,
  PHANTOM_SHARE_OF_DROP,
  PHANTOM_UNDER_DROP_LOG10,
  PRICE_ERROR_RATIO,
  RESOLVE_FRACTION,
  SPIKE_RAISE,
  SPIKE_RATIO,
  VOID_MIN_COUNT,
  VOID_RAISE_LOG10,
  VOID_RATE_FLOOR,
} from './tuning';

/** Units and expectation summed over the hours a CUSUM has been above zero. */
export interface Run {
  hours: number;
  observed: number;
  expected: number;
  variance: number;
}

export interface DemandEvidence {
  spike: number;
  drop: number;
  readonly spikeRun: Run;
  readonly dropRun: Run;
  /** Consecutive open hours without a sale, with their log P(0) and expected units. */
  zeroHours: number;
  zeroLogP0: number;
  zeroExpected: number;
}

const emptyRun = (): Run => ({ hours: 0, observed: 0, expected: 0, variance: 0 });

function resetRun(run: Run): void {
  run.hours = 0;
  run.observed = 0;
  run.expected = 0;
  run.variance = 0;
}

/** The silence counter: one more hour without a sale, or a sale that ends the silence. */
function stepZero(e: DemandEvidence, x: number, mu: number, k: number): void {
  if (x === 0) {
    e.zeroHours++;
    e.zeroLogP0 += nbLogP0(mu, k);
    e.zeroExpected += mu;
  } else {
    resetSilence(e);
  }
}

function resetSilence(e: DemandEvidence): void {
  e.zeroHours = 0;
  e.zeroLogP0 = 0;
  e.zeroExpected = 0;
}

export function emptyEvidence(): DemandEvidence {
  return { spike: 0, drop: 0, spikeRun: emptyRun(), dropRun: emptyRun(), zeroHours: 0, zeroLogP0: 0, zeroExpected: 0 };
}

function stepCusum(value: number, increment: number, raise: number, run: Run, x: number, mu: number, variance: number): number {
  const next = Math.min(raise * CUSUM_CAP_FACTOR, Math.max(0, value + increment));
  if (next === 0) {
    resetRun(run);
  } else {
    if (value === 0) resetRun(run);
    run.hours++;
    run.observed += x;
    run.expected += mu;
    run.variance += variance;
  }
  return next;
}

/** Adds one open hour with `x` units sold where `mu` were expected (negative-binomial size k). */
export function stepDemand(e: DemandEvidence, x: number, mu: number, k: number): void {
  const variance = nbVariance(mu, k);
  e.spike = stepCusum(e.spike, nbLogRatio(x, mu, k, SPIKE_RATIO), SPIKE_RAISE, e.spikeRun, x, mu, variance);
  e.drop = stepCusum(e.drop, nbLogRatio(x, mu, k, DROP_RATIO), DROP_RAISE, e.dropRun, x, mu, variance);
  stepZero(e, x, mu, k);
}

/**
 * Adds an hour in which the shelf ran empty (the books reached 0): sales say only that demand
 * was at least `x`. That is still evidence of a spike (a spike that sells the shelf out is the
 * case that matters most), so the spike CUSUM takes the censored increment; it says nothing
 * about a drop or a silence, so those start afresh.
 */
export function stepCensored(e: DemandEvidence, x: number, mu: number, k: number): void {
  e.spike = stepCusum(e.spike, nbLogSurvivalRatio(x, mu, k, SPIKE_RATIO), SPIKE_RAISE, e.spikeRun, x, mu, nbVariance(mu, k));
  e.drop = 0;
  resetRun(e.dropRun);
  resetSilence(e);
}

/**
 * Adds an hour on promotion: demand is lifted on purpose, so spikes and drops have no baseline
 * to be judged against and start afresh; a silence still counts (the baseline is what the item
 * sells without a promotion, so its chance of no sale is if anything overstated).
 */
export function stepSilence(e: DemandEvidence, x: number, mu: number, k: number): void {
  e.spike = 0;
  e.drop = 0;
  resetRun(e.spikeRun);
  resetRun(e.dropRun);
  stepZero(e, x, mu, k);
}

/** Standardised deviation of a run: (observed - expected) / sd. */
export function zScore(run: Run): number {
  return run.variance > 0 ? (run.observed - run.expected) / Math.sqrt(run.variance) : 0;
}

/** What the books say, for phantom inventory. */
export interface Book {
  /** A count has set the absolute level (before that, zero sales prove nothing). */
  readonly known: boolean;
  readonly onHand: number;
}

/** -log10 of the chance of the current zero-sales streak under the baseline. */
export function phantomEvidence(e: DemandEvidence): number {
  return -e.zeroLogP0 / Math.LN10;
}

/**
 * True while the drop evidence is mostly a streak of hours with no sale at all and the books
 * show stock: that is the phantom-inventory signature (nothing can be bought), not customers
 * buying less (sales go on at a lower rate), so it is left to the phantom detector instead of
 * raising a drop. "Mostly": the silence holds at least half the units the drop run expected; a
 * run that began with a few slow hours before the shelf emptied is still a phantom.
 */
export function isPhantomCandidate(e: DemandEvidence, book: Book): boolean {
  return book.known && book.onHand > 0 && e.zeroHours > 0 && e.zeroExpected >= PHANTOM_SHARE_OF_DROP * e.dropRun.expected;
}

/**
 * -log10 of the chance of the current silence had demand already dropped to DROP_RATIO of the
 * baseline (each hour's P(0) at the streak's mean expectation: log P(0) is concave in the
 * mean, so this errs toward the drop). A silence that is improbable even so is not a drop.
 */
export function silenceUnderDrop(e: DemandEvidence, k: number): number {
  if (e.zeroHours === 0) return 0;
  return (-e.zeroHours * nbLogP0((DROP_RATIO * e.zeroExpected) / e.zeroHours, k)) / Math.LN10;
}

/** Forgets the drop evidence: the situation was raised as something else (phantom inventory). */
export function clearDrop(e: DemandEvidence): void {
  e.drop = 0;
  resetRun(e.dropRun);
}

export type Decision = 'raise' | 'resolve' | undefined;

export function spikeDecision(e: DemandEvidence, active: boolean): Decision {
  if (!active) return e.spike >= SPIKE_RAISE ? 'raise' : undefined;
  return e.spike <= SPIKE_RAISE * RESOLVE_FRACTION ? 'resolve' : undefined;
}

/**
 * A drop is raised on strong evidence while the books show stock, unless it looks like phantom
 * inventory (see isPhantomCandidate). Books at 0 explain it (a stock-out: the stock processor's
 * alert); books never counted cannot tell a drop from a stock-out, so they raise nothing.
 */
export function dropDecision(e: DemandEvidence, active: boolean, book: Book): Decision {
  if (!active) return e.drop >= DROP_RAISE && book.known && book.onHand > 0 && !isPhantomCandidate(e, book) ? 'raise' : undefined;
  return e.drop <= DROP_RAISE * RESOLVE_FRACTION ? 'resolve' : undefined;
}

/**
 * Phantom inventory: raised on a long, improbable silence with stock on the books; resolved by a
 * sale or empty books. While a drop is open (`dropOpen`), the silence must also be improbable
 * under the dropped rate (PHANTOM_UNDER_DROP_LOG10): a real drop to a sixth of the demand has
 * silent afternoons of its own.
 */
export function phantomDecision(e: DemandEvidence, active: boolean, book: Book, soldThisHour: number, dropOpen = false, k = 0): Decision {
  if (active) return soldThisHour > 0 || !book.known || book.onHand <= 0 ? 'resolve' : undefined;
  if (dropOpen && silenceUnderDrop(e, k) < PHANTOM_UNDER_DROP_LOG10) return undefined;
  return book.known && book.onHand > 0 && e.zeroExpected >= PHANTOM_MIN_EXPECTED && phantomEvidence(e) >= PHANTOM_RAISE_LOG10 ? 'raise' : undefined;
}

// ── price errors ──────────────────────────────────────────────────────────────────────────

/** How far a rung price is from the shelf price, as a factor >= 1 either way. */
export function priceDeviation(unitPrice: number, shelfPrice: number): number {
  if (unitPrice <= 0 || shelfPrice <= 0) return Number.POSITIVE_INFINITY;
  return unitPrice >= shelfPrice ? unitPrice / shelfPrice : shelfPrice / unitPrice;
}

export function isPriceError(unitPrice: number, shelfPrice: number): boolean {
  return priceDeviation(unitPrice, shelfPrice) >= PRICE_ERROR_RATIO;
}

// ── void bursts ───────────────────────────────────────────────────────────────────────────

/** -log10 P(at least `count` voids in an hour) for a terminal whose usual rate is `rate` an hour. */
export function voidEvidence(count: number, rate: number): number {
  return -poissonUpperLog10(count, Math.max(VOID_RATE_FLOOR, rate));
}

export function isVoidBurst(count: number, rate: number): boolean {
  return count >= VOID_MIN_COUNT && voidEvidence(count, rate) >= VOID_RAISE_LOG10;
}
