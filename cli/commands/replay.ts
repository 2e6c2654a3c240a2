/**
 * `shelfstream replay ...`: tools for data engineers to read history again.
 *   reset    move a processor's consumer group to a time (refused while it runs)
 *   publish  re-publish archived events of a time range (optionally some stores), byte for byte
 *   rebuild  empty a processor's ClickHouse tables and refill them from the archive
 */
import { randomUUID } from 'node:crypto';
import { type Command, InvalidArgumentError } from 'commander';
import { createClickHouse } from '../../lib/clients/clickhouse';
import { createKafka, createProducer } from '../../lib/clients/kafka';
import { createSchemaRegistry } from '../../lib/clients/registry';
import { ShelfStreamError } from '../../lib/errors';
import { EventCodec } from '../../lib/events/codec';
import { createMetrics } from '../../lib/metrics';
import { createProgress } from '../../lib/progress';
import { loadCatalog } from '../../schemas/catalog';
import { openArchiveStore } from '../../streams/archive';
import { archivedTopics } from '../../streams/archive/encoder';
import { hoursBetween } from '../../streams/archive/layout';
import { publishReplay, readArchive, type ReplaySelection } from '../../streams/archive/replay';
import { applyGroupReset, assertGroupInactive, planGroupReset } from '../../streams/archive/reset';
import type { ArchiveStore } from '../../streams/archive/store';
import { PROCESSOR_NAMES, REBUILDABLE_NAMES, buildProcessor, isProcessorName, type ProcessorName } from '../../streams/processors';
import { consumerGroupOf } from '../../streams/runtime/processor';
import { startProcessor } from '../../streams/runtime/runner';
import type { CliContext } from '../context';
import { parseTopicMap } from './stream';

type RunCommand = (service: string, action: (ctx: CliContext) => Promise<boolean | void>) => () => Promise<void>;

function instant(flag: string): (value: string) => number {
  return (value) => {
    const ms = Date.parse(value);
    if (Number.isNaN(ms)) throw new InvalidArgumentError(`${flag} takes an ISO 8601 date-time, e.g. 2026-03-19T08:00:00Z; got ${JSON.stringify(value)}`);
    return ms;
  };
}

function processorName(value: string): ProcessorName {
  if (!isProcessorName(value)) throw new InvalidArgumentError(`unknown processor ${JSON.stringify(value)}; known: ${PROCESSOR_NAMES.join(', ')}`);
  return value;
}

/** A processor whose ClickHouse tables can be refilled from the archive (not the archive itself). */
function rebuildableName(value: string): ProcessorName {
  const name = processorName(value);
  if (!REBUILDABLE_NAMES.includes(name)) throw new InvalidArgumentError(`${name} cannot be rebuilt from the archive; rebuildable: ${REBUILDABLE_NAMES.join(', ')}`);
  return name;
}

