/**
 * The contract holds whichever way a sale enters: the same SaleCompleted published by the POS
 * simulator's publisher, by a plain kafkajs producer with the Confluent registry serializer
 * (what a third-party terminal would use), and through HTTP ingest, decodes from Kafka to the
 * same typed event — read back with a fresh registry client that has cached nothing.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { KafkaMessage } from 'kafkajs';
import { createKafka, createProducer } from '../../lib/clients/kafka';
import { createSchemaRegistry } from '../../lib/clients/registry';
import { EventCodec } from '../../lib/events/codec';
import { createEventPublisher } from '../../lib/events/publisher';
import { completeEvent } from '../../schemas/contract';
import type { SaleCompleted, TopicName } from '../../schemas/generated/events';
import { startIngestService } from '../../services/ingest';
import { createApiKey } from '../../services/ingest/api-keys';
import { PosSimulator } from '../../simulators/pos/simulator';
import { createStandInCatalogue, registerCleanup, testAdmin, testConfig, testLogger, uniqueName, waitFor } from '../harness/fixtures';

describe('one sale, three ways in', () => {
  it('decodes to the same typed event from the simulator, a plain registry-serializer producer and HTTP ingest', async () => {
    const config = testConfig({ INGEST_PORT: '0', INGEST_API_KEYS_FILE: join(mkdtempSync(join(tmpdir(), 'same-event-')), 'keys.json') });
    const logger = testLogger();

    // A real sale from the simulator (a random seed: event ids are drawn from it).
    const sim = new PosSimulator({ seed: Math.floor(Math.random() * 1e9), stores: 2, skus: 30, window: { kind: 'days', startDay: Math.floor(Date.now() / 86_400_000) - 2, days: 1 }, anomalyRate: 0, heartbeats: false });
    let sale: SaleCompleted | undefined;
    while (!sale) sale = sim.nextHour().events['pos.sales'][0];

    // Stand-ins for the catalogue's topics: the sales of the test stay out of the ones `make demo` reads.
    const admin = await testAdmin(config);
    const { prefix, catalog } = await createStandInCatalogue(admin, config);
    const stood = (topic: string): TopicName => (prefix + topic) as TopicName;
    const salesTopic = stood('pos.sales');
    const kafka = createKafka(config.kafka, logger, 'test');
    const codec = await EventCodec.create(createSchemaRegistry(config.registry), config.registry, catalog);
    const publisher = await createEventPublisher(kafka, codec, catalog);
    registerCleanup(() => publisher.close());
    const master = sim.masterData();
    await publisher.publish(stood('md.stores'), master['md.stores']);
    await publisher.publish(stood('md.products'), master['md.products']);

    const before = new Map((await admin.fetchTopicOffsets(salesTopic)).map((p) => [p.partition, Number(p.high)]));

    // 1. the simulator's path
    await publisher.publish(salesTopic, [sale]);

    // 2. a plain producer with the Confluent serializer, as any Kafka client with a registry would
    const registry = createSchemaRegistry(config.registry);
    const id = await registry.getLatestSchemaId(`${salesTopic}-value`);
    const producer = createProducer(kafka);
    await producer.connect();
    registerCleanup(() => producer.disconnect());
    await producer.send({ topic: salesTopic, acks: -1, messages: [{ key: sale.store_id, value: await registry.encode(id, sale) }] });

    // 3. HTTP ingest, as a terminal would
    const { key } = await createApiKey(config.ingest.apiKeysFile, sale.store_id, sale.terminal_id);
    const ingest = await startIngestService({ config, logger, topicPrefix: prefix });
    registerCleanup(() => ingest.close());
    await waitFor(() => ingest.masterData.loaded && ingest.masterData.hasStore(sale!.store_id), { what: 'ingest to know the simulated store', timeoutMs: 60_000 });
    const response = await fetch(`${ingest.url}/v1/stores/${encodeURIComponent(sale.store_id)}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ events: [{ type: 'pos.sales', event: sale }] }),
    });
    expect(response.status).toBe(202);

    // Read back the three records (same key: same partition) from the offsets recorded before.
    const consumer = kafka.consumer({ groupId: uniqueName('same-event') });
    await consumer.connect();
    registerCleanup(() => consumer.disconnect());
    await consumer.subscribe({ topic: salesTopic, fromBeginning: true });
    const mine: KafkaMessage[] = [];
    consumer.on(consumer.events.GROUP_JOIN, () => {
      for (const [partition, offset] of before) consumer.seek({ topic: salesTopic, partition, offset: String(offset) });
    });
    await consumer.run({
      eachMessage: async ({ message }) => {
        if (message.key?.toString() === sale!.store_id) mine.push(message);
      },
    });
    const fresh = new SchemaRegistry({ host: config.registry.url });
    await waitFor(
      async () => {
        const decoded = await Promise.all(mine.map((m) => fresh.decode(m.value!)));
        return decoded.filter((d) => (d as SaleCompleted).event_id === sale!.event_id).length >= 3;
      },
      { what: 'the three copies of the sale in pos.sales', timeoutMs: 30_000 },
    );
    const copies = (await Promise.all(mine.map((m) => fresh.decode(m.value!)))).filter((d) => (d as SaleCompleted).event_id === sale!.event_id);
    const expected = JSON.parse(JSON.stringify(completeEvent('pos.sales', sale)));
    for (const copy of copies) expect(JSON.parse(JSON.stringify(copy))).toEqual(expected);
    expect(copies).toHaveLength(3);
  });
});
