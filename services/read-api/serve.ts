/**
 * The read API listening, on whatever queries it is handed and in whichever thread calls it: the
 * ingest API keys file followed (so `keys create` and `keys revoke` apply within a second), the
 * routes (./server.ts), and the port. The thread that owns the ClickHouse client calls it with
 * the client's queries (./index.ts); the read API's worker thread with queries answered by that
 * thread (./worker.ts).
 */
import type { Config } from '../../lib/config';
import { ShelfStreamError, describeError } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import { watchKeysFile } from '../ingest/api-keys';
import { buildReadApiDocument } from './openapi';
import type { ReadQueries } from './queries';
import { buildReadApiServer } from './server';

/** What the read API needs of the configuration: plain data, so it can be handed to a worker thread. */
export interface ReadApiSettings {
  readonly readApi: Config['readApi'];
  readonly ingest: Pick<Config['ingest'], 'apiKeysFile'>;
}

export interface ReadApiService {
  /** Where it listens, e.g. http://127.0.0.1:8090. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * @param queries what a store system's request asks; refreshQueries what refreshes a cached
 *   answer in the background (a lower lane on the embedded engine).
 */
export async function serveReadApi(options: { settings: ReadApiSettings; logger: Logger; queries: ReadQueries; refreshQueries: ReadQueries }): Promise<ReadApiService> {
  const { settings, logger } = options;
  const log = logger.child({ component: 'read-api' });
  const keysFile = settings.ingest.apiKeysFile;
  const keys = watchKeysFile(keysFile, {
    onReload: (count) => log.info({ keys: count, file: keysFile }, 'API keys reloaded'),
    onError: (error) => log.error({ err: describeError(error), file: keysFile }, 'API keys file unreadable; keeping the previous keys'),
  });
  if (keys.size === 0) log.warn({ file: keysFile }, 'no API keys yet: every read is refused until `shelfstream ingest keys create` adds one');
  const { maxPageSize, cacheMs, host, port } = settings.readApi;
  const app = buildReadApiServer(
    { keys, queries: options.queries, refreshQueries: options.refreshQueries, logger },
    { maxPageSize, cacheMs, openApi: buildReadApiDocument({ maxPageSize, version: '1.0.0' }) },
  );
  try {
    await app.listen({ host, port });
  } catch (error) {
    keys.close();
    const inUse = (error as NodeJS.ErrnoException).code === 'EADDRINUSE';
    throw new ShelfStreamError(inUse ? 'PORT_IN_USE' : 'SERVICE_START_FAILED', inUse ? `the read API's port ${port} is in use: set READ_API_PORT to a free port` : `the read API cannot listen on ${host}:${port}`, {
      cause: error,
      context: { READ_API_HOST: host, READ_API_PORT: port },
    });
  }
  const address = app.server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${shownHost}:${bound}`,
    port: bound,
    close: () =>
      (closing ??= (async () => {
        keys.close();
        await app.close();
      })()),
  };
}
