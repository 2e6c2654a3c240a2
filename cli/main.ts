/**
 * The `shelfstream` CLI: one command, a subcommand per job. The configuration is read from
 * the environment (and `.env` in the working directory, if present) exactly once, here.
 */
import { existsSync } from 'node:fs';
import { Command } from 'commander';
import { configForDisplay, loadConfig, renderConfigMarkdown, renderEnvExample, type Config } from '../lib/config';
import { kafkaSecurityFailure } from '../lib/clients/kafka-security';
import { describeError, isShelfStreamError } from '../lib/errors';
import { createCliContext, type CliContext } from './context';
import { downCommand, statusCommand, upCommand } from './commands/services';
import { initCommand } from './commands/init';
import { registerAlertsCommands } from './commands/alerts';
import { startAlertsAlongside } from './commands/alerts-serve';
import { registerIngestCommands } from './commands/ingest';
import { registerMasterDataCommands } from './commands/masterdata';
import { archiveCompactCommand, archiveRetentionCommand } from './commands/archive';
import { registerReplayCommands } from './commands/replay';
import { registerSimulateCommands } from './commands/simulate';
import { startClosingSchedule } from '../services/bi-rollups';
import { streamCommand } from './commands/stream';
import { PROCESSOR_NAMES } from '../streams/processors';
import { demoCommand } from './commands/demo';
import { DEMO_BACKFILL_DAYS } from './commands/demo-forecast';
import { registerForecastCommands, startForecastJobs } from './commands/forecast';
import { registerBiUserCommands } from './commands/bi-users';
import { serveSqlEndpoint, sqlCommand } from './commands/sql';
import { SERVABLE, serveCommand, startReadApi } from './commands/serve';
import { startWeb } from './commands/web';

function positiveNumber(flag: string, value: string, allowZero = false): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || (!allowZero && n === 0)) throw new Error(`${flag} must be a ${allowZero ? 'non-negative' : 'positive'} number, got ${JSON.stringify(value)}`);
  return n;
}

function loadDotEnv(): void {
  // Values already in the environment win over .env, as with docker compose.
  if (existsSync('.env')) process.loadEnvFile('.env');
}

let cachedConfig: Config | undefined;
function context(service: string): CliContext {
  cachedConfig ??= loadConfig(process.env);
  return createCliContext(cachedConfig, process.env, service);
}

function run(service: string, action: (ctx: CliContext) => Promise<boolean | void>): () => Promise<void> {
  return async () => {
    const ctx = context(service);
    const ok = await action(ctx);
    if (ok === false) process.exitCode = 1;
  };
}

const program = new Command()
  .name('shelfstream')
  .description('Real-time retail data platform: POS events -> Kafka -> stream processors -> ClickHouse, Parquet archive, forecasts')
  .showHelpAfterError();

program.command('up').description('install (into the cache) and start Kafka, the schema registry and MinIO natively; a no-op when running').action(run('launcher', upCommand));
program.command('down').description('stop what `up` started and wait until no process is left').action(run('launcher', downCommand));
program
  .command('status')
  .description('show each service, its health, pid and memory; exits 1 unless all are healthy')
  .option('--json', 'print JSON')
  .action(async (options: { json?: boolean }) => run('launcher', (ctx) => statusCommand(ctx, options))());
program
  .command('init')
  .description('create topics, register schemas (BACKWARD), apply ClickHouse migrations; idempotent')
  .action(run('init', initCommand));
program
  .command('stream')
  .description(`run stream processors (${PROCESSOR_NAMES.join(', ')}) until SIGTERM; flush, commit and leave the group on the way out`)
  .argument('<processor...>', 'processors to run')
  .option('--group <id>', 'consumer group (default shelfstream.<processor>); a new group reprocesses from the start')
  .option('--topic <map...>', 'read (or, for an output such as shelfstream.alerts, write) a stand-in topic instead of a catalogue topic: pos.sales=my.sales')
  .option('--stop-when-idle <ms>', 'stop once caught up and idle for this long', (v) => Number(v))
  .option('--no-metrics', 'do not open the health/metrics endpoint')
  .action(async (names: string[], options: { group?: string; topic?: string[]; stopWhenIdle?: number; metrics?: boolean }) =>
    run('stream', (ctx) => streamCommand(ctx, names, options))(),
  );
