/**
 * Helpers for integration tests: configuration from the harness's environment, unique names,
 * cleanup that each factory registers itself, and polling with a deadline instead of sleeps.
 */
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin } from 'kafkajs';
import pino from 'pino';
import { createClickHouse, type ClickHouseClient } from '../../lib/clients/clickhouse';
import { createKafka } from '../../lib/clients/kafka';
import { createSchemaRegistry } from '../../lib/clients/registry';
import { loadConfig, type Config } from '../../lib/config';
import { createLogger, type Logger } from '../../lib/logger';
import { loadCatalog, subjectFor, type TopicSpec } from '../../schemas/catalog';
import { registerSchemas } from '../../services/bootstrap/schemas';
import { createTopicsWithLeaders, planTopic } from '../../services/bootstrap/topics';

const cleanups: (() => Promise<unknown>)[] = [];

/** Runs after the test file, newest first; a failing cleanup does not hide the others. */
export function registerCleanup(fn: () => Promise<unknown>): void {
  cleanups.push(fn);
}

afterAll(async () => {
  const errors: unknown[] = [];
  for (const fn of cleanups.splice(0).reverse()) {
    try {
      await fn();
    } catch (error) {
      errors.push(error);
    }
  }
  if (errors.length > 0) throw new AggregateError(errors, `${errors.length} cleanup step(s) failed`);
});

export function uniqueName(prefix: string, separator = '-'): string {
  return `${prefix}${separator}${Date.now().toString(36)}${separator}${randomBytes(3).toString('hex')}`;
}

export function testLogger(): Logger {
  return createLogger({ level: 'warn', service: 'test', destination: pino.destination({ fd: 2, sync: true }) });
}

/**
 * The configuration the harness points at. Embedded ClickHouse gets a folder per test process
 * (chDB allows one engine folder per process) and each test its own database (testClickHouse).
 */
export function testConfig(overrides: Record<string, string> = {}): Config {
  const config = loadConfig({ ...process.env, ...overrides });
  if (config.clickhouse.mode !== 'embedded') return config;
  return { ...config, clickhouse: { ...config.clickhouse, dataDir: join(tmpdir(), `shelfstream-test-${process.pid}`, 'clickhouse') } };
}

let sharedClickHouse: ClickHouseClient | undefined;

/** A ClickHouse client and a fresh database that is dropped after the test file. */
export async function testClickHouse(config: Config = testConfig()): Promise<{ client: ClickHouseClient; database: string }> {
  if (!sharedClickHouse) {
    const opened = createClickHouse(config.clickhouse);
    sharedClickHouse = opened;
    // Close it with the test file: chDB allows one engine folder per process, and jest runs
    // the next file in the same worker process.
    registerCleanup(async () => {
      sharedClickHouse = undefined;
      await opened.close();
    });
  }
  const client = sharedClickHouse;
  const database = uniqueName('shelfstream_test', '_');
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
  registerCleanup(() => client.command({ query: `DROP DATABASE IF EXISTS ${database} SYNC` }));
  return { client, database };
}

/** A connected Kafka admin client, disconnected after the test file. */
export async function testAdmin(config: Config = testConfig()): Promise<Admin> {
  const admin = createKafka(config.kafka, testLogger(), 'test').admin();
  await admin.connect();
  registerCleanup(() => admin.disconnect());
  return admin;
}

/** Creates a uniquely named topic and registers its deletion. */
export async function createTestTopic(
  admin: Admin,
  options: { partitions?: number; prefix?: string; compacted?: boolean; configEntries?: readonly { name: string; value: string }[] } = {},
): Promise<string> {
  const topic = uniqueName(options.prefix ?? 'test');
  const configEntries = [...(options.compacted ? [{ name: 'cleanup.policy', value: 'compact' }] : []), ...(options.configEntries ?? [])];
  await createTopicsWithLeaders(admin, [{ topic, numPartitions: options.partitions ?? 1, replicationFactor: 1, configEntries }]);
  registerCleanup(() => admin.deleteTopics({ topics: [topic] }));
  return topic;
}

/**
 * Stand-ins for every catalogue topic with a schema: `<prefix><topic>`, with the catalogue's
 * partitions and settings and the schema registered under `<prefix><topic>-value`, deleted
 * after the test file. A test that publishes as a store system would (simulator, ingest) runs
 * on these, never on the catalogue's own topics: records left there would be read by the next
 * `make demo` on the same broker (its backfill skipped, stores of the tests in its summary).
 */
export async function createStandInCatalogue(admin: Admin, config: Config): Promise<{ readonly prefix: string; readonly catalog: readonly TopicSpec[] }> {
  const prefix = `${uniqueName('test')}.`;
  const catalog = loadCatalog()
    .filter((t) => t.schema)
    .map((t) => ({ ...t, name: prefix + t.name, subject: subjectFor(prefix + t.name) }));
  const plans = catalog.map((t) => planTopic(t, config.topics));
  await createTopicsWithLeaders(
    admin,
    plans.map((p) => ({ topic: p.name, numPartitions: p.partitions, replicationFactor: p.replicationFactor, configEntries: Object.entries(p.configs).map(([name, value]) => ({ name, value })) })),
  );
  registerCleanup(() => admin.deleteTopics({ topics: plans.map((p) => p.name) }));
  await registerSchemas(createSchemaRegistry(config.registry), config.registry, catalog);
  registerCleanup(async () => {
    // Soft then hard delete, as the Confluent API asks: the subjects were only this file's.
    for (const t of catalog) {
      const url = `${config.registry.url}/subjects/${encodeURIComponent(t.subject!)}`;
      await fetch(url, { method: 'DELETE' });
      await fetch(`${url}?permanent=true`, { method: 'DELETE' });
    }
  });
  return { prefix, catalog };
}

/** Polls `condition` until it returns a value other than undefined/false, or the deadline passes. */
export async function waitFor<T>(
  condition: () => Promise<T | undefined | false> | T | undefined | false,
  options: { timeoutMs?: number; intervalMs?: number; what: string },
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await condition();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    await sleep(options.intervalMs ?? 100);
  }
  throw new Error(`timed out after ${options.timeoutMs ?? 15_000} ms waiting for ${options.what}${lastError ? `: ${String(lastError)}` : ''}`);
}

/**
 * `fn` over every item, at most `limit` at a time, results in the items' order. For checks whose
 * time is the engine's single-threaded work per item (planning a view): on two cores two at once
 * take about the time of one, and every item is still checked.
 */
export async function inParallel<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
