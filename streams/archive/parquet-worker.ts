/**
 * A worker thread that writes Parquet files: it receives a file's columns as an Arrow IPC
 * stream (transferred, not copied) and returns the file. parquet-wasm's work, about two thirds
 * of the encoding, then runs beside the consuming thread instead of stalling it.
 */
import { parentPort } from 'node:worker_threads';
import { describeError } from '../../lib/errors';
import { type EncodedColumns, writeParquetFile } from './parquet';

export interface ParquetJob extends EncodedColumns {
  readonly id: number;
}

export type ParquetJobResult = { readonly id: number; readonly file: Uint8Array } | { readonly id: number; readonly error: string };

parentPort?.on('message', (job: ParquetJob) => {
  let result: ParquetJobResult;
  try {
    result = { id: job.id, file: writeParquetFile(job) };
  } catch (error) {
    parentPort!.postMessage({ id: job.id, error: describeError(error) } satisfies ParquetJobResult);
    return;
  }
  parentPort!.postMessage(result, [(result as { file: Uint8Array }).file.buffer as ArrayBuffer]);
});
