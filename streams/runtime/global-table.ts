/**
 * A global table (Kafka Streams' GlobalKTable): every partition of a compacted topic, read from
 * the start by every instance and kept current, as a key -> value map. For small shared state
 * that every task needs whatever partitions it owns (alert subscriptions), where a partitioned
 * input would give each task only its share of the keys.
 *
 * The reader has a consumer group of its own per instance (kafkajs has no group-less consumer),
 * named `<prefix>.<random>`, that never commits and is deleted on stop: each start reads the
 * topic whole again. `ready` resolves once the end offsets taken at start are read, so a task
 * created after it sees every key written before the instance started.
 *
 * `catchUp` is the barrier that makes a table an input a processor can rely on (master data for
 * the stock and anomaly processors): it takes the topic's end offsets now and resolves once the
 * reader has read that far. A task that meets a key the table does not hold yet calls it before
 * deciding the key is absent: whatever was published before the record being processed (ingest
 * refuses a sale of a store not in md.stores, so the store's record comes first) is then found,
 * on a live run as on a replay.
 */
import { randomBytes } from 'node:crypto';
import type { Consumer, Kafka } from 'kafkajs';
import { ShelfStreamError } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import { type RetryOptions, withRetry } from '../../lib/retry';
import { crashedOnUnreachableBroker, restartDelayMs } from './consumer-crash';

/** The broker's default group.max.session.timeout.ms is 30 minutes; a minute rides out any stall. */
const GLOBAL_TABLE_SESSION_TIMEOUT_MS = 60_000;
/**
 * How long the coordinator waits for the reader's group to rejoin (kafkajs' 60 s by default). A
 * reader restarted by kafkajs (after a broker outage) joins with a new member id, and its JoinGroup
 * waits this long for the member it replaces, which never comes: with 60 s, a stop in that window
 * waited up to a minute for the JoinGroup (kafkajs' disconnect waits for requests in flight), and
 * the reader re-read the table a minute late. The group has one live member, whose rejoin takes
 * one batch of small records.
 */
const GLOBAL_TABLE_REBALANCE_TIMEOUT_MS = 10_000; // 10 s

export interface GlobalTableOptions<V> {
  readonly topic: string;
  /** Prefix of the reader's throwaway consumer group. */
  readonly groupPrefix: string;
  /** A value, or undefined for a tombstone; throws (or rejects) for a record that is not one. */
  readonly decode: (key: string, value: Buffer | null) => V | undefined | Promise<V | undefined>;
}

export type GlobalTableListener<V> = (key: string, value: V | undefined) => void;

/** What a task reads of a global table: its values, and the barrier before deciding a key is absent. */
export interface GlobalTableView<V> {
  get(key: string): V | undefined;
  /**
   * Resolves once every record published to the topic before the call has been read. Retries
   * while the broker cannot answer (a task waits, as it does for its own inputs); rejects only
   * once the table is stopped.
   */
  catchUp(): Promise<void>;
}

export interface GlobalTable<V> extends GlobalTableView<V> {
  /** Resolves when every record published before the start has been read. */
  readonly ready: Promise<void>;
  entries(): IterableIterator<[string, V]>;
  /** Called for every change after it is applied; returns a function that removes the listener. */
  listen(listener: GlobalTableListener<V>): () => void;
  stop(): Promise<void>;
}

/** How long the barrier waits between two tries of a broker that does not answer. */
const CATCH_UP_RETRY: RetryOptions = { retries: Number.POSITIVE_INFINITY, initialDelayMs: 200, maxDelayMs: 5_000 }; // 0.2 s, then up to 5 s

