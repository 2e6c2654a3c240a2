/**
 * The one place a kafkajs client is built: brokers and timeouts from the config, and kafkajs'
 * own logs routed into pino so every line is JSON with the same fields.
 */
import { Kafka, Partitioners, logLevel as KafkaLogLevel, type LogEntry, type Producer, type ProducerConfig } from 'kafkajs';
import type { KafkaConfig } from '../config';
import type { Logger } from '../logger';

const TO_PINO: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [KafkaLogLevel.ERROR]: 'error',
  [KafkaLogLevel.WARN]: 'warn',
  [KafkaLogLevel.INFO]: 'info',
  [KafkaLogLevel.DEBUG]: 'debug',
};

export function createKafka(config: KafkaConfig, logger: Logger, role: string): Kafka {
  const log = logger.child({ component: 'kafkajs' });
  return new Kafka({
    clientId: `${config.clientId}-${role}`,
    brokers: [...config.brokers],
    connectionTimeout: config.connectTimeoutMs,
    // kafkajs logs INFO chatter on every group join; keep WARN and above unless debugging.
    logLevel: logger.isLevelEnabled('debug') ? KafkaLogLevel.DEBUG : KafkaLogLevel.WARN,
    logCreator:
      () =>
      ({ namespace, level, log: entry }: LogEntry) => {
        const { message, ...rest } = entry;
        log[TO_PINO[level] ?? 'info']({ namespace, ...rest }, message);
      },
  });
}

/**
 * A producer with the settings every ShelfStream producer needs: idempotent (no duplicates on
 * retry) and the Java-compatible murmur2 partitioner, so a record keyed by store_id lands on
 * the same partition whether a Java terminal or ShelfStream produced it (co-partitioning).
 */
export function createProducer(kafka: Kafka, options: Omit<ProducerConfig, 'idempotent' | 'createPartitioner'> = {}): Producer {
  return kafka.producer({ maxInFlightRequests: 5, ...options, idempotent: true, createPartitioner: Partitioners.DefaultPartitioner });
}
