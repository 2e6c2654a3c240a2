/**
 * The HTTP ingest service for store terminals, wired together: Kafka producer (idempotent,
 * acks=all) behind a batcher, master data followed from md.stores / md.products, the API keys
 * file, the rate limiter and the dedup window, and the Fastify routes. `close()` is the
 * graceful shutdown: stop accepting, let running requests finish (up to shutdownGraceMs), send
 * what is queued, disconnect.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin } from 'kafkajs';
import { createKafka } from '../../lib/clients/kafka';
import { createSchemaRegistry } from '../../lib/clients/registry';
import type { Config } from '../../lib/config';
import { ShelfStreamError, describeError, isShelfStreamError } from '../../lib/errors';
import { EventCodec } from '../../lib/events/codec';
import { createEventPublisher, createFastEventPublisher, type EncodedRecord, type EventPublisher } from '../../lib/events/publisher';
import type { ReadinessCheck } from '../../lib/health';
import type { Logger } from '../../lib/logger';
import { createMetrics, type Metrics } from '../../lib/metrics';
import { loadCatalog, subjectFor, type TopicSpec } from '../../schemas/catalog';
import { watchKeysFile } from './api-keys';
import { createProduceBatcher, encodeOnSubmit, type BatcherOptions, type TopicBatch } from './batcher';
import { createDeduplicator } from './dedup';
import { followMasterData, type MasterData } from './master-data';
import { createIngestMetrics } from './metrics';
import { buildOpenApiDocument } from './openapi';
import { createRateLimiter } from './rate-limit';
import { buildIngestServer } from './server';

/** Tuning that is not a user setting; each number carries its unit. */
export const INGEST_DEFAULTS = {
  burstSeconds: 2, // a full token bucket holds two seconds of the sustained rate
  ackTimeoutMs: 15_000, // a request waits at most 15 s for Kafka before it answers 503
  unavailableRetryAfterS: 5, // what 503 answers tell clients to wait
} as const;

export interface IngestServiceOptions {
  readonly config: Config;
  readonly logger: Logger;
  /** The process's metrics registry; one is created when not given. */
  readonly metrics?: Metrics;
  /**
   * Prefix for every physical topic (events and master data), so a benchmark can run the whole
   * service against its own topics. Empty in production: clients always name the catalogue topic.
   */
  readonly topicPrefix?: string;
  readonly batcher?: Partial<BatcherOptions>;
  /**
   * The Kafka client that produces: @platformatic/kafka by default; kafkajs only so the ingest
   * benchmark can measure both in one checkout.
   */
  readonly producerClient?: 'platformatic' | 'kafkajs';
}

export interface IngestService {
  /** Where it listens, e.g. http://127.0.0.1:8088. */
  readonly url: string;
  readonly port: number;
  readonly masterData: MasterData;
  readonly readiness: readonly ReadinessCheck[];
  readonly metrics: Metrics;
  /** Graceful shutdown; safe to call more than once. */
  close(): Promise<void>;
}

