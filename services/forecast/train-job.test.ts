/**
 * The train job's model lifecycle through the real training path (trainModel, backtest,
 * registry), on a panel built here by hand: 60 series with a level each and a strong weekday
 * profile (weekends 1.6-1.8x), Poisson noise from a seeded generator, and the lag and rolling
 * columns computed the way the feature SQL defines them (days before the row only).
 *
 * - The registered model learned from every target up to the last observed day, not only from
 *   the weeks before the backtest (the expected sample count is worked out by hand below).
 * - A genuinely worse challenger (an untrained network: 0 epochs, the same code path otherwise)
 *   is registered but does not replace the champion; a retrain with the champion's own
 *   procedure on the same data does (it is not worse and learned from newer data).
 */
import { HORIZON, type FeatureColumn, FEATURE_COLUMNS, type Panel, dayNumber, isoDay } from './features';
import { trainOnPanel } from './index';
import { MemoryBlobStore } from './memory-store';
import { MIN_HISTORY_DAYS } from './model';
import { TRAIN_DEFAULTS, type TrainOptions } from './model-artifact';
import { champion, listVersions, readArtifact, readCard } from './registry';

const SERIES = 60;
const OBSERVED_DAYS = 140;
const FIRST_DAY = dayNumber('2026-01-05');
/** ISO weekday 1 (Monday) .. 7 (Sunday) -> demand factor. */
const WEEKDAY = [0, 0.7, 0.8, 0.9, 1, 1.2, 1.6, 1.8];

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function poisson(lambda: number, random: () => number): number {
  // Knuth: fine for the small rates here
  const limit = Math.exp(-lambda);
  let k = 0;
  let p = random();
  while (p > limit) {
    k++;
    p *= random();
  }
  return k;
}

function syntheticPanel(seed: number): Panel {
  const random = mulberry32(seed);
  const days = OBSERVED_DAYS + HORIZON;
  const columns = Object.fromEntries(FEATURE_COLUMNS.map((c) => [c, new Float32Array(SERIES * days).fill(Number.NaN)])) as Record<FeatureColumn, Float32Array>;
  const series = [];
  for (let s = 0; s < SERIES; s++) {
    series.push({ store_id: `S${(s % 4) + 1}`, sku: `SKU-${s}`, category: s % 2 === 0 ? 'Dairy' : 'Pantry', region: 'R1' });
    const level = 1 + (s % 12);
    const base = s * days;
    for (let d = 0; d < days; d++) {
      const date = new Date((FIRST_DAY + d) * 86_400_000);
      const weekday = ((date.getUTCDay() + 6) % 7) + 1;
      const i = base + d;
      columns.day_of_week[i] = weekday;
      columns.month[i] = date.getUTCMonth() + 1;
      columns.holiday_factor[i] = 1;
      columns.store_closed[i] = 0;
      columns.is_ramadan[i] = 0;
      columns.is_eid[i] = 0;
      columns.stockout[i] = 0;
      if (d < OBSERVED_DAYS) columns.units[i] = poisson(level * WEEKDAY[weekday]!, random);
    }
    // what the SQL computes on the row of day d: lags and windows over the days before d
    for (let d = 0; d < days; d++) {
      const i = base + d;
      const past = (k: number): number => (d - k >= 0 && d - k < OBSERVED_DAYS ? columns.units[base + d - k]! : Number.NaN);
      columns.lag_1[i] = past(1);
      columns.lag_7[i] = past(7);
      columns.lag_14[i] = past(14);
      columns.lag_28[i] = past(28);
      const window = (n: number): number[] => Array.from({ length: n }, (_, k) => past(k + 1)).filter((v) => !Number.isNaN(v));
      const mean = (v: number[]): number => (v.length === 0 ? Number.NaN : v.reduce((a, b) => a + b, 0) / v.length);
      const std = (v: number[]): number => (v.length === 0 ? Number.NaN : Math.sqrt(mean(v.map((x) => (x - mean(v)) ** 2))));
      const w7 = window(7);
      const w28 = window(28);
      columns.mean_7[i] = mean(w7);
      columns.mean_28[i] = mean(w28);
      columns.std_7[i] = std(w7);
      columns.std_28[i] = std(w28);
      columns.zero_share_28[i] = mean(w28.map((v) => (v === 0 ? 1 : 0)));
    }
  }
  return { series, firstDay: FIRST_DAY, days, lastObservedDay: FIRST_DAY + OBSERVED_DAYS - 1, columns };
}

