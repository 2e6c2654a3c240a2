/**
 * A storm through Kafka: 10,000 out-of-stock alerts for one store published within a minute to a
 * three-partition stand-in of shelfstream.alerts, beside a few alerts of three other stores, read
 * by `shelfstream alerts serve`'s service and delivered to a grouped subscription (group_by
 * store_id and kind, group_wait 2 s, group_interval 10 s) at the Python reference receiver, by
 * two instances of the service sharing the partitions.
 *
 * The bound, by hand: a group is one store's alerts (subscription.ts), so the storm is one group
 * in one task. Its first message goes group_wait after its first alert, later ones at most every
 * group_interval while alerts keep coming, each flush in messages of at most 500 alerts. With the
 * storm's alerts reaching the service over a span S, the flushes number at most
 * 2 + floor(S / 10 s), and flush k of n_k alerts takes ceil(n_k / 500) <= n_k / 500 + 1 messages:
 * at most 20 + 2 + floor(S / 10 s) messages. Each other store's few alerts come in one message.
 * Every alert is told once (the receiver answers 200), each message holding one store's alerts.
 */
import { randomBytes } from 'node:crypto';
import { migrate } from '../../clickhouse/migrate';
import { createKafka, createProducer } from '../../lib/clients/kafka';
import { createSchemaRegistry } from '../../lib/clients/registry';
import { EventCodec } from '../../lib/events/codec';
import { createMetrics } from '../../lib/metrics';
import { loadCatalog } from '../../schemas/catalog';
import type { Alert } from '../../schemas/generated/events';
import { createSecretBox } from '../../services/alerts/secret-box';
import { startAlertsService } from '../../services/alerts/service';
import { parseSubscriptionRequest } from '../../services/alerts/subscription';
import { createSubscriptionRecord } from '../../services/alerts/subscription-records';
import { createSubscriptionStore, SUBSCRIPTIONS_TOPIC } from '../../services/alerts/subscription-store';
import { ALERTS_TOPIC } from '../../streams/runtime/alerts';
import { createTestTopic, registerCleanup, testAdmin, testClickHouse, testConfig, testLogger, uniqueName, waitFor } from '../harness/fixtures';
import { startReferenceReceiver } from '../harness/webhook-receiver';

const STORM = 10_000;
const BATCH = 500;
const BATCH_EVERY_MS = 1_000; // 20 batches: the storm lasts about 20 s, within the minute
const GROUP_WAIT_MS = 2_000;
const GROUP_INTERVAL_MS = 10_000;
// The bound below is grouping's alone. The rate cap (60 a minute by default) is split between the
// instances by the share of partitions each owns (alerts-processor.ts): when the storm's partition
// is the one-partition instance's, its cap is 20 a minute, which the storm's ~22 messages reach,
// and the overflow becomes a summary. The cap has unit tests of its own; here it stays out of the way.
const RATE_CAP_PER_MINUTE = 6_000;
const OTHER_STORES = ['S-calm-1', 'S-calm-2', 'S-calm-3'];

interface GroupBody {
  type: string;
  data: { group_key: string | null; alerts: { alert_id: string; store_id: string; status: string }[] };
}

