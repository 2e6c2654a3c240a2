/**
 * The kafkajs adapter: drives the runtime's core (core.ts) with a kafkajs consumer group in
 * production. It owns what only a broker has: the group (generations, heartbeats, pause and
 * resume, seeks), committed offsets and partition ends (admin client), produce with
 * acks=all, the ClickHouse client, and the process clock (a tick every half flush interval).
 * Everything about what is processed, written and committed, and in which order, is the
 * core's, and is unit-tested through the test driver (test-driver.ts).
 */
import { crashedOnUnreachableBroker, restartDelayMs } from './consumer-crash';
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { ClickHouseClient } from '@clickhouse/client';
import { createProducer, type IdempotentProducer } from '../../lib/clients/kafka';
import type { EventCodec } from '../../lib/events/codec';
import type { Logger } from '../../lib/logger';
import type { Metrics } from '../../lib/metrics';
import { ClickHouseSink } from './clickhouse-sink';
import { ClickHouseStateBackend } from './clickhouse-state';
import { startGlobalTable, type GlobalTable } from './global-table';
import { ProcessorCore, type CommittedOffset, type PartitionEnds } from './core';
import type { OutputPorts } from './durable-write';
import { consumerGroupOf, type ProcessorDefinition } from './processor';
import type { StandIns } from './topics';

export interface RunnerOptions {
  /** Longest time rows wait in memory before they are written (ms): bounds visibility latency. */
  readonly flushIntervalMs: number;
  /** Rows buffered before a flush is forced, whatever the time. */
  readonly maxBufferedRows: number;
  readonly deadLetterTopic: string;
  readonly database: string;
  /** Consumer group session timeout (ms): how long a dead member keeps its partitions. */
  readonly sessionTimeoutMs: number;
  /**
   * How long a rebalance waits for members to rejoin (ms); kafkajs' 60 s by default. A restart
   * after a crash joins at once and the group waits this long for the dead member (until its
   * session times out otherwise), so this, not the session timeout, bounds recovery.
   */
  readonly rebalanceTimeoutMs?: number;
  /** Consumer group; defaults to `shelfstream.<processor>`. A new group reprocesses from the start. */
  readonly groupId?: string;
  /**
   * Longest stretch (ms) of one batch's records between turns of the event loop: the process may
   * also serve HTTP (`run all`), and a batch of a partition that fell behind runs for hundreds of
   * ms. Unset or 0: a batch runs in one go.
   */
  readonly yieldAfterMs?: number;
  /** How long each close step of a stop may take (ms); 15 s by default. */
  readonly stopStepTimeoutMs?: number;
  /** How long the stop's drain (last flush and commit) may take (ms); 30 s by default. */
  readonly drainTimeoutMs?: number;
  /** Stop by itself once every partition is caught up and nothing arrived for this long (ms). */
  readonly stopWhenIdleMs?: number;
  /**
   * Output stand-ins: catalogue topic -> topic the processor's events go to instead (tests and
   * reprocessing runs must not add alerts to the topic subscribers read). Encoded with the
   * catalogue topic's schema.
   */
  readonly outputTopics?: StandIns;
}

export interface RunningProcessor {
  readonly name: string;
  /** Flushes, commits and leaves the group. */
  stop(): Promise<void>;
  /** Resolves when the consumer has stopped (by `stop` or a fatal error). */
  readonly stopped: Promise<void>;
  /** Flushes now (tests and graceful shutdown). */
  flush(): Promise<void>;
}

