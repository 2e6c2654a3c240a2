/**
 * alerts: alert delivery to a local HTTP receiver (Node, answering 204 at once), twice: from an
 * alert offered to the delivery core in-process (core_*), and with Kafka in the path, from the
 * alert published to shelfstream.alerts (a bench stand-in) through `shelfstream alerts serve`'s
 * service on the streaming runtime (the headline p99_delivery_ms and deliveries_per_s). One ungrouped subscription (group_wait 0, rate cap out of the
 * way), standard format, signed, through the same sender, concurrency per endpoint as configured
 * (ALERTS_ENDPOINT_CONCURRENCY).
 *
 * - p99_delivery_ms: alerts offered at a paced PACED_PER_S, time from offer to the receiver
 *   having the request (received timestamps of the receiver in the same process);
 * - deliveries_per_s: SATURATED alerts offered at once, received per second;
 * - raw_posts_per_s: the baseline, the same bodies posted by the same sender with the same
 *   concurrency, no notifier, queue, signing or log;
 * - storm_notifications: 10,000 alerts for one store within a minute through a grouped
 *   subscription's notifier (default grouping) on a fake clock: messages sent.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createMetrics } from '../../lib/metrics';
import type { Alert } from '../../schemas/generated/events';
import { createDeliveryCore } from '../../services/alerts/delivery-core';
import type { DeliveryLog } from '../../services/alerts/delivery-log';
import { createDeliveryMetrics } from '../../services/alerts/delivery-metrics';
import { guardedLookup } from '../../services/alerts/destination-guard';
import { createNotifier } from '../../services/alerts/engine/notifier';
import { createSecretBox } from '../../services/alerts/secret-box';
import { parseSubscriptionRequest } from '../../services/alerts/subscription';
import { createSubscriptionRecord } from '../../services/alerts/subscription-records';
import { createWebhookSender } from '../../services/alerts/webhook-sender';
import { percentile, type BenchContext, type Benchmark } from '../harness';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate } from '../../clickhouse/migrate';
import { createClickHouse } from '../../lib/clients/clickhouse';
import { createKafka, createProducer } from '../../lib/clients/kafka';
import { createSchemaRegistry } from '../../lib/clients/registry';
import { EventCodec } from '../../lib/events/codec';
import { loadCatalog } from '../../schemas/catalog';
import { startAlertsService } from '../../services/alerts/service';
import { createSubscriptionStore, SUBSCRIPTIONS_TOPIC } from '../../services/alerts/subscription-store';
import { ALERTS_TOPIC } from '../../streams/runtime/alerts';

const PACED = 3_000;
const PACED_PER_S = 500;
const SATURATED = 10_000;

function alertAt(i: number, at: number): Alert {
  return { alert_id: `bench:${i}:${at}`, state: 'RAISED', occurred_at: at, store_id: `S${i % 50}`, sku: `SKU-${i}`, terminal_id: null, alert_type: 'OUT_OF_STOCK', severity: 'CRITICAL', score: 1, reason: 'on_hand reached 0 after a sale of 2 units', processor: 'stock', measures: { on_hand: 0 }, acted_by: null, snoozed_until: null };
}

/** The delivery log's buffer without ClickHouse: the bench measures delivery, not inserts. */
function discardingLog(): DeliveryLog {
  return { addMessage: () => undefined, addAttempt: () => undefined, flush: async () => undefined, buffered: 0 };
}

function stormNotifications(): number {
  const { settings } = parseSubscriptionRequest({ url: 'https://example.com/', event_types: ['stockout_risk'] });
  const notifier = createNotifier({ id: 'sub_storm', settings, silences: [] }, { store: () => ({ region: null, time_zone: 'UTC' }), category: () => null });
  const t0 = Date.parse('2026-12-05T10:00:00Z');
  let sent = 0;
  for (let i = 0; i < 10_000; i++) {
    const at = t0 + i * 6;
    notifier.offer({ ...alertAt(i, at), store_id: 'S001', alert_type: 'STOCKOUT_RISK', severity: 'WARNING', score: 0.8 }, at);
    for (const m of notifier.due(at)) {
      sent += 1;
      notifier.settled(m.messageId, true, at);
    }
  }
  for (let at = t0 + 60_000; at <= t0 + 3_600_000; at += 1_000) {
    for (const m of notifier.due(at)) {
      sent += 1;
      notifier.settled(m.messageId, true, at);
    }
  }
  return sent;
}

/**
 * The same measurements with Kafka in the path: alerts published (Avro, acks=all) to a bench
 * topic, consumed by the alert delivery service on the streaming runtime (subscriptions from a
 * bench compacted topic, state and delivery log in a fresh database), delivered to `url`.
 * Latency runs from the publish call to the receiver having the request.
 */
