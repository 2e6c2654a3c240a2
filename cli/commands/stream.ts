/**
 * `shelfstream stream <processor...>`: runs stream processors in this process, with the
 * health/readiness/metrics endpoint, until SIGTERM/SIGINT (then: flush, commit, leave the
 * group) or, with --stop-when-idle, until caught up. Prints a summary at the end.
 */
import { type ClickHouseClient, createClickHouse } from '../../lib/clients/clickhouse';
import { createKafka } from '../../lib/clients/kafka';
import { createSchemaRegistry } from '../../lib/clients/registry';
import { EventCodec } from '../../lib/events/codec';
import { startOpsEndpoint } from '../../lib/health';
import { createMetrics, metricTotal, type Metrics } from '../../lib/metrics';
import { loadCatalog } from '../../schemas/catalog';
import { PROCESSOR_NAMES, buildProcessor, isProcessorName, type ProcessorName } from '../../streams/processors';
import { startProcessorsInThread } from '../../streams/runtime/processor-thread';
import { startProcessor, type RunningProcessor } from '../../streams/runtime/runner';
import { ShelfStreamError } from '../../lib/errors';
import type { CliContext } from '../context';

export interface StreamCommandOptions {
  readonly group?: string;
  readonly topic?: readonly string[];
  readonly stopWhenIdle?: number;
  readonly metrics?: boolean;
  /**
   * Work that shares this process's ClickHouse client while the processors run (`run all`: the
   * forecast schedule; embedded ClickHouse has one owner per process). Stopped before the client closes.
   */
  readonly alongside?: (clickhouse: ClickHouseClient, metrics: Metrics) => Promise<{ stop(): Promise<void> }>;
  /**
   * Run the processors in a worker thread (streams/runtime/processor-thread.ts): `run all`, whose
   * SQL endpoint, web app and read API's queries share this thread's event loop.
   */
  readonly inThread?: boolean;
}

export function parseTopicMap(pairs: readonly string[] = []): Record<string, string> {
  const map: Record<string, string> = {};
  for (const pair of pairs) {
    const m = /^([^=\s]+)=([^=\s]+)$/.exec(pair);
    if (!m) throw new Error(`--topic expects catalogue-topic=stand-in-topic, got ${JSON.stringify(pair)}`);
    map[m[1]!] = m[2]!;
  }
  return map;
}

/** How long the process may stay alive once every processor stopped and every client closed. */
const EXIT_GRACE_MS = 10_000; // 10 s

/**
 * The stop is done (flushed, committed, every client closed or given up on, each step bounded):
 * what still holds the event loop is a client that its close did not stop (kafkajs restarts a
 * consumer that crashed during its disconnect from a timer of its own). The process then exits
 * with its status after a grace, naming what held it, rather than run on after SIGTERM. The timer
 * is unref'd: a process that nothing holds exits at once, as before.
 */
function exitIfHeldAfterStop(logger: CliContext['logger']): void {
  setTimeout(() => {
    logger.warn({ resources: process.getActiveResourcesInfo(), graceMs: EXIT_GRACE_MS }, 'still running after every processor stopped: exiting');
    process.exit();
  }, EXIT_GRACE_MS).unref();
}

export async function streamCommand(ctx: CliContext, names: readonly string[], options: StreamCommandOptions): Promise<void> {
  const unknown = names.filter((n) => !isProcessorName(n));
  if (unknown.length > 0 || names.length === 0) {
    throw new ShelfStreamError('INVALID_ARGUMENT', `unknown processor ${unknown.join(', ') || '(none given)'}; known: ${PROCESSOR_NAMES.join(', ')}`);
  }
  const { config, logger } = ctx;
  const topics = parseTopicMap(options.topic);
  const metrics = createMetrics('stream');
  const kafka = createKafka(config.kafka, logger, 'stream');
  const catalog = loadCatalog();
  const codec = await EventCodec.create(createSchemaRegistry(config.registry), config.registry, catalog);
  const clickhouse = createClickHouse(config.clickhouse);
  const running: RunningProcessor[] = [];
  const ops =
    options.metrics === false
      ? undefined
      : await startOpsEndpoint({
          host: config.http.host,
          port: config.http.port,
          registry: metrics.registry,
          readiness: [{ name: 'clickhouse', check: async () => void (await clickhouse.ping()) }],
        });
  const started = Date.now();
  let companion: { stop(): Promise<void> } | undefined;
  try {
    const group = (name: string): { groupId?: string } => (options.group ? { groupId: names.length > 1 ? `${options.group}.${name}` : options.group } : {});
    const stopWhenIdle = options.stopWhenIdle !== undefined ? { stopWhenIdleMs: options.stopWhenIdle } : {};
    if (options.inThread) {
      const specs = names.map((name) => ({ name: name as ProcessorName, topics, ...group(name), ...stopWhenIdle }));
      running.push(...(await startProcessorsInThread({ config, logger, clickhouse, metrics, service: 'stream' }, specs)));
    } else {
      for (const name of names) {
        const definition = await buildProcessor(name as ProcessorName, config, { topics });
        running.push(
          await startProcessor(definition, { kafka, codec, clickhouse, logger, metrics }, {
            ...config.streams,
            database: config.clickhouse.database,
            outputTopics: topics,
            ...group(name),
            ...stopWhenIdle,
          }),
        );
        logger.info({ processor: name, inputs: definition.inputs, tables: definition.tables }, 'processor started');
      }
    }
    if (ops) logger.info({ url: `http://${ops.address().host}:${ops.address().port}/metrics` }, 'ops endpoint listening');
    companion = await options.alongside?.(clickhouse, metrics);
    const stop = (): void => {
      ops?.drain();
      logger.info('stopping: flushing, committing and leaving the group');
      for (const r of running) void r.stop();
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    await Promise.all(running.map((r) => r.stopped));
  } finally {
    await companion?.stop();
    await Promise.all(running.map((r) => r.stop()));
    await ops?.close();
    await clickhouse.close();
    exitIfHeldAfterStop(logger);
  }
  const read = await metricTotal(metrics, 'events_in_total');
  const seconds = (Date.now() - started) / 1000;
  ctx.print(`stream: ${names.join(', ')} read ${read} records in ${seconds.toFixed(1)} s (${Math.round(read / Math.max(seconds, 0.001))}/s)`);
}
