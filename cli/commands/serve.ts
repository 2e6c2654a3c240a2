/**
 * `shelfstream serve read-api`: the read API for store systems on its own, against a ClickHouse
 * server (CLICKHOUSE_URL) or, when no other process owns it, the embedded engine's folder.
 * `run all` and `demo` start the same service on their own ClickHouse client (startReadApi). All
 * three serve it from a worker thread (services/read-api/worker-host.ts): in `run all` and `demo`
 * the processors keep the main thread's event loop busy, and a cached answer must not wait for it.
 * `shelfstream serve web`: the web dashboards on their own (./web.ts).
 */
import { createClickHouse, describeClickHouse, type ClickHouseClient } from '../../lib/clients/clickhouse';
import { ShelfStreamError } from '../../lib/errors';
import { startReadApiWorker, type ReadApiService } from '../../services/read-api';
import type { CliContext } from '../context';
import { startWeb } from './web';

export const SERVABLE = ['read-api', 'web'] as const;

/** Starts the read API on a client the caller owns and prints where it listens. */
export async function startReadApi(ctx: CliContext, clickhouse: ClickHouseClient): Promise<ReadApiService> {
  const service = await startReadApiWorker({ config: ctx.config, logger: ctx.logger, clickhouse });
  ctx.print(`read API: ${service.url} (OpenAPI at ${service.url}/openapi.json; keys from ${ctx.config.ingest.apiKeysFile})`);
  return service;
}

export async function serveCommand(ctx: CliContext, what: string): Promise<void> {
  if (!(SERVABLE as readonly string[]).includes(what)) throw new ShelfStreamError('INVALID_ARGUMENT', `shelfstream serve takes ${SERVABLE.join(', ')}, got ${JSON.stringify(what)}`);
  if (what === 'web') {
    const web = await startWeb(ctx, undefined);
    await new Promise<void>((resolve) => {
      process.once('SIGTERM', resolve);
      process.once('SIGINT', resolve);
    });
    await web.stop();
    return;
  }
  const clickhouse = createClickHouse(ctx.config.clickhouse);
  try {
    const service = await startReadApi(ctx, clickhouse);
    ctx.logger.info({ url: service.url, clickhouse: describeClickHouse(ctx.config.clickhouse) }, 'read API listening');
    await new Promise<void>((resolve) => {
      process.once('SIGTERM', resolve);
      process.once('SIGINT', resolve);
    });
    await service.close();
  } finally {
    await clickhouse.close();
  }
}
