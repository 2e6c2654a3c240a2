/**
 * Both publishers (@platformatic/kafka behind the simulator and HTTP ingest; kafkajs through
 * createProducer, behind the processors' outputs, replay and alert subscriptions) after a produce
 * that failed for one partition and was written to another. The broker wrote the healthy
 * partition's records under the producer's sequence number; neither client, seeing the request
 * fail, advanced it. Its next batch to that partition then reused a sequence the broker
 * already held, and was either dropped as a retry while the send resolved (as many records:
 * acknowledged and lost) or refused as OUT_OF_ORDER_SEQUENCE_NUMBER on every send after (another
 * count). A CI run of the Kafka outage fault test met the second: ingest refused one store's
 * partition for six minutes after the broker was back.
 *
 * One partition is made to fail on demand: a topic whose max.message.bytes a record exceeds
 * (MESSAGE_TOO_LARGE is not retried). What the healthy topic holds is read back with kafkajs.
 */
import type { KafkaMessage } from 'kafkajs';
import { createKafka } from '../../lib/clients/kafka';
import type { ShelfStreamError } from '../../lib/errors';
import { EventCodec } from '../../lib/events/codec';
import { createEventPublisher, createFastEventPublisher, type EncodedRecord, type EventPublisher } from '../../lib/events/publisher';
import type { Config } from '../../lib/config';
import { createTestTopic, registerCleanup, testAdmin, testConfig, testLogger, uniqueName, waitFor } from '../harness/fixtures';

const PUBLISHERS: readonly [string, (config: Config) => Promise<EventPublisher>][] = [
  ['@platformatic/kafka', (config) => createFastEventPublisher(config.kafka, 'test', EventCodec.offline([]), [])],
  ['kafkajs', async (config) => createEventPublisher(createKafka(config.kafka, testLogger(), 'test'), EventCodec.offline([]), [])],
];

describe.each(PUBLISHERS)('%s publisher after a produce that failed for one partition', (_client, createPublisher) => {
  it('writes every batch it acknowledges afterwards, whether it holds as many records as the failed one or not', async () => {
    const config = testConfig();
    const admin = await testAdmin(config);
    const healthy = await createTestTopic(admin, { prefix: 'test-publisher-healthy' });
    const small = await createTestTopic(admin, { prefix: 'test-publisher-small', configEntries: [{ name: 'max.message.bytes', value: '2000' }] });
    const publisher = await createPublisher(config);
    registerCleanup(() => publisher.close());

    const record = (topic: string, value: string, bytes = value.length): EncodedRecord => ({ topic, key: Buffer.from('S001'), value: Buffer.from(value.padEnd(bytes, '.')) });
    const tooLarge = record(small, 'too-large', 5_000);

    await publisher.sendEncoded([record(healthy, 'a')]);
    // The healthy topic's half of this request is written; the request fails.
    // The error names the broker's reason, two AggregateErrors deep in the client's.
    const failed = await publisher.sendEncoded([record(healthy, 'b'), tooLarge]).then(
      () => undefined,
      (error: unknown) => error as ShelfStreamError,
    );
    expect(failed?.code).toBe('SERVICE_UNAVAILABLE');
    expect(failed?.message).toContain('larger than the max message size');
    // As many records to the healthy partition as the failed request held: the broker's duplicate trap.
    await publisher.sendEncoded([record(healthy, 'c')]);
    await expect(publisher.sendEncoded([record(healthy, 'd'), tooLarge])).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    // Another count: the out-of-order trap.
    await publisher.sendEncoded([record(healthy, 'e'), record(healthy, 'f')]);
    await publisher.sendEncoded([record(healthy, 'g')]);

    const end = Number((await admin.fetchTopicOffsets(healthy))[0]!.high);
    const values: string[] = [];
    const consumer = createKafka(config.kafka, testLogger(), 'test').consumer({ groupId: uniqueName('test-publisher-recovery') });
    await consumer.connect();
    registerCleanup(() => consumer.disconnect());
    await consumer.subscribe({ topic: healthy, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }: { message: KafkaMessage }) => void values.push(message.value!.toString()) });
    await waitFor(() => values.length >= end, { what: `the ${end} records of ${healthy}`, timeoutMs: 60_000 });

    // b and d were written by the broker though their requests failed; every acknowledged one must be there.
    expect(values).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
  });
});
