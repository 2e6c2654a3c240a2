/**
 * The benchmark runner's contract. A benchmark measures its figure and, in the same run and
 * on the same machine, the baseline it is judged against (the raw client rate, a naive
 * model); it reports both and their ratio. Each prints one line
 * `BENCH <name> <metric>=<value> ...` (base units: events_per_s, p50_ms, ratio) and appends a
 * JSON line to bench/results.jsonl.
 */
import { appendFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kafka } from 'kafkajs';
import type { Config } from '../lib/config';
import type { Logger } from '../lib/logger';
import { REPO_ROOT } from '../lib/paths';

export interface BenchContext {
  readonly config: Config;
  readonly logger: Logger;
}

export type BenchMetrics = Readonly<Record<string, number>>;

export interface Benchmark {
  readonly name: string;
  readonly description: string;
  run(ctx: BenchContext): Promise<BenchMetrics>;
}

export function formatBenchLine(name: string, metrics: BenchMetrics): string {
  const fields = Object.entries(metrics).map(([k, v]) => `${k}=${Number.isInteger(v) ? v : Number(v.toPrecision(4))}`);
  return `BENCH ${name} ${fields.join(' ')}`;
}

export function recordResult(name: string, metrics: BenchMetrics, file = join(REPO_ROOT, 'bench', 'results.jsonl')): void {
  const cpu = cpus();
  appendFileSync(
    file,
    JSON.stringify({ name, at: new Date().toISOString(), metrics, machine: { cores: cpu.length, cpu: cpu[0]?.model ?? 'unknown', node: process.version } }) + '\n',
  );
}

/** Percentile (0..100) of an unsorted sample, by nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/**
 * The limit a consuming pipeline is compared with: records/s of a kafkajs consumer reading
 * `records` records of `topic` from the beginning and doing no work, with the runtime's fetch sizes.
 */
export async function rawConsumeRate(kafka: Kafka, topic: string, records: number): Promise<number> {
  const raw = kafka.consumer({ groupId: `${topic}.raw`, maxBytesPerPartition: 4 * 1_048_576, maxBytes: 16 * 1_048_576 });
  await raw.connect();
  await raw.subscribe({ topic, fromBeginning: true });
  let count = 0;
  let start = 0;
  let end = 0;
  await raw.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      if (start === 0) start = performance.now();
      count += batch.messages.length;
      if (count >= records) end = performance.now();
    },
  });
  while (count < records) await sleep(20);
  await raw.disconnect();
  return records / ((end - start) / 1000);
}
