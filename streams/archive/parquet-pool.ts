/**
 * Worker threads that write the archive's Parquet files (parquet-worker.ts). The consuming
 * thread packs a file's rows into flat buffers (packed-rows.ts) and hands them over; a worker
 * decodes them, builds the columns and writes the file meanwhile. Workers do not keep the
 * process alive while idle.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { ShelfStreamError } from '../../lib/errors';
import { type PackedRowsJob, transferList } from './packed-rows';
import type { ParquetJob, ParquetJobResult } from './parquet-worker';

/**
 * One worker per core. The workers decode, build columns and write (~2/3 of the archive's CPU);
 * the consuming thread only reads and packs. With one worker on 2 cores the archive bench read
 * 300k sales in 1.8 s and then waited 2 s for the worker (79k events/s); with two, 95k.
 */
export const DEFAULT_PARQUET_WORKERS = Math.max(1, availableParallelism());

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

  /** The Parquet file of these rows, written by the least busy worker. Takes the rows' buffers. */
  write(job: PackedRowsJob): Promise<Uint8Array> {
    const slot = this.slots.reduce((a, b) => (b.jobs.size < a.jobs.size ? b : a));
    const worker = (slot.worker ??= this.spawn(slot));
    const id = this.nextId++;
    return new Promise<Uint8Array>((resolve, reject) => {
      slot.jobs.set(id, { resolve, reject });
      worker.ref();
      // Transferred, not copied: packRows gives each array a buffer of its own.
      worker.postMessage({ ...job, id } satisfies ParquetJob, transferList(job.rows));
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
