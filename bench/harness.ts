/**
 * The benchmark runner's contract. A benchmark measures its figure and, in the same run and
 * on the same machine, the baseline it is judged against (the raw client rate, a naive
 * model); it reports both and their ratio. Each prints one line
 * `BENCH <name> <metric>=<value> ...` (base units: events_per_s, p50_ms, ratio) and appends a
 * JSON line to bench/results.jsonl.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kafka } from 'kafkajs';
import { createProducer } from '../lib/clients/kafka';
import { createSchemaRegistry } from '../lib/clients/registry';
import { EventCodec } from '../lib/events/codec';
import { loadCatalog } from '../schemas/catalog';
import { createTopicsWithLeaders } from '../services/bootstrap/topics';
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { loadConfig, secretValues, type Config } from '../lib/config';
import { createLogger, type Logger } from '../lib/logger';
import { REPO_ROOT } from '../lib/paths';
import type { SaleCompleted } from '../schemas/generated/events';

export interface BenchContext {
  readonly config: Config;
  readonly logger: Logger;
}

export type BenchMetrics = Readonly<Record<string, number>>;

/**
 * Profiles the main thread during one measured phase when BENCH_PROFILE names a folder (a
 * whole-run --cpu-prof mixes in the set-up, the baseline and the other phases): call the
 * answer to stop and write `<folder>/<phase>-<time>.cpuprofile`. A no-op without the variable.
 */
export async function profilePhase(phase: string): Promise<() => Promise<void>> {
  const folder = process.env['BENCH_PROFILE'];
  if (!folder) return async () => undefined;
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, `${phase}-${Date.now()}.cpuprofile`), JSON.stringify(profile));
  };
}

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

/**
 * Runs one benchmark as a script of its own (`node dist/bench/benchmarks/<name>.js`), without
 * the runner's `init` of the services: for benches that need no Kafka or registry. It records
 * and prints its result as the runner does.
 */
export function runStandalone(bench: Benchmark): void {
  const config = loadConfig(process.env);
  const logger = createLogger({ level: 'warn', service: 'bench', destination: pino.destination({ fd: 2, sync: true }), secrets: secretValues(config) });
  bench
    .run({ config, logger })
    .then((metrics) => {
      recordResult(bench.name, metrics);
      process.stdout.write(`${formatBenchLine(bench.name, metrics)}\n`);
    })
    .catch((error: unknown) => {
      process.stderr.write(`${bench.name} bench failed: ${String(error)}\n`);
      process.exitCode = 1;
    });
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

/**
 * The sale the stream benchmarks produce: two lines (one on promotion) over 50 stores and 500
 * skus, so windows, dictionaries and rolls see realistic cardinalities.
 */
export function benchSale(i: number, at: number): SaleCompleted {
  const quantity = 1 + (i % 3);
  const unit_price = 100 + (i % 900);
  return {
    event_id: randomUUID(),
    occurred_at: at,
    store_id: `B${i % 50}`,
    terminal_id: 'T1',
    transaction_id: `X${i}`,
    cashier_id: 'C1',
    payment_method: 'CARD',
    currency: 'EUR',
    lines: [
      { line_number: 1, sku: `SKU-${i % 500}`, quantity, unit_price, discount: 0, promotion_id: null },
      { line_number: 2, sku: `SKU-${(i * 7) % 500}`, quantity: 1, unit_price: 250, discount: 25, promotion_id: 'P1' },
    ],
    subtotal: quantity * unit_price + 250,
    discount_total: 25,
    tax_total: 0,
    total: quantity * unit_price + 225,
  };
}

/**
 * A fresh topic `<prefix>.<now>` with the configured partitions, holding `count` bench sales
 * spread over three hours of event time from 2026-11-01: the input the velocity measurements
 * (velocity, bi-starvation, bi-query) consume. Answers the topic's name.
 */
export async function publishBenchSales(kafka: Kafka, config: Config, prefix: string, count: number): Promise<string> {
  const topic = `${prefix}.${Date.now()}`;
  const admin = kafka.admin();
  await admin.connect();
  try {
    await createTopicsWithLeaders(admin, [{ topic, numPartitions: config.topics.partitions, replicationFactor: 1 }]);
  } finally {
    await admin.disconnect();
  }
  const codec = await EventCodec.create(createSchemaRegistry(config.registry), config.registry, loadCatalog());
  const producer = createProducer(kafka);
  await producer.connect();
  try {
    const start = Date.UTC(2026, 10, 1);
    for (let i = 0; i < count; i += 10_000) {
      const messages = [];
      for (let j = i; j < Math.min(count, i + 10_000); j++) {
        const sale = benchSale(j, start + Math.floor((j / count) * 3 * 3_600_000));
        messages.push({ key: sale.store_id, value: codec.encode('pos.sales', sale) });
      }
      await producer.send({ topic, acks: -1, messages });
    }
  } finally {
    await producer.disconnect();
  }
  return topic;
}

