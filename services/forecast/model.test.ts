/**
 * The model's predict side on a hand-made artifact, in a fresh module registry where nothing
 * was trained before (the predict job's situation: the backend must be made ready by predict
 * itself). One linear layer with zero weights answers its bias whatever the inputs, so the
 * expected quantiles are worked out by hand from the bias and the series' scale.
 */
import { HORIZON, FEATURE_COLUMNS, type FeatureColumn, type Panel } from './features';
import { calibrateModel, isHoliday, modelForecaster } from './model';
import { FEATURE_SPEC_VERSION, MODEL_KIND, type ModelArtifact, TRAIN_DEFAULTS } from './model-artifact';
import { inputNames } from './model-inputs';

const DAYS = 70;
const LEVEL = 3;

function flatPanel(): Panel {
  const days = DAYS + HORIZON;
  const columns = Object.fromEntries(FEATURE_COLUMNS.map((c) => [c, new Float32Array(days).fill(0)])) as Record<FeatureColumn, Float32Array>;
  for (let d = 0; d < days; d++) {
    columns.units[d] = d < DAYS ? LEVEL : Number.NaN;
    columns.mean_28[d] = LEVEL;
    columns.mean_7[d] = LEVEL;
    columns.day_of_week[d] = (d % 7) + 1;
    columns.month[d] = 3;
    columns.holiday_factor[d] = 1;
    columns.book_on_hand[d] = Number.NaN;
  }
  return { series: [{ store_id: 'S1', sku: 'A', category: 'Dairy', region: 'R1' }], firstDay: 20_454, days, lastObservedDay: 20_454 + DAYS - 1, columns };
}

test('a loaded model predicts without any training in the process: P50 = bias x scale, P10/P90 = P50 -/+ softplus(gap) x scale', async () => {
  const inputs = inputNames(['Dairy']);
  const bias = [...new Array<number>(HORIZON).fill(2), ...new Array<number>(HORIZON).fill(-0.5), ...new Array<number>(HORIZON).fill(0.5)];
  const artifact: ModelArtifact = {
    kind: MODEL_KIND,
    featureSpec: { version: FEATURE_SPEC_VERSION, inputs, categories: ['Dairy'], mean: inputs.map(() => 0), std: inputs.map(() => 1) },
    layers: [{ inputs: inputs.length, outputs: 3 * HORIZON, weights: new Array<number>(inputs.length * 3 * HORIZON).fill(0), bias }],
    train: { ...TRAIN_DEFAULTS, samples: 0, finalLoss: 0, seconds: 0 },
  };
  const model = modelForecaster(artifact);
  const f = await model.predict(flatPanel(), DAYS - 1);
  model.dispose();
  const softplus = (x: number): number => Math.log1p(Math.exp(x));
  for (let h = 0; h < HORIZON; h++) {
    expect(f.p50[h]).toBeCloseTo(2 * LEVEL, 4);
    expect(f.p10[h]).toBeCloseTo((2 - softplus(-0.5)) * LEVEL, 4);
    expect(f.p90[h]).toBeCloseTo((2 + softplus(0.5)) * LEVEL, 4);
  }
});

test('a calibration in the artifact scales P50 and the two gaps by the target weekday, as predict applies it', async () => {
  const inputs = inputNames(['Dairy']);
  const bias = [...new Array<number>(HORIZON).fill(2), ...new Array<number>(HORIZON).fill(-0.5), ...new Array<number>(HORIZON).fill(0.5)];
  // weekday w (1-7): P50 x (1 + w / 100), gap to P10 x 0.5, gap to P90 x 2
  const p50Factor = [1, 2, 3, 4, 5, 6, 7].map((w) => 1 + w / 100);
  const artifact: ModelArtifact = {
    kind: MODEL_KIND,
    calibration: { smoothingWeight: 0, p50Factor, lowFactor: new Array<number>(7).fill(0.5), highFactor: new Array<number>(7).fill(2), points: 1 },
    featureSpec: { version: FEATURE_SPEC_VERSION, inputs, categories: ['Dairy'], mean: inputs.map(() => 0), std: inputs.map(() => 1) },
    layers: [{ inputs: inputs.length, outputs: 3 * HORIZON, weights: new Array<number>(inputs.length * 3 * HORIZON).fill(0), bias }],
    train: { ...TRAIN_DEFAULTS, samples: 0, finalLoss: 0, seconds: 0 },
  };
  const panel = flatPanel();
  const model = modelForecaster(artifact);
  const f = await model.predict(panel, DAYS - 1);
  model.dispose();
  const softplus = (x: number): number => Math.log1p(Math.exp(x));
  for (let h = 0; h < HORIZON; h++) {
    const w = panel.columns.day_of_week[DAYS + h]!;
    const mid = 2 * (1 + w / 100);
    expect(f.p50[h]).toBeCloseTo(mid * LEVEL, 4);
    expect(f.p10[h]).toBeCloseTo((mid - 0.5 * softplus(-0.5)) * LEVEL, 4);
    expect(f.p90[h]).toBeCloseTo((mid + 2 * softplus(0.5)) * LEVEL, 4);
  }
});

test('a calibration on ordinary days leaves out the days a series keeps a holiday: a holiday the network misses moves no factor, as it does when every day is kept', async () => {
  const inputs = inputNames(['Dairy']);
  const bias = [...new Array<number>(HORIZON).fill(2), ...new Array<number>(HORIZON).fill(-0.5), ...new Array<number>(HORIZON).fill(0.5)];
  const artifact: ModelArtifact = {
    kind: MODEL_KIND,
    featureSpec: { version: FEATURE_SPEC_VERSION, inputs, categories: ['Dairy'], mean: inputs.map(() => 0), std: inputs.map(() => 1) },
    layers: [{ inputs: inputs.length, outputs: 3 * HORIZON, weights: new Array<number>(inputs.length * 3 * HORIZON).fill(0), bias }],
    train: { ...TRAIN_DEFAULTS, samples: 0, finalLoss: 0, seconds: 0 },
  };
  // P50 is 2 x LEVEL = 6 every day (the scale is mean_28, which stays LEVEL). Ordinary days sell
  // exactly that; every Monday is a holiday (factor 1.5) that sells twice as much.
  const panel = flatPanel();
  for (let d = 0; d < DAYS; d++) {
    const monday = panel.columns.day_of_week[d] === 1;
    panel.columns.holiday_factor[d] = monday ? 1.5 : 1;
    panel.columns.units[d] = monday ? 4 * LEVEL : 2 * LEVEL;
  }
  expect(isHoliday(panel, 0, 0)).toBe(true);
  expect(isHoliday(panel, 0, 1)).toBe(false);
  const lastOrigin = DAYS - 1 - HORIZON; // targets up to the last observed day
  const ordinary = await calibrateModel(panel, artifact, lastOrigin, TRAIN_DEFAULTS, 'ordinary');
  const all = await calibrateModel(panel, artifact, lastOrigin, TRAIN_DEFAULTS, 'all');
  // weighted median of actual / P50 per target weekday: 1 on ordinary days; 2 on Mondays when kept
  expect(ordinary?.p50Factor).toEqual([1, 1, 1, 1, 1, 1, 1]);
  expect(all?.p50Factor).toEqual([2, 1, 1, 1, 1, 1, 1]);
  expect(ordinary!.points).toBe(all!.points - 2 * HORIZON);
});
