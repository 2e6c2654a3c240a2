/**
 * The archive's view of the bucket: list a partition-hour's objects, put and get objects, and
 * read and write its manifest. Every S3 failure becomes a retriable SERVICE_UNAVAILABLE naming
 * the object, so the runtime pauses (back-pressure) instead of losing a roll.
 */
import type { Readable } from 'node:stream';
import { ShelfStreamError, describeError } from '../../lib/errors';
import type { ObjectStoreClient } from '../../lib/clients/objectstore';
import { type DataObject, type HourPartition, manifestName, parseDataObjectName, partitionHourPrefix } from './layout';

export interface StoredObject extends DataObject {
  readonly name: string;
  readonly size: number;
}

/** What a partition-hour holds, for readers that want the list without listing the bucket. */
export interface Manifest {
  readonly topic: string;
  readonly partition: number;
  readonly dt: string;
  readonly hour: string;
  readonly objects: readonly ManifestEntry[];
  /** Sum of the objects' rows. */
  readonly rows: number;
  readonly updated_at: string;
  /** A compaction under way: `name` merges `sources`, which are deleted once it exists. */
  readonly pending?: { readonly name: string; readonly sources: readonly string[] };
}

export interface ManifestEntry {
  readonly name: string;
  readonly first_offset: number;
  readonly last_offset: number;
  readonly rows: number;
  readonly bytes: number;
  readonly min_event_time: string;
  readonly max_event_time: string;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function unavailable(what: string, error: unknown, context: Record<string, unknown>): ShelfStreamError {
  return new ShelfStreamError('SERVICE_UNAVAILABLE', `object store: ${what} failed: ${describeError(error)}`, { cause: error, context });
}

export class ArchiveStore {
  constructor(
    readonly client: ObjectStoreClient,
    readonly bucket: string,
  ) {}

  async list(prefix: string): Promise<{ name: string; size: number }[]> {
    try {
      const out: { name: string; size: number }[] = [];
      for await (const item of this.client.listObjectsV2(this.bucket, prefix, true)) {
        const o = item as { name?: string; size?: number };
        if (o.name) out.push({ name: o.name, size: o.size ?? 0 });
      }
      return out;
    } catch (error) {
      throw unavailable(`listing ${prefix}`, error, { bucket: this.bucket, prefix });
    }
  }

  /** The data objects of one topic partition in one hour folder, by first offset. */
  async partitionHour(topic: string, hour: HourPartition, partition: number): Promise<StoredObject[]> {
    const found = await this.list(partitionHourPrefix(topic, hour, partition));
    const objects: StoredObject[] = [];
    for (const f of found) {
      const parsed = parseDataObjectName(f.name);
      if (parsed) objects.push({ ...parsed, name: f.name, size: f.size });
    }
    return objects.sort((a, b) => a.first - b.first);
  }

  async put(name: string, body: Uint8Array | string, contentType: string): Promise<void> {
    const buffer = typeof body === 'string' ? Buffer.from(body) : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    try {
      await this.client.putObject(this.bucket, name, buffer, buffer.length, { 'Content-Type': contentType });
    } catch (error) {
      throw unavailable(`writing ${name}`, error, { bucket: this.bucket, object: name });
    }
  }

  async get(name: string): Promise<Buffer> {
    try {
      return await readAll(await this.client.getObject(this.bucket, name));
    } catch (error) {
      throw unavailable(`reading ${name}`, error, { bucket: this.bucket, object: name });
    }
  }

  async remove(names: readonly string[]): Promise<void> {
    if (names.length === 0) return;
    try {
      await this.client.removeObjects(this.bucket, [...names]);
    } catch (error) {
      throw unavailable(`removing ${names.length} objects`, error, { bucket: this.bucket, object: names[0] });
    }
  }

  async readManifest(topic: string, hour: HourPartition, partition: number): Promise<Manifest | undefined> {
    const name = manifestName(topic, hour, partition);
    let body: Buffer;
    try {
      body = await readAll(await this.client.getObject(this.bucket, name));
    } catch (error) {
      if ((error as { code?: string }).code === 'NoSuchKey') return undefined;
      throw unavailable(`reading ${name}`, error, { bucket: this.bucket, object: name });
    }
    try {
      return JSON.parse(body.toString('utf8')) as Manifest;
    } catch (error) {
      throw new ShelfStreamError('ARCHIVE_CORRUPT', `manifest ${name} is not valid JSON: ${describeError(error)}`, { cause: error, context: { object: name } });
    }
  }

  async writeManifest(manifest: Manifest): Promise<void> {
    await this.put(manifestName(manifest.topic, { dt: manifest.dt, hour: manifest.hour }, manifest.partition), JSON.stringify(manifest, null, 2), 'application/json');
  }

  /**
   * Rewrites a partition-hour's manifest: the entries of objects that still exist, plus `added`.
   * Only the partition's owner writes it, so read-modify-write is safe.
   */
  async updateManifest(topic: string, hour: HourPartition, partition: number, present: readonly StoredObject[], added: readonly ManifestEntry[]): Promise<Manifest> {
    const previous = await this.readManifest(topic, hour, partition);
    const names = new Set(present.map((o) => o.name));
    const byName = new Map<string, ManifestEntry>();
    for (const e of previous?.objects ?? []) if (names.has(e.name)) byName.set(e.name, e);
    for (const e of added) byName.set(e.name, e);
    const objects = [...byName.values()].sort((a, b) => a.first_offset - b.first_offset);
    const manifest: Manifest = {
      topic,
      partition,
      dt: hour.dt,
      hour: hour.hour,
      objects,
      rows: objects.reduce((n, o) => n + o.rows, 0),
      updated_at: new Date().toISOString(),
    };
    await this.put(manifestName(topic, hour, partition), JSON.stringify(manifest, null, 2), 'application/json');
    return manifest;
  }
}
