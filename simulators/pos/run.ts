/**
 * Running the simulator against the platform: the simulation core (pure, synchronous) feeds a
 * publisher (Avro through the schema registry, lib/events) and the ground-truth files.
 *
 * backfill  simulates N days as fast as Kafka takes them. The chain is split into shards of
 *           stores, one per worker thread, each with its own idempotent producer
 *           (@platformatic/kafka, lib/events/publisher.ts: the client builds record batches in
 *           JavaScript, so one producer is bound by one core well before the broker is).
 *           Inside a shard, generating the next batch overlaps the produce request of the
 *           previous one. Shards are made of whole Kafka partitions (shards.ts) and each hour
 *           is merged across stores by event time, so every partition's records leave through
 *           one producer in event-time order, as real terminals would send them: a stream
 *           processor keeps one watermark per partition and drops what falls behind it.
 * realtime  replays the simulated clock against the wall clock at a speed factor and
 *           publishes each event when the simulated clock passes its time.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { setImmediate as yieldToIo, setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import type { Config } from '../../lib/config';
import { EventCodec } from '../../lib/events/codec';
import { type EventPublisher, createFastEventPublisher } from '../../lib/events/publisher';
import { createKafka } from '../../lib/clients/kafka';
import { createSchemaRegistry } from '../../lib/clients/registry';
import { ShelfStreamError, describeError } from '../../lib/errors';
import { withRetry } from '../../lib/retry';
import type { Logger } from '../../lib/logger';
import { type Progress, createProgress } from '../../lib/progress';
import { loadCatalog } from '../../schemas/catalog';
import type { TopicName } from '../../schemas/generated/events';
import { ANOMALY_TYPES, type AnomalyType } from './anomalies';
import { HOUR_MS } from '../../lib/domain/time';
import { formatDay } from '../../lib/domain/calendar';
import { GroundTruthWriter, TRUTH_FILES, type TruthBytes, chainDocument, formatTruth } from './ground-truth';
import type { SimulationOptions } from './options';
import { shardStores } from './shards';
import { PosSimulator } from './simulator';
import { EVENT_TOPICS, type EventTopic, type HourEvents, emptyEvents } from './store-sim';

export interface RunContext {
  readonly config: Config;
  readonly logger: Logger;
}

export interface PipelineOptions {
  /** Events per produce request (one publishMixed call). */
  readonly batchEvents: number;
  /**
   * Produce calls a shard has issued while it generates the next batch. The publisher sends
   * them one at a time in call order (its idempotent producer must), so more than 1 only
   * encodes the next batch earlier; after a failed request the queued one is still sent, and
   * the backfill then stops on the failure.
   */
  readonly inFlight: number;
  /** Publish to `<prefix><topic>` instead of the catalogue's topics (benchmarks); they must exist. */
  readonly topicPrefix?: string;
}

export const PIPELINE_DEFAULTS: PipelineOptions = {
  batchEvents: 3_000, // 3,000 and 6,000 measured alike with @platformatic/kafka (CPU per event within the noise of a shared machine)
  inFlight: 1, // one batch in Kafka, the next being generated
};

/**
 * Largest batch: with few stores every event of a batch can land on one partition, and a
 * partition's record batch must stay under the broker's message.max.bytes (1 MiB by default);
 * 6,000 events of ~140 bytes (plus record overhead) fit.
 */
export const MAX_BATCH_EVENTS = 6_000;

export interface BackfillOptions extends PipelineOptions {
  readonly simulation: SimulationOptions;
  /** Where the ground truth goes. */
  readonly outDir: string;
  /** Worker threads, one shard of stores each; 1 runs in this thread. */
  readonly workers: number;
  /** A live progress bar (or log lines) on stderr. */
  readonly progress: boolean;
}

export interface RunSummary {
  readonly mode: 'backfill' | 'realtime';
  readonly events: number;
  readonly eventsByTopic: Readonly<Record<string, number>>;
  readonly anomaliesByType: Readonly<Record<string, number>>;
  readonly simulatedHours: number;
  /** Wall-clock seconds from the first produce request to the last acknowledgement. */
  readonly seconds: number;
  readonly eventsPerSecond: number;
  readonly outDir: string;
  readonly workers: number;
}

