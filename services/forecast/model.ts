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
 *   - one-hot weekday of the origin, month, category.
 * Outputs: 7 days x (P50, log-gap to P10, log-gap to P90); P10 <= P50 <= P90 by construction.
 * The loss is the pinball loss in units (scaled back), so large series weigh what they sell,
 * which is what WAPE measures. Censored targets (stock-out days) are masked out of the loss.
 *
 * Reproducible: weights start from seeded initialisers and batches are shuffled by a seeded
 * generator (tfjs's own fit() shuffles with Math.random, hence the training loop here).
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { BASELINE_WINDOW, type Forecaster, type QuantileForecast, emptyForecast, knownUnits } from './baselines';
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
  /** Samples drawn at most (series x origins); origins are subsampled beyond it. */
  readonly maxSamples: number;
}

export const TRAIN_DEFAULTS: TrainOptions = {
  seed: 42,
  epochs: 12,
  batchSize: 512,
  hidden: [64, 32],
  learningRate: 0.003,
  maxSamples: 250_000,
};

/** What a model needs besides its weights to build its inputs again: stored with it. */
export interface FeatureSpec {
  readonly version: number;
  readonly inputs: readonly string[];
  readonly categories: readonly string[];
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

export interface ModelArtifact {
  readonly kind: typeof MODEL_KIND;
  readonly featureSpec: FeatureSpec;
  readonly layers: readonly { readonly inputs: number; readonly outputs: number; readonly weights: readonly number[]; readonly bias: readonly number[] }[];
  readonly train: TrainOptions & { readonly samples: number; readonly finalLoss: number; readonly seconds: number };
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
export function buildInputs(panel: Panel, origin: number, categories: readonly string[], known = knownUnits(panel)): { inputs: Float32Array; scale: Float32Array; targets: Float32Array; width: number } {
  const width = inputNames(categories).length;
  const n = panel.series.length;
  const inputs = new Float32Array(n * width);
  const scale = new Float32Array(n);
  const targets = new Float32Array(n * HORIZON).fill(Number.NaN);
  const c = panel.columns;
  const storeIndex = storeWeekdayIndex(panel, known, origin);
  const categoryIndex = new Map(categories.map((cat, i) => [cat, i]));
  for (let s = 0; s < n; s++) {
    const base = s * panel.days;
    const r = base + origin + 1; // the SQL row of the first forecast day holds what is known at the origin
    let level = c.mean_28[r]!;
    if (Number.isNaN(level)) level = c.mean_7[r]!;
    const sc = Math.max(MIN_SCALE, Number.isNaN(level) ? 0 : level);
    scale[s] = sc;
    const x = inputs.subarray(s * width, (s + 1) * width);
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
      if (origin + h <= panel.lastObservedDay - panel.firstDay) targets[s * HORIZON + h - 1] = known[t]! / sc;
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

/** Training samples: every series at origins from `firstOrigin` to `lastOrigin` (targets must be observed), subsampled to maxSamples. */
export function trainingData(panel: Panel, firstOrigin: number, lastOrigin: number, categories: readonly string[], options: Pick<TrainOptions, 'maxSamples' | 'seed'>): TrainData {
  const known = knownUnits(panel);
  const origins: number[] = [];
  for (let o = firstOrigin; o <= lastOrigin; o++) origins.push(o);
  const perOrigin = panel.series.length;
  const keep = Math.max(1, Math.min(origins.length, Math.floor(options.maxSamples / Math.max(1, perOrigin))));
  // evenly spaced origins, the newest always kept
  const chosen = origins.filter((_, i) => (origins.length - 1 - i) % Math.ceil(origins.length / keep) === 0);
  const width = inputNames(categories).length;
  const inputs = new Float32Array(chosen.length * perOrigin * width);
  const targets = new Float32Array(chosen.length * perOrigin * HORIZON);
  const scale = new Float32Array(chosen.length * perOrigin);
  chosen.forEach((o, i) => {
    const b = buildInputs(panel, o, categories, known);
    inputs.set(b.inputs, i * perOrigin * width);
    targets.set(b.targets, i * perOrigin * HORIZON);
    scale.set(b.scale, i * perOrigin);
  });
  return { inputs, targets, scale, rows: chosen.length * perOrigin, width };
}

function standardise(data: TrainData): { mean: number[]; std: number[] } {
  const mean = new Array<number>(data.width).fill(0);
  const sq = new Array<number>(data.width).fill(0);
  for (let r = 0; r < data.rows; r++) {
    for (let j = 0; j < data.width; j++) {
      const v = data.inputs[r * data.width + j]!;
      mean[j]! += v;
      sq[j]! += v * v;
    }
  }
  const std = mean.map((m, j) => {
    const mu = m / Math.max(1, data.rows);
    const variance = sq[j]! / Math.max(1, data.rows) - mu * mu;
    return variance > 1e-8 ? Math.sqrt(variance) : 1;
  });
  return { mean: mean.map((m) => m / Math.max(1, data.rows)), std };
}

export async function trainModel(data: TrainData, categories: readonly string[], options: TrainOptions = TRAIN_DEFAULTS, onEpoch: (epoch: number, loss: number) => void = () => undefined): Promise<ModelArtifact> {
  await ensureBackend();
  const started = Date.now();
  const { mean, std } = standardise(data);
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
    layers: layers.map((l, i) => ({ inputs: sizes[i]!, outputs: sizes[i + 1]!, weights: Array.from(l.w.dataSync()), bias: Array.from(l.b.dataSync()) })),
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

/**
 * The model as a Forecaster (call dispose() when done). Weights become tensors on the first
 * predict, after the backend is ready: a job that only predicts (no training before it) would
 * otherwise create them before tfjs has a backend and fail.
 */
export function modelForecaster(artifact: ModelArtifact): Forecaster & { dispose(): void } {
  const { featureSpec: spec } = artifact;
  let loaded: { w: tf.Tensor2D; b: tf.Tensor1D }[] | undefined;
  return {
    name: MODEL_KIND,
    async predict(panel, origin): Promise<QuantileForecast> {
      await ensureBackend();
      loaded ??= artifact.layers.map((l) => ({ w: tf.tensor2d(Float32Array.from(l.weights), [l.inputs, l.outputs]), b: tf.tensor1d(Float32Array.from(l.bias)) }));
      const weights = loaded;
      const built = buildInputs(panel, origin, spec.categories);
      const { inputs, scale, width } = built;
      if (width !== spec.inputs.length) throw new Error(`model expects ${spec.inputs.length} inputs, the features give ${width}`);
      for (let i = 0; i < inputs.length; i++) inputs[i] = (inputs[i]! - spec.mean[i % width]!) / spec.std[i % width]!;
      const n = panel.series.length;
      const out = emptyForecast(n);
      for (let start = 0; start < n; start += PREDICT_BATCH) {
        const m = Math.min(PREDICT_BATCH, n - start);
        const [p10, p50, p90] = tf.tidy(() => {
          let h: tf.Tensor2D = tf.tensor2d(inputs.subarray(start * width, (start + m) * width), [m, width]);
          weights.forEach((l, i) => {
            const z = tf.add(tf.matMul(h, l.w), l.b) as tf.Tensor2D;
            h = i < weights.length - 1 ? tf.relu(z) : z;
          });
          return quantilesOf(h);
        });
        const [a, b, c] = [p10.dataSync(), p50.dataSync(), p90.dataSync()];
        tf.dispose([p10, p50, p90]);
        for (let s = 0; s < m; s++) {
          const sc = scale[start + s]!;
          for (let h = 0; h < HORIZON; h++) {
            const i = (start + s) * HORIZON + h;
            const j = s * HORIZON + h;
            out.p50[i] = Math.max(0, b[j]! * sc);
            out.p10[i] = Math.max(0, Math.min(a[j]! * sc, out.p50[i]!));
            out.p90[i] = Math.max(out.p50[i]!, c[j]! * sc);
          }
        }
      }
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