export interface RunnerDeps {
  readonly kafka: Kafka;
  readonly codec: EventCodec;
  readonly clickhouse: ClickHouseClient;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

export async function startProcessor(definition: ProcessorDefinition, deps: RunnerDeps, options: RunnerOptions): Promise<RunningProcessor> {
  const name = definition.name;
  const groupId = options.groupId ?? consumerGroupOf(definition);
  const log = deps.logger.child({ processor: name });
  /** Set when the stop begins: the tick stops, and a crash of the consumer no longer restarts it. */
  let stopping = false;
  const consumer: Consumer = deps.kafka.consumer({
    groupId,
    sessionTimeout: options.sessionTimeoutMs,
    ...(options.rebalanceTimeoutMs === undefined ? {} : { rebalanceTimeout: options.rebalanceTimeoutMs }),
    // A live member learns of a rebalance at its next heartbeat, then has what is left of the
    // rebalance timeout (5 s by default) to finish its batch and rejoin.
    heartbeatInterval: 1_000,
    allowAutoTopicCreation: false,
    maxBytesPerPartition: 4 * 1_048_576,
    maxBytes: 16 * 1_048_576,
    // kafkajs restarts a crashed consumer from a timer its disconnect does not cancel when the
    // crash comes during the stop (the join in flight fails on the closed connection): that
    // consumer would rejoin with nobody to stop it (global-table.ts says more). Not once stopping.
    retry: { retries: 10, restartOnFailure: async () => !stopping },
  });
  const producer: IdempotentProducer = createProducer(deps.kafka);
  const admin = deps.kafka.admin();
  // Read whole before the first task is made: a task restored at assignment sees the master data published before the start.
  const globalTables = await startGlobalTables(definition, deps, groupId);
  try {
    await Promise.all([consumer.connect(), producer.connect(), admin.connect()]);
  } catch (error) {
    await stopGlobalTables(globalTables);
    throw error;
  }

  async function loadCommitted(): Promise<Map<string, CommittedOffset>> {
    const result = new Map<string, CommittedOffset>();
    const fetched = await admin.fetchOffsets({ groupId, topics: [...definition.inputs] });
    for (const t of fetched) {
      for (const p of t.partitions) {
        const offset = Number(p.offset);
        result.set(`${t.topic}:${p.partition}`, { offset: offset >= 0 ? offset : undefined, metadata: p.metadata ?? undefined });
      }
    }
    return result;
  }

  async function loadEnds(): Promise<Map<string, PartitionEnds>> {
    const result = new Map<string, PartitionEnds>();
    for (const topic of definition.inputs) {
      for (const p of await admin.fetchTopicOffsets(topic)) result.set(`${topic}:${p.partition}`, { low: Number(p.low), high: Number(p.high) });
    }
    return result;
  }

  const sink = new ClickHouseSink(deps.clickhouse, options.database);
  const query = async <T>(sql: string, params?: Record<string, unknown>): Promise<T[]> => {
    const result = await deps.clickhouse.query({ query: sql, query_params: params, format: 'JSONEachRow' });
    return result.json<T>();
  };
  const state = new ClickHouseStateBackend(query, (write) => sink.write(write), options.database);
  const outputs: OutputPorts = {
    produce: async (topic, messages) => void (await producer.send({ topic, acks: -1, messages })),
    writeRows: async (write) => {
      await sink.write(write);
      const after = definition.afterWrite?.[write.table];
      if (!after) return;
      try {
        await after(deps.clickhouse, options.database);
      } catch (error) {
        // The rows are durable and the step only hastens what happens anyway on its own schedule:
        // retrying the write for it would stall every input of the processor on a step that may
        // never pass (a server user without the SYSTEM VIEWS privilege, say).
        log.warn({ err: error, table: write.table }, 'the step after writing the table failed; the rows are written and the offsets will be committed');
      }
    },
    saveState: (snapshots) => state.save(snapshots),
    commit: async (commits) => {
      try {
        await consumer.commitOffsets([...commits]);
      } catch (error) {
        if (!generationLost(error)) throw error;
        // The output is durable; the group moved on (this member was evicted, or is rejoining).
        // The next generation re-reads from the last commit and re-writes the same rows.
        log.warn({ err: error }, 'offsets not committed: the group has a new generation, which re-reads from the last commit');
      }
    },
  };
  const core = new ProcessorCore(
    definition,
    {
      codec: deps.codec,
      logger: deps.logger,
      metrics: deps.metrics,
      outputs,
      clock: Date.now,
      query,
      state,
      globalTables,
      source: {
        loadCommitted,
        loadEnds,
        seek: (topic, partition, offset) => consumer.seek({ topic, partition, offset: String(offset) }),
        pause: (topic, partition) => consumer.pause([{ topic, partitions: [partition] }]),
        resume: (topic, partition) => consumer.resume([{ topic, partitions: [partition] }]),
      },
    },
    { ...options, stateOwner: groupId },
  );

  // Tasks are created (and restored) on assignment, before the first fetch of the generation:
  // assign() takes its place on the core's lock now, ahead of the batches fetched next.
  consumer.on(consumer.events.GROUP_JOIN, (event) => {
    const assignment = Object.entries(event.payload.memberAssignment).flatMap(([topic, partitions]) => partitions.map((partition) => ({ topic, partition })));
    void core.assign(assignment);
  });

  /**
   * True when this consumer has read every partition of its inputs to the end. Meant for a
   * single consumer (replays, rebuilds, tests): idle time alone is not enough, since joining a
   * group whose previous member died waits for that member's session to expire.
   */
  async function caughtUpOnEveryPartition(): Promise<boolean> {
    let fromCommits: Map<string, CommittedOffset> | undefined;
    for (const topic of definition.inputs) {
      for (const p of await admin.fetchTopicOffsets(topic)) {
        const high = Number(p.high);
        if (high === Number(p.low)) continue;
        // A partition read to its end by an earlier run brings no batch to this one: its
        // committed offset says where it stands.
        const next = core.nextOffset(topic, p.partition) ?? (fromCommits ??= await loadCommitted()).get(`${topic}:${p.partition}`)?.offset;
        if (next === undefined || next < high) return false;
      }
    }
    return true;
  }

  async function eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    const outcome = await core.processBatch(
      { topic: batch.topic, partition: batch.partition, messages: batch.messages, highWatermark: Number(batch.highWatermark) },
      heartbeat,
      () => isRunning() && !isStale(),
    );
    if (outcome === 'processed') resolveOffset(batch.lastOffset());
  }

