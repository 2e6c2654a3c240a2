/**
 * archive — every raw topic to Parquet objects in the object store (layout in layout.ts).
 *
 * Consumes: every event and master-data topic of the catalogue, as published (the raw Avro
 *   bytes, key, headers and timestamp; the runtime decodes nothing, see readsBytes). Records a
 *   replay re-published (header x-shelfstream-replay-of) are archived already and skipped.
 * Per record (pure): the hour folder of the event's own time (occurred_at, else updated_at,
 *   else the Kafka timestamp), and one row in that folder's columns, read from the bytes
 *   (archive-columns.ts); bytes that are not a record are refused as DECODE_FAILED.
 * State: the open roll of each topic partition (records since the last roll, grouped by hour
 *   folder) and the closed rolls waiting for upload. A roll closes on rows, bytes, or age, and
 *   its Parquet files start encoding then (the write part on a worker thread, see
 *   parquet-pool.ts), so they are encoded while the next records are consumed.
 * Emits: at the runtime's next flush, each closed roll as one Parquet object per hour folder,
 *   then the partition-hour manifests; only then does the runtime commit past it. The
 *   committed offset is the open roll's first offset, so a crash loses nothing buffered.
 *   Hour folders upload concurrently; rolls of one partition-hour in order (its manifest is
 *   read, modified and written).
 *
 * Exactly once, however rolls were cut before a crash: before writing a partition-hour's
 * object, the writer lists that partition-hour and leaves out records whose offsets an existing
 * object covers (see layout.ts). A roll cut differently after a restart therefore writes only
 * what is missing, and a roll cut the same way overwrites its own objects.
 */
import type { TopicName } from '../../schemas/generated/events';
import { isShelfStreamError } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import type { InputRecord, PartitionTask, ProcessorDefinition, Rejection, RowSink, TaskInit } from '../runtime/processor';
import { ArchiveColumns, type TopicColumns } from './archive-columns';
import { type HourPartition, dataObjectName, hourPartitionOf } from './layout';
import type { ArchiveStore, ManifestEntry } from './store';

/** Row index ranges [from, to) of a file's columns, in order. */
export type RowRanges = readonly (readonly [number, number])[];

/** Lays out the archive's files per topic and encodes their columns as Parquet. */
export interface ArchiveEncoder {
  /** The file layout of `topic` (its columns, and how its records' bytes are read). */
  layout(topic: string): TopicColumns;
  /** The Parquet file of the rows (or of the rows in `keep`). */
  encode(columns: ArchiveColumns, keep?: RowRanges): Promise<Uint8Array>;
}

export interface ArchiveOptions {
  /** Topics to archive (catalogue event and master-data topics, or stand-ins in tests). */
  readonly topics: readonly string[];
  /** Catalogue topic whose schema a stand-in topic follows (tests, reprocessing). */
  readonly contracts?: Readonly<Record<string, TopicName>>;
  /** A roll closes at this many records... */
  readonly maxRollRows: number;
  /** ...or this many bytes of raw values... */
  readonly maxRollBytes: number;
  /** ...or when its first record has waited this long (ms), so quiet topics still land. */
  readonly maxRollAgeMs: number;
}

export const REPLAY_HEADER = 'x-shelfstream-replay-of';

interface Roll {
  readonly first: number;
  last: number;
  rows: number;
  bytes: number;
  readonly openedAt: number;
  /** Rows by UTC hour (epoch hours), each in offset order. */
  readonly hours: Map<number, HourGroup>;
}

/** One future object: a roll's records of one hour folder. */
interface HourGroup {
  readonly hour: HourPartition;
  readonly columns: ArchiveColumns;
  /** Offset and event time of each row, in row order (the upload picks rows by offset). */
  readonly offsets: number[];
  readonly eventTimes: number[];
  /** The Parquet file of all rows, started when the roll closed; dropped if it failed. */
  encoded?: Promise<Uint8Array> | undefined;
}

