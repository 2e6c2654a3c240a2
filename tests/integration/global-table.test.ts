/**
 * The global table's barrier (streams/runtime/global-table.ts) against the real broker: a key
 * published after the table started is in the table once `catchUp` resolves, whatever partition
 * it went to, and a key never published is absent after it (what the stock and anomaly
 * processors rely on to read master data deterministically: streams/shared/master-data.ts).
 */
import { createKafka, createProducer } from '../../lib/clients/kafka';
import { startGlobalTable } from '../../streams/runtime/global-table';
import { createTestTopic, registerCleanup, testAdmin, testConfig, testLogger, uniqueName } from '../harness/fixtures';

describe('global table barrier (catchUp)', () => {
  it('holds every key published before the barrier was asked, and still lacks one never published', async () => {
    const config = testConfig();
    const admin = await testAdmin(config);
    const topic = await createTestTopic(admin, { prefix: 'global-table', partitions: 3, compacted: true });
    const kafka = createKafka(config.kafka, testLogger(), 'test');
    const producer = createProducer(kafka);
    await producer.connect();
    registerCleanup(() => producer.disconnect());
    await producer.send({ topic, acks: -1, messages: [{ key: 'S-BEFORE', value: 'Europe/Paris' }] });

    const table = await startGlobalTable(kafka, testLogger(), { topic, groupPrefix: uniqueName('test.global-table'), decode: (_key, value) => value?.toString('utf8') });
    registerCleanup(() => table.stop());
    expect(table.get('S-BEFORE')).toBe('Europe/Paris');

    // Published after the start, to every partition: acknowledged (acks=all) before the barrier is asked.
    const after = Array.from({ length: 30 }, (_, i) => ({ key: `S-AFTER-${i}`, value: `zone-${i}` }));
    await producer.send({ topic, acks: -1, messages: after });
    await table.catchUp();
    for (const m of after) expect(table.get(m.key)).toBe(m.value);
    expect(table.get('S-NEVER')).toBeUndefined();

    // A tombstone published after is a deletion once the next barrier resolves.
    await producer.send({ topic, acks: -1, messages: [{ key: 'S-BEFORE', value: null }] });
    await table.catchUp();
    expect(table.get('S-BEFORE')).toBeUndefined();
    // Read to the end already: the barrier resolves at once.
    await table.catchUp();
  });
});
