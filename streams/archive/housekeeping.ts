/**
 * Archive housekeeping, both idempotent and safe to run beside the archiver:
 *
 * - compaction: a partition-hour the archiver wrote in many small rolls becomes one object.
 *   Only hours older than a bound are touched (late events are rare by then). The manifest
 *   records the merge before it happens (pending), the merged object is written, the manifest
 *   lists it, and only then are the sources deleted; a run interrupted anywhere finishes the
 *   merge next time. The merged object's offset range covers its sources', so the archiver's
 *   exactly-once rule (layout.ts) sees the same records archived before, during and after.
 *   Between the merged upload and the deletion a reader that globs *.parquet can see a
 *   partition-hour twice for a moment; readers that must never, read the manifest.
 * - retention: whole days (dt= folders) older than the retention are deleted.
 */
import { Compression, Table as WasmTable, WriterPropertiesBuilder, writeParquet } from 'parquet-wasm';
import { Table, tableToIPC } from 'apache-arrow';
import type { Logger } from '../../lib/logger';
import { type HourPartition, dataObjectName, hourStartOf, topicPrefix } from './layout';
import { readArchiveObject } from './replay';
import type { ArchiveStore, Manifest, StoredObject } from './store';

export interface CompactionSummary {
  readonly partitionHours: number;
  readonly objectsBefore: number;
  readonly objectsAfter: number;
  readonly rows: number;
}

/** The hour folders (dt, hour) of a topic that hold data, from the listing. */
async function hoursOf(store: ArchiveStore, topic: string): Promise<Map<string, { hour: HourPartition; partitions: Set<number> }>> {
  const hours = new Map<string, { hour: HourPartition; partitions: Set<number> }>();
  for (const o of await store.list(topicPrefix(topic))) {
    const m = /\/dt=(\d{4}-\d{2}-\d{2})\/hour=(\d{2})\/part-p(\d+)-/.exec(o.name);
    if (!m) continue;
    const key = `${m[1]}/${m[2]}`;
    let entry = hours.get(key);
    if (!entry) hours.set(key, (entry = { hour: { dt: m[1]!, hour: m[2]! }, partitions: new Set() }));
    entry.partitions.add(Number(m[3]));
  }
  return hours;
}

function mergeParquet(tables: Table[]): Uint8Array {
  const merged = tables.length === 1 ? tables[0]! : tables[0]!.concat(...tables.slice(1));
  const props = new WriterPropertiesBuilder().setCompression(Compression.ZSTD).setCreatedBy('shelfstream archive compaction (parquet-wasm)').build();
  return writeParquet(WasmTable.fromIPCStream(tableToIPC(merged, 'stream')), props);
}

async function compactPartitionHour(store: ArchiveStore, topic: string, hour: HourPartition, partition: number, logger: Logger): Promise<{ before: number; after: number; rows: number }> {
  const manifest = await store.readManifest(topic, hour, partition);
  let objects = await store.partitionHour(topic, hour, partition);
  if (manifest?.pending) {
    // An interrupted merge: finish it if the merged object made it, else forget it.
    const { name, sources } = manifest.pending;
    if (objects.some((o) => o.name === name)) {
      await store.remove(sources.filter((s) => s !== name && objects.some((o) => o.name === s)));
      logger.info({ topic, hour, partition, object: name }, 'finished an interrupted compaction');
    }
    const { pending: _done, ...rest } = manifest;
    await store.writeManifest({ ...rest, updated_at: new Date().toISOString() });
    objects = await store.partitionHour(topic, hour, partition);
  }
  if (objects.length <= 1) return { before: objects.length, after: objects.length, rows: 0 };
  const tables = [];
  for (const o of objects) tables.push(readArchiveObject(await store.get(o.name), o.name));
  const rows = tables.reduce((n, t) => n + t.numRows, 0);
  const first = Math.min(...objects.map((o) => o.first));
  const last = Math.max(...objects.map((o) => o.last));
  const name = dataObjectName(topic, hour, partition, first, last);
  const sources = objects.map((o) => o.name);
  const body = mergeParquet(tables);
  const base: Omit<Manifest, 'objects' | 'rows' | 'pending'> = { topic, partition, dt: hour.dt, hour: hour.hour, updated_at: new Date().toISOString() };
  await store.writeManifest({ ...base, objects: manifest?.objects ?? [], rows: manifest?.rows ?? rows, pending: { name, sources } });
  await store.put(name, body, 'application/vnd.apache.parquet');
  const times = (manifest?.objects ?? []).filter((e) => sources.includes(e.name));
  await store.writeManifest({
    ...base,
    objects: [
      {
        name,
        first_offset: first,
        last_offset: last,
        rows,
        bytes: body.byteLength,
        min_event_time: times.map((t) => t.min_event_time).sort()[0] ?? `${hour.dt}T${hour.hour}:00:00.000Z`,
        max_event_time: times.map((t) => t.max_event_time).sort().at(-1) ?? `${hour.dt}T${hour.hour}:59:59.999Z`,
      },
    ],
    rows,
  });
  await store.remove(sources.filter((s) => s !== name));
  return { before: objects.length, after: 1, rows };
}

/** Merges the objects of every partition-hour that ended more than `minAgeMs` ago. */
export async function compactArchive(store: ArchiveStore, topics: readonly string[], options: { minAgeMs: number; now?: number; logger: Logger }): Promise<CompactionSummary> {
  const now = options.now ?? Date.now();
  let partitionHours = 0;
  let objectsBefore = 0;
  let objectsAfter = 0;
  let rows = 0;
  for (const topic of topics) {
    for (const { hour, partitions } of (await hoursOf(store, topic)).values()) {
      if (hourStartOf(hour) + 3_600_000 > now - options.minAgeMs) continue;
      for (const partition of partitions) {
        const r = await compactPartitionHour(store, topic, hour, partition, options.logger);
        partitionHours++;
        objectsBefore += r.before;
        objectsAfter += r.after;
        rows += r.rows;
      }
    }
  }
  return { partitionHours, objectsBefore, objectsAfter, rows };
}

/** Deletes every object of the days (dt folders, UTC) that ended more than `days` ago. */
export async function applyRetention(store: ArchiveStore, topics: readonly string[], options: { days: number; now?: number }): Promise<{ days: string[]; objects: number }> {
  const cutoff = new Date((options.now ?? Date.now()) - options.days * 86_400_000).toISOString().slice(0, 10);
  const days = new Set<string>();
  let objects = 0;
  for (const topic of topics) {
    const expired: StoredObject['name'][] = [];
    for (const o of await store.list(topicPrefix(topic))) {
      const m = /\/dt=(\d{4}-\d{2}-\d{2})\//.exec(o.name);
      if (m && m[1]! < cutoff) {
        expired.push(o.name);
        days.add(`${topic}/${m[1]}`);
      }
    }
    for (let i = 0; i < expired.length; i += 1_000) await store.remove(expired.slice(i, i + 1_000));
    objects += expired.length;
  }
  return { days: [...days].sort(), objects };
}
