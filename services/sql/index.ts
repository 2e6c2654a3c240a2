/**
 * The SQL endpoint (issue 11): ClickHouse's HTTP interface served by the process that owns
 * embedded ClickHouse, so BI tools connect to `shelfstream run all` as to a ClickHouse server.
 * `startSqlEndpoint` binds the HTTP side (./http-server.ts) to an executor (./contract.ts):
 * the admin executor (./admin-executor.ts) or the BI executor.
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { hostname } from 'node:os';
import type { AddressInfo } from 'node:net';
import type { Config } from '../../lib/config';
import { ShelfStreamError } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import type { SqlExecutor } from './contract';
import { createSqlHttpHandler } from './http-server';

export { AdminExecutor } from './admin-executor';
export type { SqlExecutor } from './contract';

export interface SqlEndpoint {
  /** Where clients connect, e.g. `http://127.0.0.1:8123` (the port bound when 0 was asked). */
  readonly url: string;
  /** Stops accepting connections and waits for requests in flight; the executor stays open (its owner closes it). */
  close(): Promise<void>;
}

export interface StartSqlEndpointOptions {
  readonly config: Pick<Config, 'sqlEndpoint'>;
  readonly logger: Logger;
  readonly executor: SqlExecutor;
}

/** True for addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h) || h === '::ffff:127.0.0.1';
}

/**
 * Serves ClickHouse's HTTP interface on SQL_ENDPOINT_HOST:SQL_ENDPOINT_PORT (HTTPS when a
 * certificate is configured). A bind beyond loopback without TLS is refused unless
 * SQL_ENDPOINT_ALLOW_PLAINTEXT=on: passwords and results would cross the network readable.
 */
export async function startSqlEndpoint(options: StartSqlEndpointOptions): Promise<SqlEndpoint> {
  const settings = options.config.sqlEndpoint;
  if (settings.tls === undefined && !isLoopback(settings.host) && !settings.allowPlaintext) {
    throw new ShelfStreamError(
      'CONFIG_INVALID',
      `refusing to serve the SQL endpoint over plain HTTP on ${settings.host}, beyond loopback: set SQL_ENDPOINT_TLS_CERT_FILE and SQL_ENDPOINT_TLS_KEY_FILE for HTTPS, or SQL_ENDPOINT_ALLOW_PLAINTEXT=on to accept plain HTTP on the network`,
      { context: { SQL_ENDPOINT_HOST: settings.host } },
    );
  }
  const handler = createSqlHttpHandler({
    executor: options.executor,
    logger: options.logger,
    maxBodyBytes: settings.maxBodyBytes,
    maxResultBytes: settings.maxResultBytes,
    maxSessionTimeoutS: settings.maxSessionTimeoutS,
    displayName: hostname(),
  });
  let server: Server;
  if (settings.tls !== undefined) {
    let cert: Buffer;
    let key: Buffer;
    try {
      cert = readFileSync(settings.tls.certFile);
      key = readFileSync(settings.tls.keyFile);
    } catch (error) {
      throw new ShelfStreamError('CONFIG_INVALID', `cannot read the SQL endpoint's TLS certificate or key: ${error instanceof Error ? error.message : String(error)}`, {
        cause: error,
        context: { SQL_ENDPOINT_TLS_CERT_FILE: settings.tls.certFile, SQL_ENDPOINT_TLS_KEY_FILE: settings.tls.keyFile },
      });
    }
    server = createHttpsServer({ cert, key }, handler);
  } else {
    server = createHttpServer(handler);
  }
  // ClickHouse keeps idle HTTP connections 10 s; drivers size their pools' idle time by it.
  server.keepAliveTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      reject(
        new ShelfStreamError(
          error.code === 'EADDRINUSE' ? 'PORT_IN_USE' : 'SERVICE_START_FAILED',
          error.code === 'EADDRINUSE'
            ? `the SQL endpoint's port ${settings.port} on ${settings.host} is in use: set SQL_ENDPOINT_PORT to a free port, or SQL_ENDPOINT=off`
            : `the SQL endpoint cannot listen on ${settings.host}:${settings.port}: ${error.message}`,
          { cause: error, context: { SQL_ENDPOINT_HOST: settings.host, SQL_ENDPOINT_PORT: settings.port } },
        ),
      );
    };
    server.once('error', onError);
    server.listen(settings.port, settings.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `${settings.tls !== undefined ? 'https' : 'http'}://${host}:${address.port}`;
  return {
    url,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeIdleConnections();
      }),
  };
}
