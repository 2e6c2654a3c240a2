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
 */
import { randomBytes } from 'node:crypto';
import type { Consumer, Kafka } from 'kafkajs';
import type { Logger } from '../../lib/logger';

/** The broker's default group.max.session.timeout.ms is 30 minutes; a minute rides out any stall. */
const GLOBAL_TABLE_SESSION_TIMEOUT_MS = 60_000;

export interface GlobalTableOptions<V> {
  readonly topic: string;
  /** Prefix of the reader's throwaway consumer group. */
  readonly groupPrefix: string;
  /** A value, or undefined for a tombstone; throws for a record that is not one. */
  readonly decode: (key: string, value: Buffer | null) => V | undefined;
}

export type GlobalTableListener<V> = (key: string, value: V | undefined) => void;

export interface GlobalTable<V> {
  /** Resolves when every record published before the start has been read. */
  readonly ready: Promise<void>;
  get(key: string): V | undefined;
  entries(): IterableIterator<[string, V]>;
  /** Called for every change after it is applied; returns a function that removes the listener. */
  listen(listener: GlobalTableListener<V>): () => void;
  stop(): Promise<void>;
}

export async function startGlobalTable<V>(kafka: Kafka, logger: Logger, options: GlobalTableOptions<V>): Promise<GlobalTable<V>> {
  const values = new Map<string, V>();
  const listeners = new Set<GlobalTableListener<V>>();
  const log = logger.child({ component: 'global-table', topic: options.topic });
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `${options.groupPrefix}.${randomBytes(4).toString('hex')}`;
  let consumer: Consumer | undefined;
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
    consumer = kafka.consumer({ groupId, sessionTimeout: GLOBAL_TABLE_SESSION_TIMEOUT_MS, heartbeatInterval: 3_000 });
    await consumer.connect();
    await consumer.subscribe({ topic: options.topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const key = message.key?.toString('utf8');
        if (key !== undefined) {
          let value: V | undefined;
          try {
            value = options.decode(key, message.value);
          } catch (error) {
            // One unreadable record must not hide the others: logged and skipped, the key keeps its last value.
            log.error({ err: error, partition, offset: message.offset }, 'global table record skipped');
            return;
          }
          if (value === undefined) values.delete(key);
          else values.set(key, value);
          for (const listener of listeners) listener(key, value);
        }
        const end = remaining.get(partition);
        if (end !== undefined && BigInt(message.offset) + 1n >= end) {
          remaining.delete(partition);
          if (remaining.size === 0) markReady();
        }
      },
    });
    const crashed = consumer.on(consumer.events.CRASH, (event) => failReady(event.payload.error));
    await ready;
    crashed();
  } catch (error) {
    await consumer?.disconnect().catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
    throw error;
  }
  const running = consumer;
  return {
    ready: Promise.resolve(),
    get: (key) => values.get(key),
    entries: () => values.entries(),
    listen(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    async stop() {
      listeners.clear();
      await running.disconnect();
      await admin.deleteGroups([groupId]).catch(() => undefined);
      await admin.disconnect();
    },
  };
}
