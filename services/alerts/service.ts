/**
 * `shelfstream alerts serve`, and the same inside `run all` and `demo`: the subscriptions global
 * table, the alerts processor on the streaming runtime, and the subscriptions HTTP API when
 * ALERTS_API_TOKEN is set. A service beside the registry's processors rather than an entry of
 * streams/processors.ts: it holds a Kafka reader (the global table), an HTTP client pool and
 * possibly an HTTP server that must be stopped with it, and it is not a ClickHouse derivation
 * that `replay rebuild` could refill; the runtime drives it exactly as it drives a processor.
 * An endpoint a task disables (410, or days of failures) is written back to its subscription
 * (endpoint-disabler.ts), so every instance and the next start see it disabled.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { Kafka } from 'kafkajs';
import type { Config } from '../../lib/config';
import type { EventCodec } from '../../lib/events/codec';
import type { Logger } from '../../lib/logger';
import type { Metrics } from '../../lib/metrics';
import { DEFAULT_RETRY } from '../../lib/retry';
import { startGlobalTable } from '../../streams/runtime/global-table';
import { startProcessor } from '../../streams/runtime/runner';
import { ALERTS_TOPIC } from '../../streams/runtime/alerts';
import { alertsProcessor } from './alerts-processor';
import { buildSubscriptionApi } from './api';
import { guardedLookup } from './destination-guard';
import { createSecretBox } from './secret-box';
import { loadSecretKey } from './secret-key';
import { createEndpointDisabler } from './endpoint-disabler';
import { createSubscriptionAdmin } from './subscription-admin';
import { createSubscriptionStore, decodeRecord, SUBSCRIPTIONS_TOPIC } from './subscription-store';
import { createWebhookSender } from './webhook-sender';

export interface AlertsServiceDeps {
  readonly config: Config;
  readonly logger: Logger;
  readonly kafka: Kafka;
  readonly codec: EventCodec;
  readonly clickhouse: ClickHouseClient;
  readonly metrics: Metrics;
  /** Stand-ins: catalogue topic -> topic read instead (shelfstream.alerts, shelfstream.alert-subscriptions). */
  readonly topics?: Readonly<Record<string, string>>;
  /** Consumer group; defaults to shelfstream.alerts. */
  readonly groupId?: string;
}

export interface AlertsService {
  /** Where the subscriptions API listens, when it runs. */
  readonly apiUrl: string | undefined;
  readonly stopped: Promise<void>;
  stop(): Promise<void>;
}

/** Partitions of a topic, read once at start: adding partitions to the alerts topic means a restart of the service anyway (keys move). */
async function partitionCount(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    return metadata.topics[0]?.partitions.length ?? 0;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export async function startAlertsService(deps: AlertsServiceDeps): Promise<AlertsService> {
  const { config, logger, kafka } = deps;
  const topics = deps.topics ?? {};
  // A stand-in given with --topic wins over ALERTS_SUBSCRIPTIONS_TOPIC, as for every other topic.
  const subscriptionsTopic = topics[SUBSCRIPTIONS_TOPIC] ?? config.alerts.subscriptionsTopic;
  const { key, created } = loadSecretKey(config.alerts);
  if (created) logger.warn({ file: config.alerts.secretKeyFile }, 'made a new alerts secret key: every instance of a cluster must share it (ALERTS_SECRET_KEY)');
  const box = createSecretBox(key);
  const policy = { allowedHosts: config.alerts.allowedHosts };
  const sender = createWebhookSender({ lookup: guardedLookup(policy), maxSocketsPerHost: config.alerts.endpointConcurrency, userAgent: 'ShelfStream-Alerts' });
  const subscriptions = await startGlobalTable(kafka, logger, { topic: subscriptionsTopic, groupPrefix: 'shelfstream.alerts.subscriptions', decode: decodeRecord });
  // One writer of the subscriptions topic for the service: the disabler's write-backs and the API.
  const store = createSubscriptionStore(kafka, subscriptionsTopic);
  const disabler = createEndpointDisabler({ subscriptions, store, logger, clock: Date.now, retry: DEFAULT_RETRY });
  const alertsTopic = topics[ALERTS_TOPIC] ?? ALERTS_TOPIC;
  const definition = alertsProcessor({
    alertsTopic,
    partitions: await partitionCount(kafka, alertsTopic),
    subscriptions,
    box,
    sender,
    timeoutMs: config.alerts.deliveryTimeoutMs,
    concurrency: config.alerts.endpointConcurrency,
    retryScheduleMs: config.alerts.retryScheduleMs,
    circuitOpenMs: config.alerts.circuitOpenMs,
    logger,
    onEndpointDisabled: disabler.disable,
  });
  const processor = await startProcessor(definition, { kafka, codec: deps.codec, clickhouse: deps.clickhouse, logger, metrics: deps.metrics }, {
    ...config.streams,
    database: config.clickhouse.database,
    ...(deps.groupId ? { groupId: deps.groupId } : {}),
  });
  let api: { url: string; close(): Promise<void> } | undefined;
  if (config.alerts.api.token) {
    const admin = createSubscriptionAdmin({ store, box, policy, sender, deliveryTimeoutMs: config.alerts.deliveryTimeoutMs, clock: Date.now });
    const app = buildSubscriptionApi({ admin, token: config.alerts.api.token, logger });
    const url = await app.listen({ host: config.http.host, port: config.alerts.api.port });
    api = { url, close: () => app.close() };
    logger.info({ url }, 'alerts subscriptions API listening');
  }
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await api?.close();
      await processor.stop();
      await disabler.idle();
      await subscriptions.stop();
      await store.close();
      sender.close();
    })());
  return { apiUrl: api?.url, stopped: processor.stopped, stop };
}
