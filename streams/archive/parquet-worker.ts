/**
 * A worker thread that writes Parquet files from packed archive rows (packed-rows.ts): the raw
 * value bytes and the per-row fields, transferred, not copied. It Avro-decodes the values with
 * their writer schemas, builds the Arrow columns and runs parquet-wasm, so none of that stalls
 * the consuming thread.
 */
import { parentPort } from 'node:worker_threads';
import { describeError } from '../../lib/errors';
import { type PackedRowsJob, PackedRowsWriter } from './packed-rows';

export interface ParquetJob extends PackedRowsJob {
  readonly id: number;
}

export type ParquetJobResult = { readonly id: number; readonly file: Uint8Array } | { readonly id: number; readonly error: string };

const writer = new PackedRowsWriter();

parentPort?.on('message', (job: ParquetJob) => {
  let result: ParquetJobResult;
  try {
    result = { id: job.id, file: writer.write(job) };
  } catch (error) {
    parentPort!.postMessage({ id: job.id, error: describeError(error) } satisfies ParquetJobResult);
    return;
  }
  parentPort!.postMessage(result, [(result as { file: Uint8Array }).file.buffer as ArrayBuffer]);
});