registerIngestCommands(program, run);
registerMasterDataCommands(program, run);
registerBiUserCommands(program, run);
registerAlertsCommands(program, run);
registerSimulateCommands(program, run);
const archive = program.command('archive').description('the raw Parquet archive in the object store (Hive-style topic=/dt=/hour=)');
archive
  .command('run')
  .description('archive every event and master-data topic as Parquet, until SIGTERM')
  .option('--group <id>', 'consumer group (default shelfstream.archive)')
  .option('--topic <map...>', 'archive a stand-in topic instead of a catalogue topic: pos.sales=my.sales (then only the stand-ins)')
  .option('--stop-when-idle <ms>', 'stop once caught up and idle for this long', (v) => Number(v))
  .option('--no-metrics', 'do not open the health/metrics endpoint')
  .action(async (options: { group?: string; topic?: string[]; stopWhenIdle?: number; metrics?: boolean }) => run('archive', (ctx) => streamCommand(ctx, ['archive'], options))());
archive
  .command('compact')
  .description('merge the small objects of each partition-hour into one; idempotent')
  .option('--topic <topic...>', 'archived topics (default: every event and master-data topic)')
  .option('--older-than-hours <h>', 'only hours that ended at least this long ago', (v) => positiveNumber('--older-than-hours', v, true), 2)
  .action(async (options: { topic?: string[]; olderThanHours: number }) => run('archive', (ctx) => archiveCompactCommand(ctx, options))());
archive
  .command('retention')
  .description('delete archived days (dt= folders) older than the retention; idempotent')
  .requiredOption('--days <n>', 'keep this many days', (v) => positiveNumber('--days', v, true))
  .option('--topic <topic...>', 'archived topics (default: every event and master-data topic)')
  .action(async (options: { topic?: string[]; days: number }) => run('archive', (ctx) => archiveRetentionCommand(ctx, options))());
registerReplayCommands(program, run);
registerForecastCommands(program, run);
program
  .command('run')
  .description('single-machine mode: every processor in this process (the owner of embedded ClickHouse) until SIGTERM')
  .argument('<what>', '"all"')
  .action(async (what: string) => {
    if (what !== 'all') throw new Error(`shelfstream run takes "all", got ${JSON.stringify(what)}; to run some processors use shelfstream stream <name...>`);
    await run('stream', (ctx) =>
      streamCommand(ctx, PROCESSOR_NAMES, {
        inThread: true,
        // The SQL endpoint, the read API, alert delivery, the closing job and the forecast schedule share the processors' engine: embedded ClickHouse has one owner.
        alongside: async (clickhouse, metrics) => {
          const sql = await serveSqlEndpoint(ctx);
          const web = await startWeb(ctx, sql?.executor).catch(async (error: unknown) => {
            await sql?.stop();
            throw error;
          });
          const readApi = await startReadApi(ctx, clickhouse).catch(async (error: unknown) => {
            await web.stop();
            await sql?.stop();
            throw error;
          });
          const closing = startClosingSchedule(ctx.config, clickhouse, ctx.logger);
          const forecast = ctx.config.forecast.schedule ? await startForecastJobs(ctx, clickhouse).catch(async (error: unknown) => {
            await closing.stop();
            await readApi.close();
            await web.stop();
            await sql?.stop();
            throw error;
          }) : undefined;
          const alerts = await startAlertsAlongside(ctx, clickhouse, metrics).catch(async (error: unknown) => {
            await forecast?.stop();
            await closing.stop();
            await readApi.close();
            await web.stop();
            await sql?.stop();
            throw error;
          });
          return {
            stop: async () => {
              await alerts.stop();
              await forecast?.stop();
              await closing.stop();
              await readApi.close();
              await web.stop();
              await sql?.stop();
            },
          };
        },
      }),
    )();
  });
