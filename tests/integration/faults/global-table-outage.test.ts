/**
 * A global table's reader through a broker outage (streams/runtime/global-table.ts). kafkajs
 * either restarts the reader itself (a retriable crash) or gives it up ("Failed to find group
 * coordinator" is non-retriable: tulios/kafkajs#1445), and then the table runs it again
 * (consumer-crash.ts). Either way, what is published once the broker is back must reach the
 * table, and the barrier must resolve: the stock and anomaly processors wait on it before taking
 * a store or sku for absent. Which of the two happened is printed, not asserted: it depends on
 * where the reader's join was when the broker went (a client without retries does not force
 * it: kafkajs then restarts the reader itself every 50 ms).
 */
import { Writable } from 'node:stream';
import { createKafka, createProducer } from '../../../lib/clients/kafka';
import { createLogger } from '../../../lib/logger';
import { startGlobalTable } from '../../../streams/runtime/global-table';
import { describeFault } from '../../harness/fault-tier';
import { createTestTopic, registerCleanup, testAdmin, testConfig, testLogger, uniqueName, waitFor } from '../../harness/fixtures';
import { startOwnBroker } from '../../harness/own-services';

/** Longer than kafkajs's default retries of a join (about 10 s), so the reader runs out of them while the broker is away. */
const OUTAGE_MS = 25_000;

describeFault('a global table through a Kafka outage', () => {
  it('reads what is published after the broker is back, and its barrier resolves', async () => {
    const broker = await startOwnBroker();
    const config = testConfig({ KAFKA_BROKERS: broker.address });
    const admin = await testAdmin(config);
    const topic = await createTestTopic(admin, { prefix: 'global-outage', partitions: 2, compacted: true });
    const kafka = createKafka(config.kafka, testLogger(), 'test');
    const producer = createProducer(kafka);
    await producer.connect();
    registerCleanup(() => producer.disconnect());
    await producer.send({ topic, acks: -1, messages: [{ key: 'S-BEFORE', value: 'before' }] });

    // The table's own log, kept to say which restart happened.
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    const logger = createLogger({ level: 'info', service: 'test', destination });
    const readerKafka = createKafka(config.kafka, logger, 'test-reader');
    const table = await startGlobalTable(readerKafka, logger, { topic, groupPrefix: uniqueName('test.global-outage'), decode: (_key, value) => value?.toString('utf8') });
    registerCleanup(() => table.stop());
    expect(table.get('S-BEFORE')).toBe('before');

    await broker.stop();
    const downAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS)); // the outage itself, not a wait for a state
    await broker.start();
    const upAt = Date.now();

    // Just after the restart a partition may answer "not the leader": sent again until acknowledged.
    const after = Array.from({ length: 10 }, (_, i) => ({ key: `S-AFTER-${i}`, value: `after-${i}` }));
    await waitFor(
      async () => {
        await producer.send({ topic, acks: -1, messages: after });
        return true;
      },
      { what: 'the broker to take the records published after the outage', timeoutMs: 60_000, intervalMs: 500 },
    );
    try {
      await waitFor(() => after.every((m) => table.get(m.key) === m.value), { what: 'the table to read what was published after the outage', timeoutMs: 120_000, intervalMs: 250 });
    } catch (error) {
      process.stdout.write(`global-table-outage: the reader's log:\n${lines.join('')}\n`);
      throw error;
    }
    const readAt = Date.now();
    await table.catchUp();
    expect(table.get('S-BEFORE')).toBe('before');

    const restartedByTable = lines.filter((l) => l.includes('global table reader crashed: the broker could not be reached')).length;
    const givenUp = lines.filter((l) => l.includes('global table reader crashed and will not restart')).length;
    expect(givenUp).toBe(0);
    process.stdout.write(
      `global-table-outage: broker down ${((upAt - downAt) / 1000).toFixed(1)} s; the records published after it were in the table ${((readAt - upAt) / 1000).toFixed(1)} s after the restart; ` +
        `restarts by the table ${restartedByTable} (the rest by kafkajs)\n`,
    );
  }, 300_000);
});
