/**
 * simulator-backfill: the POS simulator's backfill into Kafka (generation, Avro through the
 * registry, ground-truth files, acks=all), beside the limit measured in the same run: the raw
 * produce rate of the same client (@platformatic/kafka through lib/clients/kafka
 * createFastProducer, idempotent, acks=all, Java partitioner) sending pre-encoded records of
 * the same topics, keys and sizes, with the same number of producers (worker threads) and
 * batch size, one produce in flight per producer (what its idempotent producer allows). A
 * single-producer raw rate is reported too.
 *
 * The run writes to throwaway topics (`bench.sim.<ts>.<topic>`, deleted afterwards) so the
 * shared topics of a development stack are left alone.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { createFastProducer, createKafka } from '../../lib/clients/kafka';
import { createSchemaRegistry } from '../../lib/clients/registry';
import type { Config } from '../../lib/config';
import { EventCodec } from '../../lib/events/codec';
import { loadCatalog } from '../../schemas/catalog';
import { parseDay } from '../../lib/domain/calendar';
import { PIPELINE_DEFAULTS, defaultWorkers, runBackfill } from '../../simulators/pos/run';
import { PosSimulator } from '../../simulators/pos/simulator';
import { EVENT_TOPICS } from '../../simulators/pos/store-sim';
import type { Benchmark } from '../harness';

/** 40 stores x 2,000 SKUs x 8 days: about a million events, > 10 s at up to ~95k events/s. */
const CHAIN = { stores: 40, skus: 2_000, days: 8, start: '2026-03-09', seed: 2026 } as const;
/** Raw records per producer thread, and the simulated day whose events they copy. */
const RAW_RECORDS = 500_000;
const RAW_WARM_UP = 60_000;

interface RawRecord {
  readonly topic: string;
  readonly key: string;
  readonly value: Uint8Array;
}

interface RawTask {
  readonly kind: 'simulator-backfill-raw';
  readonly config: Config;
  readonly sample: readonly RawRecord[];
  readonly records: number;
  readonly batch: number;
}

/**
 * Sends `records` copies of the sample in batches, one produce at a time, after an unmeasured
 * warm-up (the simulator's figure is taken on a warm JIT too). Answers seconds.
 */
async function produceRaw(config: Config, sample: readonly RawRecord[], records: number, batch: number, ready?: () => Promise<void>): Promise<number> {
  const producer = createFastProducer(config.kafka, 'bench');
  try {
    const values = sample.map((r) => ({ topic: r.topic, key: Buffer.from(r.key), value: Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength) }));
    let next = 0;
    const send = async (count: number): Promise<void> => {
      for (let sent = 0; sent < count; sent += batch) {
        const messages = new Array<(typeof values)[number]>(Math.min(batch, count - sent));
        for (let i = 0; i < messages.length; i++) messages[i] = values[next++ % values.length]!;
        await producer.send({ messages });
      }
    };
    await send(RAW_WARM_UP);
    await ready?.();
    const started = performance.now();
    await send(records);
    return (performance.now() - started) / 1000;
  } finally {
    await producer.close();
  }
}

function cpuMicros(usage: NodeJS.CpuUsage): number {
  return usage.user + usage.system;
}