async function throughKafka(ctx: BenchContext, url: string, received: ReadonlyMap<string, number>): Promise<{ p99: number; p50: number; perS: number }> {
  const secretKey = randomBytes(32).toString('base64');
  const config = { ...ctx.config, alerts: { ...ctx.config.alerts, secretKey, allowedHosts: ['127.0.0.1'] } };
  const { logger } = ctx;
  const kafka = createKafka(config.kafka, logger, 'bench');
  const admin = kafka.admin();
  await admin.connect();
  const stamp = Date.now();
  const alertsTopic = `bench.alerts.${stamp}`;
  const subscriptionsTopic = `bench.alert-subscriptions.${stamp}`;
  await admin.createTopics({
    topics: [
      { topic: alertsTopic, numPartitions: config.topics.partitions, replicationFactor: 1 },
      { topic: subscriptionsTopic, numPartitions: 1, replicationFactor: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
    ],
    waitForLeaders: true,
  });
  const database = `bench_alerts_${stamp}`;
  const clickhouse = createClickHouse(config.clickhouse.mode === 'embedded' ? { ...config.clickhouse, dataDir: mkdtempSync(join(tmpdir(), 'bench-chdb-')) } : config.clickhouse);
  await clickhouse.command({ query: `CREATE DATABASE ${database}` });
  await migrate(clickhouse, database);
  const box = createSecretBox(Buffer.from(secretKey, 'base64'));
  const store = createSubscriptionStore(kafka, subscriptionsTopic);
  const { settings } = parseSubscriptionRequest({ url, event_types: ['out_of_stock'], group_by: [], group_wait_ms: 0, rate_cap_per_minute: 100_000 });
  await store.put(createSubscriptionRecord({ subscriptionId: 'sub_bench_kafka', url, settings }, { box, policy: { allowedHosts: ['127.0.0.1'] }, now: Date.now() }).record);
  const codec = await EventCodec.create(createSchemaRegistry(config.registry), config.registry, loadCatalog());
  const service = await startAlertsService({
    config: { ...config, clickhouse: { ...config.clickhouse, database } },
    logger,
    kafka,
    codec,
    clickhouse,
    metrics: createMetrics('bench-alerts', { collectDefaults: false }),
    topics: { [ALERTS_TOPIC]: alertsTopic, [SUBSCRIPTIONS_TOPIC]: subscriptionsTopic },
    groupId: `${alertsTopic}.service`,
  });
  const producer = createProducer(kafka);
  await producer.connect();
  const waitAll = async (ids: readonly string[]): Promise<void> => {
    while (!ids.every((id) => received.has(id))) await new Promise((r) => setTimeout(r, 5));
  };
  try {
    const published = new Map<string, number>();
    const pacedStart = performance.now();
    const perBatch = PACED_PER_S / 100;
    for (let i = 0; i < PACED; i += perBatch) {
      const due = pacedStart + (i * 1000) / PACED_PER_S;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const batch = Array.from({ length: perBatch }, (_, j) => ({ ...alertAt(i + j, Date.now()), alert_id: `kafka:${stamp}:${i + j}` }));
      const at = performance.now();
      for (const a of batch) published.set(a.alert_id, at);
      await producer.send({ topic: alertsTopic, acks: -1, messages: batch.map((a) => ({ key: a.store_id, value: codec.encode(ALERTS_TOPIC, a) })) });
    }
    await waitAll([...published.keys()]);
    const latencies = [...published].map(([id, at]) => received.get(id)! - at);

    const ids: string[] = [];
    const satStart = performance.now();
    for (let i = 0; i < SATURATED; i += 1_000) {
      const batch = Array.from({ length: 1_000 }, (_, j) => ({ ...alertAt(i + j, Date.now()), alert_id: `kafka:${stamp}:sat:${i + j}` }));
      for (const a of batch) ids.push(a.alert_id);
      await producer.send({ topic: alertsTopic, acks: -1, messages: batch.map((a) => ({ key: a.store_id, value: codec.encode(ALERTS_TOPIC, a) })) });
    }
    await waitAll(ids);
    const perS = SATURATED / ((performance.now() - satStart) / 1000);
    return { p99: percentile(latencies, 99), p50: percentile(latencies, 50), perS };
  } finally {
    await producer.disconnect();
    await service.stop();
    await store.close();
    await admin.deleteTopics({ topics: [alertsTopic, subscriptionsTopic] }).catch(() => undefined);
    await admin.disconnect();
    await clickhouse.command({ query: `DROP DATABASE IF EXISTS ${database}` }).catch(() => undefined);
    await clickhouse.close();
  }
}

export const alertsBench: Benchmark = {
  name: 'alerts',
  description: 'alert offered to webhook delivered: p99 latency paced, deliveries/s saturated, beside raw posts/s of the same bodies',
  async run(ctx) {
    const { config, logger } = ctx;
    const received = new Map<string, number>();
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const match = /"alert_id":"([^"]+)"/.exec(body);
        if (match?.[1]) received.set(match[1], performance.now());
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const policy = { allowedHosts: ['127.0.0.1'] };
    const box = createSecretBox(randomBytes(32));
    const sender = createWebhookSender({ lookup: guardedLookup(policy), maxSocketsPerHost: config.alerts.endpointConcurrency, userAgent: 'shelfstream-bench' });
    const core = createDeliveryCore({
      box,
      sender,
      log: discardingLog(),
      metrics: createDeliveryMetrics(createMetrics('bench', { collectDefaults: false })),
      logger,
      lookup: { store: () => ({ region: 'north', time_zone: 'UTC' }), category: () => 'dairy' },
      clock: Date.now,
      random: Math.random,
      concurrency: config.alerts.endpointConcurrency,
      timeoutMs: config.alerts.deliveryTimeoutMs,
    });
    const { settings } = parseSubscriptionRequest({ url, event_types: ['out_of_stock'], group_by: [], group_wait_ms: 0, rate_cap_per_minute: 100_000 });
    core.apply('sub_bench', createSubscriptionRecord({ subscriptionId: 'sub_bench', url, settings }, { box, policy, now: Date.now() }).record);
    const waitAll = async (ids: readonly string[]): Promise<void> => {
      // A count first (cheap, every millisecond), then the exact check once.
      const target = received.size + ids.filter((id) => !received.has(id)).length;
      while (received.size < target || !ids.every((id) => received.has(id))) {
        core.tick();
        await new Promise((r) => setTimeout(r, 1));
      }
      await core.idle();
    };

    try {
      // Paced: latency from offer to received.
      const offered = new Map<string, number>();
      const pacedStart = performance.now();
      // In batches every 10 ms (sleeping between them, not spinning: the machine is shared).
      const perBatch = PACED_PER_S / 100;
      for (let i = 0; i < PACED; i++) {
        if (i % perBatch === 0) {
          const due = pacedStart + (i * 1000) / PACED_PER_S;
          const wait = due - performance.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        }
        const a = alertAt(i, Date.now());
        offered.set(a.alert_id, performance.now());
        core.offer(a);
        core.tick();
      }
      await waitAll([...offered.keys()]);
      const latencies = [...offered].map(([id, at]) => received.get(id)! - at);

      // Saturated: all at once.
      const bodies: string[] = [];
      const ids: string[] = [];
      const satStart = performance.now();
      for (let i = 0; i < SATURATED; i++) {
        const a = alertAt(PACED + i, Date.now());
        ids.push(a.alert_id);
        core.offer(a);
      }
      core.tick();
      await waitAll(ids);
      const deliveriesPerS = SATURATED / ((performance.now() - satStart) / 1000);

      // Baseline: the same kind of bodies, posted directly with the same concurrency.
      for (let i = 0; i < SATURATED; i++) bodies.push(JSON.stringify({ type: 'out_of_stock.raised', timestamp: new Date().toISOString(), data: { alerts: [{ alert_id: `raw:${i}`, reason: 'on_hand reached 0 after a sale of 2 units' }] } }));
      const rawStart = performance.now();
      let next = 0;
      const target = new URL(url);
      await Promise.all(
        Array.from({ length: config.alerts.endpointConcurrency }, async () => {
          while (next < bodies.length) {
            const body = bodies[next++]!;
            await sender.send({ url: target, headers: {}, body, timeoutMs: config.alerts.deliveryTimeoutMs });
          }
        }),
      );
      const rawPerS = SATURATED / ((performance.now() - rawStart) / 1000);
      const kafkaPath = await throughKafka(ctx, url, received);

      return {
        p99_delivery_ms: kafkaPath.p99,
        p50_delivery_ms: kafkaPath.p50,
        deliveries_per_s: kafkaPath.perS,
        core_p99_delivery_ms: percentile(latencies, 99),
        core_deliveries_per_s: deliveriesPerS,
        raw_posts_per_s: rawPerS,
        ratio: deliveriesPerS / rawPerS,
        storm_notifications: stormNotifications(),
        endpoint_concurrency: config.alerts.endpointConcurrency,
      };
    } finally {
      sender.close();
      await new Promise((resolve) => server.close(resolve));
    }
  },
};