const OPTIONS: TrainOptions = { ...TRAIN_DEFAULTS, epochs: 6, maxSamples: 1_000_000 };

test('the registered model is trained on every target up to the last observed day, after the backtest', async () => {
  const store = new MemoryBlobStore();
  const panel = syntheticPanel(1);
  const outcome = await trainOnPanel(store, panel, 3, OPTIONS);
  // By hand: targets are known up to day index 139, so the last origin with 7 known target days
  // is 132. Its 2 calibration weeks are the origins 119..132 (targets 120..139), so the network
  // learns origins MIN_HISTORY_DAYS (35) to 119 - 7 = 112: 78 origins x 60 series. Trained only
  // before the first of 3 backtest origins (118 - 7 = 111, calibrated on 98..111) it would be
  // 35..91: 57 x 60.
  const lastOrigin = OBSERVED_DAYS - 1 - HORIZON;
  const expected = SERIES * (lastOrigin - 7 * OPTIONS.validationWeeks + 1 - HORIZON - MIN_HISTORY_DAYS + 1);
  expect(expected).toBe(4_680);
  expect(outcome.accepted).toBe(true);
  expect(outcome.trainedTo).toBe(isoDay(panel.lastObservedDay));
  expect((await readArtifact(store, outcome.version)).train.samples).toBe(expected);
  const card = await readCard(store, outcome.version);
  expect(card.data).toEqual({ from: isoDay(FIRST_DAY), to: isoDay(panel.lastObservedDay), series: SERIES, samples: expected });
  // the backtest window lies after the data the backtested candidate learned from
  expect(card.backtest).toEqual({ from: isoDay(FIRST_DAY + 118), to: isoDay(FIRST_DAY + 139), origins: 3 });
}, 120_000);

test('an untrained challenger does not replace the champion; a retrain with the champion procedure does', async () => {
  const store = new MemoryBlobStore();
  const panel = syntheticPanel(2);
  const first = await trainOnPanel(store, panel, 3, OPTIONS);
  expect(first).toMatchObject({ version: 'v0001', accepted: true, champion: 'v0001' });

  const untrained = await trainOnPanel(store, panel, 3, { ...OPTIONS, epochs: 0 });
  const challengerWape = untrained.result.rows.find((r) => r.forecaster === 'global_mlp' && r.segment === 'all')!.metrics.wape;
  const championWape = untrained.result.rows.find((r) => r.forecaster === 'champion_v0001' && r.segment === 'all')!.metrics.wape;
  const naiveWape = untrained.result.rows.find((r) => r.forecaster === 'seasonal_naive' && r.segment === 'all')!.metrics.wape;
  // genuinely worse: an untrained network is far off, a trained one beats seasonal naive
  expect(championWape).toBeLessThan(naiveWape);
  expect(challengerWape).toBeGreaterThan(championWape * 1.2);
  expect(untrained).toMatchObject({ version: 'v0002', accepted: false, champion: 'v0001' });
  expect((await champion(store))?.version).toBe('v0001');
  expect(await listVersions(store)).toEqual(['v0001', 'v0002']);

  // same procedure, same data: scored exactly as the champion's refit, so not worse -> promoted
  const again = await trainOnPanel(store, panel, 3, OPTIONS);
  expect(again).toMatchObject({ version: 'v0003', accepted: true, champion: 'v0003' });
  expect((await champion(store))?.previous).toEqual(['v0001']);
}, 240_000);
