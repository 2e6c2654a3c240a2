/**
 * The web dashboards from the command line: `startWeb` is what `run all` and `demo` start beside
 * the SQL endpoint (reading through its executor, so a BI user's scope applies), and
 * `shelfstream serve web` runs it on its own against a ClickHouse server (CLICKHOUSE_URL, whose
 * row policies scope the users) or, when no other process owns it, the embedded engine's folder.
 */
import { ENGINE_LANES } from '../../lib/engine-lanes';
import { createSqlExecutor } from '../../services/sql/executor';
import type { SqlExecutor } from '../../services/sql/contract';
import { openAlertsPublisher, type AlertsPublisher } from '../../services/forecast/drift-alerts';
import { executorReader, httpReader, startWebService, type AlertActionPublisher, type BiReader } from '../../services/web';
import type { CliContext } from '../context';

/**
 * Starts the web app and prints where it listens.
 * @param executor the running SQL endpoint's executor (embedded mode); without one, the web app opens its own.
 */
export async function startWeb(ctx: CliContext, executor: SqlExecutor | undefined): Promise<{ readonly url: string; stop(): Promise<void> }> {
  const { config, logger } = ctx;
  let own: SqlExecutor | undefined;
  let reader: BiReader;
  if (config.clickhouse.mode === 'server') {
    reader = httpReader(config.clickhouse.url, config.clickhouse.database);
  } else {
    own = executor === undefined ? createSqlExecutor({ config: config.sqlExecutor, dataDir: config.clickhouse.dataDir, database: config.clickhouse.database, logger }) : undefined;
    reader = executorReader(executor ?? own!, config.clickhouse.database);
  }
  // Opened at the first acknowledgement or snooze: the pages do not wait for Kafka, nor fail without it.
  let publisher: Promise<AlertsPublisher> | undefined;
  const alertActions: AlertActionPublisher = {
    publish: async (alert) => {
      publisher ??= openAlertsPublisher(config).catch((error: unknown) => {
        publisher = undefined;
        throw error;
      });
      await (await publisher).publishAlerts([alert]);
    },
  };
  let service;
  try {
    // Embedded: the pages' queries queue behind the read API's on the one engine of the process.
    service = await startWebService({ config, logger, reader, alertActions, ...(config.clickhouse.mode === 'embedded' ? { lanes: ENGINE_LANES } : {}) });
  } catch (error) {
    await own?.close();
    throw error;
  }
  ctx.print(`web dashboards: ${service.url} (sign in with a BI user: shelfstream bi-users add ...)`);
  logger.info({ url: service.url }, 'web dashboards listening');
  return {
    url: service.url,
    stop: async () => {
      await service.close();
      await (await publisher?.catch(() => undefined))?.close();
      await own?.close();
    },
  };
}