/** The raw baseline with `threads` producers in worker threads, started together. */
async function rawInThreads(task: Omit<RawTask, 'kind'>, threads: number): Promise<number> {
  const workers = Array.from({ length: threads }, () => new Worker(__filename, { workerData: { kind: 'simulator-backfill-raw', ...task } satisfies RawTask }));
  try {
    const ready = workers.map((w) => new Promise<void>((resolve, reject) => w.once('message', () => resolve()).once('error', reject)));
    await Promise.all(ready);
    const started = performance.now();
    const done = workers.map((w) => new Promise<void>((resolve, reject) => w.once('message', () => resolve()).once('error', reject)));
    for (const w of workers) w.postMessage('go');
    await Promise.all(done);
    return (performance.now() - started) / 1000;
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

export const simulatorBackfill: Benchmark = {
  name: 'simulator-backfill',
  description: 'POS simulator backfill (generate + Avro + ground truth + produce) vs raw @platformatic/kafka produce of pre-encoded records, same producers and batches',
  async run({ config, logger }) {
    const prefix = `bench.sim.${Date.now()}.`;
    const catalog = loadCatalog().filter((t) => t.schema);
    const topics = catalog.map((t) => `${prefix}${t.name}`);
    const kafka = createKafka(config.kafka, logger, 'bench');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: topics.map((topic) => ({ topic, numPartitions: config.topics.partitions, replicationFactor: 1 })), waitForLeaders: true });
    const outDir = mkdtempSync(join(tmpdir(), 'shelfstream-bench-sim-'));
    const workers = defaultWorkers();
    const { batchEvents, inFlight } = PIPELINE_DEFAULTS;
    try {
      const simulation = { seed: CHAIN.seed, stores: CHAIN.stores, skus: CHAIN.skus, window: { kind: 'days', startDay: parseDay(CHAIN.start), days: CHAIN.days }, anomalyRate: 1, heartbeats: true } as const;
      // CPU time per event as well as the rate: on a shared 2-core machine other load moves the
      // rates, while the CPU each event costs this process stays put.
      let cpu = process.cpuUsage();
      const summary = await runBackfill({ config, logger }, { simulation, outDir, workers, batchEvents, inFlight, topicPrefix: prefix, progress: false });
      const cpuPerEvent = cpuMicros(process.cpuUsage(cpu)) / summary.events;

      // Pre-encoded records of the same mix: one simulated day of the same chain, encoded once.
      const codec = await EventCodec.create(createSchemaRegistry(config.registry), config.registry, catalog.map((t) => ({ ...t, name: `${prefix}${t.name}` })));
      const sampleSim = new PosSimulator({ ...simulation, window: { kind: 'days', startDay: parseDay(CHAIN.start), days: 1 } });
      const sample: RawRecord[] = [];
      while (!sampleSim.done) {
        const hour = sampleSim.nextHour();
        for (const topic of EVENT_TOPICS) for (const e of hour.events[topic]) sample.push({ topic: `${prefix}${topic}`, key: e.store_id, value: codec.encode(`${prefix}${topic}`, e) });
      }
      const task = { config, sample, records: RAW_RECORDS, batch: batchEvents };
      // The limit is the better of two raw runs, one after the backfill and one after that:
      // other load on the machine and the broker's own housekeeping move single runs by 10-20%.
      cpu = process.cpuUsage();
      const rawSeconds = Math.min(await rawInThreads(task, workers), await rawInThreads(task, workers));
      const rawCpuPerEvent = cpuMicros(process.cpuUsage(cpu)) / (2 * workers * (RAW_RECORDS + RAW_WARM_UP));
      const rawSingleSeconds = await produceRaw(config, sample, RAW_RECORDS, batchEvents);

      const rawEventsPerS = (RAW_RECORDS * workers) / rawSeconds;
      return {
        events: summary.events,
        seconds: summary.seconds,
        events_per_s: Math.round(summary.eventsPerSecond),
        raw_events_per_s: Math.round(rawEventsPerS),
        raw_single_producer_events_per_s: Math.round(RAW_RECORDS / rawSingleSeconds),
        ratio: summary.eventsPerSecond / rawEventsPerS,
        cpu_us_per_event: cpuPerEvent,
        raw_cpu_us_per_event: rawCpuPerEvent,
        workers,
        batch_events: batchEvents,
        avg_record_bytes: Math.round(sample.reduce((sum, r) => sum + r.value.length, 0) / sample.length),
      };
    } finally {
      rmSync(outDir, { recursive: true, force: true });
      await admin.deleteTopics({ topics }).catch(() => undefined);
      await admin.disconnect();
    }
  },
};

// Worker-thread side of the raw baseline: this module is also the worker's entry point.
if (!isMainThread && (workerData as RawTask | undefined)?.kind === 'simulator-backfill-raw') {
  const task = workerData as RawTask;
  const port = parentPort!;
  const ready = async (): Promise<void> => {
    const go = new Promise((resolve) => port.once('message', resolve));
    port.postMessage('ready');
    await go;
  };
  // A failure rejects unhandled, which ends the worker with an 'error' the parent reports.
  void produceRaw(task.config, task.sample, task.records, task.batch, ready).then(() => port.postMessage('done'));
}
