/**
 * The read API wired together: the ingest API keys file (followed, so `keys create` and `keys
 * revoke` apply within a second), the queries on the ClickHouse client it is handed (the
 * process's own: embedded ClickHouse has one owner), the routes, and listening.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { Config } from '../../lib/config';
import { ENGINE_LANES, type EngineLanes } from '../../lib/engine-lanes';
import { describeError } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import { watchKeysFile } from '../ingest/api-keys';
import { buildReadApiDocument } from './openapi';
import { createReadQueries } from './queries';
import { buildReadApiServer } from './server';

export interface ReadApiService {
  /** Where it listens, e.g. http://127.0.0.1:8090. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export async function startReadApiService(options: {
  config: Config;
  logger: Logger;
  clickhouse: ClickHouseClient;
  /** The engine's lanes (lib/engine-lanes.ts); default: the process's own in embedded mode, none for a server. */
  lanes?: EngineLanes;
}): Promise<ReadApiService> {
  const { config, logger } = options;
  const log = logger.child({ component: 'read-api' });
  const keysFile = config.ingest.apiKeysFile;
  const lanes = options.lanes ?? (config.clickhouse.mode === 'embedded' ? ENGINE_LANES : undefined);
  const keys = watchKeysFile(keysFile, {
    onReload: (count) => log.info({ keys: count, file: keysFile }, 'API keys reloaded'),
    onError: (error) => log.error({ err: describeError(error), file: keysFile }, 'API keys file unreadable; keeping the previous keys'),
  });
  if (keys.size === 0) log.warn({ file: keysFile }, 'no API keys yet: every read is refused until `shelfstream ingest keys create` adds one');
  const app = buildReadApiServer(
    {
      keys,
      // Embedded: a store system's query goes ahead of the dashboards', a refresh of a cached answer after a person's page.
      queries: createReadQueries(options.clickhouse, config.clickhouse.database, Date.now, lanes, 'interactive'),
      refreshQueries: createReadQueries(options.clickhouse, config.clickhouse.database, Date.now, lanes, 'page'),
      logger,
    },
    { maxPageSize: config.readApi.maxPageSize, cacheMs: config.readApi.cacheMs, openApi: buildReadApiDocument({ maxPageSize: config.readApi.maxPageSize, version: '1.0.0' }) },
  );
  try {
    await app.listen({ host: config.readApi.host, port: config.readApi.port });
  } catch (error) {
    keys.close();
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.readApi.port;
  const host = config.readApi.host.includes(':') ? `[${config.readApi.host}]` : config.readApi.host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      (closing ??= (async () => {
        keys.close();
        await app.close();
      })()),
  };
}