  for (const topic of definition.inputs) await consumer.subscribe({ topic, fromBeginning: true });
  const runConsumer = (): Promise<void> => consumer.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: 1, eachBatch });
  await runConsumer();

  let checkingIdle = false;
  let ticking = false;
  const timer = setInterval(() => {
    if (stopping) return;
    if (!ticking) {
      ticking = true;
      core
        .tick()
        .catch((error: unknown) => log.error({ err: error }, 'background flush failed; the next batch retries it'))
        .finally(() => (ticking = false));
    }
    if (options.stopWhenIdleMs !== undefined && !checkingIdle && Date.now() - core.lastRecordAt >= options.stopWhenIdleMs) {
      checkingIdle = true;
      void caughtUpOnEveryPartition()
        .then((done) => {
          if (done) {
            log.info({ idleMs: options.stopWhenIdleMs }, 'caught up on every partition and idle: stopping');
            void running.stop();
          }
        })
        .catch(() => undefined)
        .finally(() => (checkingIdle = false));
    }
  }, Math.max(50, Math.floor(options.flushIntervalMs / 2)));

  let resolveStopped!: () => void;
  const stopped = new Promise<void>((resolve) => (resolveStopped = resolve));
  // Restarts in a row of a consumer that crashed on an unreachable broker (./consumer-crash.ts);
  // back to 0 once it has a batch again.
  let unreachableRestarts = 0;
  let restartTimer: NodeJS.Timeout | undefined;
  consumer.on(consumer.events.GROUP_JOIN, () => (unreachableRestarts = 0));
  consumer.on(consumer.events.CRASH, (event) => {
    // During the stop a crash is the stop's own doing (connections it closed); the stop goes on.
    if (event.payload.restart || stopping) return;
    if (crashedOnUnreachableBroker(event.payload.error)) {
      // kafkajs gave this consumer up (it has disconnected it); run it again, as kafkajs does a retriable crash.
      const delayMs = restartDelayMs(++unreachableRestarts);
      log.warn({ err: event.payload.error, delayMs, attempt: unreachableRestarts }, 'consumer crashed: the broker could not be reached; restarting it');
      restartTimer = setTimeout(() => {
        if (!stopping) void runConsumer().catch((error: unknown) => log.error({ err: error }, 'consumer restart failed'));
      }, delayMs);
      return;
    }
    log.error({ err: event.payload.error }, 'consumer crashed and will not restart');
    void stopGlobalTables(globalTables).finally(resolveStopped);
  });

  const running: RunningProcessor = {
    name,
    stopped,
    flush: () => core.flush(),
    stop: async () => {
      if (stopping) return stopped;
      stopping = true;
      clearInterval(timer);
      clearTimeout(restartTimer);
      const stop = new StopSteps(name, log, options.stopStepTimeoutMs ?? STOP_STEP_TIMEOUT_MS);
      try {
        await stop.step('drain', () => core.drain(), { timeoutMs: options.drainTimeoutMs ?? DRAIN_TIMEOUT_MS, detail: () => ({ lockHeldBy: core.lockHolder }) });
        await stop.step('consumer', () => consumer.disconnect(), { detail: () => ({ lockHeldBy: core.lockHolder }) });
        await Promise.all([stop.step('producer', () => producer.disconnect()), stop.step('admin', () => admin.disconnect()), stop.step('global tables', () => stopGlobalTables(globalTables))]);
      } finally {
        stop.done();
        resolveStopped();
      }
      return stopped;
    },
  };
  return running;
}

