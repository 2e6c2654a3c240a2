/**
 * The one place a Kafka client is built: brokers, timeouts and the security settings (TLS,
 * SASL: ./kafka-security.ts) from the config, and kafkajs' own logs routed into pino so every
 * line is JSON with the same fields. kafkajs consumes and
 * administers; @platformatic/kafka produces where throughput or latency matters (the simulator
 * and HTTP ingest): bench/benchmarks/kafka-clients.ts measured it producing 2.6-3.1x faster than
 * kafkajs and consuming at 0.4-0.5x.
 */
import NodeModule from 'node:module';
import type { Partitioner as PltPartitioner, Producer as PltProducer, ProducerOptions as PltProducerOptions } from '@platformatic/kafka' with { 'resolution-mode': 'import' };
import { Kafka, Partitioners, logLevel as KafkaLogLevel, type LogEntry, type Producer, type ProducerConfig, type RetryOptions } from 'kafkajs';
import type { KafkaConfig } from '../config';
import type { Logger } from '../logger';
import { createKafkaLogLevels } from './kafka-log';
import { kafkajsSecurity, platformaticSecurity } from './kafka-security';

export interface KafkaClientOptions {
  /** kafkajs' retry policy; its default (5 retries, about 10 s in all) when unset. */
  readonly retry?: RetryOptions;
  /** No kafkajs log lines at all (health probes, where a failure is the answer). */
  readonly silent?: boolean;
}

export function createKafka(config: KafkaConfig, logger: Logger, role: string, options: KafkaClientOptions = {}): Kafka {
  const log = logger.child({ component: 'kafkajs' });
  // Errors kafkajs retries by itself are not errors to the operator (./kafka-log.ts).
  const levels = createKafkaLogLevels();
  return new Kafka({
    clientId: `${config.clientId}-${role}`,
    brokers: [...config.brokers],
    connectionTimeout: config.connectTimeoutMs,
    ...kafkajsSecurity(config),
    ...(options.retry !== undefined ? { retry: options.retry } : {}),
    // kafkajs logs INFO chatter on every group join; keep WARN and above unless debugging.
    logLevel: options.silent ? KafkaLogLevel.NOTHING : logger.isLevelEnabled('debug') ? KafkaLogLevel.DEBUG : KafkaLogLevel.WARN,
    logCreator:
      () =>
      ({ namespace, level, log: entry }: LogEntry) => {
        const { message, ...rest } = entry;
        log[levels.levelOf(level, namespace, message, rest)]({ namespace, ...rest }, message);
      },
  });
}

/** What ShelfStream uses of a kafkajs producer; createProducer's answer. */
export type IdempotentProducer = Pick<Producer, 'connect' | 'disconnect' | 'send' | 'sendBatch'>;

/**
 * A producer with the settings every ShelfStream producer needs: idempotent (no duplicates on
 * retry) and the Java-compatible murmur2 partitioner, so a record keyed by store_id lands on
 * the same partition whether a Java terminal or ShelfStream produced it (co-partitioning).
 *
 * After a failed send the next one goes through a new kafkajs producer (a new producer id,
 * every partition's sequence from 0). kafkajs advances a partition's sequence only when the
 * broker's whole answer is free of errors, but a request that failed for one partition was
 * still written to the others: the next batch to such a partition reused a sequence the broker
 * held, and was dropped as a retry while the send resolved (as many records: acknowledged and
 * lost) or refused as out of order on every send after (another count). kafkajs cannot ask for
 * a new id on a connected producer, so the producer is replaced (tests/integration/
 * publisher-recovery.test.ts forces both cases; lib/events/publisher.ts does the same for
 * @platformatic/kafka). What the failed send wrote may be written again by the caller's retry:
 * every consumer here counts an event_id once.
 */
export function createProducer(kafka: Kafka, options: Omit<ProducerConfig, 'idempotent' | 'createPartitioner'> = {}): IdempotentProducer {
  const make = (): Producer => kafka.producer({ maxInFlightRequests: 5, ...options, idempotent: true, createPartitioner: Partitioners.DefaultPartitioner });
  let producer = make();
  /** The current producer's sequences are not known to match the broker's. */
  let sequencesUnknown = false;
  let renewing: Promise<void> | undefined;
  const renew = async (): Promise<void> => {
    const old = producer;
    producer = make();
    await old.disconnect().catch(() => undefined);
    await producer.connect();
    sequencesUnknown = false;
  };
  const guarded = async <T>(send: (p: Producer) => Promise<T>): Promise<T> => {
    if (sequencesUnknown) await (renewing ??= renew().finally(() => (renewing = undefined)));
    const used = producer;
    try {
      return await send(used);
    } catch (error) {
      // A send of a producer already replaced says nothing of the current one.
      if (used === producer) sequencesUnknown = true;
      throw error;
    }
  };
  return {
    connect: () => producer.connect(),
    disconnect: async () => {
      await renewing?.catch(() => undefined);
      await producer.disconnect();
    },
    send: (record) => guarded((p) => p.send(record)),
    sendBatch: (batch) => guarded((p) => p.sendBatch(batch)),
  };
}