/** Default worker count: one producer per core, leaving nothing idle on a 2-core machine. */
export function defaultWorkers(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

// ── publishing ───────────────────────────────────────────────────────────────────────────

export interface OpenedPublisher {
  readonly publisher: EventPublisher;
  readonly topic: (name: TopicName) => TopicName;
}

export async function openPublisher(ctx: RunContext, role: string, topicPrefix = ''): Promise<OpenedPublisher> {
  const catalog = loadCatalog().map((t) => (topicPrefix && t.schema ? { ...t, name: `${topicPrefix}${t.name}` } : t));
  const codec = await EventCodec.create(createSchemaRegistry(ctx.config.registry), ctx.config.registry, catalog);
  let publisher: EventPublisher;
  try {
    publisher = await createFastEventPublisher(ctx.config.kafka, role, codec, catalog);
  } catch (error) {
    throw new ShelfStreamError('SERVICE_UNAVAILABLE', `Kafka at ${ctx.config.kafka.brokers.join(',')}: ${describeError(error)}`, { cause: error, context: { service: 'kafka' } });
  }
  return { publisher, topic: (name) => `${topicPrefix}${name}` as TopicName };
}

/** What a shard reports while it runs. */
export interface ShardSink {
  truth(bytes: TruthBytes): void;
  progress(hours: number, events: number): void;
}

export interface ShardResult {
  readonly counts: Record<EventTopic, number>;
  readonly anomalies: Record<AnomalyType, number>;
  readonly hours: number;
}

/**
 * Simulates a shard's stores hour by hour and publishes them in batches of about
 * `batchEvents`, keeping up to `inFlight` produce requests pending while it generates.
 */
export async function runShard(opened: OpenedPublisher, simulation: SimulationOptions, pipeline: PipelineOptions, sink: ShardSink): Promise<ShardResult> {
  const sim = new PosSimulator(simulation);
  const anomalies = Object.fromEntries(ANOMALY_TYPES.map((t) => [t, 0])) as Record<AnomalyType, number>;
  const inflight: Promise<void>[] = [];
  let failure: unknown;
  const pending = emptyEvents();
  let pendingCount = 0;

  /** Sends up to `limit` pending events (a prefix of each topic's list, so order holds). */
  const flush = async (limit: number): Promise<void> => {
    if (pendingCount === 0) return;
    const batch = emptyEvents();
    let room = limit;
    for (const topic of EVENT_TOPICS) {
      const list = pending[topic] as unknown[];
      if (room === 0 || list.length === 0) continue;
      const take = Math.min(room, list.length);
      (batch[topic] as unknown[]) = take === list.length ? list : list.slice(0, take);
      (pending[topic] as unknown[]) = take === list.length ? [] : list.slice(take);
      room -= take;
    }
    pendingCount -= limit - room;
    // Wait for room before sending (not after): the batch just built was generated while the
    // previous request was in flight, and with one request at a time a retried request can
    // never be overtaken by the next one.
    while (inflight.length >= pipeline.inFlight) await inflight.shift();
    if (failure) throw failure;
    const sent = opened.publisher.publishMixed(EVENT_TOPICS.map((t) => ({ topic: opened.topic(t), events: batch[t] })));
    inflight.push(sent.catch((error: unknown) => void (failure ??= error)));
    // Let the producer write the request before the next batch is generated.
    await yieldToIo();
  };

  const account = (truth: ReturnType<PosSimulator['finish']>): void => {
    for (const a of truth.anomalies) anomalies[a.type]++;
    sink.truth(formatTruth(truth));
  };

  let hours = 0;
  while (!sim.done) {
    const hour = sim.nextHour();
    account(hour.truth);
    append(pending, hour.events);
    pendingCount += hour.eventCount;
    hours++;
    while (pendingCount >= pipeline.batchEvents) await flush(pipeline.batchEvents);
    sink.progress(1, hour.eventCount);
  }
  while (pendingCount > 0) await flush(pipeline.batchEvents);
  while (inflight.length > 0) await inflight.shift();
  if (failure) throw failure;
  account(sim.finish());
  return { counts: { ...sim.counts }, anomalies, hours };
}

function append(into: HourEvents, from: HourEvents): void {
  for (const topic of EVENT_TOPICS) {
    const target = into[topic] as unknown[];
    for (const e of from[topic]) target.push(e);
  }
}

// ── backfill ─────────────────────────────────────────────────────────────────────────────

/**
 * The partition counts of the event topics (one, as `shelfstream init` creates them with
 * TOPIC_PARTITIONS), read from the broker; the configured count for a topic that does not exist
 * yet. Only a sharded backfill asks: with one producer every partition is in order anyway.
 */
export async function eventPartitionCounts(ctx: RunContext, topicPrefix = ''): Promise<number[]> {
  const admin = createKafka(ctx.config.kafka, ctx.logger, 'simulator').admin();
  try {
    await admin.connect();
    const names = EVENT_TOPICS.map((t) => `${topicPrefix}${t}`);
    // Metadata of the existing topics only: asking for a missing one may create it.
    const existing = new Set(await admin.listTopics());
    const present = names.filter((n) => existing.has(n));
    const metadata = present.length > 0 ? await admin.fetchTopicMetadata({ topics: present }) : { topics: [] };
    const missing = names.filter((n) => !existing.has(n));
    if (missing.length > 0) ctx.logger.warn({ topics: missing, partitions: ctx.config.topics.partitions }, 'event topics missing (run `shelfstream init`); sharding by the configured partition count');
    return [...new Set(names.map((n) => metadata.topics.find((t) => t.name === n)?.partitions.length ?? ctx.config.topics.partitions))];
  } catch (error) {
    throw new ShelfStreamError('SERVICE_UNAVAILABLE', `Kafka at ${ctx.config.kafka.brokers.join(',')}: ${describeError(error)}`, { cause: error, context: { service: 'kafka' } });
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Messages between the backfill and its worker threads. */
export type WorkerMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'truth'; readonly bytes: TruthBytes }
  | { readonly type: 'progress'; readonly hours: number; readonly events: number }
  | { readonly type: 'done'; readonly result: ShardResult }
  | { readonly type: 'error'; readonly code?: string; readonly message: string };

export interface WorkerTask {
  readonly config: Config;
  readonly simulation: SimulationOptions;
  readonly pipeline: PipelineOptions;
}

export async function runBackfill(ctx: RunContext, options: BackfillOptions): Promise<RunSummary> {
  const { simulation } = options;
  if (simulation.window.kind !== 'days') throw new ShelfStreamError('CONFIG_INVALID', 'a backfill covers whole days');
  const issues = [
    !(Number.isInteger(options.workers) && options.workers >= 1) && `workers must be a whole number >= 1, got ${options.workers}`,
    !(Number.isInteger(options.batchEvents) && options.batchEvents >= 1 && options.batchEvents <= MAX_BATCH_EVENTS) && `batch events must be from 1 to ${MAX_BATCH_EVENTS}, got ${options.batchEvents}`,
    !(Number.isInteger(options.inFlight) && options.inFlight >= 1) && `in-flight batches must be a whole number >= 1, got ${options.inFlight}`,
  ].filter((i): i is string => typeof i === 'string');
  if (issues.length > 0) throw new ShelfStreamError('CONFIG_INVALID', `invalid backfill: ${issues.join('; ')}`);
  // The whole chain, to validate the options, shard it, write chain.json and publish master data.
  const chainSim = new PosSimulator(simulation);
  const partitionCounts = options.workers > 1 && simulation.stores > 1 ? await eventPartitionCounts(ctx, options.topicPrefix) : [];
  const shards = shardStores(chainSim.chain.stores.map((s) => s.store.store_id), partitionCounts, options.workers);
  const writer = new GroundTruthWriter(options.outDir);
  // Progress counts store-shard hours: each shard steps through the hours its stores span.
  const shardHours = shards.map((indices) => {
    const windows = indices.map((i) => chainSim.windowOf(i));
    return (Math.max(...windows.map((w) => w.end)) - Math.min(...windows.map((w) => w.start))) / HOUR_MS;
  });
  const progress = options.progress ? stopOnce(createProgress({ label: 'simulate backfill', total: shardHours.reduce((a, b) => a + b, 0), unit: 'shard-hours' })) : undefined;
  ctx.logger.info(
    { stores: simulation.stores, skus: simulation.skus, days: simulation.window.days, workers: shards.length, partitions: partitionCounts, storesPerWorker: shards.map((s) => s.length), outDir: options.outDir },
    'simulator backfill starting',
  );
  try {
    writer.writeJson(TRUTH_FILES.chain, chainDocument(chainSim.chain));
    const main = await openPublisher(ctx, 'simulator', options.topicPrefix);
    const master = chainSim.masterData();
    let started: number;
    let results: ShardResult[];
    try {
      const run = shards.length === 1 ? runInThisThread(main, options, writer, progress) : runInWorkers(ctx, shards, options, writer, progress);
      await run.ready;
      started = performance.now();
      await main.publisher.publishMixed([
        { topic: main.topic('md.stores'), events: master['md.stores'] },
        { topic: main.topic('md.products'), events: master['md.products'] },
        { topic: main.topic('md.exchange-rates'), events: master['md.exchange-rates'] },
      ]);
      results = await run.go();
    } finally {
      await main.publisher.close().catch(() => undefined);
    }
    const seconds = (performance.now() - started) / 1000;
    progress?.stop();
    const summary = summarize('backfill', results, master, seconds, options.outDir, shards.length, chainSim.hours);
    writer.writeJson(TRUTH_FILES.manifest, manifest(summary, simulation, options, chainSim));
    return summary;
  } finally {
    progress?.stop();
    writer.close();
  }
}

interface ShardRun {
  /** Resolves once every shard is connected. */
  readonly ready: Promise<void>;
  /** Starts simulating; resolves with each shard's result. */
  go(): Promise<ShardResult[]>;
}

/** A progress whose stop() may be called on both the success and the error path. */
function stopOnce(progress: Progress): Progress {
  let stopped = false;
  return { ...progress, stop: () => void (stopped || ((stopped = true), progress.stop())) };
}

function progressCounter(progress: Progress | undefined): (hours: number) => void {
  let done = 0;
  return (hours) => {
    done += hours;
    progress?.update(done);
  };
}

function runInThisThread(opened: OpenedPublisher, options: BackfillOptions, writer: GroundTruthWriter, progress: Progress | undefined): ShardRun {
  const tick = progressCounter(progress);
  return {
    ready: Promise.resolve(),
    go: async () => [await runShard(opened, options.simulation, options, { truth: (bytes) => writer.append(bytes), progress: (h) => tick(h) })],
  };
}

function runInWorkers(ctx: RunContext, shards: number[][], options: BackfillOptions, writer: GroundTruthWriter, progress: Progress | undefined): ShardRun {
  const script = join(__dirname, 'worker.js');
  if (!existsSync(script)) {
    throw new ShelfStreamError('CONFIG_INVALID', `worker threads run the built simulator (${script} is missing): run \`npm run build\`, or use one worker`);
  }
  const tick = progressCounter(progress);
  const workers: Worker[] = [];
  const readies: Promise<void>[] = [];
  const dones: Promise<ShardResult>[] = [];
  for (const storeIndices of shards) {
    const task: WorkerTask = { config: ctx.config, simulation: { ...options.simulation, storeIndices }, pipeline: { batchEvents: options.batchEvents, inFlight: options.inFlight, topicPrefix: options.topicPrefix } };
    const worker = new Worker(script, { workerData: task });
    workers.push(worker);
    let onReady!: () => void;
    readies.push(new Promise<void>((resolve) => (onReady = resolve)));
    dones.push(
      new Promise<ShardResult>((resolve, reject) => {
        worker.on('message', (m: WorkerMessage) => {
          if (m.type === 'ready') onReady();
          else if (m.type === 'truth') writer.append(m.bytes);
          else if (m.type === 'progress') tick(m.hours);
          else if (m.type === 'done') resolve(m.result);
          else reject(new ShelfStreamError(isErrorCode(m.code) ? m.code : 'SERVICE_UNAVAILABLE', `simulator shard ${storeIndices.join(',')}: ${m.message}`));
        });
        worker.on('error', (error) => reject(new ShelfStreamError('SERVICE_UNAVAILABLE', `simulator worker failed: ${describeError(error)}`, { cause: error })));
        worker.on('exit', (code) => reject(new ShelfStreamError('SERVICE_UNAVAILABLE', `simulator worker exited with code ${code} before it finished`)));
      }),
    );
  }
  const stopAll = async (): Promise<void> => void (await Promise.all(workers.map((w) => w.terminate())));
  // A worker that fails before it is ready must not leave the others waiting.
  const failed = Promise.race(dones).then(() => new Promise<never>(() => undefined));
  return {
    ready: Promise.race([Promise.all(readies).then(() => undefined), failed]).catch(async (error: unknown) => {
      await stopAll();
      throw error;
    }),
    go: async () => {
      for (const w of workers) w.postMessage('go');
      try {
        return await Promise.all(dones);
      } catch (error) {
        await stopAll();
        throw error;
      }
    },
  };
}

function isErrorCode(code: string | undefined): code is ShelfStreamError['code'] {
  return code !== undefined && ['CONFIG_INVALID', 'SERVICE_UNAVAILABLE', 'SCHEMA_INVALID', 'CONTRACT_VIOLATION'].includes(code);
}

function summarize(
  mode: RunSummary['mode'],
  results: readonly ShardResult[],
  master: ReturnType<PosSimulator['masterData']>,
  seconds: number,
  outDir: string,
  workers: number,
  simulatedHours: number,
): RunSummary {
  const eventsByTopic: Record<string, number> = {
    'md.stores': master['md.stores'].length,
    'md.products': master['md.products'].length,
    'md.exchange-rates': master['md.exchange-rates'].length,
  };
  for (const topic of EVENT_TOPICS) eventsByTopic[topic] = results.reduce((sum, r) => sum + r.counts[topic], 0);
  const anomaliesByType: Record<string, number> = {};
  for (const type of ANOMALY_TYPES) anomaliesByType[type] = results.reduce((sum, r) => sum + r.anomalies[type], 0);
  const events = Object.values(eventsByTopic).reduce((a, b) => a + b, 0);
  return {
    mode,
    events,
    eventsByTopic,
    anomaliesByType,
    simulatedHours,
    seconds,
    eventsPerSecond: seconds > 0 ? events / seconds : 0,
    outDir,
    workers,
  };
}

function manifest(summary: RunSummary, simulation: SimulationOptions, pipeline: PipelineOptions & { workers?: number; speed?: number }, sim: PosSimulator): Record<string, unknown> {
  const w = simulation.window;
  return {
    format_version: 1,
    mode: summary.mode,
    seed: simulation.seed,
    parameters: {
      stores: simulation.stores,
      skus: simulation.skus,
      ...(w.kind === 'days' ? { start: formatDay(w.startDay), days: w.days } : { start: new Date(w.start).toISOString(), end: w.end === undefined ? null : new Date(w.end).toISOString() }),
      anomaly_rate: simulation.anomalyRate,
      heartbeats: simulation.heartbeats,
      expiry_write_offs: simulation.expiryWriteOffs ?? false,
      workers: pipeline.workers ?? 1,
      batch_events: pipeline.batchEvents,
      in_flight: pipeline.inFlight,
      topic_prefix: pipeline.topicPrefix ?? '',
      ...(pipeline.speed !== undefined ? { speed: pipeline.speed } : {}),
    },
    window: { start: new Date(sim.start).toISOString(), end: Number.isFinite(sim.end) ? new Date(sim.end).toISOString() : null },
    simulated_hours: summary.simulatedHours,
    events_total: summary.events,
    events_by_topic: summary.eventsByTopic,
    anomalies_by_type: summary.anomaliesByType,
    seconds: Math.round(summary.seconds * 1000) / 1000,
    events_per_s: Math.round(summary.eventsPerSecond),
    written_at: new Date().toISOString(),
    files: TRUTH_FILES,
  };
}

// ── real time ────────────────────────────────────────────────────────────────────────────

export interface RealtimeOptions {
  readonly simulation: SimulationOptions;
  readonly outDir: string;
  /** Simulated seconds per wall-clock second (1 = real time, 60 = an hour a minute). */
  readonly speed: number;
  /** Where the simulated clock starts (default: the window's start). */
  readonly clockStart?: number;
  readonly progress: boolean;
  /** Stops the run: the hour being simulated is completed and published, then it ends. */
  readonly signal?: AbortSignal;
}

/** How often the real-time loop looks at the clock, in wall-clock milliseconds. */
const REALTIME_TICK_MS = 100;

/** A real-time run outlives a broker outage: unlimited attempts, spaced as the one retry policy spaces them. */
const REALTIME_PUBLISH_RETRY = {
  retries: Number.POSITIVE_INFINITY,
  initialDelayMs: 500, // first wait 0-0.5 s
  maxDelayMs: 5_000, // then at most 5 s between attempts, so the backlog goes out soon after the broker is back
};

export async function runRealtime(ctx: RunContext, options: RealtimeOptions): Promise<RunSummary> {
  const { simulation } = options;
  if (simulation.window.kind !== 'continuous') throw new ShelfStreamError('CONFIG_INVALID', 'a real-time run covers a continuous window');
  if (!(options.speed > 0)) throw new ShelfStreamError('CONFIG_INVALID', `speed must be positive, got ${options.speed}`);
  const sim = new PosSimulator(simulation);
  const writer = new GroundTruthWriter(options.outDir);
  const finite = Number.isFinite(sim.hours);
  const progress = options.progress ? stopOnce(createProgress({ label: 'simulate realtime', total: finite ? sim.hours : 1, unit: 'hours' })) : undefined;
  const anomalies = Object.fromEntries(ANOMALY_TYPES.map((t) => [t, 0])) as Record<AnomalyType, number>;
  const account = (truth: ReturnType<PosSimulator['finish']>): void => {
    for (const a of truth.anomalies) anomalies[a.type]++;
    writer.append(formatTruth(truth));
  };
  ctx.logger.info({ stores: simulation.stores, skus: simulation.skus, speed: options.speed, outDir: options.outDir }, 'simulator realtime starting');
  try {
    writer.writeJson(TRUTH_FILES.chain, chainDocument(sim.chain));
    const opened = await openPublisher(ctx, 'simulator');
    const master = sim.masterData();
    let seconds: number;
    try {
      await opened.publisher.publishMixed([
        { topic: 'md.stores', events: master['md.stores'] },
        { topic: 'md.products', events: master['md.products'] },
        { topic: 'md.exchange-rates', events: master['md.exchange-rates'] },
      ]);
      const clockStart = options.clockStart ?? sim.start;
      const wallStart = Date.now();
      const started = performance.now();
      const simulatedNow = (): number => clockStart + (Date.now() - wallStart) * options.speed;
      // Generated events not yet due, in event-time order.
      let queue: { at: number; topic: EventTopic; event: unknown }[] = [];
      let head = 0;
      let hours = 0;
      /** Publishes the queued events due by `until`, oldest first, in requests of at most a batch. */
      const release = async (until: number): Promise<void> => {
        while (head < queue.length && queue[head]!.at <= until) {
          const due = emptyEvents();
          let count = 0;
          while (head < queue.length && queue[head]!.at <= until && count < PIPELINE_DEFAULTS.batchEvents) {
            const entry = queue[head++]!;
            (due[entry.topic] as unknown[]).push(entry.event);
            count++;
          }
          // A store keeps its events while the broker is away and sends them once it is back, as
          // terminals do: the batch is sent again, unchanged, while the error says a retry can
          // help. A batch that did reach Kafka before its acknowledgement failed is then there
          // twice; consumers count each event_id once.
          await withRetry(() => opened.publisher.publishMixed(EVENT_TOPICS.map((t) => ({ topic: t, events: due[t] }))), {
            ...REALTIME_PUBLISH_RETRY,
            onRetry: (error, attempt, delayMs) => ctx.logger.warn({ err: describeError(error), attempt, delayMs }, 'Kafka did not take a batch of events; sending it again'),
          });
        }
      };
      while (!options.signal?.aborted && !(sim.done && head >= queue.length)) {
        const now = simulatedNow();
        while (!sim.done && sim.now <= now) {
          const hour = sim.nextHour();
          account(hour.truth);
          const entries: { at: number; topic: EventTopic; event: unknown }[] = [];
          for (const topic of EVENT_TOPICS) for (const e of hour.events[topic]) entries.push({ at: e.occurred_at, topic, event: e });
          // Stable: each store's events keep their order.
          entries.sort((a, b) => a.at - b.at);
          queue = queue.slice(head).concat(entries);
          head = 0;
          hours++;
          if (!finite) progress?.setTotal(hours);
          progress?.update(hours);
        }
        await release(now);
        await sleep(REALTIME_TICK_MS);
      }
      // Stopping completes the hours already simulated, so ground truth matches the topics.
      await release(Number.POSITIVE_INFINITY);
      account(sim.finish());
      seconds = (performance.now() - started) / 1000;
      progress?.stop();
      const summary = summarize('realtime', [{ counts: { ...sim.counts }, anomalies, hours }], master, seconds, options.outDir, 1, hours);
      writer.writeJson(TRUTH_FILES.manifest, manifest(summary, simulation, { ...PIPELINE_DEFAULTS, inFlight: 1, speed: options.speed }, sim));
      return summary;
    } finally {
      await opened.publisher.close().catch(() => undefined);
    }
  } finally {
    progress?.stop();
    writer.close();
  }
}

/** Rounds a wall-clock instant down to the hour, for the start of a real-time window. */
export function floorHour(ms: number): number {
  return Math.floor(ms / HOUR_MS) * HOUR_MS;
}
