/**
 * Reads archived events back and re-publishes them byte for byte: same key, same value bytes
 * (schema id included), same headers in the same order, same partition number, plus one
 * header naming where the record came from (x-shelfstream-replay-of: topic/partition/offset),
 * which keeps the archive from archiving a replay twice.
 *
 * A time range selects records by the event's own time (the hour folders, then each row's
 * occurred_at / updated_at); a store list filters on store_id. Hours are read in order and,
 * within an hour, each partition by offset, so a processor sees each store's events in the
 * order the store sent them.
 */
import { type Table, tableFromIPC } from 'apache-arrow';
import type { IdempotentProducer } from '../../lib/clients/kafka';
import { readParquet } from 'parquet-wasm';
import { ShelfStreamError, describeError } from '../../lib/errors';
import { REPLAY_HEADER } from './archiver';
import { hourPrefix, hoursBetween, parseDataObjectName } from './layout';
import type { ArchiveStore } from './store';

export interface ReplaySelection {
  readonly topics: readonly string[];
  /** Event time range, [from, to), epoch ms. */
  readonly from: number;
  readonly to: number;
  /** Only these stores (store_id); all when undefined. */
  readonly stores?: ReadonlySet<string>;
}

export interface ArchivedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: Buffer | null;
  /** Null for a tombstone (a deletion on a compacted topic): published again as one. */
  readonly value: Buffer | null;
  readonly headers: readonly { readonly key: string; readonly value: Buffer | null }[];
  readonly kafkaTimestamp: number;
  readonly eventTime: number;
}

function toBuffer(v: Uint8Array | null | undefined): Buffer | null {
  return v ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : null;
}

/** Decodes one archived Parquet object into an Arrow table. */
export function readArchiveObject(bytes: Uint8Array, name: string): Table {
  try {
    const wasm = readParquet(bytes);
    return tableFromIPC(wasm.intoIPCStream());
  } catch (error) {
    throw new ShelfStreamError('ARCHIVE_CORRUPT', `archived object ${name} is not a readable Parquet file: ${describeError(error)}`, { cause: error, context: { object: name } });
  }
}

/** The records of one archived object that fall in the selection, in offset order. */
export function selectRecords(table: Table, topic: string, selection: ReplaySelection, name: string): ArchivedRecord[] {
  const column = <T>(n: string): { get(i: number): T } => {
    const c = table.getChild(n);
    if (!c) throw new ShelfStreamError('ARCHIVE_CORRUPT', `archived object ${name} has no column ${n}`, { context: { object: name } });
    return c as unknown as { get(i: number): T };
  };
  const time = table.getChild('occurred_at') ?? table.getChild('updated_at') ?? column('kafka_timestamp');
  const store = selection.stores ? column<string | null>('store_id') : undefined;
  const key = column<Uint8Array | null>('key');
  const value = column<Uint8Array | null>('value');
  const headers = column<{ toArray(): { key: string; value: Uint8Array | null }[] } | null>('headers');
  const partition = column<number>('partition');
  const offset = column<bigint | number>('offset');
  const kafkaTimestamp = column<number | bigint>('kafka_timestamp');
  const out: ArchivedRecord[] = [];
  for (let i = 0; i < table.numRows; i++) {
    // A tombstone's row has no event time (its event columns are null): its Kafka timestamp stands in.
    const own = (time as { get(i: number): unknown }).get(i);
    const eventTime = Number(own ?? kafkaTimestamp.get(i));
    if (eventTime < selection.from || eventTime >= selection.to) continue;
    // A tombstone of md.stores has no store_id column value: its key is the store id.
    if (store && !selection.stores!.has(store.get(i) ?? toBuffer(key.get(i))?.toString() ?? '')) continue;
    out.push({
      topic,
      partition: partition.get(i),
      offset: Number(offset.get(i)),
      key: toBuffer(key.get(i)),
      value: toBuffer(value.get(i)),
      headers: (headers.get(i)?.toArray() ?? []).map((h) => ({ key: h.key, value: toBuffer(h.value) })),
      kafkaTimestamp: Number(kafkaTimestamp.get(i)),
      eventTime,
    });
  }
  return out.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}

/** Archived records of the selection, one object at a time, hour by hour. */
export async function* readArchive(store: ArchiveStore, selection: ReplaySelection): AsyncGenerator<ArchivedRecord[]> {
  for (const hour of hoursBetween(selection.from, selection.to)) {
    for (const topic of selection.topics) {
      const objects = (await store.list(hourPrefix(topic, hour)))
        .map((o) => ({ ...o, parsed: parseDataObjectName(o.name) }))
        .filter((o) => o.parsed !== undefined)
        .sort((a, b) => a.parsed!.partition - b.parsed!.partition || a.parsed!.first - b.parsed!.first);
      for (const o of objects) {
        const records = selectRecords(readArchiveObject(await store.get(o.name), o.name), topic, selection, o.name);
        if (records.length > 0) yield records;
      }
    }
  }
}

export interface PublishReplayOptions {
  /** Topic to publish each archived topic's records to (the same topic when absent). */
  readonly targets?: Readonly<Record<string, string>>;
  /** Records per second; unlimited when undefined. */
  readonly ratePerS?: number;
  readonly onProgress?: (published: number) => void;
}

export interface ReplaySummary {
  readonly records: number;
  readonly byTopic: Readonly<Record<string, number>>;
  readonly seconds: number;
}

export async function publishReplay(producer: IdempotentProducer, batches: AsyncIterable<ArchivedRecord[]>, options: PublishReplayOptions = {}): Promise<ReplaySummary> {
  const started = performance.now();
  const byTopic: Record<string, number> = {};
  let records = 0;
  for await (const batch of batches) {
    for (let i = 0; i < batch.length; i += 1_000) {
      const chunk = batch.slice(i, i + 1_000);
      const topic = chunk[0]!.topic;
      const target = options.targets?.[topic] ?? topic;
      // Messages keep their partition number: co-partitioned topics stay co-partitioned.
      await producer.send({
        topic: target,
        acks: -1,
        messages: chunk.map((r) => ({
          partition: r.partition,
          key: r.key,
          value: r.value,
          timestamp: String(r.kafkaTimestamp),
          headers: Object.fromEntries([...groupHeaders(r.headers), [REPLAY_HEADER, Buffer.from(`${r.topic}/${r.partition}/${r.offset}`)]]),
        })),
      });
      records += chunk.length;
      byTopic[topic] = (byTopic[topic] ?? 0) + chunk.length;
      options.onProgress?.(records);
      if (options.ratePerS !== undefined) {
        // Pace on the total so far: a slow send is not followed by a burst.
        const due = (records / options.ratePerS) * 1_000 - (performance.now() - started);
        if (due > 0) await new Promise((resolve) => setTimeout(resolve, due));
      }
    }
  }
  return { records, byTopic, seconds: (performance.now() - started) / 1_000 };
}

/** kafkajs headers are an object; a repeated key becomes an array, which it sends as repeats. */
function groupHeaders(headers: ArchivedRecord['headers']): [string, Buffer | Buffer[]][] {
  const grouped = new Map<string, Buffer[]>();
  for (const h of headers) grouped.set(h.key, [...(grouped.get(h.key) ?? []), h.value ?? Buffer.alloc(0)]);
  return [...grouped].map(([k, v]) => [k, v.length === 1 ? v[0]! : v]);
}
