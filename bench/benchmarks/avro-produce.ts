/**
 * avro-produce: how fast a store system can publish Avro events through the registry serializer
 * (encode + Confluent framing + kafkajs produce, acks=all), beside the raw kafkajs produce rate
 * of the same bytes in the same run. The ratio is the cost of the contract on the hot path.
 */
import { randomUUID } from 'node:crypto';
import { SchemaType } from '@kafkajs/confluent-schema-registry';
import { createKafka, createProducer } from '../../lib/clients/kafka';
import { createSchemaRegistry } from '../../lib/clients/registry';
import { loadCatalog } from '../../schemas/catalog';
import type { Benchmark } from '../harness';

const EVENTS = 200_000;
const BATCH = 2_000; // records per send: what a backfilling producer batches

export const avroProduce: Benchmark = {
  name: 'avro-produce',
  description: 'Avro encode + produce through the registry vs raw produce of the same bytes (kafkajs, acks=all)',
  async run({ config, logger }) {
    const heartbeat = loadCatalog().find((t) => t.name === 'pos.heartbeats');
    if (!heartbeat?.schema) throw new Error('pos.heartbeats is missing from the catalogue');
    const registry = createSchemaRegistry(config.registry);
    const topic = `bench.avro-produce.${Date.now()}`;
    const { id } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(heartbeat.schema) }, { subject: `${topic}-value` });

    const kafka = createKafka(config.kafka, logger, 'bench');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: config.topics.partitions, replicationFactor: 1 }], waitForLeaders: true });
    const producer = createProducer(kafka);
    await producer.connect();
    try {
      const events = Array.from({ length: EVENTS }, (_, i) => ({
        event_id: randomUUID(),
        occurred_at: 1_764_000_000_000 + i,
        store_id: `S${String(i % 50).padStart(3, '0')}`,
        terminal_id: `T${i % 8}`,
        software_version: '4.2.1',
        queue_depth: 0,
      }));

      // Baseline: the same records, encoded beforehand, produced raw.
      const encoded = await Promise.all(events.map((e) => registry.encode(id, e)));
      let started = performance.now();
      for (let i = 0; i < EVENTS; i += BATCH) {
        await producer.send({ topic, acks: -1, messages: encoded.slice(i, i + BATCH).map((value, j) => ({ key: events[i + j]!.store_id, value })) });
      }
      const rawSeconds = (performance.now() - started) / 1000;

      started = performance.now();
      for (let i = 0; i < EVENTS; i += BATCH) {
        const batch = events.slice(i, i + BATCH);
        const values = await Promise.all(batch.map((e) => registry.encode(id, e)));
        await producer.send({ topic, acks: -1, messages: values.map((value, j) => ({ key: batch[j]!.store_id, value })) });
      }
      const avroSeconds = (performance.now() - started) / 1000;

      const eventsPerS = EVENTS / avroSeconds;
      const rawEventsPerS = EVENTS / rawSeconds;
      return { events: EVENTS, events_per_s: Math.round(eventsPerS), raw_events_per_s: Math.round(rawEventsPerS), ratio: eventsPerS / rawEventsPerS };
    } finally {
      await producer.disconnect();
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
    }
  },
};
