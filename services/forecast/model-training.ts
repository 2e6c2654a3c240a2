/**
 * Training: samples drawn over every origin, inputs standardised, and the network fitted on the
 * pinball loss with a seeded training loop (tfjs's own fit() shuffles with Math.random).
 */
import * as tf from '@tensorflow/tfjs';
import { eventLoopCheckpoint } from '../../lib/event-loop';
import { knownUnits } from './baselines';
import { HORIZON, type Panel } from './features';
import { FEATURE_SPEC_VERSION, MODEL_KIND, type ModelArtifact, TRAIN_DEFAULTS, type TrainOptions } from './model-artifact';
import { buildInputs, inputNames } from './model-inputs';
import { ensureBackend, quantilesOf } from './model-network';

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
  const checkpoint = eventLoopCheckpoint();
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
      await checkpoint();
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
