/**
 * The model registry, in the object store (MinIO):
 *
 *   models/demand/versions/<version>/model.json   the artifact (weights, feature spec)
 *   models/demand/versions/<version>/card.json    metrics, feature spec, training data range
 *   models/demand/champion.json                   the champion and the champions before it
 *
 * Versions are v0001, v0002... in registration order and never overwritten. Champion /
 * challenger: a newly trained model is registered, then becomes champion unless its backtest is
 * worse than the champion's on the same backtest (`isWorse`); `rollback` restores the previous
 * champion. The registry talks to a BlobStore: the archive's ArchiveStore (streams/archive/
 * store.ts, tested against a real MinIO) satisfies it, so production uses that; the logic here is
 * small and pure apart from those three calls.
 */
import { ShelfStreamError } from '../../lib/errors';
import type { Metrics } from './metrics';
import type { ModelArtifact } from './model-artifact';

export interface BlobStore {
  put(name: string, body: Uint8Array | string, contentType: string): Promise<void>;
  get(name: string): Promise<Buffer>;
  list(prefix: string): Promise<{ name: string; size: number }[]>;
}

export const REGISTRY_PREFIX = 'models/demand/';
const CHAMPION = `${REGISTRY_PREFIX}champion.json`;

export interface ModelCard {
  readonly version: string;
  readonly created_at: string;
  readonly kind: string;
  /** Backtest of this model (P50 WAPE etc., all series) and the window it was scored on. */
  readonly metrics: Metrics;
  readonly backtest: { readonly from: string; readonly to: string; readonly origins: number };
  readonly data: { readonly from: string; readonly to: string; readonly series: number; readonly samples: number };
  readonly feature_spec: { readonly version: number; readonly inputs: readonly string[]; readonly categories: readonly string[] };
  readonly seed: number;
}

export interface ChampionRecord {
  readonly version: string;
  readonly promoted_at: string;
  /** Earlier champions, newest first: what rollback returns to. */
  readonly previous: readonly string[];
}

/**
 * A challenger loses when its P50 WAPE is higher or its mean pinball loss (the quality of the
 * whole P10-P90 band) is worse than the champion's, both scored out of sample on the same
 * backtest. A tie goes to the challenger: it learned from newer data (a retrain with the
 * champion's own procedure scores exactly the champion's figures, and must still refresh it).
 */
export function isWorse(challenger: Metrics, champion: Metrics): boolean {
  return challenger.wape > champion.wape || challenger.pinball > champion.pinball;
}

const versionName = (n: number): string => `v${String(n).padStart(4, '0')}`;

export async function listVersions(store: BlobStore): Promise<string[]> {
  const names = await store.list(`${REGISTRY_PREFIX}versions/`);
  const versions = new Set<string>();
  for (const { name } of names) {
    const m = /versions\/(v\d{4,})\/card\.json$/.exec(name);
    if (m) versions.add(m[1]!);
  }
  return [...versions].sort();
}

async function readJson<T>(store: BlobStore, name: string): Promise<T | undefined> {
  const found = await store.list(name);
  if (!found.some((f) => f.name === name)) return undefined;
  return JSON.parse((await store.get(name)).toString('utf8')) as T;
}

/** Stores a new version (artifact first, card last: a version is listed only once complete). */
export async function registerModel(store: BlobStore, artifact: ModelArtifact, card: Omit<ModelCard, 'version' | 'created_at'>, now = new Date()): Promise<ModelCard> {
  const existing = await listVersions(store);
  const last = existing.length === 0 ? 0 : Number(existing[existing.length - 1]!.slice(1));
  const version = versionName(last + 1);
  const full: ModelCard = { ...card, version, created_at: now.toISOString() };
  await store.put(`${REGISTRY_PREFIX}versions/${version}/model.json`, JSON.stringify(artifact), 'application/json');
  await store.put(`${REGISTRY_PREFIX}versions/${version}/card.json`, JSON.stringify(full, null, 2), 'application/json');
  return full;
}

export async function readCard(store: BlobStore, version: string): Promise<ModelCard> {
  const card = await readJson<ModelCard>(store, `${REGISTRY_PREFIX}versions/${version}/card.json`);
  if (!card) throw new ShelfStreamError('INVALID_ARGUMENT', `model version ${version} is not in the registry`, { context: { version } });
  return card;
}

export async function readArtifact(store: BlobStore, version: string): Promise<ModelArtifact> {
  const artifact = await readJson<ModelArtifact>(store, `${REGISTRY_PREFIX}versions/${version}/model.json`);
  if (!artifact) throw new ShelfStreamError('INVALID_ARGUMENT', `model version ${version} has no artifact`, { context: { version } });
  return artifact;
}

export async function champion(store: BlobStore): Promise<ChampionRecord | undefined> {
  return readJson<ChampionRecord>(store, CHAMPION);
}

/** Makes `version` the champion unconditionally (the promote command; the train job uses offerChallenger). */
export async function promote(store: BlobStore, version: string, now = new Date()): Promise<ChampionRecord> {
  await readCard(store, version);
  const current = await champion(store);
  if (current?.version === version) return current;
  const record: ChampionRecord = { version, promoted_at: now.toISOString(), previous: current ? [current.version, ...current.previous] : [] };
  await store.put(CHAMPION, JSON.stringify(record, null, 2), 'application/json');
  return record;
}

/**
 * Champion / challenger: the challenger becomes champion when there is none, or when its backtest
 * is not worse than the champion's (both scored on the same window by the caller).
 */
export async function offerChallenger(store: BlobStore, challenger: ModelCard, championMetrics: Metrics | undefined, now = new Date()): Promise<{ accepted: boolean; champion: string }> {
  const current = await champion(store);
  if (current && championMetrics && isWorse(challenger.metrics, championMetrics)) return { accepted: false, champion: current.version };
  const record = await promote(store, challenger.version, now);
  return { accepted: true, champion: record.version };
}

/** Restores the previous champion. */
export async function rollback(store: BlobStore, now = new Date()): Promise<ChampionRecord> {
  const current = await champion(store);
  if (!current || current.previous.length === 0) throw new ShelfStreamError('INVALID_ARGUMENT', 'there is no earlier champion to roll back to');
  const [version, ...previous] = current.previous as [string, ...string[]];
  const record: ChampionRecord = { version, promoted_at: now.toISOString(), previous };
  await store.put(CHAMPION, JSON.stringify(record, null, 2), 'application/json');
  return record;
}