program
  .command('sql')
  .description('run SQL: through the running SQL endpoint (or the ClickHouse server), else straight on embedded ClickHouse; a prompt when no query is given or piped')
  .argument('[query]', 'the statement (default: stdin, or an interactive prompt on a terminal)')
  .option('--format <name>', 'output format, as clickhouse client: PrettyCompact (default on a terminal), TabSeparated (default otherwise), CSV, JSON, JSONEachRow, Vertical...')
  .option('--user <name>', 'user for the endpoint (default: default)')
  .option('--password <password>', 'password for the endpoint')
  .option('--database <name>', 'database to start in (default: CLICKHOUSE_DATABASE)')
  .action(async (query: string | undefined, options: { format?: string; user?: string; password?: string; database?: string }) =>
    run('sql', (ctx) => sqlCommand(ctx, query, options))(),
  );
program
  .command('serve')
  .description('serve the read API for store systems, or the web dashboards (against CLICKHOUSE_URL, or embedded ClickHouse when no other process owns it) until SIGTERM')
  .argument('<what>', SERVABLE.join(' | '))
  .action(async (what: string) => run('read-api', (ctx) => serveCommand(ctx, what))());
program
  .command('demo')
  .description('init, backfill history, then the simulator in real time through every processor, with a live summary')
  .option('--duration <s>', 'stop after this many seconds and print totals (default: until Ctrl-C)', (v) => positiveNumber('--duration', v))
  .option('--backfill-days <n>', `days of history to backfill first (the forecast trains on them: ${DEMO_BACKFILL_DAYS}, the fewest its training accepts)`, (v) => positiveNumber('--backfill-days', v, true), DEMO_BACKFILL_DAYS)
  .option('--stores <n>', 'stores in the simulated chain', (v) => positiveNumber('--stores', v), 10)
  .option('--skus <n>', 'products in the catalogue', (v) => positiveNumber('--skus', v), 200)
  .option('--speed <x>', 'simulated seconds per second in real-time mode (600: ten minutes a second)', (v) => positiveNumber('--speed', v), 600)
  .option('--seed <n>', 'simulator seed', (v) => positiveNumber('--seed', v, true), 42)
  .action(async (options: { duration?: number; backfillDays: number; stores: number; skus: number; speed: number; seed: number }) =>
    run('demo', (ctx) => demoCommand(ctx, options))(),
  );
program
  .command('config')
  .description('print the resolved configuration (each secret shown as <set>, <from file> or <default>), or its documentation')
  .option('--markdown', 'print the README configuration table')
  .option('--env-example', 'print .env.example')
  .action((options: { markdown?: boolean; envExample?: boolean }) => {
    if (options.markdown) return void process.stdout.write(renderConfigMarkdown() + '\n');
    if (options.envExample) return void process.stdout.write(renderEnvExample());
    const config = loadConfig(process.env);
    process.stdout.write(JSON.stringify(configForDisplay(config, process.env), null, 2) + '\n');
  });

loadDotEnv();
program.parseAsync(process.argv).catch((thrown: unknown) => {
  // The one place a failed command is reported: code and message, no stack for known errors.
  // A refused certificate or password deep in a client's retries is named as the cause.
  const error = (cachedConfig && kafkaSecurityFailure(thrown, cachedConfig.kafka)) ?? thrown;
  if (isShelfStreamError(error)) {
    process.stderr.write(`shelfstream: ${error.code}: ${error.message}\n`);
  } else {
    process.stderr.write(`shelfstream: ${describeError(error)}\n${error instanceof Error && error.stack ? error.stack + '\n' : ''}`);
  }
  process.exitCode = 1;
});