export async function startIngestService(options: IngestServiceOptions): Promise<IngestService> {
  const { config, logger } = options;
  const log = logger.child({ component: 'ingest' });
  const prefix = options.topicPrefix ?? '';
  const metrics = options.metrics ?? createMetrics('ingest');
  const ingestMetrics = createIngestMetrics(metrics);

  const catalog: TopicSpec[] = loadCatalog()
    .filter((t) => t.schema)
    .map((t) => (prefix ? { ...t, name: prefix + t.name, subject: subjectFor(prefix + t.name) } : t));
  const kafka = createKafka(config.kafka, logger, 'ingest');

  const cleanups: (() => Promise<unknown>)[] = [];
  const cleanup = async (): Promise<void> => {
    for (const fn of cleanups.splice(0).reverse()) await fn().catch((error: unknown) => log.warn({ err: describeError(error) }, 'cleanup step failed'));
  };

  try {
    const codec = await EventCodec.create(createSchemaRegistry(config.registry), config.registry, catalog);
    let publisher: EventPublisher;
    try {
      // @platformatic/kafka produces (less CPU per record on the event loop that also serves
      // HTTP); kafkajs still follows master data and probes readiness.
      publisher =
        options.producerClient === 'kafkajs' ? await createEventPublisher(kafka, codec, catalog) : await createFastEventPublisher(config.kafka, 'ingest', codec, catalog);
    } catch (error) {
      throw new ShelfStreamError('SERVICE_UNAVAILABLE', `Kafka at ${config.kafka.brokers.join(',')}: ${describeError(error)}`, { cause: error, context: { service: 'kafka' } });
    }
    cleanups.push(() => publisher.close());

    const masterData = await followMasterData({
      kafka,
      codec,
      logger,
      storesTopic: prefix + 'md.stores',
      productsTopic: prefix + 'md.products',
      groupIdPrefix: `${config.kafka.clientId}-ingest-md`,
      onUndecodable: (topic) => ingestMetrics.eventsRejected.inc({ reason: `undecodable_${topic}` }),
    });
    cleanups.push(() => masterData.close());

    const keys = watchKeysFile(config.ingest.apiKeysFile, {
      onReload: (count) => log.info({ keys: count, file: config.ingest.apiKeysFile }, 'API keys reloaded'),
      onError: (error) => log.error({ err: describeError(error), file: config.ingest.apiKeysFile }, 'API keys file unreadable; keeping the previous keys'),
    });
    cleanups.push(async () => keys.close());
    if (keys.size === 0) log.warn({ file: config.ingest.apiKeysFile }, 'no API keys yet: every request is refused until `shelfstream ingest keys create` adds one');

    // A probe of its own (no retries), so readiness reflects Kafka even while no traffic flows.
    const admin: Admin = kafka.admin({ retry: { retries: 0 } });
    await admin.connect();
    cleanups.push(() => admin.disconnect());
    let probe: Promise<void> | undefined;
    const probeKafka = (): Promise<void> =>
      (probe ??= admin
        .describeCluster()
        .then(() => undefined)
        .finally(() => (probe = undefined)));

    const batcher = encodeOnSubmit(
      createProduceBatcher(
        {
          // Batches hold what encodeOnSubmit made: records already keyed and encoded, any topic.
          publishMixed: (batches: readonly TopicBatch[]) => publisher.sendEncoded(batches.flatMap((b) => b.events as readonly EncodedRecord[])),
        },
        {
          ...options.batcher,
          cooldownMs: options.batcher?.cooldownMs ?? INGEST_DEFAULTS.unavailableRetryAfterS * 1000,
          onProduced: (events, ms, error) => {
            ingestMetrics.produceEvents.observe(events);
            ingestMetrics.produceLatency.observe({ outcome: error ? 'failed' : 'acknowledged' }, ms / 1000);
            if (error) log.error({ err: isShelfStreamError(error) ? error.toJSON() : describeError(error), events }, 'Kafka did not acknowledge a batch');
          },
        },
      ),
      (topic, event) => publisher.encode(topic, event),
    );
    // Whatever is queued is sent before the producer disconnects, unless Kafka is down for longer than the grace period.
    cleanups.push(() => Promise.race([batcher.flush(), sleep(config.ingest.shutdownGraceMs, undefined, { ref: false })]));

    const readiness: ReadinessCheck[] = [
      {
        name: 'kafka',
        check: async () => {
          const availability = batcher.availability();
          if (!availability.ok) throw new Error(availability.reason);
          await probeKafka();
        },
      },
      {
        name: 'master-data',
        check: async () => {
          if (!masterData.loaded) throw new Error('md.stores / md.products are still being read');
        },
      },
    ];

    const openApi = buildOpenApiDocument({
      maxEventsPerRequest: config.ingest.maxEventsPerRequest,
      maxBodyBytes: config.ingest.maxBodyBytes,
      rateLimitEventsPerS: config.ingest.rateLimitEventsPerS,
      burstSeconds: INGEST_DEFAULTS.burstSeconds,
      version: '1.0.0',
    });
    const server = buildIngestServer(
      {
        keys,
        masterData,
        rateLimiter: createRateLimiter({ ratePerS: config.ingest.rateLimitEventsPerS, burstS: INGEST_DEFAULTS.burstSeconds }),
        dedup: createDeduplicator(config.ingest.dedupWindow),
        batcher,
        metrics: ingestMetrics,
        registry: metrics.registry,
        readiness,
        logger,
      },
      {
        maxBodyBytes: config.ingest.maxBodyBytes,
        maxEventsPerRequest: config.ingest.maxEventsPerRequest,
        ackTimeoutMs: INGEST_DEFAULTS.ackTimeoutMs,
        unavailableRetryAfterS: INGEST_DEFAULTS.unavailableRetryAfterS,
        topicFor: (topic) => prefix + topic,
        openApi,
      },
    );
    await server.app.listen({ host: config.ingest.host, port: config.ingest.port });
    const address = server.app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.ingest.port;
    const host = config.ingest.host.includes(':') ? `[${config.ingest.host}]` : config.ingest.host;
    const url = `http://${host}:${port}`;

    let closing: Promise<void> | undefined;
    const close = async (): Promise<void> => {
      const started = performance.now();
      server.drain();
      // Fastify stops listening, closes idle keep-alive connections and waits for running
      // requests; past the grace period the remaining connections are cut.
      let timer: NodeJS.Timeout | undefined;
      const graceOver = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), config.ingest.shutdownGraceMs)));
      const closed = server.app.close().then(() => 'closed' as const);
      if ((await Promise.race([closed, graceOver])) === 'timeout') {
        log.warn({ graceMs: config.ingest.shutdownGraceMs }, 'requests still running after the grace period; closing their connections');
        server.app.server.closeAllConnections();
        await closed;
      }
      clearTimeout(timer);
      await cleanup();
      log.info({ ms: Math.round(performance.now() - started) }, 'ingest stopped');
    };

    return {
      url,
      port,
      masterData,
      readiness,
      metrics,
      close: () => (closing ??= close()),
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