/** How long each close step of a graceful stop (consumer, producer, admin, global tables) may take. */
const STOP_STEP_TIMEOUT_MS = 15_000; // 15 s
/** How long the stop's drain (the tasks' last flush and commit) may take before the clients close without it. */
const DRAIN_TIMEOUT_MS = 30_000; // 30 s: what is not committed is read again at the next start

/** The steps of stops in progress, by processor: read with the inspector when a stop hangs. */
export const stopsInProgress = new Map<string, Map<string, number>>();

/**
 * One graceful stop's steps, each bounded: a step that does not settle in time is logged by name
 * (with what it waits for) and the stop goes on without it, so the process exits with its status
 * rather than waiting on a promise that never settles.
 */
class StopSteps {
  /** Steps begun and not settled, with when each began. */
  private readonly pending = new Map<string, number>();

  constructor(
    private readonly processor: string,
    private readonly log: Logger,
    private readonly timeoutMs: number,
  ) {
    stopsInProgress.set(processor, this.pending);
  }

  async step(step: string, work: () => Promise<unknown>, options: { readonly timeoutMs?: number; readonly detail?: () => object } = {}): Promise<void> {
    const began = Date.now();
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    this.pending.set(step, began);
    this.log.debug({ step }, 'stop: step begins');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timed out'>((resolve) => (timer = setTimeout(() => resolve('timed out'), timeoutMs)));
    const settled = work().then(
      () => 'done' as const,
      (error: unknown) => ({ error }),
    );
    try {
      const outcome = await Promise.race([settled, timedOut]);
      if (outcome === 'timed out') {
        this.log.warn({ step, timeoutMs, ...options.detail?.() }, `stop: ${step} did not finish in ${timeoutMs} ms; stopping without it`);
        // Still named while it hangs, for the inspector; taken off if it settles after all.
        void settled.then(() => this.pending.delete(step));
        return;
      }
      this.pending.delete(step);
      if (outcome === 'done') this.log.info({ step, ms: Date.now() - began }, 'stop: step done');
      else this.log.warn({ step, err: outcome.error }, `stop: ${step} failed; stopping without it`);
    } finally {
      clearTimeout(timer);
    }
  }

  done(): void {
    if (this.pending.size === 0) stopsInProgress.delete(this.processor);
  }
}

/** The definition's global tables, each read whole by a reader of its own (global-table.ts). */
async function startGlobalTables(definition: ProcessorDefinition, deps: RunnerDeps, groupId: string): Promise<Map<string, GlobalTable<unknown>>> {
  const tables = new Map<string, GlobalTable<unknown>>();
  try {
    for (const topic of definition.globalTables ?? []) {
      // Values as their writer schema has them: master data is read whole, not projected.
      const decode = async (_key: string, value: Buffer | null): Promise<unknown> => (value === null ? undefined : (await deps.codec.decode(value)).value);
      tables.set(topic, await startGlobalTable(deps.kafka, deps.logger, { topic, groupPrefix: `${groupId}.global`, decode }));
    }
  } catch (error) {
    await stopGlobalTables(tables);
    throw error;
  }
  return tables;
}

async function stopGlobalTables(tables: ReadonlyMap<string, GlobalTable<unknown>>): Promise<void> {
  await Promise.all([...tables.values()].map((t) => t.stop().catch(() => undefined)));
}

/** Kafka's answers to a commit from a member the group no longer counts (KIP-345's fencing aside). */
const GENERATION_LOST = new Set(['UNKNOWN_MEMBER_ID', 'ILLEGAL_GENERATION', 'REBALANCE_IN_PROGRESS']);

/** True when a commit failed because this member is no longer in the current generation (kafkajs wraps the protocol error). */
export function generationLost(error: unknown): boolean {
  for (let e: unknown = error; typeof e === 'object' && e !== null; e = (e as { cause?: unknown }).cause) {
    const { type, message } = e as { type?: unknown; message?: unknown };
    if (typeof type === 'string' && GENERATION_LOST.has(type)) return true;
    // kafkajs between a crash and the restart of its consumer group.
    if (typeof message === 'string' && message.startsWith('Consumer group was not initialized')) return true;
  }
  return false;
}
