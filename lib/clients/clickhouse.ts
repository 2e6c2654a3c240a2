/**
 * One ClickHouse client API for both modes: a ClickHouse server over HTTP when CLICKHOUSE_URL
 * is set, else embedded ClickHouse (chDB) in-process through the same `@clickhouse/client`
 * interface. Embedded mode has one owner process per data folder (chDB allows one engine per
 * process and locks the folder), and it ignores the client's `database` option, so
 * ShelfStream always qualifies table names with the configured database.
 */
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { mkdirSync } from 'node:fs';
import type { ClickHouseConfig } from '../config';
import type { ClientConnection } from './clickhouse-port';
import { trustedCas } from './trust';

export type { ClickHouseClient } from '@clickhouse/client';

/** The engine connection of each embedded client, for a worker thread's client to run on (./clickhouse-port.ts). */
const embeddedConnections = new WeakMap<ClickHouseClient, ClientConnection>();

/** The embedded engine connection under `client`; undefined for a client of a ClickHouse server. */
export function embeddedConnectionOf(client: ClickHouseClient): ClientConnection | undefined {
  return embeddedConnections.get(client);
}

export function createClickHouse(config: ClickHouseConfig): ClickHouseClient {
  if (config.mode === 'server') {
    return createClient({
      url: config.url,
      username: config.user,
      password: config.password,
      database: config.database,
      request_timeout: config.requestTimeoutMs,
      application: 'shelfstream',
      ...(config.caFile !== undefined && config.url.startsWith('https:') ? { tls: { ca_cert: Buffer.from(trustedCas(config.caFile).join('\n')) } } : {}),
    });
  }
  mkdirSync(config.dataDir, { recursive: true });
  // Loaded lazily: a process that talks to a ClickHouse server never loads the chDB engine.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createChdbConnection } = require('chdb/connection') as typeof import('chdb/connection');
  // chdb implements the Connection interface of its own copy of @clickhouse/client-common;
  // the shapes match but TypeScript sees two declarations of the settings type.
  const connection = createChdbConnection({ path: config.dataDir }) as unknown as ClientConnection;
  const client = createClient({
    connection,
    request_timeout: config.requestTimeoutMs,
  });
  embeddedConnections.set(client, connection);
  return client;
}

/** A one-line description of where the client points, for logs and `shelfstream status`. */
export function describeClickHouse(config: ClickHouseConfig): string {
  return config.mode === 'server' ? `server ${config.url}` : `embedded chDB at ${config.dataDir}`;
}
