/**
 * The model: ONE multilayer perceptron for every store x sku (a global model), in TensorFlow.js
 * on its WebAssembly backend, that reads a series' recent history and the calendar of the next
 * 7 days and answers P10, P50 and P90 for each of them, trained on the pinball loss.
 *
 * Why global: a single series has a few hundred noisy days; pooled over thousands of series the
 * model learns the shapes that repeat (weekday profile, holidays by category, promotion uplift,
 * how wide the spread is at a given level) and applies them to each series' own level.
 *
 * Inputs per series and origin (the last day of history), everything in units of the series'
 * level (scale = its 28-day mean of known days), so one model serves 0.5 and 50 units a day:
 *   - lags 1, 7, 14, 28 and rolling mean / deviation over 7 and 28 days (from the SQL features),
 *     share of zero days, log of the level, promotion (share discounted) and price ratio;
 *   - for each target day: units of the same weekday 1, 2 and 3 weeks earlier, the store's
 *     weekday index (its units on that weekday over its average, over all its products, from the
 *     last 8 weeks), holiday demand factor, store closed, Ramadan, Eid;
 *   - one-hot weekday of the origin, month (weights zeroed for a month training never saw), category.
 * Outputs: 7 days x (P50, log-gap to P10, log-gap to P90); P10 <= P50 <= P90 by construction.
 * The loss is the pinball loss in units (scaled back), so large series weigh what they sell,
 * which is what WAPE measures. Censored targets (stock-out days) are masked out of the loss.
 *
 * Reproducible: weights start from seeded initialisers, samples are drawn and batches shuffled
 * by seeded generators (tfjs's own fit() shuffles with Math.random, hence the training loop).
 *
 * Calibration (fitModel). The network's quantiles are not trusted as they come out of training:
 * on a simulated year the band once covered 66% instead of 80% and the P50 ran 16% low on the
 * backtest weeks (mostly an untrained month input, see trainModel, but even without it the
 * held-out coverage moves by several points from one fit to the next). The last weeks before the data the model will be used on are held out of training;
 * the network's forecasts from every day of that window fix, per weekday of the target day, a
 * factor on P50 and factors on the gaps to P10 and P90 (split-conformal), stored in the artifact
 * and applied by predict.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { BASELINE_WINDOW, type Forecaster, type QuantileForecast, emptyForecast, exponentialSmoothing, knownUnits } from './baselines';
import { HORIZON, type Panel } from './features';

export const MODEL_KIND = 'global_mlp';
export const FEATURE_SPEC_VERSION = 1;
/** Same-weekday lags (in weeks) given for each target day. */
const WEEK_LAGS = [1, 2, 3];
const PER_DAY = ['same_weekday_w1', 'same_weekday_w2', 'same_weekday_w3', 'store_weekday_index', 'holiday_factor', 'store_closed', 'is_ramadan', 'is_eid'] as const;
const PER_ORIGIN = ['lag_1', 'lag_7', 'lag_14', 'lag_28', 'mean_7', 'std_7', 'std_28', 'zero_share_28', 'log_level', 'discount_share', 'price_ratio'] as const;
/** Days of history behind the store weekday index. */
const STORE_INDEX_DAYS = 56;
/** Smallest level a series is scaled by (units per day), so a dormant series does not divide by ~0. */
const MIN_SCALE = 0.2;

export interface TrainOptions {
  readonly seed: number;
  readonly epochs: number;
  readonly batchSize: number;
  readonly hidden: readonly number[];
  readonly learningRate: number;
  /** Samples drawn at most (series x origins), spread over every origin. */
  readonly maxSamples: number;
  /** Weeks before the last target held out of training to calibrate P50 and the P10-P90 band. */
  readonly validationWeeks: number;
  /** Blend the P50 with per-series exponential smoothing, the weight chosen on the validation window. */
  readonly blendSmoothing: boolean;
}

export const TRAIN_DEFAULTS: TrainOptions = {
  seed: 42,
  epochs: 12,
  batchSize: 512,
  hidden: [64, 32],
  learningRate: 0.003,
  maxSamples: 250_000,
  validationWeeks: 2,
  blendSmoothing: false,
};

