/**
 * A Kafka broker or a MinIO of one test file's own, started by the project's native launcher on
 * free ports with a data folder under /tmp, so a fault test can stop it and start it again. The
 * harness's services (shared by every test and every engineer on the machine) are never
 * stopped. What is started here is stopped by the cleanup the factory registers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kafkaService } from '../../infra/native/kafka';
import { stopServices, supervisorFor, upOne } from '../../infra/native/launcher';
import { minioService } from '../../infra/native/minio';
import type { NativeService, ServiceName } from '../../infra/native/service';
import { loadConfig } from '../../lib/config';
import { registerCleanup, testLogger } from './fixtures';

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A service this test owns: where it answers, and stop/start that keep its data folder. */
export interface OwnService {
  /** `127.0.0.1:<port>` for Kafka, `http://127.0.0.1:<port>` for MinIO. */
  readonly address: string;
  /** Stops the process (SIGTERM, then what the launcher does) and resolves once it is gone. */
  stop(): Promise<void>;
  /** Starts it again on the same ports and data; resolves once it is healthy. */
  start(): Promise<void>;
}

/** The harness's environment without what points at its Kafka, ClickHouse server or MinIO. */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined || name.startsWith('KAFKA_') || name.startsWith('CLICKHOUSE_') || name.startsWith('MINIO_')) continue;
    env[name] = value;
  }
  return env;
}

async function ownService(service: NativeService, name: ServiceName, ports: Record<string, string>, address: (ports: Record<string, string>) => string): Promise<OwnService> {
  const root = mkdtempSync(join(tmpdir(), `shelfstream-own-${name}-`));
  const config = loadConfig({ ...baseEnv(), SHELFSTREAM_DATA_DIR: root, KAFKA_HEAP_MB: '256', ...ports });
  const ctx = { config, logger: testLogger(), env: process.env };
  const supervisor = supervisorFor(ctx);
  const start = async (): Promise<void> => void (await upOne(service, ctx, supervisor, () => undefined));
  const stop = async (): Promise<void> => void (await stopServices(ctx, [name]));
  registerCleanup(async () => {
    await stop();
    rmSync(root, { recursive: true, force: true });
  });
  await start();
  return { address: address(ports), stop, start };
}

/** A single KRaft broker with a PLAINTEXT listener on a free port. */
export async function startOwnBroker(): Promise<OwnService> {
  const ports = { KAFKA_PORT: String(await freePort()), KAFKA_CONTROLLER_PORT: String(await freePort()) };
  return ownService(kafkaService, 'kafka', ports, (p) => `127.0.0.1:${p.KAFKA_PORT!}`);
}

/** A MinIO with the configuration's credentials (MINIO_ACCESS_KEY / MINIO_SECRET_KEY) on a free port. */
export async function startOwnMinio(): Promise<OwnService> {
  const ports = { MINIO_PORT: String(await freePort()), MINIO_CONSOLE_PORT: String(await freePort()) };
  const own = await ownService(minioService, 'minio', { ...ports, ...credentials() }, (p) => `http://127.0.0.1:${p.MINIO_PORT!}`);
  return own;
}

/** The harness's MinIO credentials, which the own MinIO takes as its root user. */
function credentials(): Record<string, string> {
  const env: Record<string, string> = {};
  if (process.env.MINIO_ACCESS_KEY) env.MINIO_ACCESS_KEY = process.env.MINIO_ACCESS_KEY;
  if (process.env.MINIO_SECRET_KEY) env.MINIO_SECRET_KEY = process.env.MINIO_SECRET_KEY;
  return env;
}
