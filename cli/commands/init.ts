/**
 * `shelfstream init`: topics, schemas, ClickHouse migrations, the date dimension, table
 * retention, the BI user (server mode) and the object-store bucket. Every step compares what
 * exists with what should, changes only the difference, and says what it did, so a second run
 * reports that nothing changed.
 */
import { applyBiAccess, type BiAccessOutcome } from '../../clickhouse/access';
import { fillCalendar, type CalendarOutcome } from '../../clickhouse/calendar';
import { migrate } from '../../clickhouse/migrate';
import { applyReportingCurrency, type ReportingCurrencyOutcome } from '../../clickhouse/reporting-currency';
import { applyRetention, type RetentionOutcome } from '../../clickhouse/retention';
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
  readonly calendar: { readonly outcome: CalendarOutcome; readonly dates: number; readonly holidays: number };
  readonly retention: Record<string, RetentionOutcome>;
  readonly reportingCurrency: ReportingCurrencyOutcome;
  readonly biAccess: BiAccessOutcome;
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
  let report, calendar, retention, reportingCurrency, biAccess;
  try {
    const { database } = config.clickhouse;
    const model = config.clickhouseModel;
    report = await migrate(clickhouse, database);
    calendar = await fillCalendar(clickhouse, database, model.calendar.from, model.calendar.to);
    retention = await applyRetention(clickhouse, database, model.retention);
    reportingCurrency = await applyReportingCurrency(clickhouse, database, model.reportingCurrency);
    biAccess = await applyBiAccess(clickhouse, config.clickhouse, model.bi);
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
    calendar.outcome !== 'unchanged' ||
    Object.values(retention).some((o) => o !== 'unchanged') ||
    reportingCurrency !== 'unchanged' ||
    bucket === 'created';
  return {
    topics,
    schemas,
    migrations: { applied: report.applied.map((m) => `${String(m.version).padStart(4, '0')}_${m.name}`), alreadyApplied: report.alreadyApplied },
    calendar,
    retention,
    reportingCurrency,
    biAccess,
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
  const { calendar, retention, biAccess } = summary;
  const range = `${ctx.config.clickhouseModel.calendar.from}..${ctx.config.clickhouseModel.calendar.to}`;
  ctx.print(`calendar  ${range.padEnd(28)} ${calendar.outcome} (${calendar.dates} dates, ${calendar.holidays} region holidays)`);
  for (const [table, outcome] of Object.entries(retention)) ctx.print(`ttl       ${table.padEnd(28)} ${outcome}`);
  ctx.print(`currency  ${'reporting'.padEnd(28)} ${summary.reportingCurrency}`);
  ctx.print(`bi-user   ${describeBiAccess(biAccess)}`);
  ctx.print(`bucket    ${ctx.config.objectStore.bucket.padEnd(28)} ${summary.bucket}`);
  ctx.print(summary.changed ? 'init: done.' : 'init: everything was already in place; nothing changed.');
}

function describeBiAccess(access: BiAccessOutcome): string {
  switch (access.outcome) {
    case 'not-configured':
      return 'not configured (set CLICKHOUSE_BI_USER and CLICKHOUSE_BI_PASSWORD to create a read-only user for Metabase / Power BI)';
    case 'skipped':
      return `NOT created: ${access.reason}`;
    case 'applied':
      return `${access.user} (readonly=2) with row policies on ${access.tables.length} tables`;
  }
}