// ── @platformatic/kafka (the fast producer) ──────────────────────────────────────────────

/**
 * @platformatic/kafka is an ES module and this project compiles to CommonJS. It is loaded with
 * Node's own require (Node >= 20.19 loads ES modules without top-level await through require)
 * rather than a dynamic import(), so the same loader works in the CLI, the services, the
 * benchmarks and under Jest: Jest replaces both import() (which needs
 * --experimental-vm-modules there) and node:module's createRequire (whose require refuses ES
 * modules before Node 24.9) inside its sandbox, but not Module._load, Node's loader behind
 * every require (internal, yet unchanged since Node 0.x and what createRequire calls).
 */
export type PlatformaticKafka = typeof import('@platformatic/kafka', { with: { 'resolution-mode': 'import' } });
export type FastProducer = PltProducer<Buffer, Buffer, Buffer, Buffer>;

let platformatic: PlatformaticKafka | undefined;

interface NodeLoader {
  _load(request: string, parent: NodeJS.Module, isMain: boolean): unknown;
}

export function loadPlatformaticKafka(): PlatformaticKafka {
  platformatic ??= (NodeModule as unknown as NodeLoader)._load('@platformatic/kafka', module, false) as PlatformaticKafka;
  return platformatic;
}

export interface FastProducerOptions {
  /** Batch compression; 'none' by default (measured: our ~140-byte Avro records gain little from lz4, see bench/). */
  readonly compression?: 'none' | 'lz4' | 'snappy' | 'gzip' | 'zstd';
  /** Milliseconds a produce request may wait for its acknowledgement before it is retried. */
  readonly requestTimeoutMs?: number;
}

export const FAST_PRODUCER_DEFAULTS = {
  requestTimeoutMs: 30_000, // thirty seconds, as kafkajs' produce timeout
  retries: 5, // attempts after the first, each resending with the same sequence numbers
  retryDelayMs: 300, // between attempts
  metadataMaxAgeMs: 300_000, // five minutes, as the Java client: topics here do not change shape while producing
} as const;

/**
 * A @platformatic/kafka producer with the settings every ShelfStream producer needs:
 * idempotent (acks=all, sequence numbers per partition) and the Java-compatible partitioner.
 * The library's *default* partitioner is `murmur2 >>> 0`, which places about half the keys on
 * a different partition than Java clients and kafkajs (`murmur2 & 0x7fffffff`); its
 * compatibilityPartitioner is the Java one, so topics stay co-partitioned with records that
 * kafkajs or a Java terminal produced (lib/clients/partitioner.test.ts checks it against
 * kafkajs' DefaultPartitioner).
 *
 * Its sequence numbers advance only when a produce is acknowledged, so two sends in flight to
 * the same partition would reuse a sequence: callers send one request at a time (the event
 * publisher serialises them).
 */
export function createFastProducer(config: KafkaConfig, role: string, options: FastProducerOptions = {}): FastProducer {
  return new (loadPlatformaticKafka().Producer<Buffer, Buffer, Buffer, Buffer>)(fastProducerOptions(config, role, options));
}

/**
 * What every @platformatic/kafka client (producer, consumer, admin) is built with: client id,
 * brokers, connect timeout and the security settings. Clients other than the fast producer
 * (the benches' raw consumers) spread these into their own options.
 */
export function platformaticClientOptions(config: KafkaConfig, role: string) {
  return {
    clientId: `${config.clientId}-${role}`,
    bootstrapBrokers: [...config.brokers],
    connectTimeout: config.connectTimeoutMs,
    ...platformaticSecurity(config),
  };
}

/** The options createFastProducer passes, apart so a test can check them without a broker. */
export function fastProducerOptions(config: KafkaConfig, role: string, options: FastProducerOptions = {}): PltProducerOptions<Buffer, Buffer, Buffer, Buffer> {
  const plt = loadPlatformaticKafka();
  return {
    ...platformaticClientOptions(config, role),
    timeout: options.requestTimeoutMs ?? FAST_PRODUCER_DEFAULTS.requestTimeoutMs,
    retries: FAST_PRODUCER_DEFAULTS.retries,
    retryDelay: FAST_PRODUCER_DEFAULTS.retryDelayMs,
    metadataMaxAge: FAST_PRODUCER_DEFAULTS.metadataMaxAgeMs,
    idempotent: true,
    acks: plt.ProduceAcks.ALL,
    compression: options.compression ?? 'none',
    partitioner: plt.compatibilityPartitioner as PltPartitioner<Buffer, Buffer, Buffer, Buffer>,
  };
}
