/**
 * One processor run for an integration test, instead of the set-up each test used to copy:
 * stand-in topics with unique names for the catalogue topics the processor reads and writes (a
 * TopicMapping on the command line, `--topic catalogue=stand-in`), migrated databases in an
 * embedded ClickHouse folder of the test's own, a publisher keyed by store as the catalogue
 * topics are, the processor as a child process (`shelfstream stream <name>`, killed by the test
 * when it wants to), its committed offsets and group membership to poll, and every topic, group
 * and child cleaned up by what registered it.
 *
 * Embedded ClickHouse has one owner process per data folder: the fixture migrates and closes, a
 * processor run owns the folder while it runs, and `query` reopens it once the run has ended.
 *
 * `runInProcess` is the in-process form (startProcessor in the test's own process, on the test's
 * ClickHouse), for tests that read the runtime's metrics or run several processors side by side.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Admin } from 'kafkajs';
import { migrate } from '../../clickhouse/migrate';
import { createClickHouse, type ClickHouseClient } from '../../lib/clients/clickhouse';
import { createKafka, createProducer, type IdempotentProducer } from '../../lib/clients/kafka';
import { createSchemaRegistry } from '../../lib/clients/registry';
import type { Config } from '../../lib/config';
import { EventCodec } from '../../lib/events/codec';
import { createMetrics, type Metrics } from '../../lib/metrics';
import { loadCatalog } from '../../schemas/catalog';
import type { TopicName } from '../../schemas/generated/events';
import type { ProcessorDefinition } from '../../streams/runtime/processor';
import { startProcessor } from '../../streams/runtime/runner';
import { type CliRun, startCli } from './cli';
import { createTestTopic, registerCleanup, testAdmin, testConfig, testLogger, uniqueName, waitFor } from './fixtures';

/** Records per produce request when publishing a test's events. */
const PUBLISH_CHUNK = 5_000;

export interface ProcessorRunOptions {
  /** As `shelfstream stream <processor>` names it. */
  readonly processor: string;
  /** Catalogue topics the processor reads, and those it writes that a test must keep apart (alerts). */
  readonly topics: readonly string[];
  readonly partitions: number;
  /** Databases to migrate in the folder (e.g. a clean run's and a killed run's); the first is `database`. */
  readonly databases?: number;
  /** Environment of every run (flush interval, buffer sizes, log level). */
  readonly env?: Readonly<Record<string, string>>;
}

export interface StartOptions {
  readonly group?: string;
  readonly database?: string;
  /** The run stops by itself once idle this long on every partition (ms); unset: it runs until killed. */
  readonly stopWhenIdleMs?: number;
  readonly onStderrLine?: (line: string) => void;
}

export interface ProcessorRun {
  readonly config: Config;
  readonly admin: Admin;
  readonly codec: EventCodec;
  /** Catalogue topic -> its stand-in. */
  readonly topics: Readonly<Record<string, string>>;
  readonly databases: readonly string[];
  readonly database: string;
  /** The consumer group of runs started without one. */
  readonly group: string;
  /** A further unique consumer group, deleted after the test file. */
  newGroup(name: string): string;
  /**
   * Produces `values` to the stand-in of catalogue topic `topic`, keyed by store (the partition
   * given, or the default partitioner's), or by `keyOf` (md.products: the sku).
   */
  publish<V extends object>(topic: string, values: readonly V[], partitionOf?: (storeId: string) => number, keyOf?: (value: V) => string): Promise<void>;
  /** Starts the processor as a child process on the stand-ins. */
  start(options?: StartOptions): CliRun;
  /** Opens the folder's ClickHouse for `fn` (to prepare or read), then closes it: no processor run may be alive. */
  withClickHouse<T>(fn: (client: ClickHouseClient) => Promise<T>): Promise<T>;
  /** `sql`'s rows, through withClickHouse. */
  query<T>(sql: string): Promise<T[]>;
  /** Offsets committed by `group` summed over the stand-ins, polled through a coordinator's brief refusals. */
  committed(group?: string): Promise<number>;
  /** Waits until `group` lists no member (a killed member's session has expired). */
  groupEmpty(group?: string): Promise<void>;
}