/** What a model needs besides its weights to build its inputs again: stored with it. */
export interface FeatureSpec {
  readonly version: number;
  readonly inputs: readonly string[];
  readonly categories: readonly string[];
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

/** Per weekday of the target day (index weekday - 1): factors on P50 and on the gaps to P10 and P90 (see calibrate). */
export interface Calibration {
  /** Weight of per-series exponential smoothing in the P50 (0: the network alone). */
  readonly smoothingWeight: number;
  readonly p50Factor: readonly number[];
  readonly lowFactor: readonly number[];
  readonly highFactor: readonly number[];
  /** Validation points they were measured on. */
  readonly points: number;
}

export interface ModelArtifact {
  readonly kind: typeof MODEL_KIND;
  /** Absent in artifacts from before calibration: the raw network quantiles are used. */
  readonly calibration?: Calibration;
  readonly featureSpec: FeatureSpec;
  readonly layers: readonly { readonly inputs: number; readonly outputs: number; readonly weights: readonly number[]; readonly bias: readonly number[] }[];
  /** The options it was trained with; artifacts from before calibration lack the newer ones. */
  readonly train: Omit<TrainOptions, 'validationWeeks' | 'blendSmoothing'> & Partial<Pick<TrainOptions, 'validationWeeks' | 'blendSmoothing'>> & { readonly samples: number; readonly finalLoss: number; readonly seconds: number };
}

let backendReady: Promise<void> | undefined;
/** Selects the WebAssembly backend once per process (tfjs-node cannot be installed here). */
export function ensureBackend(): Promise<void> {
  backendReady ??= (async () => {
    await tf.setBackend('wasm');
    await tf.ready();
  })();
  return backendReady;
}

/** sfc-like small seeded generator for shuffling (mulberry32). */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export function inputNames(categories: readonly string[]): string[] {
  const names: string[] = [...PER_ORIGIN];
  for (let h = 1; h <= HORIZON; h++) for (const p of PER_DAY) names.push(`${p}_d${h}`);
  for (let d = 1; d <= 7; d++) names.push(`origin_weekday_${d}`);
  for (let m = 1; m <= 12; m++) names.push(`month_${m}`);
  for (const c of categories) names.push(`category_${c}`);
  return names;
}

/** Per store: units on each weekday (1-7) over the store's average day, from known days in the last 8 weeks. */
function storeWeekdayIndex(panel: Panel, known: Float32Array, origin: number): Map<string, number[]> {
  const sums = new Map<string, { total: number[]; days: number[] }>();
  const dow = panel.columns.day_of_week;
  for (let s = 0; s < panel.series.length; s++) {
    const store = panel.series[s]!.store_id;
    let acc = sums.get(store);
    if (!acc) sums.set(store, (acc = { total: new Array<number>(8).fill(0), days: new Array<number>(8).fill(0) }));
    const base = s * panel.days;
    for (let d = Math.max(0, origin - STORE_INDEX_DAYS + 1); d <= origin; d++) {
      const v = known[base + d]!;
      if (Number.isNaN(v)) continue;
      const w = dow[base + d]!;
      acc.total[w]! += v;
      acc.days[w]!++;
    }
  }
  const index = new Map<string, number[]>();
  for (const [store, acc] of sums) {
    const perDay = acc.total.map((t, w) => (acc.days[w]! > 0 ? t / acc.days[w]! : Number.NaN));
    const valid = perDay.slice(1).filter((x) => !Number.isNaN(x));
    const mean = valid.length === 0 ? 0 : valid.reduce((a, b) => a + b, 0) / valid.length;
    index.set(store, perDay.map((x) => (mean > 0 && !Number.isNaN(x) ? x / mean : 1)));
  }
  return index;
}

const orOne = (x: number): number => (Number.isNaN(x) ? 1 : x);
const orZero = (x: number): number => (Number.isNaN(x) ? 0 : x);

/**
 * Inputs for every series at one origin (unnormalised) and each series' scale. Row s of
 * `inputs` is series s; `targets` (scaled units, NaN where unknown) when the days are observed.
 */
export function buildInputs(panel: Panel, origin: number, categories: readonly string[], known = knownUnits(panel), rows?: ArrayLike<number>): { inputs: Float32Array; scale: Float32Array; targets: Float32Array; width: number } {
  const width = inputNames(categories).length;
  const n = rows ? rows.length : panel.series.length;
  const inputs = new Float32Array(n * width);
  const scale = new Float32Array(n);
  const targets = new Float32Array(n * HORIZON).fill(Number.NaN);
  const c = panel.columns;
  const storeIndex = storeWeekdayIndex(panel, known, origin);
  const categoryIndex = new Map(categories.map((cat, i) => [cat, i]));
  for (let row = 0; row < n; row++) {
    const s = rows ? rows[row]! : row;
    const base = s * panel.days;
    const r = base + origin + 1; // the SQL row of the first forecast day holds what is known at the origin
    let level = c.mean_28[r]!;
    if (Number.isNaN(level)) level = c.mean_7[r]!;
    const sc = Math.max(MIN_SCALE, Number.isNaN(level) ? 0 : level);
    scale[row] = sc;
    const x = inputs.subarray(row * width, (row + 1) * width);
    let k = 0;
    const mean28 = orZero(c.mean_28[r]!) / sc;
    const lagOr = (v: number): number => (Number.isNaN(v) ? mean28 : v / sc);
    x[k++] = lagOr(c.lag_1[r]!);
    x[k++] = lagOr(c.lag_7[r]!);
    x[k++] = lagOr(c.lag_14[r]!);
    x[k++] = lagOr(c.lag_28[r]!);
    x[k++] = lagOr(c.mean_7[r]!);
    x[k++] = orZero(c.std_7[r]!) / sc;
    x[k++] = orZero(c.std_28[r]!) / sc;
    x[k++] = orZero(c.zero_share_28[r]!);
    x[k++] = Math.log(sc);
    x[k++] = orZero(c.discount_share[base + origin]!);
    x[k++] = orOne(c.price_ratio[base + origin]!);
    const weekday = storeIndex.get(panel.series[s]!.store_id)!;
    for (let h = 1; h <= HORIZON; h++) {
      const t = base + origin + h;
      for (const w of WEEK_LAGS) {
        const d = origin + h - 7 * w;
        x[k++] = d >= 0 ? lagOr(known[base + d]!) : mean28;
      }
      x[k++] = weekday[c.day_of_week[t]!]!;
      x[k++] = c.holiday_factor[t]!;
      x[k++] = c.store_closed[t]!;
      x[k++] = c.is_ramadan[t]!;
      x[k++] = c.is_eid[t]!;
      if (origin + h <= panel.lastObservedDay - panel.firstDay) targets[row * HORIZON + h - 1] = known[t]! / sc;
    }
    x[k + c.day_of_week[base + origin]! - 1] = 1;
    k += 7;
    x[k + c.month[base + origin]! - 1] = 1;
    k += 12;
    const ci = categoryIndex.get(panel.series[s]!.category);
    if (ci !== undefined) x[k + ci] = 1;
  }
  return { inputs, scale, targets, width };
}

interface Layer {
  readonly w: tf.Variable;
  readonly b: tf.Variable;
}

function forward(layers: readonly Layer[], x: tf.Tensor2D): tf.Tensor2D {
  let h: tf.Tensor2D = x;
  layers.forEach((l, i) => {
    const z = tf.add(tf.matMul(h, l.w as tf.Tensor2D), l.b) as tf.Tensor2D;
    h = i < layers.length - 1 ? tf.relu(z) : z;
  });
  return h;
}

/** Raw outputs [n, 3 x HORIZON] -> p10, p50, p90 [n, HORIZON] each (scaled units). */
function quantilesOf(out: tf.Tensor2D): [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D] {
  const [mid, low, high] = tf.split(out, 3, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
  return [tf.sub(mid, tf.softplus(low)), mid, tf.add(mid, tf.softplus(high))];
}

function pinballLoss(out: tf.Tensor2D, target: tf.Tensor2D, mask: tf.Tensor2D, weight: tf.Tensor2D): tf.Scalar {
  const [p10, p50, p90] = quantilesOf(out);
  const term = (p: tf.Tensor2D, q: number): tf.Tensor => {
    const e = tf.sub(target, p);
    return tf.maximum(tf.mul(e, q), tf.mul(e, q - 1));
  };
  const total = tf.addN([term(p10, 0.1), term(p50, 0.5), term(p90, 0.9)]);
  const weighted = tf.mul(tf.mul(total, mask), weight);
  return tf.div(tf.sum(weighted), tf.add(tf.sum(mask), 1e-6)) as tf.Scalar;
}

export interface TrainData {
  readonly inputs: Float32Array;
  readonly targets: Float32Array;
  readonly scale: Float32Array;
  readonly rows: number;
  readonly width: number;
}

/**
 * Training samples from every origin in [firstOrigin, lastOrigin] (targets must be observed):
 * at each origin a seeded random draw of maxSamples / origins series (all of them when that is
 * more than there are). Spreading the budget over every day, rather than taking every series on
 * a few evenly spaced days, shows the model every week of the season and every weekday as an
 * origin: 25 dates 12 days apart (the former draw on a year of 10k series) saw each weekday 3-4
 * times and each holiday at most once.
 */
export function trainingData(panel: Panel, firstOrigin: number, lastOrigin: number, categories: readonly string[], options: Pick<TrainOptions, 'maxSamples' | 'seed'>): TrainData {
  const known = knownUnits(panel);
  const n = panel.series.length;
  const origins = Math.max(0, lastOrigin - firstOrigin + 1);
  const perOrigin = Math.max(1, Math.min(n, Math.floor(options.maxSamples / Math.max(1, origins))));
  const width = inputNames(categories).length;
  const rows = origins * perOrigin;
  const inputs = new Float32Array(rows * width);
  const targets = new Float32Array(rows * HORIZON);
  const scale = new Float32Array(rows);
  const random = seeded(options.seed ^ 0x5eed);
  const pool = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < origins; i++) {
    // partial Fisher-Yates: the first perOrigin entries of the pool are this origin's draw
    if (perOrigin < n) {
      for (let k = 0; k < perOrigin; k++) {
        const j = k + Math.floor(random() * (n - k));
        [pool[k], pool[j]] = [pool[j]!, pool[k]!];
      }
    }
    const chosen = pool.slice(0, perOrigin).sort();
    const b = buildInputs(panel, firstOrigin + i, categories, known, chosen);
    inputs.set(b.inputs, i * perOrigin * width);
    targets.set(b.targets, i * perOrigin * HORIZON);
    scale.set(b.scale, i * perOrigin);
  }
  return { inputs, targets, scale, rows, width };
}

/** Per input: mean and deviation over the samples, and whether it never varied (deviation 0). */
function standardise(data: TrainData): { mean: number[]; std: number[]; constant: boolean[] } {
  const mean = new Array<number>(data.width).fill(0);
  const sq = new Array<number>(data.width).fill(0);
  for (let r = 0; r < data.rows; r++) {
    for (let j = 0; j < data.width; j++) {
      const v = data.inputs[r * data.width + j]!;
      mean[j]! += v;
      sq[j]! += v * v;
    }
  }
  const constant: boolean[] = [];
  const std = mean.map((m, j) => {
    const mu = m / Math.max(1, data.rows);
    const variance = sq[j]! / Math.max(1, data.rows) - mu * mu;
    constant.push(!(variance > 1e-8));
    return variance > 1e-8 ? Math.sqrt(variance) : 1;
  });
  return { mean: mean.map((m) => m / Math.max(1, data.rows)), std, constant };
}

export async function trainModel(data: TrainData, categories: readonly string[], options: TrainOptions = TRAIN_DEFAULTS, onEpoch: (epoch: number, loss: number) => void = () => undefined): Promise<ModelArtifact> {
  await ensureBackend();
  const started = Date.now();
  const { mean, std, constant } = standardise(data);
  const x = new Float32Array(data.inputs.length);
  for (let r = 0; r < data.rows; r++) for (let j = 0; j < data.width; j++) x[r * data.width + j] = (data.inputs[r * data.width + j]! - mean[j]!) / std[j]!;
  const mask = new Float32Array(data.targets.length);
  const y = new Float32Array(data.targets.length);
  for (let i = 0; i < y.length; i++) {
    const known = !Number.isNaN(data.targets[i]!);
    mask[i] = known ? 1 : 0;
    y[i] = known ? data.targets[i]! : 0;
  }
  const sizes = [data.width, ...options.hidden, 3 * HORIZON];
  const layers: Layer[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    const limit = Math.sqrt(6 / (sizes[i]! + sizes[i + 1]!)); // Glorot uniform
    layers.push({
      w: tf.variable(tf.randomUniform([sizes[i]!, sizes[i + 1]!], -limit, limit, 'float32', options.seed + i)),
      // P50 starts near the series level (1 in scaled units), the gaps near softplus(0)
      b: tf.variable(i + 2 === sizes.length ? tf.concat([tf.ones([HORIZON]), tf.fill([2 * HORIZON], -0.5)]) : tf.zeros([sizes[i + 1]!])),
    });
  }
  const optimizer = tf.train.adam(options.learningRate);
  const random = seeded(options.seed);
  const order = Array.from({ length: data.rows }, (_, i) => i);
  let finalLoss = Number.NaN;
  const bx = new Float32Array(options.batchSize * data.width);
  const by = new Float32Array(options.batchSize * HORIZON);
  const bm = new Float32Array(options.batchSize * HORIZON);
  const bw = new Float32Array(options.batchSize);
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    let lossSum = 0;
    let batches = 0;
    for (let start = 0; start < order.length; start += options.batchSize) {
      const n = Math.min(options.batchSize, order.length - start);
      for (let b = 0; b < n; b++) {
        const r = order[start + b]!;
        bx.set(x.subarray(r * data.width, (r + 1) * data.width), b * data.width);
        by.set(y.subarray(r * HORIZON, (r + 1) * HORIZON), b * HORIZON);
        bm.set(mask.subarray(r * HORIZON, (r + 1) * HORIZON), b * HORIZON);
        bw[b] = data.scale[r]!;
      }
      const loss = tf.tidy(() => {
        const tx = tf.tensor2d(bx.subarray(0, n * data.width), [n, data.width]);
        const ty = tf.tensor2d(by.subarray(0, n * HORIZON), [n, HORIZON]);
        const tm = tf.tensor2d(bm.subarray(0, n * HORIZON), [n, HORIZON]);
        const tw = tf.tensor2d(bw.subarray(0, n), [n, 1]);
        return optimizer.minimize(() => pinballLoss(forward(layers, tx), ty, tm, tw), true)!;
      });
      lossSum += (await loss.data())[0]!;
      loss.dispose();
      batches++;
    }
    finalLoss = lossSum / Math.max(1, batches);
    onEpoch(epoch + 1, finalLoss);
  }
  const artifact: ModelArtifact = {
    kind: MODEL_KIND,
    featureSpec: { version: FEATURE_SPEC_VERSION, inputs: inputNames(categories), categories: [...categories], mean, std },
    layers: layers.map((l, i) => {
      const weights = Array.from(l.w.dataSync());
      // An input that never varied in training (a month the history does not reach, say: one
      // year of history ending in April has no May origin) was 0 after standardising, so its
      // weights kept their random initial values; where it varies at predict time it would add
      // that noise. It carries no learned information: its weights are zeroed.
      if (i === 0) constant.forEach((c, j) => c && weights.fill(0, j * sizes[1]!, (j + 1) * sizes[1]!));
      return { inputs: sizes[i]!, outputs: sizes[i + 1]!, weights, bias: Array.from(l.b.dataSync()) };
    }),
    train: { ...options, samples: data.rows, finalLoss, seconds: (Date.now() - started) / 1000 },
  };
  for (const l of layers) {
    l.w.dispose();
    l.b.dispose();
  }
  optimizer.dispose();
  return artifact;
}

