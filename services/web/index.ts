/**
 * The web dashboards wired together: the reader (as the signed-in BI user), the sessions, the
 * routes, and listening on WEB_HOST:WEB_PORT. `run all` and `demo` read through the embedded SQL
 * endpoint's executor; `shelfstream serve web` through a ClickHouse server's HTTP interface.
 */
import type { Config } from '../../lib/config';
import type { EngineLanes } from '../../lib/engine-lanes';
import { ShelfStreamError } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import type { AlertActionPublisher } from './alert-actions';
import type { BiReader } from './bi-reader';
import { buildWebServer } from './server';
import { createSessionStore } from './sign-in';

export { executorReader, httpReader, type BiReader } from './bi-reader';
export type { AlertActionPublisher } from './alert-actions';

export interface WebService {
  /** Where it listens, e.g. http://127.0.0.1:8087. */
  readonly url: string;
  close(): Promise<void>;
}

export async function startWebService(options: {
  config: Pick<Config, 'web'> & { readonly clickhouseModel: Pick<Config['clickhouseModel'], 'reportingCurrency'> };
  logger: Logger;
  reader: BiReader;
  alertActions?: AlertActionPublisher;
  /** The embedded engine's lanes, shared with the read API (lib/engine-lanes.ts); none for a ClickHouse server. */
  lanes?: EngineLanes;
}): Promise<WebService> {
  const settings = options.config.web;
  const app = buildWebServer({
    reader: options.reader,
    sessions: createSessionStore({ ttlMs: settings.sessionTtlS * 1000 }),
    logger: options.logger,
    sessionTtlS: settings.sessionTtlS,
    liveIntervalMs: settings.liveIntervalMs,
    ...(options.alertActions ? { alertActions: options.alertActions } : {}),
    cacheTtlMs: settings.cacheTtlMs,
    ...(options.lanes ? { lanes: options.lanes } : {}),
    reportingCurrency: options.config.clickhouseModel.reportingCurrency,
  });
  try {
    await app.listen({ host: settings.host, port: settings.port });
  } catch (error) {
    const inUse = (error as NodeJS.ErrnoException).code === 'EADDRINUSE';
    throw new ShelfStreamError(inUse ? 'PORT_IN_USE' : 'SERVICE_START_FAILED', inUse ? `the web app's port ${settings.port} is in use: set WEB_PORT to a free port` : `the web app cannot listen on ${settings.host}:${settings.port}`, {
      cause: error,
      context: { WEB_HOST: settings.host, WEB_PORT: settings.port },
    });
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : settings.port;
  const host = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
  let closing: Promise<void> | undefined;
  return { url: `http://${host}:${port}`, close: () => (closing ??= app.close()) };
}