export async function processorRun(options: ProcessorRunOptions): Promise<ProcessorRun> {
  const dataDir = mkdtempSync(join(tmpdir(), `shelfstream-${options.processor}-`));
  // Registered first, so it runs last: after the runs' children are killed and clients closed.
  registerCleanup(async () => rmSync(dataDir, { recursive: true, force: true }));
  const databases = Array.from({ length: options.databases ?? 1 }, () => uniqueName(`shelfstream_${options.processor}`, '_'));
  const config = testConfig({ SHELFSTREAM_DATA_DIR: dataDir, CLICKHOUSE_DATABASE: databases[0]! });
  if (config.clickhouse.mode !== 'embedded') throw new Error('processorRun hands an embedded ClickHouse folder to the processor: run with embedded ClickHouse');
  const chConfig = { ...config.clickhouse, dataDir: join(dataDir, 'clickhouse') };
  const setup = createClickHouse(chConfig);
  try {
    for (const database of databases) await migrate(setup, database);
  } finally {
    await setup.close();
  }

  const admin = await testAdmin(config);
  const groups: string[] = [];
  registerCleanup(() => admin.deleteGroups(groups).catch(() => undefined));
  const newGroup = (name: string): string => {
    const group = uniqueName(`test.${name}`);
    groups.push(group);
    return group;
  };
  const group = newGroup(options.processor);
  const topics: Record<string, string> = {};
  for (const t of options.topics) topics[t] = await createTestTopic(admin, { partitions: options.partitions, prefix: `${options.processor}-${t.replace('.', '-')}` });
  const codec = await EventCodec.create(createSchemaRegistry(config.registry), config.registry, loadCatalog());
  let producer: IdempotentProducer | undefined;
  const env = { ...process.env, SHELFSTREAM_DATA_DIR: dataDir, STREAM_SESSION_TIMEOUT_MS: '6000', SHELFSTREAM_LOG_LEVEL: 'warn', ...options.env };
  const withClickHouse = async <T>(fn: (client: ClickHouseClient) => Promise<T>): Promise<T> => {
    const client = createClickHouse(chConfig);
    try {
      return await fn(client);
    } finally {
      await client.close();
    }
  };

  return {
    config,
    admin,
    codec,
    topics,
    databases,
    database: databases[0]!,
    group,
    newGroup,
    async publish(topic, values, partitionOf, keyOf) {
      if (!producer) {
        const opened = createProducer(createKafka(config.kafka, testLogger(), 'test'));
        await opened.connect();
        registerCleanup(() => opened.disconnect());
        producer = opened;
      }
      const standIn = topics[topic];
      if (!standIn) throw new Error(`${topic} has no stand-in: list it in processorRun's topics`);
      for (let i = 0; i < values.length; i += PUBLISH_CHUNK) {
        const messages = values.slice(i, i + PUBLISH_CHUNK).map((v) => {
          const storeId = (v as { store_id?: string }).store_id;
          return { key: keyOf ? keyOf(v) : (storeId ?? null), partition: storeId === undefined ? undefined : partitionOf?.(storeId), value: codec.encode(topic as TopicName, v as never) };
        });
        await producer.send({ topic: standIn, acks: -1, messages });
      }
    },
    start(start = {}) {
      const args = ['stream', options.processor, '--group', start.group ?? group, '--no-metrics', ...Object.entries(topics).flatMap(([t, standIn]) => ['--topic', `${t}=${standIn}`])];
      if (start.stopWhenIdleMs !== undefined) args.push('--stop-when-idle', String(start.stopWhenIdleMs));
      return startCli(args, { env: { ...env, CLICKHOUSE_DATABASE: start.database ?? databases[0]! }, onStderrLine: start.onStderrLine });
    },
    withClickHouse,
    query: <T>(sql: string): Promise<T[]> => withClickHouse(async (client) => (await client.query({ query: sql, format: 'JSONEachRow' })).json<T>()),
    committed(of = group) {
      return waitFor(
        async () => {
          // Over every stand-in: one the processor only writes (alerts) has no commit and adds 0.
          const offsets = await admin.fetchOffsets({ groupId: of, topics: Object.values(topics) });
          return offsets.reduce((s, t) => s + t.partitions.reduce((p, x) => p + Math.max(0, Number(x.offset)), 0), 0);
        },
        { what: `the committed offsets of ${of}`, timeoutMs: 30_000, intervalMs: 200 },
      );
    },
    async groupEmpty(of = group) {
      await waitFor(async () => ((await admin.describeGroups([of])).groups[0]?.members.length ?? 0) === 0, { what: `the members of ${of} to leave`, timeoutMs: 30_000, intervalMs: 200 });
    },
  };
}

export interface InProcessOptions {
  readonly config: Config;
  readonly codec: EventCodec;
  readonly clickhouse: ClickHouseClient;
  readonly database: string;
  readonly deadLetterTopic?: string;
  readonly groupId?: string;
  readonly metrics?: Metrics;
  /** Idle time on every partition after which the run ends (ms). */
  readonly stopWhenIdleMs?: number;
}

/** Runs `definition` in the test's process until it is idle, then stops it (also on a failure, by cleanup). */
export async function runInProcess(definition: ProcessorDefinition, options: InProcessOptions): Promise<void> {
  const running = await startProcessor(
    definition,
    { kafka: createKafka(options.config.kafka, testLogger(), 'test'), codec: options.codec, clickhouse: options.clickhouse, logger: testLogger(), metrics: options.metrics ?? createMetrics('test', { collectDefaults: false }) },
    {
      ...options.config.streams,
      sessionTimeoutMs: 6_000,
      database: options.database,
      groupId: options.groupId ?? uniqueName(`test.${definition.name}`),
      stopWhenIdleMs: options.stopWhenIdleMs ?? 1_500,
      ...(options.deadLetterTopic ? { deadLetterTopic: options.deadLetterTopic } : {}),
    },
  );
  registerCleanup(() => running.stop());
  await running.stopped;
}
