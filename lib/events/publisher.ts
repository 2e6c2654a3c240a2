/**
 * Publishes typed events to their topics: keyed as the catalogue says (store_id, or sku for
 * products), encoded by the codec, sent with an idempotent producer and acks=all. A batch
 * resolves only once Kafka has acknowledged every record in it; that is when an HTTP ingest
 * request may answer 202.
 *
 * Two clients sit behind the one EventPublisher interface:
 *   - @platformatic/kafka (createFastEventPublisher): the simulator and HTTP ingest. It
 *     produced 2.6-3.1x faster than kafkajs in bench/benchmarks/kafka-clients.ts, and the
 *     simulator-backfill and ingest benchmarks measure the difference end to end;
 *   - kafkajs (createEventPublisher): kept for callers that already hold a kafkajs client.
 * Both place keys with the Java murmur2 partitioner, so either keeps topics co-partitioned.
 */
import type { Kafka, Message, Producer } from 'kafkajs';
import { CompressionTypes } from 'kafkajs';
import { createFastProducer, createProducer, type FastProducer, type FastProducerOptions } from '../clients/kafka';
import type { KafkaConfig } from '../config';
import { ShelfStreamError, describeError } from '../errors';
import type { TopicSpec } from '../../schemas/catalog';
import type { TopicName, TopicValues } from '../../schemas/generated/events';
import type { EventCodec } from './codec';

export interface EventPublisher {
  publish<T extends TopicName>(topic: T, events: readonly TopicValues[T][]): Promise<void>;
  /** Several topics in one produce request: one round trip for a mixed batch. */
  publishMixed(batches: readonly { topic: TopicName; events: readonly unknown[] }[]): Promise<void>;
  close(): Promise<void>;
}

export interface PublisherOptions {
  /** Compression of produced batches; LZ4 and ZSTD need codecs kafkajs does not ship. */
  readonly compression?: CompressionTypes;
  /** Milliseconds to wait for the acknowledgement of a batch before it fails. */
  readonly timeoutMs?: number;
}

interface EncodedRecord {
  readonly key: Buffer;
  readonly value: Buffer;
}

/** Sends encoded records, grouped by topic, in one produce; resolves once all are acknowledged. */
type SendRecords = (topicMessages: readonly { topic: string; messages: readonly EncodedRecord[] }[]) => Promise<void>;

/** The client-independent half: keys, Avro encoding, error wrapping. */
function publisherOver(codec: EventCodec, topics: readonly TopicSpec[], sendRecords: SendRecords, close: () => Promise<void>): EventPublisher {
  const keyField = new Map(topics.map((t) => [t.name, t.key]));
  // A chain has few stores and the catalogue few skus: one key Buffer per distinct key, not per record.
  const keys = new Map<string, Buffer>();
  const keyOf = (value: unknown): Buffer => {
    const text = String(value);
    let key = keys.get(text);
    if (!key) {
      key = Buffer.from(text);
      if (keys.size < 100_000) keys.set(text, key);
    }
    return key;
  };

  const toMessages = (topic: string, events: readonly unknown[]): EncodedRecord[] => {
    const field = keyField.get(topic);
    if (!field) throw new ShelfStreamError('SCHEMA_INVALID', `topic ${topic} is not in the catalogue`, { context: { topic } });
    const out = new Array<EncodedRecord>(events.length);
    for (let i = 0; i < events.length; i++) {
      const event = events[i];
      out[i] = { key: keyOf((event as Record<string, unknown>)[field]), value: codec.encode(topic, event) };
    }
    return out;
  };

  const send = async (topicMessages: { topic: string; messages: EncodedRecord[] }[]): Promise<void> => {
    try {
      await sendRecords(topicMessages);
    } catch (error) {
      throw new ShelfStreamError('SERVICE_UNAVAILABLE', `Kafka did not acknowledge the batch: ${describeError(error)}`, {
        cause: error,
        context: { topics: topicMessages.map((t) => t.topic).join(',') },
      });
    }
  };

  return {
    publish: async (topic, events) => {
      if (events.length > 0) await send([{ topic, messages: toMessages(topic, events) }]);
    },
    publishMixed: async (batches) => {
      const topicMessages = batches.filter((b) => b.events.length > 0).map((b) => ({ topic: b.topic, messages: toMessages(b.topic, b.events) }));
      if (topicMessages.length > 0) await send(topicMessages);
    },
    close,
  };
}

/** A kafkajs-backed publisher (kafkajs serialises an idempotent producer's requests itself). */
export async function createEventPublisher(kafka: Kafka, codec: EventCodec, topics: readonly TopicSpec[], options: PublisherOptions = {}): Promise<EventPublisher> {
  const producer: Producer = createProducer(kafka);
  await producer.connect();
  const sendRecords: SendRecords = async (topicMessages) => {
    await producer.sendBatch({
      topicMessages: topicMessages.map((t) => ({ topic: t.topic, messages: t.messages as Message[] })),
      acks: -1,
      timeout: options.timeoutMs ?? 30_000,
      compression: options.compression ?? CompressionTypes.None,
    });
  };
  return publisherOver(codec, topics, sendRecords, () => producer.disconnect());
}

/**
 * A @platformatic/kafka-backed publisher. Its idempotent producer advances a partition's
 * sequence number only when a produce is acknowledged, so a second produce sent before the
 * first returned would reuse sequence numbers (and be refused as out of order, or dropped as a
 * duplicate). Produces therefore leave one at a time, in call order: a caller may call
 * publishMixed again before the previous call settled (encoding the next batch meanwhile),
 * and the request waits here, which also keeps each key's records in order across retries.
 *
 * Connection, metadata and the producer id are fetched before this resolves, so a service
 * learns at start-up that Kafka is unreachable and the first batch does not pay for them.
 */
export async function createFastEventPublisher(
  config: KafkaConfig,
  role: string,
  codec: EventCodec,
  topics: readonly TopicSpec[],
  options: FastProducerOptions = {},
): Promise<EventPublisher> {
  const producer: FastProducer = createFastProducer(config, role, options);
  try {
    const names = topics.map((t) => t.name);
    await producer.metadata({ topics: names });
    await producer.initIdempotentProducer({});
  } catch (error) {
    await producer.close().catch(() => undefined);
    throw error;
  }
  let tail: Promise<unknown> = Promise.resolve();
  const sendRecords: SendRecords = (topicMessages) => {
    const messages: { topic: string; key: Buffer; value: Buffer }[] = [];
    for (const { topic, messages: records } of topicMessages) for (const r of records) messages.push({ topic, key: r.key, value: r.value });
    const sent = tail.then(() => producer.send({ messages }));
    tail = sent.catch(() => undefined);
    return sent.then(() => undefined);
  };
  return publisherOver(codec, topics, sendRecords, async () => {
    await tail;
    await producer.close();
  });
}
