/**
 * The one function through which tests and benchmarks find the real services:
 *   1. URLs from the environment, when KAFKA_BROKERS, SCHEMA_REGISTRY_URL and MINIO_ENDPOINT
 *      are all given (a shared or CI-provided stack);
 *   2. else testcontainers, when a Docker engine answers;
 *   3. else the project's native launcher (`shelfstream up`).
 * It answers the environment to run against and a `stop` that stops only what it started.
 */
import pino from 'pino';
import { loadConfig } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { stopServices, up } from '../../infra/native/launcher';
import type { ServiceName } from '../../infra/native/service';
import { dockerAvailable, startContainers } from './testcontainers';

export type ServiceSource = 'environment' | 'testcontainers' | 'native';

export interface ProvidedServices {
  readonly source: ServiceSource;
  /** Variables to add to the environment so `loadConfig` points at these services. */
  readonly env: Readonly<Record<string, string>>;
  /** What this call started (empty when everything was already running). */
  readonly started: readonly string[];
  stop(): Promise<void>;
}

export async function provideServices(env: NodeJS.ProcessEnv): Promise<ProvidedServices> {
  if (env.KAFKA_BROKERS && env.SCHEMA_REGISTRY_URL && env.MINIO_ENDPOINT) {
    return { source: 'environment', env: {}, started: [], stop: async () => undefined };
  }
  const base = loadConfig(env);
  if (await dockerAvailable()) {
    const stack = await startContainers({ accessKey: base.objectStore.accessKey, secretKey: base.objectStore.secretKey });
    return { source: 'testcontainers', env: stack.env, started: ['containers'], stop: () => stack.stop() };
  }
  const logger = createLogger({ level: 'warn', service: 'test-harness', destination: pino.destination({ fd: 2, sync: true }) });
  const ctx = { config: base, logger, env };
  const outcome = await up(ctx);
  const started = (Object.entries(outcome) as [ServiceName, string][]).filter(([, o]) => o === 'started').map(([n]) => n);
  return {
    source: 'native',
    env: {},
    started,
    stop: async () => {
      if (started.length > 0) await stopServices(ctx, started);
    },
  };
}
