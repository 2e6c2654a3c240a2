/**
 * A BlobStore in memory: what the registry's unit tests run against, so the champion /
 * challenger logic is tested without MinIO (the archive's ArchiveStore, the production
 * BlobStore, is tested against a real MinIO in tests/integration/archive.test.ts).
 */
import type { BlobStore } from './registry';

export class MemoryBlobStore implements BlobStore {
  readonly objects = new Map<string, Buffer>();

  async put(name: string, body: Uint8Array | string): Promise<void> {
    this.objects.set(name, Buffer.from(body));
  }

  async get(name: string): Promise<Buffer> {
    const b = this.objects.get(name);
    if (!b) throw new Error(`no object ${name}`);
    return b;
  }

  async list(prefix: string): Promise<{ name: string; size: number }[]> {
    return [...this.objects].filter(([n]) => n.startsWith(prefix)).map(([name, b]) => ({ name, size: b.length }));
  }
}
