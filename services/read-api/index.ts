/**
 * The read API wired together, in the thread that owns the ClickHouse client it is handed (the
 * process's own: embedded ClickHouse has one owner): `shelfstream serve read-api`, tests and
 * benches. `run all` and `demo` serve it from a worker thread instead (./worker-host.ts), so that
 * a cached answer never waits for the processors' event loop.
 */
import { createReadQueries } from './queries';
import { serveReadApi, type ReadApiService } from './serve';
import { lanesOf, type ReadApiStartOptions } from './worker-host';

export type { ReadApiService, ReadApiSettings } from './serve';
export { startReadApiWorker, type ReadApiStartOptions, type ReadApiWorkerService } from './worker-host';

export async function startReadApiService(options: ReadApiStartOptions): Promise<ReadApiService> {
  const { config } = options;
  const lanes = lanesOf(options);
  return serveReadApi({
    settings: config,
    logger: options.logger,
    // Embedded: a store system's query goes ahead of the dashboards', a refresh of a cached answer after a person's page.
    queries: createReadQueries(options.clickhouse, config.clickhouse.database, Date.now, lanes, 'interactive'),
    refreshQueries: createReadQueries(options.clickhouse, config.clickhouse.database, Date.now, lanes, 'page'),
  });
}
