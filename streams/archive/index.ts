/**
 * The archive processor as the CLI runs it: every event and master-data topic of the
 * catalogue (or stand-ins for them), written to the configured bucket.
 */
import type { Config } from '../../lib/config';
import { createObjectStore, ensureBucket } from '../../lib/clients/objectstore';
import type { TopicSpec } from '../../schemas/catalog';
import type { ProcessorDefinition } from '../runtime/processor';
import { TopicMapping } from '../runtime/topics';
import { archiveProcessor } from './archiver';
import { archivedTopics, catalogEncoder } from './encoder';
import { DEFAULT_PARQUET_WORKERS, ParquetWorkerPool } from './parquet-pool';
import { ArchiveStore } from './store';

export async function openArchiveStore(config: Config): Promise<ArchiveStore> {
  const client = createObjectStore(config.objectStore);
  await ensureBucket(client, config.objectStore.bucket);
  return new ArchiveStore(client, config.objectStore.bucket);
}

/** `standIns` maps a catalogue topic to the topic read instead (tests, reprocessing). */
/** `parquetWorkers`: threads writing Parquet beside the consuming one (0: write on it). */
export function buildArchiveProcessor(
  config: Config,
  catalog: readonly TopicSpec[],
  store: ArchiveStore,
  standIns: Readonly<Record<string, string>> = {},
  parquetWorkers: number = DEFAULT_PARQUET_WORKERS,
): ProcessorDefinition {
  const mapping = new TopicMapping<string>(standIns);
  const contracts = mapping.standInContracts();
  // With stand-ins given, only they are archived: a test or a reprocessing run must not
  // sweep up the catalogue topics too.
  const inputs = mapping.hasStandIns ? Object.keys(contracts) : archivedTopics(catalog);
  return archiveProcessor({ topics: inputs, contracts, ...config.archive }, { store, encoder: catalogEncoder(catalog, contracts, ParquetWorkerPool.create(parquetWorkers)) });
}
