/**
 * The read API wired together, in the thread that owns the ClickHouse client it is handed (the
 * process's own: embedded ClickHouse has one owner): `shelfstream serve read-api`, tests and
 * benches. `run all` and `demo` serve it from a worker thread instead (./worker-host.ts), so that
 * a cached answer never waits for the processors' event loop.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { Config } from '../../lib/config';
import { ENGINE_LANES, type EngineLanes } from '../../lib/engine-lanes';
import type { Logger } from '../../lib/logger';
import { createReadQueries } from './queries';
import { serveReadApi, type ReadApiService } from './serve';

export type { ReadApiService, ReadApiSettings } from './serve';
export { startReadApiWorker } from './worker-host';

export async function startReadApiService(options: {
  config: Config;
  logger: Logger;
  clickhouse: ClickHouseClient;
  /** The engine's lanes (lib/engine-lanes.ts); default: the process's own in embedded mode, none for a server. */
  lanes?: EngineLanes;
}): Promise<ReadApiService> {
  const { config } = options;
  const lanes = options.lanes ?? (config.clickhouse.mode === 'embedded' ? ENGINE_LANES : undefined);
  return serveReadApi({
    settings: config,
    logger: options.logger,
    // Embedded: a store system's query goes ahead of the dashboards', a refresh of a cached answer after a person's page.
    queries: createReadQueries(options.clickhouse, config.clickhouse.database, Date.now, lanes, 'interactive'),
    refreshQueries: createReadQueries(options.clickhouse, config.clickhouse.database, Date.now, lanes, 'page'),
  });
}
