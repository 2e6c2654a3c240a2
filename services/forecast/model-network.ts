/**
 * The network in TensorFlow.js on its WebAssembly backend: the backend, the quantile head, and
 * the raw forecasts of a stored artifact (before calibration).
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { HORIZON, type Panel } from './features';
import type { FeatureSpec, ModelArtifact } from './model-artifact';
import { buildInputs } from './model-inputs';

let backendReady: Promise<void> | undefined;
/** Selects the WebAssembly backend once per process (tfjs-node cannot be installed here). */
export function ensureBackend(): Promise<void> {
  backendReady ??= (async () => {
    await tf.setBackend('wasm');
    await tf.ready();
  })();
  return backendReady;
}

/** Raw outputs [n, 3 x HORIZON] -> p10, p50, p90 [n, HORIZON] each (scaled units). */
export function quantilesOf(out: tf.Tensor2D): [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D] {
  const [mid, low, high] = tf.split(out, 3, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
  return [tf.sub(mid, tf.softplus(low)), mid, tf.add(mid, tf.softplus(high))];
}

/** Rows forecast per tfjs call. */
const PREDICT_BATCH = 16_384;

/** The network's answer in units of each series' level, before calibration: [rows x HORIZON] each. */
export interface RawQuantiles {
  readonly mid: Float32Array;
  readonly low: Float32Array;
  readonly high: Float32Array;
  readonly scale: Float32Array;
  /** Day of the week (1-7, the store's local date) of each target day. */
  readonly weekday: Uint8Array;
}

export type LoadedWeights = { w: tf.Tensor2D; b: tf.Tensor1D }[];

export function loadWeights(artifact: ModelArtifact): LoadedWeights {
  return artifact.layers.map((l) => ({ w: tf.tensor2d(Float32Array.from(l.weights), [l.inputs, l.outputs]), b: tf.tensor1d(Float32Array.from(l.bias)) }));
}

/** P50 and the gaps down to P10 and up to P90 (scaled units) for every series at one origin. */
export function rawQuantiles(weights: LoadedWeights, spec: FeatureSpec, panel: Panel, origin: number, known?: Float32Array): RawQuantiles {
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
