/**
 * The kafkajs adapter: drives the runtime's core (core.ts) with a kafkajs consumer group in
 * production. It owns what only a broker has: the group (generations, heartbeats, pause and
 * resume, seeks), committed offsets and partition ends (admin client), produce with
 * acks=all, the ClickHouse client, and the process clock (a tick every half flush interval).
 * Everything about what is processed, written and committed, and in which order, is the
 * core's, and is unit-tested through the test driver (test-driver.ts).
 */
import type { Consumer, EachBatchPayload, Kafka, Producer } from 'kafkajs';
import type { ClickHouseClient } from '@clickhouse/client';
import { createProducer } from '../../lib/clients/kafka';
import type { EventCodec } from '../../lib/events/codec';
import type { Logger } from '../../lib/logger';
import type { Metrics } from '../../lib/metrics';
import { ClickHouseSink } from './clickhouse-sink';
import { ClickHouseStateBackend } from './clickhouse-state';
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
    retry: { retries: 10 },
  });
  const producer: Producer = createProducer(deps.kafka);
  const admin = deps.kafka.admin();
  await Promise.all([consumer.connect(), producer.connect(), admin.connect()]);

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
  await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: 1, eachBatch });

  let stopping = false;
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
  consumer.on(consumer.events.CRASH, (event) => {
    if (!event.payload.restart) {
      log.error({ err: event.payload.error }, 'consumer crashed and will not restart');
      resolveStopped();
    }
  });

  const running: RunningProcessor = {
    name,
    stopped,
    flush: () => core.flush(),
    stop: async () => {
      if (stopping) return stopped;
      stopping = true;
      clearInterval(timer);
      try {
        await core.drain();
      } finally {
        await consumer.disconnect().catch(() => undefined);
        await producer.disconnect().catch(() => undefined);
        await admin.disconnect().catch(() => undefined);
        resolveStopped();
      }
      return stopped;
    },
  };
  return running;
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
