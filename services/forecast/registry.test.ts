/**
 * Registry logic against an in-memory BlobStore (the same interface the archive's ArchiveStore
 * implements over MinIO, which tests/integration/archive.test.ts exercises).
 */
import { MemoryBlobStore } from './memory-store';
import type { Metrics } from './metrics';
import type { ModelArtifact } from './model-artifact';
import { type ModelCard, champion, isWorse, listVersions, offerChallenger, promote, readArtifact, registerModel, rollback } from './registry';

const metrics = (wape: number, pinball: number): Metrics => ({ wape, pinball, mase: 0.8, bias: 0, coverage_p10_p90: 0.8, points: 1000 });
const artifact = (seed: number): ModelArtifact => ({ kind: 'global_mlp', featureSpec: { version: 1, inputs: ['x'], categories: [], mean: [0], std: [1] }, layers: [], train: { seed, epochs: 1, batchSize: 1, hidden: [], learningRate: 0.1, maxSamples: 1, samples: 1, finalLoss: 1, seconds: 1 } });
const card = (m: Metrics, seed: number): Omit<ModelCard, 'version' | 'created_at'> => ({
  kind: 'global_mlp',
  metrics: m,
  backtest: { from: '2026-01-01', to: '2026-01-28', origins: 4 },
  data: { from: '2025-10-01', to: '2026-01-28', series: 600, samples: 48_000 },
  feature_spec: { version: 1, inputs: ['x'], categories: [] },
  seed,
});

test('a challenger loses on a higher WAPE or a worse pinball loss; a tie goes to the fresher challenger', () => {
  expect(isWorse(metrics(0.3, 0.8), metrics(0.31, 0.8))).toBe(false);
  expect(isWorse(metrics(0.3, 0.9), metrics(0.31, 0.8))).toBe(true);
  expect(isWorse(metrics(0.32, 0.7), metrics(0.31, 0.8))).toBe(true);
  expect(isWorse(metrics(0.31, 0.8), metrics(0.31, 0.8))).toBe(false);
});

test('the first model becomes champion; a worse retrained one is registered but does not replace it; a better one does; rollback restores', async () => {
  const store = new MemoryBlobStore();
  const first = await registerModel(store, artifact(1), card(metrics(0.31, 0.87), 1));
  expect(first.version).toBe('v0001');
  expect(await offerChallenger(store, first, undefined)).toEqual({ accepted: true, champion: 'v0001' });

  const worse = await registerModel(store, artifact(2), card(metrics(0.35, 0.95), 2));
  expect(await offerChallenger(store, worse, first.metrics)).toEqual({ accepted: false, champion: 'v0001' });
  expect((await champion(store))?.version).toBe('v0001');
  expect(await listVersions(store)).toEqual(['v0001', 'v0002']);

  const better = await registerModel(store, artifact(3), card(metrics(0.29, 0.85), 3));
  expect(await offerChallenger(store, better, first.metrics)).toEqual({ accepted: true, champion: 'v0003' });
  expect((await readArtifact(store, 'v0003')).train.seed).toBe(3);

  expect((await rollback(store)).version).toBe('v0001');
  await expect(rollback(store)).rejects.toThrow('no earlier champion');
  expect((await promote(store, 'v0002')).previous).toEqual(['v0001']);
  await expect(promote(store, 'v0009')).rejects.toThrow('not in the registry');
});
