/**
 * Publishes typed events to their topics: keyed as the catalogue says (store_id, or sku for
 * products), encoded by the codec, sent with an idempotent producer and acks=all. A batch
 * resolves only once Kafka has acknowledged every record in it; that is when an HTTP ingest
 * request may answer 202.
 */
import type { Kafka, Message, Producer } from 'kafkajs';
import { CompressionTypes } from 'kafkajs';
import { createProducer } from '../clients/kafka';
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

export async function createEventPublisher(kafka: Kafka, codec: EventCodec, topics: readonly TopicSpec[], options: PublisherOptions = {}): Promise<EventPublisher> {
  const keyField = new Map(topics.map((t) => [t.name, t.key]));
  const producer: Producer = createProducer(kafka);
  await producer.connect();

  const toMessages = (topic: string, events: readonly unknown[]): Message[] => {
    const field = keyField.get(topic);
    if (!field) throw new ShelfStreamError('SCHEMA_INVALID', `topic ${topic} is not in the catalogue`, { context: { topic } });
    return events.map((event) => ({ key: String((event as Record<string, unknown>)[field]), value: codec.encode(topic, event) }));
  };

  const send = async (topicMessages: { topic: string; messages: Message[] }[]): Promise<void> => {
    try {
      await producer.sendBatch({ topicMessages, acks: -1, timeout: options.timeoutMs ?? 30_000, compression: options.compression ?? CompressionTypes.None });
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
    close: () => producer.disconnect(),
  };
}