/** Rows forecast per tfjs call. */
const PREDICT_BATCH = 16_384;

/** The network's answer in units of each series' level, before calibration: [rows x HORIZON] each. */
interface RawQuantiles {
  readonly mid: Float32Array;
  readonly low: Float32Array;
  readonly high: Float32Array;
  readonly scale: Float32Array;
  /** Day of the week (1-7, the store's local date) of each target day. */
  readonly weekday: Uint8Array;
}

type LoadedWeights = { w: tf.Tensor2D; b: tf.Tensor1D }[];

function loadWeights(artifact: ModelArtifact): LoadedWeights {
  return artifact.layers.map((l) => ({ w: tf.tensor2d(Float32Array.from(l.weights), [l.inputs, l.outputs]), b: tf.tensor1d(Float32Array.from(l.bias)) }));
}

/** P50 and the gaps down to P10 and up to P90 (scaled units) for every series at one origin. */
function rawQuantiles(weights: LoadedWeights, spec: FeatureSpec, panel: Panel, origin: number, known?: Float32Array): RawQuantiles {
  const { inputs, scale, width } = buildInputs(panel, origin, spec.categories, known);
  if (width !== spec.inputs.length) throw new Error(`model expects ${spec.inputs.length} inputs, the features give ${width}`);
  for (let i = 0; i < inputs.length; i++) inputs[i] = (inputs[i]! - spec.mean[i % width]!) / spec.std[i % width]!;
  const n = panel.series.length;
  const mid = new Float32Array(n * HORIZON);
  const low = new Float32Array(n * HORIZON);
  const high = new Float32Array(n * HORIZON);
  const weekday = new Uint8Array(n * HORIZON);
  for (let s = 0; s < n; s++) for (let h = 1; h <= HORIZON; h++) weekday[s * HORIZON + h - 1] = panel.columns.day_of_week[s * panel.days + origin + h]!;
  for (let start = 0; start < n; start += PREDICT_BATCH) {
    const m = Math.min(PREDICT_BATCH, n - start);
    const outs = tf.tidy(() => {
      let h: tf.Tensor2D = tf.tensor2d(inputs.subarray(start * width, (start + m) * width), [m, width]);
      weights.forEach((l, i) => {
        const z = tf.add(tf.matMul(h, l.w), l.b) as tf.Tensor2D;
        h = i < weights.length - 1 ? tf.relu(z) : z;
      });
      const [p10, p50, p90] = quantilesOf(h);
      return [tf.sub(p50, p10), p50, tf.sub(p90, p50)];
    });
    low.set(outs[0]!.dataSync(), start * HORIZON);
    mid.set(outs[1]!.dataSync(), start * HORIZON);
    high.set(outs[2]!.dataSync(), start * HORIZON);
    tf.dispose(outs);
  }
  return { mid, low, high, scale, weekday };
}

