/**
 * Worker threads for parquet-wasm's share of the encoding (parquet-worker.ts). The consuming
 * thread builds a file's Arrow columns (fast, columns.ts) and hands them over as an IPC stream;
 * a worker compresses and writes the Parquet file meanwhile. Workers do not keep the process
 * alive while idle.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { ShelfStreamError } from '../../lib/errors';
import type { EncodedColumns } from './parquet';
import type { ParquetJob, ParquetJobResult } from './parquet-worker';

/** One worker per core beside the consuming thread, at least one. */
export const DEFAULT_PARQUET_WORKERS = Math.max(1, availableParallelism() - 1);

interface Job {
  readonly resolve: (file: Uint8Array) => void;
  readonly reject: (error: Error) => void;
}

interface Slot {
  worker: Worker | undefined;
  readonly jobs: Map<number, Job>;
}

export class ParquetWorkerPool {
  private readonly slots: Slot[];
  private nextId = 0;

  private constructor(
    private readonly script: string,
    size: number,
  ) {
    this.slots = Array.from({ length: size }, () => ({ worker: undefined, jobs: new Map() }));
  }

  /**
   * A pool, or undefined when the worker script is not compiled next to this module (the code
   * runs from TypeScript sources, as in unit tests): encoding then stays on the calling thread.
   */
  static create(size: number = DEFAULT_PARQUET_WORKERS): ParquetWorkerPool | undefined {
    const script = join(__dirname, 'parquet-worker.js');
    return size > 0 && existsSync(script) ? new ParquetWorkerPool(script, size) : undefined;
  }

  /** The Parquet file of these columns, written by the least busy worker. */
  write(columns: EncodedColumns): Promise<Uint8Array> {
    const slot = this.slots.reduce((a, b) => (b.jobs.size < a.jobs.size ? b : a));
    const worker = (slot.worker ??= this.spawn(slot));
    const id = this.nextId++;
    return new Promise<Uint8Array>((resolve, reject) => {
      slot.jobs.set(id, { resolve, reject });
      worker.ref();
      // Transferred, not copied; a view into a larger buffer is copied out first, as transferring
      // would take the whole buffer from its other users.
      const ipc = columns.ipc.byteOffset === 0 && columns.ipc.byteLength === columns.ipc.buffer.byteLength ? columns.ipc : columns.ipc.slice();
      worker.postMessage({ id, ipc, spec: columns.spec } satisfies ParquetJob, [ipc.buffer as ArrayBuffer]);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.worker?.terminate()));
  }

  private spawn(slot: Slot): Worker {
    const worker = new Worker(this.script);
    worker.unref();
    worker.on('message', (result: ParquetJobResult) => {
      const job = slot.jobs.get(result.id);
      slot.jobs.delete(result.id);
      if (slot.jobs.size === 0) worker.unref();
      if (!job) return;
      if ('file' in result) job.resolve(result.file);
      else job.reject(new Error(result.error));
    });
    const fail = (error: Error): void => {
      if (slot.worker !== worker) return;
      slot.worker = undefined; // the next write starts a new one
      for (const job of slot.jobs.values()) {
        // Retriable: the roll is still in memory and the runtime retries its upload.
        job.reject(new ShelfStreamError('SERVICE_UNAVAILABLE', `Parquet worker failed: ${error.message}`, { cause: error, canRetry: true }));
      }
      slot.jobs.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`exited with code ${code}`)));
    return worker;
  }
}
