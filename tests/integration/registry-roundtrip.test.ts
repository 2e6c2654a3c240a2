/**
 * The schema registry and Kafka together: an Avro record produced in the Confluent wire
 * format through the registry and consumed back; schema evolution accepted when BACKWARD
 * compatible and refused when not, through the same code path `shelfstream init` uses.
 */
import type { Consumer } from 'kafkajs';
import { createKafka, createProducer, type IdempotentProducer } from '../../lib/clients/kafka';
import { createSchemaRegistry } from '../../lib/clients/registry';
import { ShelfStreamError } from '../../lib/errors';
import { type TopicSpec, loadCatalog } from '../../schemas/catalog';
import type { ReplenishmentOrdered } from '../../schemas/generated/events';
import { parseDay } from '../../lib/domain/calendar';
import { PosSimulator } from '../../simulators/pos/simulator';
import { registerSchemas } from '../../services/bootstrap/schemas';
import { createTestTopic, registerCleanup, testAdmin, testConfig, testLogger, uniqueName, waitFor } from '../harness/fixtures';

const config = testConfig();

const saleV1 = {
  type: 'record',
  name: 'RoundTripSale',
  namespace: 'io.shelfstream.test',
  fields: [
    { name: 'event_id', type: 'string' },
    { name: 'store_id', type: 'string' },
    { name: 'occurred_at', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'total', type: 'long' },
  ],
};

function topicSpec(name: string, schema: object): TopicSpec {
  return { name, kind: 'event', key: 'store_id', doc: 'test', subject: `${name}-value`, schema: schema as TopicSpec['schema'], schemaFile: `${name}.avsc` };
}

describe('schema registry with Kafka', () => {
  it('round-trips an Avro record in the Confluent wire format', async () => {
    const admin = await testAdmin(config);
    const topic = await createTestTopic(admin, { prefix: 'roundtrip' });
    const registry = createSchemaRegistry(config.registry);
    const [registered] = await registerSchemas(registry, config.registry, [topicSpec(topic, saleV1)]);
    expect(registered).toMatchObject({ subject: `${topic}-value`, outcome: 'registered' });

    const sale = { event_id: uniqueName('evt'), store_id: 'S001', occurred_at: Date.parse('2026-11-23T10:15:00.123Z'), total: 12_345 };
    const value = await registry.encode(registered!.id, sale);
    // Confluent wire format: magic byte 0, then the schema id as a 4-byte big-endian integer.
    expect(value[0]).toBe(0);
    expect(value.readInt32BE(1)).toBe(registered!.id);

    const kafka = createKafka(config.kafka, testLogger(), 'test');
    const producer: IdempotentProducer = createProducer(kafka);
    await producer.connect();
    registerCleanup(() => producer.disconnect());
    await producer.send({ topic, acks: -1, messages: [{ key: sale.store_id, value }] });

    const consumer: Consumer = kafka.consumer({ groupId: uniqueName('roundtrip') });
    await consumer.connect();
    registerCleanup(() => consumer.disconnect());
    await consumer.subscribe({ topic, fromBeginning: true });
    const received: Buffer[] = [];
    await consumer.run({ eachMessage: async ({ message }) => void (message.value && received.push(message.value)) });
    const [raw] = await waitFor(() => received.length > 0 && received, { what: 'the record to come back', timeoutMs: 30_000 });

    // A fresh client has no cached schema: decoding proves fetch-by-id works against the registry.
    const decoded = await createSchemaRegistry(config.registry).decode(raw!);
    expect(decoded).toEqual(sale);
  });

  it('accepts a BACKWARD-compatible evolution and refuses an incompatible one', async () => {
    const topic = uniqueName('evolution');
    const registry = createSchemaRegistry(config.registry);
    const [v1] = await registerSchemas(registry, config.registry, [topicSpec(topic, saleV1)]);

    // Same schema again: nothing registered, same id.
    const [again] = await registerSchemas(registry, config.registry, [topicSpec(topic, saleV1)]);
    expect(again).toEqual({ subject: `${topic}-value`, id: v1!.id, outcome: 'unchanged' });

    const withDefault = { ...saleV1, fields: [...saleV1.fields, { name: 'currency', type: 'string', default: 'EUR' }] };
    const [v2] = await registerSchemas(registry, config.registry, [topicSpec(topic, withDefault)]);
    expect(v2!.outcome).toBe('registered');
    expect(v2!.id).not.toBe(v1!.id);

    // A new field without a default: consumers on v2 could not read v1 records.
    const breaking = { ...withDefault, fields: [...withDefault.fields, { name: 'terminal_id', type: 'string' }] };
    const refusal = registerSchemas(registry, config.registry, [topicSpec(topic, breaking)]);
    await expect(refusal).rejects.toBeInstanceOf(ShelfStreamError);
    await expect(refusal).rejects.toMatchObject({ code: 'SCHEMA_INCOMPATIBLE', context: { subject: `${topic}-value` } });

    // Retyping a field is refused as well.
    const retyped = { ...withDefault, fields: withDefault.fields.map((f) => (f.name === 'total' ? { ...f, type: 'string' } : f)) };
    await expect(registerSchemas(registry, config.registry, [topicSpec(topic, retyped)])).rejects.toMatchObject({ code: 'SCHEMA_INCOMPATIBLE' });

    // The registry still serves v2 as the latest version.
    const latest = await registry.getLatestSchemaId(`${topic}-value`);
    expect(latest).toBe(v2!.id);
    const schema = (await registry.getSchema(v2!.id)) as unknown as { name: string };
    expect(schema.name).toBe('io.shelfstream.test.RoundTripSale');
  });

  it('registers the replenishment order contract, round-trips a simulated order and keeps its readers safe', async () => {
    const catalogued = loadCatalog().find((t) => t.name === 'inventory.orders')!;
    const topic = uniqueName('orders');
    const spec = topicSpec(topic, catalogued.schema!);
    const registry = createSchemaRegistry(config.registry);
    const [registered] = await registerSchemas(registry, config.registry, [spec]);
    expect(registered!.outcome).toBe('registered');

    const sim = new PosSimulator({ seed: 5, stores: 1, skus: 20, window: { kind: 'days', startDay: parseDay('2026-03-02'), days: 3 }, anomalyRate: 0, heartbeats: false });
    let order: ReplenishmentOrdered | undefined;
    while (!sim.done && !order) order = sim.nextHour().events['inventory.orders'][0];
    expect(order).toBeDefined();
    const value = await registry.encode(registered!.id, order);
    expect(await createSchemaRegistry(config.registry).decode(value)).toEqual(order);

    const fields = (catalogued.schema as unknown as { fields: { name: string; type: unknown }[] }).fields;
    // An optional field with a default (what a supplier id would be) is a compatible change...
    const withSupplier = { ...catalogued.schema, fields: [...fields, { name: 'supplier_id', type: ['null', 'string'], default: null }] };
    expect((await registerSchemas(registry, config.registry, [topicSpec(topic, withSupplier)]))[0]!.outcome).toBe('registered');
    // ...a planned delivery turned into text is not: readers of the orders could no longer read them.
    const retyped = { ...withSupplier, fields: withSupplier.fields.map((f) => (f.name === 'expected_delivery_at' ? { ...f, type: 'string' } : f)) };
    await expect(registerSchemas(registry, config.registry, [topicSpec(topic, retyped)])).rejects.toMatchObject({ code: 'SCHEMA_INCOMPATIBLE' });
  });
});