export class ArchiveTask implements PartitionTask {
  private open: Roll | undefined;
  private layout: TopicColumns | undefined;
  private closed: Roll[] = [];
  private next: number | undefined;

  constructor(
    private readonly init: TaskInit,
    private readonly options: ArchiveOptions,
    private readonly store: ArchiveStore,
    private readonly encoder: ArchiveEncoder,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  process(record: InputRecord): Rejection | void {
    this.next = record.offset + 1;
    const raw = record.raw;
    if (!raw) return; // the runtime hands raw records to this processor (definition.raw)
    if (raw.headers.length > 0 && raw.headers.some((h) => h.key === REPLAY_HEADER)) return;
    const layout = (this.layout ??= this.encoder.layout(this.init.topic));
    let eventTime: number;
    try {
      // A tombstone has no event time of its own: it is filed under its Kafka timestamp.
      eventTime = raw.value === null ? record.timestamp : layout.eventTime(raw, record.timestamp);
    } catch (error) {
      if (isShelfStreamError(error, 'DECODE_FAILED')) return { code: 'DECODE_FAILED', reason: error.message };
      throw error;
    }
    const roll = (this.open ??= { first: record.offset, last: record.offset, rows: 0, bytes: 0, openedAt: this.now(), hours: new Map() });
    // Keyed by the hour number: the folder name (a date string) is made once per hour, not per record.
    const key = Math.floor(eventTime / 3_600_000);
    let group = roll.hours.get(key);
    if (!group) roll.hours.set(key, (group = { hour: hourPartitionOf(eventTime), columns: new ArchiveColumns(layout), offsets: [], eventTimes: [] }));
    try {
      if (raw.value === null) group.columns.appendTombstone(record, raw);
      else group.columns.append(record, raw);
    } catch (error) {
      if (group.offsets.length === 0) roll.hours.delete(key);
      // The runtime decodes nothing for this processor (readsBytes): bytes that are not a record end here.
      if (isShelfStreamError(error, 'DECODE_FAILED')) return { code: 'DECODE_FAILED', reason: error.message };
      throw error;
    }
    group.offsets.push(record.offset);
    group.eventTimes.push(eventTime);
    roll.last = record.offset;
    roll.rows += 1;
    roll.bytes += (raw.value?.length ?? 0) + (raw.key?.length ?? 0);
    if (roll.rows >= this.options.maxRollRows || roll.bytes >= this.options.maxRollBytes) this.closeRoll();
  }

  private closeRoll(): void {
    const roll = this.open;
    this.open = undefined;
    if (!roll) return;
    this.closed.push(roll);
    for (const group of roll.hours.values()) {
      const encoded = this.encoder.encode(group.columns);
      group.encoded = encoded;
      // Not awaited until the upload: a failure is seen there (and encoded again on retry).
      encoded.catch(() => {
        if (group.encoded === encoded) group.encoded = undefined;
      });
    }
  }

  punctuate(_out: RowSink): void {
    if (this.open && this.now() - this.open.openedAt >= this.options.maxRollAgeMs) this.closeRoll();
  }

  drain(): void {
    this.closeRoll();
  }

  earliestNeededOffset(): number | undefined {
    // Closed rolls not yet taken by a flush come first: they are older than the open one.
    return this.closed[0]?.first ?? this.open?.first;
  }

  checkpoint(): string {
    return '';
  }

  /** Hands the closed rolls to the runtime, which awaits the upload before it commits. */
  takeOutput(): (() => Promise<void>) | undefined {
    if (this.closed.length === 0) return undefined;
    const rolls = this.closed;
    this.closed = [];
    return async () => {
      const hours = new Set(rolls.flatMap((roll) => [...roll.hours.keys()]));
      await Promise.all(
        [...hours].map(async (key) => {
          for (const roll of rolls) {
            const group = roll.hours.get(key);
            if (group) await this.upload(group);
          }
        }),
      );
    };
  }

  private async upload(group: HourGroup): Promise<void> {
    const topic = this.init.topic;
    const partition = this.init.partition;
    const { hour, offsets, eventTimes } = group;
    const present = await this.store.partitionHour(topic, hour, partition);
    const mine = dataObjectName(topic, hour, partition, offsets[0]!, offsets.at(-1)!);
    // Ranges already archived by an earlier incarnation (a crash between upload and commit);
    // an object with exactly our name is ours from before and is simply overwritten.
    const covered = present.filter((o) => o.name !== mine);
    const keep = covered.length === 0 ? [[0, offsets.length] as const] : uncoveredRows(offsets, covered);
    if (keep.length === 0) return;
    const rows = keep.reduce((n, [from, to]) => n + to - from, 0);
    if (rows !== offsets.length) {
      this.logger.info({ topic, partition, dt: hour.dt, hour: hour.hour, skipped: offsets.length - rows }, 'records archived before a restart are left out of the new object');
    }
    const first = offsets[keep[0]![0]]!;
    const last = offsets[keep.at(-1)![1] - 1]!;
    const name = dataObjectName(topic, hour, partition, first, last);
    // The file encoded at the close holds every row; after a restart some may be covered.
    const body = await (rows === offsets.length && group.encoded ? group.encoded : this.encoder.encode(group.columns, rows === offsets.length ? undefined : keep));
    await this.store.put(name, body, 'application/vnd.apache.parquet');
    let minTime = Infinity;
    let maxTime = -Infinity;
    for (const [from, to] of keep) {
      for (let i = from; i < to; i++) {
        const t = eventTimes[i]!;
        if (t < minTime) minTime = t;
        if (t > maxTime) maxTime = t;
      }
    }
    const entry: ManifestEntry = {
      name,
      first_offset: first,
      last_offset: last,
      rows,
      bytes: body.byteLength,
      min_event_time: new Date(minTime).toISOString(),
      max_event_time: new Date(maxTime).toISOString(),
    };
    const after = present.filter((o) => o.name !== name);
    await this.store.updateManifest(topic, hour, partition, [...after, { topic, hour, partition, first, last, name, size: body.byteLength }], [entry]);
  }

  /** Records held in memory, for the summary and tests. */
  get bufferedRows(): number {
    return (this.open?.rows ?? 0) + this.closed.reduce((n, r) => n + r.rows, 0);
  }

  get nextOffset(): number | undefined {
    return this.next;
  }
}

/** Row index ranges of `offsets` (ascending) that no [first, last] range of `covered` holds. */
export function uncoveredRows(offsets: readonly number[], covered: readonly { readonly first: number; readonly last: number }[]): [number, number][] {
  const ranges: [number, number][] = [];
  let from = -1;
  for (let i = 0; i < offsets.length; i++) {
    const o = offsets[i]!;
    const isCovered = covered.some((c) => o >= c.first && o <= c.last);
    if (!isCovered && from < 0) from = i;
    if (isCovered && from >= 0) {
      ranges.push([from, i]);
      from = -1;
    }
  }
  if (from >= 0) ranges.push([from, offsets.length]);
  return ranges;
}

export function archiveProcessor(options: ArchiveOptions, deps: { readonly store: ArchiveStore; readonly encoder: ArchiveEncoder }): ProcessorDefinition {
  return {
    name: 'archive',
    inputs: options.topics,
    contracts: options.contracts,
    raw: true,
    // The columns are filled from the bytes (archive-columns.ts), which also refuses malformed
    // ones: a decode by the runtime would be a second walk over every record.
    readsBytes: true,
    // Deletions on master data are archived like any record, so a replay deletes again.
    tombstones: true,
    tables: [],
    createTask: (init, taskDeps) => new ArchiveTask(init, options, deps.store, deps.encoder, taskDeps.logger),
  };
}
