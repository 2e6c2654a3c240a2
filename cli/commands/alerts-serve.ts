/**
 * `shelfstream alerts serve`: the alert delivery service alone (the distributed mode; `run all`
 * and `demo` start the same service in their process), with the health/readiness/metrics
 * endpoint, until SIGTERM/SIGINT (then: flush the delivery log and state, commit, leave the group).
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { createClickHouse } from '../../lib/clients/clickhouse';
import { createKafka } from '../../lib/clients/kafka';
import { createSchemaRegistry } from '../../lib/clients/registry';
import { EventCodec } from '../../lib/events/codec';
import { startOpsEndpoint } from '../../lib/health';
import { createMetrics, type Metrics } from '../../lib/metrics';
import { loadCatalog } from '../../schemas/catalog';
import { startAlertsService, type AlertsService } from '../../services/alerts/service';
import type { CliContext } from '../context';
import { parseTopicMap } from './stream';

/** The service in a process that already owns a ClickHouse client and metrics (run all, demo). */
export async function startAlertsAlongside(ctx: CliContext, clickhouse: ClickHouseClient, metrics: Metrics, topics: Readonly<Record<string, string>> = {}): Promise<AlertsService> {
  const { config, logger } = ctx;
  const codec = await EventCodec.create(createSchemaRegistry(config.registry), config.registry, loadCatalog());
  return startAlertsService({ config, logger, kafka: createKafka(config.kafka, logger, 'alerts'), codec, clickhouse, metrics, topics });
}

export async function alertsServeCommand(ctx: CliContext, options: { topic?: readonly string[]; group?: string }): Promise<void> {
  const { config, logger } = ctx;
  const metrics = createMetrics('alerts');
  const clickhouse = createClickHouse(config.clickhouse);
  const ops = await startOpsEndpoint({
    host: config.http.host,
    port: config.http.port,
    registry: metrics.registry,
    readiness: [{ name: 'clickhouse', check: async () => void (await clickhouse.ping()) }],
  });
  try {
    const codec = await EventCodec.create(createSchemaRegistry(config.registry), config.registry, loadCatalog());
    const service = await startAlertsService({
      config,
      logger,
      kafka: createKafka(config.kafka, logger, 'alerts'),
      codec,
      clickhouse,
      metrics,
      topics: parseTopicMap(options.topic),
      ...(options.group ? { groupId: options.group } : {}),
    });
    logger.info({ api: service.apiUrl ?? 'off (ALERTS_API_TOKEN unset)' }, 'alerts service started');
    const stop = (): void => {
      ops.drain();
      logger.info('stopping: flushing, committing and leaving the group');
      void service.stop();
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    await service.stopped;
    await service.stop();
  } finally {
    await ops.close();
    await clickhouse.close();
  }
}