export async function startGlobalTable<V>(kafka: Kafka, logger: Logger, options: GlobalTableOptions<V>): Promise<GlobalTable<V>> {
  const values = new Map<string, V>();
  /** The next offset to read, per partition (what the reader has read so far). */
  const positions = new Map<number, bigint>();
  /** Barriers waiting: the end offsets they need read, and how to release them. */
  const waiters = new Set<{ readonly ends: Map<number, bigint>; readonly done: () => void }>();
  const releaseWaiters = (): void => {
    for (const w of waiters) {
      for (const [partition, end] of w.ends) if ((positions.get(partition) ?? 0n) >= end) w.ends.delete(partition);
      if (w.ends.size === 0) {
        waiters.delete(w);
        w.done();
      }
    }
  };
  const stopping = new AbortController();
  const listeners = new Set<GlobalTableListener<V>>();
  const log = logger.child({ component: 'global-table', topic: options.topic });
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `${options.groupPrefix}.${randomBytes(4).toString('hex')}`;
  let consumer: Consumer | undefined;
  let run: () => Promise<void> = () => Promise.resolve();
  try {
    const ends = await admin.fetchTopicOffsets(options.topic);
    const remaining = new Map(ends.filter((p) => BigInt(p.high) > BigInt(p.low)).map((p) => [p.partition, BigInt(p.high)]));
    let markReady: () => void = () => undefined;
    let failReady: (error: unknown) => void = () => undefined;
    const ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      failReady = reject;
    });
    if (remaining.size === 0) markReady();
    // No partition moves between members (each instance has a group of its own), so a long
    // session costs nothing, and a short one expired while a forecast training held the event
    // loop of a busy `demo`: the broker dropped the member, which then read the topic again.
    consumer = kafka.consumer({
      groupId,
      sessionTimeout: GLOBAL_TABLE_SESSION_TIMEOUT_MS,
      rebalanceTimeout: GLOBAL_TABLE_REBALANCE_TIMEOUT_MS,
      heartbeatInterval: 3_000,
      // kafkajs restarts a consumer that crashed (a broker outage) from a timer of its own, which
      // its disconnect does not cancel when the crash comes after it: a stop that lands while the
      // restarted reader is still joining (its JoinGroup in flight) closes the connections, the
      // join fails with "Closed connection", and kafkajs restarts the reader 300 ms later, now
      // with nobody to stop it (kafkajs issues 1147 and 1639). That reader kept the processors'
      // process alive after SIGTERM (the kafka-outage rehearsal: five processor groups empty,
      // three reader groups Stable with one member each). Once the table stops, no restart.
      retry: { restartOnFailure: async () => !stopping.signal.aborted },
    });
    await consumer.connect();
    await consumer.subscribe({ topic: options.topic, fromBeginning: true });
    const reader = consumer;
    run = () => reader.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const key = message.key?.toString('utf8');
        if (key !== undefined) {
          let decoded: { value: V | undefined } | undefined;
          try {
            decoded = { value: await options.decode(key, message.value) };
          } catch (error) {
            // One unreadable record must not hide the others: logged and skipped, the key keeps its last value.
            log.error({ err: error, partition, offset: message.offset }, 'global table record skipped');
          }
          if (decoded) {
            if (decoded.value === undefined) values.delete(key);
            else values.set(key, decoded.value);
            for (const listener of listeners) listener(key, decoded.value);
          }
        }
        positions.set(partition, BigInt(message.offset) + 1n);
        releaseWaiters();
        const end = remaining.get(partition);
        if (end !== undefined && BigInt(message.offset) + 1n >= end) {
          remaining.delete(partition);
          if (remaining.size === 0) markReady();
        }
      },
    });
    await run();
    const crashed = consumer.on(consumer.events.CRASH, (event) => failReady(event.payload.error));
    await ready;
    crashed();
  } catch (error) {
    stopping.abort(); // no restart of the reader by kafkajs either
    await consumer?.disconnect().catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
    throw error;
  }
  const running = consumer;
  // A reader that kafkajs gives up on because the broker could not be reached (consumer-crash.ts)
  // is run again, or the table would stop changing and every barrier would wait for good. The
  // group never commits, so the rerun reads the topic whole again: the same values.
  let restartTimer: NodeJS.Timeout | undefined;
  let unreachableRestarts = 0;
  running.on(running.events.GROUP_JOIN, () => (unreachableRestarts = 0));
  running.on(running.events.CRASH, (event) => {
    if (event.payload.restart || stopping.signal.aborted) return;
    if (crashedOnUnreachableBroker(event.payload.error)) {
      const delayMs = restartDelayMs(++unreachableRestarts);
      log.warn({ err: event.payload.error, delayMs, attempt: unreachableRestarts }, 'global table reader crashed: the broker could not be reached; restarting it');
      restartTimer = setTimeout(() => {
        if (!stopping.signal.aborted) void run().catch((error: unknown) => log.error({ err: error }, 'global table reader restart failed'));
      }, delayMs);
      return;
    }
    log.error({ err: event.payload.error }, 'global table reader crashed and will not restart: its values stay as last read');
  });
  /** One barrier: the end offsets now, then a wait until the reader is there. */
  async function catchUpOnce(): Promise<void> {
    const ends = await admin.fetchTopicOffsets(options.topic);
    const needed = new Map<number, bigint>();
    // A partition whose records are all read (or that has none) needs no wait. A compacted topic
    // keeps its last record, so its end is always the offset after a record the reader meets.
    for (const p of ends) if (BigInt(p.high) > BigInt(p.low) && (positions.get(p.partition) ?? BigInt(p.low)) < BigInt(p.high)) needed.set(p.partition, BigInt(p.high));
    if (needed.size === 0) return;
    await new Promise<void>((resolve, reject) => {
      const stopped = (): void => {
        waiters.delete(waiter);
        reject(new ShelfStreamError('SERVICE_UNAVAILABLE', `global table of ${options.topic} stopped while a task waited for it`, { canRetry: false, context: { topic: options.topic } }));
      };
      const waiter = {
        ends: needed,
        done: () => {
          stopping.signal.removeEventListener('abort', stopped);
          resolve();
        },
      };
      waiters.add(waiter);
      stopping.signal.addEventListener('abort', stopped, { once: true });
      releaseWaiters();
    });
  }
  return {
    ready: Promise.resolve(),
    get: (key) => values.get(key),
    entries: () => values.entries(),
    catchUp: () =>
      withRetry(
        async () => {
          try {
            return await catchUpOnce();
          } catch (error) {
            if (stopping.signal.aborted || error instanceof ShelfStreamError) throw error;
            // The broker away (an outage): the task waits for it as its own inputs do.
            throw new ShelfStreamError('SERVICE_UNAVAILABLE', `end offsets of ${options.topic}: ${String(error)}`, { cause: error, context: { topic: options.topic } });
          }
        },
        { ...CATCH_UP_RETRY, signal: stopping.signal, onRetry: (error, attempt) => {
            if (attempt === 1) log.warn({ err: error }, 'global table cannot reach the broker; its barrier retries');
          },
        },
      ),
    listen(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    async stop() {
      stopping.abort();
      clearTimeout(restartTimer);
      listeners.clear();
      await running.disconnect();
      await admin.deleteGroups([groupId]).catch(() => undefined);
      await admin.disconnect();
    },
  };
}