describe('an alert storm through Kafka', () => {
  it('reaches a grouped subscription as a bounded number of notifications, every alert told once', async () => {
    const secretKey = randomBytes(32).toString('base64');
    const config = testConfig({ ALERTS_ALLOWED_HOSTS: '127.0.0.1', ALERTS_SECRET_KEY: secretKey, STREAM_FLUSH_INTERVAL_MS: '200' });
    const logger = testLogger();
    const { client, database } = await testClickHouse(config);
    await migrate(client, database);
    const admin = await testAdmin(config);
    const alertsTopic = await createTestTopic(admin, { partitions: 3, prefix: 'alerts-storm' });
    const subscriptionsTopic = await createTestTopic(admin, { partitions: 1, prefix: 'alerts-storm-subscriptions', compacted: true });

    const secret = `whsec_${randomBytes(24).toString('base64')}`;
    const receiver = await startReferenceReceiver({ secrets: [secret] });
    const kafka = createKafka(config.kafka, logger, 'test');
    const store = createSubscriptionStore(kafka, subscriptionsTopic);
    registerCleanup(() => store.close());
    const box = createSecretBox(Buffer.from(secretKey, 'base64'));
    const { url, settings } = parseSubscriptionRequest({ url: receiver.url, event_types: ['out_of_stock'], group_by: ['store_id', 'kind'], group_wait_ms: GROUP_WAIT_MS, group_interval_ms: GROUP_INTERVAL_MS, rate_cap_per_minute: RATE_CAP_PER_MINUTE });
    await store.put(createSubscriptionRecord({ subscriptionId: `sub_storm_${randomBytes(3).toString('hex')}`, url, settings, secret }, { box, policy: { allowedHosts: ['127.0.0.1'] }, now: Date.now() }).record);

    // Two instances of the service in one consumer group, as a scaled-out deployment: each owns
    // some partitions, and the storm's store is one instance's. Both are in the group before the
    // first alert, so no partition changes owner during the storm.
    const codec = await EventCodec.create(createSchemaRegistry(config.registry), config.registry, loadCatalog());
    const groupId = uniqueName('alerts-storm-service');
    registerCleanup(() => admin.deleteGroups([groupId]).catch(() => undefined));
    for (const instance of [1, 2]) {
      const service = await startAlertsService({
        config: { ...config, clickhouse: { ...config.clickhouse, database } },
        logger: logger.child({ instance }),
        kafka,
        codec,
        clickhouse: client,
        metrics: createMetrics(`alerts-storm-test-${instance}`, { collectDefaults: false }),
        topics: { [ALERTS_TOPIC]: alertsTopic, [SUBSCRIPTIONS_TOPIC]: subscriptionsTopic },
        groupId,
      });
      registerCleanup(() => service.stop());
    }
    await waitFor(
      async () => {
        const group = (await admin.describeGroups([groupId])).groups[0];
        return group?.state === 'Stable' && group.members.length === 2 && group.members.every((m) => m.memberAssignment.length > 0);
      },
      { what: 'both service instances in the group with partitions assigned', timeoutMs: 60_000, intervalMs: 250 },
    );

    const runId = randomBytes(3).toString('hex');
    const outOfStock = (storeId: string, i: number): Alert => ({
      alert_id: `stock:OUT_OF_STOCK:${storeId}:SKU-${i}:${runId}`,
      state: 'RAISED',
      occurred_at: Date.now(),
      store_id: storeId,
      sku: `SKU-${i}`,
      terminal_id: null,
      alert_type: 'OUT_OF_STOCK',
      severity: 'CRITICAL',
      score: 1,
      reason: 'on_hand reached 0',
      processor: 'stock',
      measures: { on_hand: 0 },
      acted_by: null,
      snoozed_until: null,
    });
    const producer = createProducer(kafka);
    await producer.connect();
    registerCleanup(() => producer.disconnect());
    const send = (alerts: readonly Alert[]) => producer.send({ topic: alertsTopic, acks: -1, messages: alerts.map((a) => ({ key: a.store_id, value: codec.encode(ALERTS_TOPIC, a) })) });

    const stormStore = `S-storm-${runId}`;
    const expected = new Map<string, string>();
    const calm = OTHER_STORES.flatMap((s) => Array.from({ length: 4 }, (_, i) => outOfStock(`${s}-${runId}`, i)));
    await send(calm);
    for (const a of calm) expected.set(a.alert_id, a.store_id);
    const started = Date.now();
    for (let b = 0; b < STORM / BATCH; b++) {
      const due = started + b * BATCH_EVERY_MS;
      // Paced by polling the clock against a deadline, not by a fixed sleep: a slow send shortens the next wait.
      await waitFor(() => Date.now() >= due, { what: `storm batch ${b} due`, timeoutMs: 60_000, intervalMs: 20 });
      const batch = Array.from({ length: BATCH }, (_, i) => outOfStock(stormStore, b * BATCH + i));
      await send(batch);
      for (const a of batch) expected.set(a.alert_id, a.store_id);
    }
    const stormSpanMs = Date.now() - started;
    expect(stormSpanMs).toBeLessThan(60_000);

    let told = new Map<string, number>();
    await waitFor(
      async () => {
        told = new Map();
        for (const r of await receiver.received()) {
          for (const a of (JSON.parse(r.body) as GroupBody).data.alerts) told.set(a.alert_id, (told.get(a.alert_id) ?? 0) + 1);
        }
        return [...expected.keys()].every((id) => told.has(id));
      },
      { what: `all ${expected.size} alerts at the receiver (${told.size} so far)`, timeoutMs: 150_000, intervalMs: 1_000 },
    );
    const requests = await receiver.received();
    expect(requests.every((r) => r.status === 200 && r.verified.every(Boolean))).toBe(true);
    expect(new Set(requests.map((r) => r.webhook_id)).size).toBe(requests.length);
    expect([...told.values()].every((n) => n === 1)).toBe(true);
    const bodies = requests.map((r) => JSON.parse(r.body) as GroupBody);
    for (const body of bodies) {
      expect(body.type).toBe(body.data.alerts.length === 1 ? 'out_of_stock.raised' : 'alerts.group');
      expect(new Set(body.data.alerts.map((a) => a.store_id)).size).toBe(1);
    }
    const storm = bodies.filter((b) => b.data.alerts[0]!.store_id === stormStore);
    for (const s of OTHER_STORES) expect(bodies.filter((b) => b.data.alerts[0]!.store_id === `${s}-${runId}`)).toHaveLength(1);
    // The service read the storm over at most its publishing span plus one flush of the runtime's consumer (slack of 10 s).
    const bound = STORM / BATCH + 2 + Math.floor((stormSpanMs + 10_000) / GROUP_INTERVAL_MS);
    logger.info({ storm_notifications: storm.length, bound, storm_span_ms: stormSpanMs }, 'storm delivered');
    process.stdout.write(`storm: ${STORM} alerts in ${stormSpanMs} ms -> ${storm.length} notifications (bound ${bound})\n`);
    expect(storm.length).toBeLessThanOrEqual(bound);
    expect(storm.reduce((n, b) => n + b.data.alerts.length, 0)).toBe(STORM);
  }, 240_000);
});
