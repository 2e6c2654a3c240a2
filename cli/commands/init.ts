/**
 * `shelfstream init`: topics, schemas, ClickHouse migrations and the object-store bucket.
 * Every step compares what exists with what should, changes only the difference, and says
 * what it did, so a second run reports that nothing changed.
 */
import { migrate } from '../../clickhouse/migrate';
import { createClickHouse, describeClickHouse } from '../../lib/clients/clickhouse';
import { createKafka } from '../../lib/clients/kafka';
import { createObjectStore, ensureBucket } from '../../lib/clients/objectstore';
import { createSchemaRegistry } from '../../lib/clients/registry';
import { ShelfStreamError, describeError } from '../../lib/errors';
import { loadCatalog } from '../../schemas/catalog';
import { registerSchemas } from '../../services/bootstrap/schemas';
import { ensureTopics, planTopic } from '../../services/bootstrap/topics';
import type { CliContext } from '../context';

export interface InitSummary {
  readonly topics: Record<string, string>;
  readonly schemas: Record<string, string>;
  readonly migrations: { readonly applied: string[]; readonly alreadyApplied: number };
  readonly bucket: string;
  readonly changed: boolean;
}

export async function runInit(ctx: Omit<CliContext, 'print'>): Promise<InitSummary> {
  const { config, logger } = ctx;
  const catalog = loadCatalog();

  const admin = createKafka(config.kafka, logger, 'init').admin();
  let topics: Record<string, string>;
  try {
    await admin.connect();
    topics = await ensureTopics(
      admin,
      catalog.map((t) => planTopic(t, config.topics)),
    );
  } catch (error) {
    if (error instanceof ShelfStreamError) throw error;
    throw new ShelfStreamError('SERVICE_UNAVAILABLE', `Kafka at ${config.kafka.brokers.join(',')}: ${describeError(error)} (is it running? try \`make up\`)`, {
      cause: error,
      context: { service: 'kafka' },
    });
  } finally {
    await admin.disconnect().catch(() => undefined);
  }

  const schemaOutcomes = await registerSchemas(createSchemaRegistry(config.registry), config.registry, catalog);
  const schemas = Object.fromEntries(schemaOutcomes.map((s) => [s.subject, `${s.outcome} (id ${s.id})`]));

  const clickhouse = createClickHouse(config.clickhouse);
  let report;
  try {
    report = await migrate(clickhouse, config.clickhouse.database);
  } finally {
    await clickhouse.close();
  }

  let bucket: string;
  try {
    bucket = await ensureBucket(createObjectStore(config.objectStore), config.objectStore.bucket);
  } catch (error) {
    throw new ShelfStreamError('SERVICE_UNAVAILABLE', `object store at ${config.objectStore.url}: ${describeError(error)}`, {
      cause: error,
      context: { service: 'minio' },
    });
  }

  const changed =
    Object.values(topics).some((o) => o !== 'unchanged') ||
    schemaOutcomes.some((s) => s.outcome !== 'unchanged') ||
    report.applied.length > 0 ||
    bucket === 'created';
  return {
    topics,
    schemas,
    migrations: { applied: report.applied.map((m) => `${String(m.version).padStart(4, '0')}_${m.name}`), alreadyApplied: report.alreadyApplied },
    bucket,
    changed,
  };
}

export async function initCommand(ctx: CliContext): Promise<void> {
  const summary = await runInit(ctx);
  for (const [topic, outcome] of Object.entries(summary.topics)) ctx.print(`topic     ${topic.padEnd(28)} ${outcome}`);
  for (const [subject, outcome] of Object.entries(summary.schemas)) ctx.print(`schema    ${subject.padEnd(28)} ${outcome}`);
  ctx.print(
    `clickhouse ${describeClickHouse(ctx.config.clickhouse)}: ${summary.migrations.applied.length} migration(s) applied` +
      (summary.migrations.applied.length ? ` (${summary.migrations.applied.join(', ')})` : '') +
      `, ${summary.migrations.alreadyApplied} already applied`,
  );
  ctx.print(`bucket    ${ctx.config.objectStore.bucket.padEnd(28)} ${summary.bucket}`);
  ctx.print(summary.changed ? 'init: done.' : 'init: everything was already in place; nothing changed.');
}
