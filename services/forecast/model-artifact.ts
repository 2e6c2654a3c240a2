/**
 * What a trained model is, as stored in the registry: its kind, the options it was trained with,
 * the feature spec needed to build its inputs again, its layers' weights and its calibration.
 * The model itself is described in model.ts.
 */

export const MODEL_KIND = 'global_mlp';
export const FEATURE_SPEC_VERSION = 1;

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
