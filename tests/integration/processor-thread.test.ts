/**
 * Processors in a worker thread (streams/runtime/processor-thread.ts), as `run all` and `demo`
 * run them, against real Kafka and the test's embedded ClickHouse, which stays with this thread:
 * velocity reads published sales in the worker, its window rows land through the owner's engine
 * connection with the units the sales carry (summed here by hand from what was published), its
 * metrics show in the owner's registry (metricTotal and the /metrics text), a flush asked of the
 * owner's handle reaches the worker, and after the stop the thread is gone and its last figures
 * stay.
 */
import { randomUUID } from 'node:crypto';
import { migrate } from '../../clickhouse/migrate';
import { createKafka, createProducer } from '../../lib/clients/kafka';
import { createSchemaRegistry } from '../../lib/clients/registry';
import { EventCodec } from '../../lib/events/codec';
import { createMetrics, metricTotal } from '../../lib/metrics';
import { loadCatalog } from '../../schemas/catalog';
import type { SaleCompleted } from '../../schemas/generated/events';
import { startProcessorsInThread } from '../../streams/runtime/processor-thread';
import { createTestTopic, registerCleanup, testAdmin, testClickHouse, testConfig, testLogger, uniqueName, waitFor } from '../harness/fixtures';

const config = testConfig();
const T0 = Date.UTC(2026, 10, 20, 9, 0, 0);
const SALES = 240;

function sale(at: number, store: string, sku: string, quantity: number): SaleCompleted {
  const lines = [{ line_number: 1, sku, quantity, unit_price: 250, discount: 0, promotion_id: null }];
  const total = quantity * 250;
  return { event_id: randomUUID(), occurred_at: at, store_id: store, terminal_id: 'T1', transaction_id: randomUUID(), cashier_id: 'C1', payment_method: 'CASH', currency: 'EUR', lines, subtotal: total, discount_total: 0, tax_total: 0, total };
}

describe("processors in the processors' thread", () => {
  it('velocity writes the published units through the owner, reports its metrics to the owner, and ends with its stop', async () => {
    const { client, database } = await testClickHouse(config);
    await migrate(client, database);
    const admin = await testAdmin(config);
    const topic = await createTestTopic(admin, { partitions: 3, prefix: 'thread-sales' });
    const codec = await EventCodec.create(createSchemaRegistry(config.registry), config.registry, loadCatalog());
    // One sale every 2 s from 09:00:00 for 8 minutes, over 3 stores and 2 skus, 1-4 units each.
    const sales = Array.from({ length: SALES }, (_, i) => sale(T0 + i * 2_000, `TH${i % 3}`, i % 2 === 0 ? 'A' : 'B', 1 + (i % 4)));
    const expected = new Map<string, number>(); // store|sku|minute -> units, by hand from the sales
    for (const s of sales) {
      const key = `${s.store_id}|${s.lines[0]!.sku}|${new Date(Math.floor(s.occurred_at / 60_000) * 60_000).toISOString().slice(11, 16)}`;
      expected.set(key, (expected.get(key) ?? 0) + s.lines[0]!.quantity);
    }
    const producer = createProducer(createKafka(config.kafka, testLogger(), 'test'));
    await producer.connect();
    registerCleanup(() => producer.disconnect());
    await producer.send({ topic, acks: -1, messages: sales.map((s) => ({ key: s.store_id, value: codec.encode('pos.sales', s) })) });

    const metrics = createMetrics('thread-test', { collectDefaults: false });
    const [velocity] = await startProcessorsInThread({ config, logger: testLogger(), clickhouse: client, metrics, service: 'thread-test' }, [
      { name: 'velocity', topics: { 'pos.sales': topic }, database, groupId: uniqueName('thread-velocity') },
    ]);
    registerCleanup(() => velocity!.stop());
    expect(velocity!.name).toBe('velocity');

    await waitFor(async () => (await metricTotal(metrics, 'events_in_total')) >= SALES || undefined, { what: `${SALES} records read in the thread`, timeoutMs: 60_000 });
    await velocity!.flush();
    const rows = await (
      await client.query({
        query: `SELECT store_id, sku, formatDateTime(window_start, '%H:%i') AS minute, units FROM ${database}.sales_velocity_1m FINAL ORDER BY store_id, sku, minute`,
        format: 'JSONEachRow',
      })
    ).json<{ store_id: string; sku: string; minute: string; units: number | string }>();
    expect(new Map(rows.map((r) => [`${r.store_id}|${r.sku}|${r.minute}`, Number(r.units)]))).toEqual(expected);

    // The worker's series, labelled as the owner's, in what a scrape of the owner returns.
    const text = await metrics.registry.metrics();
    expect(text).toMatch(new RegExp(`shelfstream_events_in_total\\{[^}]*processor="velocity"[^}]*\\} ${SALES}\\b`));
    expect(text).toContain('service="thread-test"');

    await velocity!.stop();
    await velocity!.stopped;
    // The thread is gone: its figures are the last it reported, and a flush is refused clearly.
    expect(await metricTotal(metrics, 'events_in_total')).toBe(SALES);
    await waitFor(async () => (await velocity!.flush().then(() => undefined, (error: unknown) => error)) ?? undefined, { what: 'a flush refused once the thread has ended', timeoutMs: 15_000 }).then((error) =>
      expect(String(error)).toMatch(/processors' thread has exited|no processor velocity/),
    );
  });
});