function positive(flag: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${flag} must be a positive number, got ${JSON.stringify(value)}`);
    return n;
  };
}

interface RangeFlags {
  from: number;
  to: number;
  store?: string[];
  topic?: string[];
}

function selection(flags: RangeFlags, topics: readonly string[]): ReplaySelection {
  if (!(flags.to > flags.from)) throw new ShelfStreamError('INVALID_ARGUMENT', `--to (${new Date(flags.to).toISOString()}) must be after --from (${new Date(flags.from).toISOString()})`);
  return { topics, from: flags.from, to: flags.to, ...(flags.store?.length ? { stores: new Set(flags.store) } : {}) };
}

/** Rows the manifests of the range promise: the progress bar's total (filters may keep fewer). */
async function manifestRows(store: ArchiveStore, sel: ReplaySelection): Promise<number> {
  let rows = 0;
  for (const hour of hoursBetween(sel.from, sel.to)) {
    for (const topic of sel.topics) {
      for (const o of await store.list(`raw/topic=${topic}/dt=${hour.dt}/hour=${hour.hour}/_manifest/`)) {
        const body = JSON.parse((await store.get(o.name)).toString('utf8')) as { rows?: number };
        rows += body.rows ?? 0;
      }
    }
  }
  return rows;
}

export async function replayResetCommand(ctx: CliContext, name: ProcessorName, flags: { to: number; dryRun?: boolean }): Promise<void> {
  const definition = await buildProcessor(name, ctx.config);
  const groupId = consumerGroupOf(definition);
  const admin = createKafka(ctx.config.kafka, ctx.logger, 'replay').admin();
  await admin.connect();
  try {
    await assertGroupInactive(admin, groupId);
    const plan = await planGroupReset(admin, groupId, definition.inputs, flags.to);
    for (const p of plan) ctx.print(`${p.topic}[${p.partition}]: ${p.from ?? '(none)'} -> ${p.to}`);
    if (flags.dryRun) {
      ctx.print(`dry run: group ${groupId} not changed`);
      return;
    }
    await applyGroupReset(admin, groupId, plan);
    ctx.print(`group ${groupId} reset to ${new Date(flags.to).toISOString()} on ${plan.length} partitions; start the processor to re-read`);
  } finally {
    await admin.disconnect();
  }
}

export async function replayPublishCommand(ctx: CliContext, flags: RangeFlags & { toTopicPrefix?: string; rate?: number }): Promise<void> {
  const catalog = loadCatalog();
  const topics = flags.topic?.length ? flags.topic : archivedTopics(catalog);
  const sel = selection(flags, topics);
  const store = await openArchiveStore(ctx.config);
  const kafka = createKafka(ctx.config.kafka, ctx.logger, 'replay');
  const producer = createProducer(kafka);
  await producer.connect();
  const progress = createProgress({ label: 'replay', total: await manifestRows(store, sel), unit: 'events' });
  try {
    const targets = flags.toTopicPrefix ? Object.fromEntries(topics.map((t) => [t, `${flags.toTopicPrefix}${t}`])) : undefined;
    const summary = await publishReplay(producer, readArchive(store, sel), { targets, ratePerS: flags.rate, onProgress: (n) => progress.update(n) });
    progress.stop();
    for (const [topic, n] of Object.entries(summary.byTopic)) ctx.print(`${topic} -> ${targets?.[topic] ?? topic}: ${n}`);
    ctx.print(`replayed ${summary.records} events in ${summary.seconds.toFixed(1)} s (${Math.round(summary.records / Math.max(summary.seconds, 0.001))}/s)`);
  } finally {
    await producer.disconnect();
  }
}

/**
 * Rebuild: the processor's tables are emptied, the archived range is published to temporary
 * topics (same partitions, so co-partitioning holds), and a fresh consumer group runs the
 * processor over them until it is caught up. The temporary topics are deleted at the end.
 */
export async function replayRebuildCommand(ctx: CliContext, name: ProcessorName, flags: RangeFlags & { archived?: string[] }): Promise<void> {
  const { config, logger } = ctx;
  const definition = await buildProcessor(name, config);
  // Catalogue topic -> the topic its records were archived under (a stand-in, when one was read).
  const standIns = parseTopicMap(flags.archived);
  const unknown = Object.keys(standIns).filter((t) => !definition.inputs.includes(t));
  if (unknown.length > 0) throw new ShelfStreamError('INVALID_ARGUMENT', `--topic names ${unknown.join(', ')}, not an input of ${name} (${definition.inputs.join(', ')})`);
  const archivedOf = (t: string): string => standIns[t] ?? t;
  const sel = selection(flags, definition.inputs.map(archivedOf));
  const kafka = createKafka(config.kafka, logger, 'replay');
  const admin = kafka.admin();
  await admin.connect();
  const runId = randomUUID().slice(0, 8);
  const temp = Object.fromEntries(definition.inputs.map((t) => [t, `shelfstream.rebuild.${runId}.${t}`]));
  const clickhouse = createClickHouse(config.clickhouse);
  try {
    await assertGroupInactive(admin, consumerGroupOf(definition));
    // As many partitions as the archived topics: records keep their partition, so co-partitioning holds.
    const metadata = await admin.fetchTopicMetadata({ topics: definition.inputs.map(archivedOf) });
    const partitionsOf = new Map(metadata.topics.map((t) => [t.name, t.partitions.length]));
    await admin.createTopics({
      waitForLeaders: true,
      topics: definition.inputs.map((t) => ({ topic: temp[t]!, numPartitions: partitionsOf.get(archivedOf(t))!, replicationFactor: 1 })),
    });
    for (const table of definition.tables) await clickhouse.command({ query: `TRUNCATE TABLE IF EXISTS ${config.clickhouse.database}.${table}` });
    ctx.print(`emptied ${definition.tables.join(', ')}; replaying the archive into ${Object.values(temp).join(', ')}`);

    const store = await openArchiveStore(config);
    const producer = createProducer(kafka);
    await producer.connect();
    const progress = createProgress({ label: 'rebuild: publish', total: await manifestRows(store, sel), unit: 'events' });
    const targets = Object.fromEntries(definition.inputs.map((t) => [archivedOf(t), temp[t]!]));
    const published = await publishReplay(producer, readArchive(store, sel), { targets, onProgress: (n) => progress.update(n) }).finally(() => producer.disconnect());
    progress.stop();

    const codec = await EventCodec.create(createSchemaRegistry(config.registry), config.registry, loadCatalog());
    const running = await startProcessor(await buildProcessor(name, config, { topics: temp }), { kafka, codec, clickhouse, logger, metrics: createMetrics('rebuild') }, {
      ...config.streams,
      database: config.clickhouse.database,
      groupId: `shelfstream.rebuild.${runId}.${name}`,
      stopWhenIdleMs: 3_000,
    });
    await running.stopped;
    ctx.print(`rebuilt ${name} from ${published.records} archived events (${new Date(sel.from).toISOString()} to ${new Date(sel.to).toISOString()}) in ${published.seconds.toFixed(1)} s of replay`);
  } finally {
    await admin.deleteTopics({ topics: Object.values(temp) }).catch((error: unknown) => logger.warn({ err: error }, 'could not delete the temporary rebuild topics'));
    await admin.disconnect();
    await clickhouse.close();
  }
}

export function registerReplayCommands(program: Command, run: RunCommand): void {
  const replay = program.command('replay').description('read history again: reset a consumer group, re-publish archived events, rebuild a processor from the archive');
  replay
    .command('reset')
    .description('reset a processor\'s consumer group to a time (Kafka record time); refused while the processor runs')
    .argument('<processor>', PROCESSOR_NAMES.join(' | '), processorName)
    .requiredOption('--to <iso>', 'time to reset to, e.g. 2026-03-19T00:00:00Z', instant('--to'))
    .option('--dry-run', 'print the plan, change nothing')
    .action((name: ProcessorName, flags: { to: number; dryRun?: boolean }) => run('replay', (ctx) => replayResetCommand(ctx, name, flags))());
  replay
    .command('publish')
    .description('re-publish archived events of an event-time range, byte for byte, with their partition')
    .requiredOption('--from <iso>', 'start of the event-time range (inclusive)', instant('--from'))
    .requiredOption('--to <iso>', 'end of the event-time range (exclusive)', instant('--to'))
    .option('--store <id...>', 'only these stores')
    .option('--topic <topic...>', 'only these archived topics (default: every event and master-data topic)')
    .option('--to-topic-prefix <prefix>', 'publish to <prefix><topic> instead of the original topics')
    .option('--rate <events/s>', 'at most this many events per second', positive('--rate'))
    .action((flags: RangeFlags & { toTopicPrefix?: string; rate?: number }) => run('replay', (ctx) => replayPublishCommand(ctx, flags))());
  replay
    .command('rebuild')
    .description('empty a processor\'s ClickHouse tables and refill them from the archived range; the processor must be stopped')
    .argument('<processor>', REBUILDABLE_NAMES.join(' | '), rebuildableName)
    .requiredOption('--from <iso>', 'start of the event-time range (inclusive)', instant('--from'))
    .requiredOption('--to <iso>', 'end of the event-time range (exclusive)', instant('--to'))
    .option('--topic <map...>', 'an input archived under a stand-in topic: pos.sales=my.sales (as `stream --topic` read it)')
    .action((name: ProcessorName, flags: RangeFlags & { topic?: string[] }) => run('replay', (ctx) => replayRebuildCommand(ctx, name, { ...flags, topic: undefined, archived: flags.topic }))());
}
