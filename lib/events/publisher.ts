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
import type { Kafka, Message } from 'kafkajs';
import { CompressionTypes } from 'kafkajs';
import { createFastProducer, createProducer, type FastProducer, type FastProducerOptions, type IdempotentProducer } from '../clients/kafka';
import type { KafkaConfig } from '../config';
import { ShelfStreamError, describeError } from '../errors';
import type { TopicSpec } from '../../schemas/catalog';
import type { TopicName, TopicValues } from '../../schemas/generated/events';
import type { EventCodec } from './codec';

/** One event ready to send: its topic, key and Confluent-framed Avro value. */
export interface EncodedRecord {
  readonly topic: string;
  readonly key: Buffer;
  readonly value: Buffer;
}

export interface EventPublisher {
  publish<T extends TopicName>(topic: T, events: readonly TopicValues[T][]): Promise<void>;
  /** Several topics in one produce request: one round trip for a mixed batch. */
  publishMixed(batches: readonly { topic: TopicName; events: readonly unknown[] }[]): Promise<void>;
  /**
   * Encodes an event now, to send later with sendEncoded. A caller that holds events until a
   * produce (HTTP ingest's batcher) keeps a few bytes in a slab instead of the event's object
   * graph, which then dies young instead of being copied by every scavenge it outlives.
   * Throws CONTRACT_VIOLATION when the event does not fit the topic's schema.
   */
  encode(topic: string, event: unknown): EncodedRecord;
  /** Sends encoded records (any topics) in one produce; resolves once all are acknowledged. */
  sendEncoded(records: readonly EncodedRecord[]): Promise<void>;
  close(): Promise<void>;
}

export interface PublisherOptions {
  /** Compression of produced batches; LZ4 and ZSTD need codecs kafkajs does not ship. */
  readonly compression?: CompressionTypes;
  /** Milliseconds to wait for the acknowledgement of a batch before it fails. */
  readonly timeoutMs?: number;
}

/** Sends encoded records in one produce; resolves once all are acknowledged. */
type SendRecords = (records: readonly EncodedRecord[]) => Promise<void>;

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

  const encode = (topic: string, event: unknown): EncodedRecord => {
    const field = keyField.get(topic);
    if (!field) throw new ShelfStreamError('SCHEMA_INVALID', `topic ${topic} is not in the catalogue`, { context: { topic } });
    const record = event as Record<string, unknown>;
    // A compacted topic whose history matters (exchange rates: one record per currency and day)
    // is keyed by several fields, named in the catalogue joined by ':'.
    const key = field.includes(':') ? field.split(':').map((f) => String(record[f])).join(':') : record[field];
    return { topic, key: keyOf(key), value: codec.encode(topic, event) };
  };

  const send = async (records: readonly EncodedRecord[]): Promise<void> => {
    if (records.length === 0) return;
    try {
      await sendRecords(records);
    } catch (error) {
      throw new ShelfStreamError('SERVICE_UNAVAILABLE', `Kafka did not acknowledge the batch: ${describeError(error)}`, {
        cause: error,
        context: { topics: [...new Set(records.map((r) => r.topic))].join(',') },
      });
    }
  };

  return {
    publish: async (topic, events) => {
      const records = new Array<EncodedRecord>(events.length);
      for (let i = 0; i < events.length; i++) records[i] = encode(topic, events[i]);
      await send(records);
    },
    publishMixed: async (batches) => {
      const records: EncodedRecord[] = [];
      for (const { topic, events } of batches) for (const event of events) records.push(encode(topic, event));
      await send(records);
    },
    encode,
    sendEncoded: send,
    close,
  };
}

/** A kafkajs-backed publisher (kafkajs serialises an idempotent producer's requests itself). */
export async function createEventPublisher(kafka: Kafka, codec: EventCodec, topics: readonly TopicSpec[], options: PublisherOptions = {}): Promise<EventPublisher> {
  const producer: IdempotentProducer = createProducer(kafka);
  await producer.connect();
  const sendRecords: SendRecords = async (records) => {
    const byTopic = new Map<string, Message[]>();
    for (const { topic, key, value } of records) {
      let messages = byTopic.get(topic);
      if (!messages) byTopic.set(topic, (messages = []));
      messages.push({ key, value });
    }
    await producer.sendBatch({
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
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
  /**
   * After a failed send the producer's sequence numbers can no longer be trusted. @platformatic
   * 1.x advances a partition's sequence only when the whole request succeeds, but a request that
   * failed for one partition was still written to the others, and a send whose answer was lost
   * (broker stopped mid-request) may have been written too. The next batch to such a partition
   * then carries a sequence the broker already holds: with as many records it is taken for a
   * retry and dropped while the send resolves (acknowledged and lost), with another count it is
   * refused as OUT_OF_ORDER_SEQUENCE_NUMBER, every time, until the process restarts (a CI run of
   * the Kafka outage fault test saw ingest answer 503 for six minutes after the broker was back;
   * tests/integration/publisher-recovery.test.ts forces both). So the next send first asks for a
   * new producer id, which starts every partition's sequence at 0, as the Java client bumps its
   * epoch on unresolved sequences and @platformatic/kafka 2.x (Node >= 22) resets after a failed
   * send. What the failed send did write may then be written again by the caller's retry: the
   * pipeline counts each event_id once downstream.
   */
  let sequencesUnknown = false;
  const sendRecords: SendRecords = (records) => {
    const sent = tail.then(async () => {
      if (sequencesUnknown) {
        await producer.initIdempotentProducer({});
        sequencesUnknown = false;
      }
      try {
        // EncodedRecord is the client's message shape already: no copy per record.
        await producer.send({ messages: records as { topic: string; key: Buffer; value: Buffer }[] });
      } catch (error) {
        sequencesUnknown = true;
        throw error;
      }
    });
    tail = sent.catch(() => undefined);
    return sent.then(() => undefined);
  };
  return publisherOver(codec, topics, sendRecords, async () => {
    await tail;
    await producer.close();
  });
}
