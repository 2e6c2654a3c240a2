/**
 * `shelfstream archive compact|retention`: housekeeping of the raw Parquet archive
 * (`archive run` is the archiver itself, through the streaming runtime).
 */
import { loadCatalog } from '../../schemas/catalog';
import { openArchiveStore } from '../../streams/archive';
import { archivedTopics } from '../../streams/archive/encoder';
import { applyRetention, compactArchive } from '../../streams/archive/housekeeping';
import type { CliContext } from '../context';

export async function archiveCompactCommand(ctx: CliContext, options: { topic?: string[]; olderThanHours: number }): Promise<void> {
  const store = await openArchiveStore(ctx.config);
  const topics = options.topic?.length ? options.topic : archivedTopics(loadCatalog());
  const started = performance.now();
  const s = await compactArchive(store, topics, { minAgeMs: options.olderThanHours * 3_600_000, logger: ctx.logger });
  ctx.print(`compacted ${s.partitionHours} partition-hours: ${s.objectsBefore} objects -> ${s.objectsAfter} (${s.rows} rows rewritten) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

export async function archiveRetentionCommand(ctx: CliContext, options: { topic?: string[]; days: number }): Promise<void> {
  const store = await openArchiveStore(ctx.config);
  const topics = options.topic?.length ? options.topic : archivedTopics(loadCatalog());
  const r = await applyRetention(store, topics, { days: options.days });
  ctx.print(`retention ${options.days} days: deleted ${r.objects} objects in ${r.days.length} topic-days${r.days.length ? ` (${r.days[0]} .. ${r.days.at(-1)})` : ''}`);
}
