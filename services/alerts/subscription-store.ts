/**
 * Subscriptions kept in the compacted topic `shelfstream.alert-subscriptions`: one record per
 * subscription id (JSON, credentials sealed), a tombstone to delete. Every delivery instance
 * reads the whole topic, so they all apply the same subscriptions, and the topic survives any one
 * machine. A write is acknowledged by the broker before the command returns.
 *
 * `readAll` reads from the start up to the end offsets taken when it starts, with a throwaway
 * consumer group (deleted afterwards), which is what a CLI command needs; the delivery service
 * follows the topic as one more input of its runtime instead.
 */
import { randomBytes } from 'node:crypto';
import type { Admin, Kafka } from 'kafkajs';
import { createProducer, type IdempotentProducer } from '../../lib/clients/kafka';
import { ShelfStreamError } from '../../lib/errors';
import type { SubscriptionRecord } from './subscription';

export const SUBSCRIPTIONS_TOPIC = 'shelfstream.alert-subscriptions';

export function encodeRecord(record: SubscriptionRecord): Buffer {
  return Buffer.from(JSON.stringify(record), 'utf8');
}

/** A record value, or undefined for a tombstone; a value that is not a record is an error naming the key. */
export function decodeRecord(key: string, value: Buffer | null): SubscriptionRecord | undefined {
  if (value === null) return undefined;
  try {
    const record = JSON.parse(value.toString('utf8')) as SubscriptionRecord;
    if (record.subscription_id !== key || typeof record.url_sealed !== 'string') throw new Error('not a subscription record');
    return record;
  } catch (cause) {
    throw new ShelfStreamError('DECODE_FAILED', `the subscriptions topic holds an unreadable record under key ${key}`, { cause, context: { topic: SUBSCRIPTIONS_TOPIC, subscription_id: key } });
  }
}

export interface SubscriptionStore {
  readAll(): Promise<Map<string, SubscriptionRecord>>;
  get(id: string): Promise<SubscriptionRecord>;
  put(record: SubscriptionRecord): Promise<void>;
  remove(id: string): Promise<void>;
  close(): Promise<void>;
}

export function createSubscriptionStore(kafka: Kafka, topic: string = SUBSCRIPTIONS_TOPIC): SubscriptionStore {
  let producer: IdempotentProducer | undefined;
  let admin: Admin | undefined;

  async function connectedAdmin(): Promise<Admin> {
    if (!admin) {
      admin = kafka.admin();
      await admin.connect();
    }
    return admin;
  }

  async function readAll(): Promise<Map<string, SubscriptionRecord>> {
    const a = await connectedAdmin();
    const ends = (await a.fetchTopicOffsets(topic)).filter((p) => BigInt(p.high) > BigInt(p.low));
    const records = new Map<string, SubscriptionRecord>();
    if (ends.length === 0) return records;
    const remaining = new Map(ends.map((p) => [p.partition, BigInt(p.high)]));
    const groupId = `shelfstream.alert-subscriptions.reader-${randomBytes(4).toString('hex')}`;
    const consumer = kafka.consumer({ groupId });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        consumer
          .run({
            eachMessage: async ({ partition, message }) => {
              const key = message.key?.toString('utf8');
              const end = remaining.get(partition);
              if (key !== undefined && end !== undefined && BigInt(message.offset) < end) {
                const record = decodeRecord(key, message.value);
                if (record) records.set(key, record);
                else records.delete(key);
              }
              if (end !== undefined && BigInt(message.offset) + 1n >= end) remaining.delete(partition);
              if (remaining.size === 0) resolve();
            },
          })
          .catch(reject);
      });
    } finally {
      await consumer.disconnect();
      await a.deleteGroups([groupId]).catch(() => undefined);
    }
    return records;
  }

  async function send(key: string, value: Buffer | null): Promise<void> {
    if (!producer) {
      producer = createProducer(kafka);
      await producer.connect();
    }
    await producer.send({ topic, acks: -1, messages: [{ key, value }] });
  }

  return {
    readAll,
    async get(id) {
      const record = (await readAll()).get(id);
      if (!record) throw new ShelfStreamError('INVALID_ARGUMENT', `no subscription ${id} (list them with: shelfstream alerts list)`, { context: { subscription_id: id } });
      return record;
    },
    put: (record) => send(record.subscription_id, encodeRecord(record)),
    remove: (id) => send(id, null),
    async close() {
      await producer?.disconnect();
      await admin?.disconnect();
    },
  };
}