/** The network's P50 blended with exponential smoothing's (both in scaled units): (1 - w) x net + w x ets. */
function blendSmoothing(raw: RawQuantiles, smoothing: Float32Array, weight: number): RawQuantiles {
  if (weight === 0) return raw;
  const mid = new Float32Array(raw.mid.length);
  for (let j = 0; j < mid.length; j++) mid[j] = (1 - weight) * raw.mid[j]! + (weight * smoothing[j]!) / raw.scale[Math.floor(j / HORIZON)]!;
  return { ...raw, mid };
}

/** Blend weights tried on the validation window. */
const SMOOTHING_WEIGHTS = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];

/** The weight whose blended P50 has the least absolute error (units) on the validation window. */
function chooseSmoothingWeight(raws: readonly RawQuantiles[], smoothing: readonly Float32Array[], actuals: readonly Float32Array[]): number {
  let best = 0;
  let bestError = Number.POSITIVE_INFINITY;
  for (const w of SMOOTHING_WEIGHTS) {
    let error = 0;
    raws.forEach((raw, k) => {
      const y = actuals[k]!;
      const e = smoothing[k]!;
      for (let j = 0; j < y.length; j++) {
        if (Number.isNaN(y[j]!)) continue;
        const sc = raw.scale[Math.floor(j / HORIZON)]!;
        error += Math.abs(y[j]! - Math.max(0, (1 - w) * raw.mid[j]! * sc + w * e[j]!));
      }
    });
    if (error < bestError) [best, bestError] = [w, error];
  }
  return best;
}

