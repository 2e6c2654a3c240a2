/**
 * Tuning constants of the anomaly processor, with why each has its value. They are not user
 * options: they follow from the statistics (false-alarm budget per series-hour) and were set on
 * the simulator with simulators/quality/anomaly-detection.ts; a user tunes nothing here day to day.
 */

import { HOUR_MS } from '../../lib/domain/time';

export { HOUR_MS };

/** Hour buckets of event time: how far behind the newest event a record may be (ms). */
export const MAX_OUT_OF_ORDER_MS = 60_000; // terminals of a partition send within a minute of each other
/** How long after the watermark passes an hour's end its bucket still accepts records (ms). */
export const ALLOWED_LATENESS_MS = 5 * 60_000; // an offline till catching up within five minutes still counts

/** How far behind the last judged hour the books' history is kept (ms); checked once a period. */
export const BOOK_MEMORY_MS = 7 * 24 * HOUR_MS; // a week: a store closed for a long holiday still finds its books

// ── baselines ─────────────────────────────────────────────────────────────────────────────

/** Hour-of-week slots: demand depends on the hour of the day and on the day of the week. */
export const SLOTS = 168;
/** Weight of a new observation in a slot mean once the slot has some history (1/8: two months). */
export const SLOT_ALPHA = 1 / 8;
/**
 * Shrinkage of a slot toward level x store shape: weight n / (n + SLOT_PRIOR_WEIGHT). A slot sees
 * one observation a week, so a month of history is still mostly prior; the store's shape is
 * learnt from every sku of the store and is far less noisy than one sku's slot.
 */
export const SLOT_PRIOR_WEIGHT = 8;
/** Weight of an open hour in a series' overall level: about three weeks of open hours. */
export const LEVEL_ALPHA = 1 / 250;
/** Open hours of history before a series is judged: about a week, so every weekday was seen once. */
export const MIN_HISTORY_HOURS = 80;
/**
 * The hour's store-wide "tide": actual / expected units of the whole store, shrunk by this many
 * units. A holiday or a heat wave lifts every sku of the store; a single sku's anomaly barely
 * moves the store total, so the tide keeps one from looking like the other.
 */
export const TIDE_PRIOR_UNITS = 30;
export const TIDE_RANGE: readonly [number, number] = [0.5, 2];
/** Negative-binomial size (overdispersion) of hourly units before enough data to estimate it. */
export const INITIAL_DISPERSION = 2;
export const DISPERSION_RANGE: readonly [number, number] = [0.5, 50];
/** Below this expected units in an hour, an hour carries no information on the dispersion. */
export const DISPERSION_MIN_MEAN = 0.3;

// ── demand spikes and drops (CUSUM on the negative-binomial log-likelihood ratio) ─────────

/** The shifts the CUSUMs look for: a spike triples demand; a drop keeps a quarter of it. */
export const SPIKE_RATIO = 3;
export const DROP_RATIO = 0.25;
/**
 * Raise thresholds, natural-log likelihood ratio. About 2 000 series x 14 open hours a day per
 * 10 stores: a threshold of h gives roughly one false alarm every e^h series-hours (Siegmund),
 * and the targets leave room for well under one a day.
 */
export const SPIKE_RAISE = 10;
export const DROP_RAISE = 9;
/**
 * Units per open hour (the series' level) below which spikes and drops are not raised. Hourly
 * units are negative binomial with size about 2: on a sku selling a few units a day a tripled
 * or quartered rate is indistinguishable from an ordinary busy or quiet spell for days (the
 * expected evidence per hour is a small fraction of a nat), so a CUSUM reaching its threshold
 * there is a slow drift of a baseline learnt on a handful of units, not a situation a store can
 * act on. Measured on the simulator (simulators/quality/detection-seasons.ts, tuning seeds):
 * five in six false spikes and over half the false drops were on series expecting under one
 * unit an hour, and no true one was.
 */
export const DEMAND_MIN_LEVEL = 1.2; // units per open hour (the simulator injects them on skus selling 1.5 and more)
/** A CUSUM never stores more evidence than this, so a long episode resolves soon after it ends. */
export const CUSUM_CAP_FACTOR = 1.5;
/** Resolve once the evidence has fallen to this fraction of the raise threshold (hysteresis). */
export const RESOLVE_FRACTION = 0.25;

// ── phantom inventory ─────────────────────────────────────────────────────────────────────

/**
 * Raise when the chance of selling nothing for the whole streak under the baseline is below
 * 10^-PHANTOM_RAISE_LOG10, the books show stock and at least PHANTOM_MIN_EXPECTED units were
 * expected: a long silence of a steady seller, not a quiet afternoon of a slow one.
 */
export const PHANTOM_RAISE_LOG10 = 6;
export const PHANTOM_MIN_EXPECTED = 8;
/**
 * While a drop is open, a silence becomes phantom inventory once its chance under the dropped
 * rate is below 10^-PHANTOM_UNDER_DROP_LOG10 (a drop raised on the first silent hours gives way).
 */
export const PHANTOM_UNDER_DROP_LOG10 = 3;
/** A drop whose current silence holds this share of its expected units is left to phantom. */
export const PHANTOM_SHARE_OF_DROP = 0.5;

// ── price errors ──────────────────────────────────────────────────────────────────────────

/**
 * A rung price this far from the shelf price (either way) is an error. Shelf price changes move
 * a price by a few percent and promotions are rung as discounts (the line keeps the shelf
 * price); the errors that cost money are decimal slips (x10, /10, /100) and wrong tags.
 */
export const PRICE_ERROR_RATIO = 2.5;
/** A deviating price rung consistently for this long is a new shelf price nobody announced. */
export const PRICE_ADOPT_MS = 36 * HOUR_MS;

// ── void bursts ───────────────────────────────────────────────────────────────────────────

/** Weight of an hour in a terminal's void rate (about a month of hours). */
export const VOID_ALPHA = 1 / 720;
/** Voids an hour are judged against at least this rate: a new terminal has no history. */
export const VOID_RATE_FLOOR = 0.3;
/** A burst needs at least this many voids in an hour, and a Poisson tail below 10^-VOID_RAISE_LOG10. */
export const VOID_MIN_COUNT = 8;
export const VOID_RAISE_LOG10 = 7;