/**
 * Turns raw quantiles into forecasts in units with a calibration (identity when absent):
 * P50 = p50Factor x mid, P10 = P50 - lowFactor x gap, P90 = P50 + highFactor x gap, by the
 * target day's weekday, then clipped to 0 <= P10 <= P50 <= P90.
 */
function applyCalibration(raw: RawQuantiles, calibration: Calibration | undefined, out: QuantileForecast): void {
  const rows = raw.scale.length;
  for (let s = 0; s < rows; s++) {
    const sc = raw.scale[s]!;
    for (let h = 0; h < HORIZON; h++) {
      const j = s * HORIZON + h;
      const w = raw.weekday[j]! - 1;
      const mid = raw.mid[j]! * (calibration?.p50Factor[w] ?? 1);
      const p50 = Math.max(0, mid * sc);
      out.p50[j] = p50;
      out.p10[j] = Math.max(0, Math.min((mid - raw.low[j]! * (calibration?.lowFactor[w] ?? 1)) * sc, p50));
      out.p90[j] = Math.max(p50, (mid + raw.high[j]! * (calibration?.highFactor[w] ?? 1)) * sc);
    }
  }
}

/** The q-quantile (nearest rank from above) of values, with weights when given. */
function weightedQuantile(values: Float64Array, weights: Float64Array | undefined, q: number): number {
  const order = Array.from({ length: values.length }, (_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const total = weights ? weights.reduce((a, b) => a + b, 0) : values.length;
  let acc = 0;
  for (const i of order) {
    acc += weights ? weights[i]! : 1;
    if (acc >= q * total) return values[i]!;
  }
  return values[order.at(-1)!] ?? Number.NaN;
}

/** Tail probability each side of the P10-P90 band (the band should hold 80%). */
const TAIL = 0.1;

/**
 * Calibration from forecasts on a validation window the network did not learn (the weeks just
 * before the data it will be judged or used on), per weekday of the target day (the band is
 * wider on busy days, and a horizon day is a fixed weekday for a fixed origin weekday):
 *  - P50 factor: the weighted median of actual / P50 with weights P50, i.e. the factor that
 *    minimises the absolute error in units (what WAPE sums) on the validation window;
 *  - band factors (split-conformal): the factor on the P10 gap is the 90% quantile of
 *    (P50 - actual) / gap, so that 10% of validation actuals fall below P10, and likewise for
 *    the P90 gap, so each tail holds 10% by construction on validation, whatever the pinball
 *    loss ended at (the network's own quantiles came out too narrow on the held-out weeks).
 */
function calibrate(raws: readonly RawQuantiles[], actuals: readonly Float32Array[], smoothingWeight: number): Calibration {
  const p50Factor: number[] = [];
  const lowFactor: number[] = [];
  const highFactor: number[] = [];
  let points = 0;
  for (let w = 1; w <= 7; w++) {
    const ratio: number[] = [];
    const weight: number[] = [];
    const cases: { mid: number; low: number; high: number; y: number }[] = [];
    raws.forEach((raw, k) => {
      const y = actuals[k]!;
      for (let j = 0; j < y.length; j++) {
        const a = y[j]!;
        if (Number.isNaN(a) || raw.weekday[j] !== w) continue;
        const s = Math.floor(j / HORIZON);
        const sc = raw.scale[s]!;
        cases.push({ mid: raw.mid[j]! * sc, low: raw.low[j]! * sc, high: raw.high[j]! * sc, y: a });
        if (raw.mid[j]! > 0) {
          ratio.push(a / (raw.mid[j]! * sc));
          weight.push(raw.mid[j]! * sc);
        }
      }
    });
    points += cases.length;
    const m = ratio.length === 0 ? 1 : weightedQuantile(Float64Array.from(ratio), Float64Array.from(weight), 0.5);
    p50Factor.push(m);
    // a zero gap: below / above the band whenever the actual is below / above P50 at all
    const below = Float64Array.from(cases, (c) => (Math.max(0, c.mid * m) - c.y) / Math.max(c.low, 1e-9));
    const above = Float64Array.from(cases, (c) => (c.y - Math.max(0, c.mid * m)) / Math.max(c.high, 1e-9));
    lowFactor.push(cases.length === 0 ? 1 : Math.max(0, weightedQuantile(below, undefined, 1 - TAIL)));
    highFactor.push(cases.length === 0 ? 1 : Math.max(0, weightedQuantile(above, undefined, 1 - TAIL)));
  }
  return { smoothingWeight, p50Factor, lowFactor, highFactor, points };
}

/** The last origin whose targets the network learns when the procedure's newest origin is `lastOrigin`. */
export function lastTrainingOrigin(lastOrigin: number, options: Pick<TrainOptions, 'validationWeeks'>): number {
  return options.validationWeeks > 0 ? lastOrigin - 7 * options.validationWeeks + 1 - HORIZON : lastOrigin;
}

/**
 * The training procedure: the network learns the targets of origins from MIN_HISTORY_DAYS up to
 * `validationWeeks` weeks before `lastOrigin`; its forecasts from the origins of those last weeks
 * (targets up to lastOrigin + HORIZON, nothing after) calibrate its P50 and band; the
 * calibration is part of the artifact, so predict applies it too. Callers judging the procedure
 * pass a `lastOrigin` a horizon before their first backtest origin: no scored week is learned
 * or used for calibration.
 */
export async function fitModel(panel: Panel, lastOrigin: number, categories: readonly string[], options: TrainOptions = TRAIN_DEFAULTS, onEpoch: (epoch: number, loss: number) => void = () => undefined): Promise<ModelArtifact> {
  // every day of the window is an origin: each horizon day is then seen on every weekday
  const validation: number[] = [];
  for (let o = lastOrigin - 7 * options.validationWeeks + 1; o <= lastOrigin; o++) validation.push(o);
  const lastTrainOrigin = lastTrainingOrigin(lastOrigin, options);
  if (lastTrainOrigin < MIN_HISTORY_DAYS) throw new Error(`no training origin before the ${options.validationWeeks}-week validation window: origin ${lastOrigin} needs ${MIN_HISTORY_DAYS + 7 * options.validationWeeks + HORIZON - 1} days of history`);
  const data = trainingData(panel, MIN_HISTORY_DAYS, lastTrainOrigin, categories, options);
  const artifact = await trainModel(data, categories, options, onEpoch);
  if (validation.length === 0) return artifact;
  const weights = loadWeights(artifact);
  try {
    const known = knownUnits(panel);
    const network = validation.map((o) => rawQuantiles(weights, artifact.featureSpec, panel, o, known));
    const actuals = validation.map((o) => {
      const y = new Float32Array(panel.series.length * HORIZON);
      for (let s = 0; s < panel.series.length; s++) for (let h = 1; h <= HORIZON; h++) y[s * HORIZON + h - 1] = known[s * panel.days + o + h]!;
      return y;
    });
    let weight = 0;
    let raws = network;
    if (options.blendSmoothing) {
      const smoothing = await Promise.all(validation.map(async (o) => (await exponentialSmoothing.predict(panel, o)).p50));
      weight = chooseSmoothingWeight(network, smoothing, actuals);
      raws = network.map((raw, k) => blendSmoothing(raw, smoothing[k]!, weight));
    }
    return { ...artifact, calibration: calibrate(raws, actuals, weight) };
  } finally {
    for (const l of weights) tf.dispose([l.w, l.b]);
  }
}

/**
 * The model as a Forecaster (call dispose() when done). Weights become tensors on the first
 * predict, after the backend is ready: a job that only predicts (no training before it) would
 * otherwise create them before tfjs has a backend and fail.
 */
export function modelForecaster(artifact: ModelArtifact): Forecaster & { dispose(): void } {
  let loaded: LoadedWeights | undefined;
  return {
    name: MODEL_KIND,
    async predict(panel, origin): Promise<QuantileForecast> {
      await ensureBackend();
      loaded ??= loadWeights(artifact);
      const out = emptyForecast(panel.series.length);
      let raw = rawQuantiles(loaded, artifact.featureSpec, panel, origin);
      const weight = artifact.calibration?.smoothingWeight ?? 0;
      if (weight > 0) raw = blendSmoothing(raw, (await exponentialSmoothing.predict(panel, origin)).p50, weight);
      applyCalibration(raw, artifact.calibration, out);
      return out;
    },
    dispose() {
      for (const l of loaded ?? []) tf.dispose([l.w, l.b]);
      loaded = undefined;
    },
  };
}

/** Origins a backtest or training can use: enough history behind for the 28-day features. */
export const MIN_HISTORY_DAYS = BASELINE_WINDOW + 7;
