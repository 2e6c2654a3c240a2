/**
 * `shelfstream forecast train|backtest|predict|promote|rollback`: the demand forecast jobs
 * (services/forecast) against the configured ClickHouse and the model registry in the bucket.
 */
import type { Command } from 'commander';
import { type ClickHouseClient, createClickHouse } from '../../lib/clients/clickhouse';
import { createProgress, type Progress } from '../../lib/progress';
import { formatBacktest } from '../../services/forecast/backtest';
import { type JobDeps, backtestJob, predictJob, trainJob } from '../../services/forecast';
import { TRAIN_DEFAULTS } from '../../services/forecast/model-artifact';
import { promote, rollback } from '../../services/forecast/registry';
import { startForecastSchedule } from '../../services/forecast/schedule';
import { driftCheck, type DriftCheckSummary } from '../../services/forecast/drift-check';
import { openAlertsPublisher } from '../../services/forecast/drift-alerts';
import { openArchiveStore } from '../../streams/archive';
import type { CliContext } from '../context';

type Run = (service: string, action: (ctx: CliContext) => Promise<boolean | void>) => () => Promise<void>;

const today = (): string => new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
const daysBefore = (iso: string, days: number): string => new Date(Date.parse(`${iso}T00:00:00Z`) - days * 86_400_000).toISOString().slice(0, 10);

async function withDeps<T>(ctx: CliContext, body: (deps: JobDeps) => Promise<T>): Promise<T> {
  const client = createClickHouse(ctx.config.clickhouse);
  const bars = new Map<string, Progress>();
  try {
    return await body({
      client,
      database: ctx.config.clickhouse.database,
      store: await openArchiveStore(ctx.config),
      onProgress: (phase, done, total) => {
        let bar = bars.get(phase);
        if (!bar) bars.set(phase, (bar = createProgress({ label: phase, total, unit: phase.startsWith('train') ? 'epochs' : 'steps' })));
        bar.update(done);
      },
    });
  } finally {
    for (const bar of bars.values()) bar.stop();
    await client.close();
  }
}

export function registerForecastCommands(program: Command, run: Run): void {
  const forecast = program.command('forecast').description('demand forecasts: train, backtest, predict 7 days with P10/P50/P90, promote or roll back models');
  forecast
    .command('train')
    .description('train the global model, backtest it against a refit of the champion and the baselines, retrain it on all data, promote it unless worse')
    .option('--to <date>', 'last day of history (YYYY-MM-DD)', today())
    .option('--days <n>', 'days of history', (v) => Number(v), 365)
    .option('--weeks <n>', 'backtest weeks', (v) => Number(v), 4)
    .option('--seed <n>', 'seed', (v) => Number(v), TRAIN_DEFAULTS.seed)
    .option('--epochs <n>', 'training epochs', (v) => Number(v), TRAIN_DEFAULTS.epochs)
    .action(async (o: { to: string; days: number; weeks: number; seed: number; epochs: number }) =>
      run('forecast', (ctx) =>
        withDeps(ctx, async (deps) => {
          const r = await trainJob(deps, { from: daysBefore(o.to, o.days - 1), to: o.to, weeks: o.weeks }, { ...TRAIN_DEFAULTS, seed: o.seed, epochs: o.epochs });
          ctx.print(formatBacktest(r.result));
          ctx.print(`model ${r.version}: ${r.accepted ? 'promoted to champion' : `worse than champion ${r.champion} on the same backtest, kept as challenger`}`);
        }),
      )(),
    );
  forecast
    .command('backtest')
    .description('rolling-origin backtest of the champion and the baselines into model_run')
    .option('--to <date>', 'last day of history', today())
    .option('--days <n>', 'days of history', (v) => Number(v), 120)
    .option('--weeks <n>', 'backtest weeks', (v) => Number(v), 4)
    .action(async (o: { to: string; days: number; weeks: number }) =>
      run('forecast', (ctx) => withDeps(ctx, async (deps) => ctx.print(formatBacktest(await backtestJob(deps, { from: daysBefore(o.to, o.days - 1), to: o.to, weeks: o.weeks })))))(),
    );
  forecast
    .command('predict')
    .description('7-day forecasts and reorder advice per store x sku with the champion')
    .option('--to <date>', 'last day of history (the origin)', today())
    .action(async (o: { to: string }) =>
      run('forecast', (ctx) =>
        withDeps(ctx, async (deps) => {
          const s = await predictJob(deps, o.to);
          ctx.print(`model ${s.version}, origin ${s.origin}: ${s.series} series, ${s.forecasts} forecasts, ${s.reorders} reorder recommendations`);
        }),
      )(),
    );
  forecast
    .command('drift')
    .description('model drift per category: PSI of forecast errors and demand features, recent weeks against the weeks before, into model_drift; raises or resolves MODEL_DRIFT on the alerts topic')
    .option('--to <date>', 'last business date of the recent window (the predict origin)', today())
    .action(async (o: { to: string }) =>
      run('forecast', async (ctx) => {
        const client = createClickHouse(ctx.config.clickhouse);
        const alerts = await openAlertsPublisher(ctx.config);
        try {
          ctx.print(formatDrift(await driftCheck({ client, database: ctx.config.clickhouse.database, publishAlerts: alerts.publishAlerts }, o.to, ctx.config.forecast.drift)));
        } finally {
          await alerts.close();
          await client.close();
        }
      })(),
    );
  forecast
    .command('promote')
    .description('make a registered model version the champion')
    .argument('<version>', 'e.g. v0003')
    .action(async (version: string) => run('forecast', async (ctx) => ctx.print(`champion: ${(await promote(await openArchiveStore(ctx.config), version)).version}`))());
  forecast
    .command('rollback')
    .description('restore the previous champion')
    .action(async () => run('forecast', async (ctx) => ctx.print(`champion: ${(await rollback(await openArchiveStore(ctx.config))).version}`))());
}

/**
 * The scheduled jobs of `run all` (FORECAST_* options): daily predict, weekly train, on the
 * ClickHouse client the processors share (embedded chDB has one owner per process). Progress goes
 * to the log, not to bars.
 */
export async function startForecastJobs(ctx: CliContext, client: ClickHouseClient): Promise<{ stop(): Promise<void> }> {
  const { config, logger } = ctx;
  const deps: JobDeps = { client, database: config.clickhouse.database, store: await openArchiveStore(config) };
  const alerts = await openAlertsPublisher(config);
  const schedule = await startForecastSchedule(
    config.forecast,
    {
      train: async (to) => {
        const r = await trainJob(deps, { from: daysBefore(to, config.forecast.trainHistoryDays - 1), to, weeks: 4 });
        return { version: r.version, accepted: r.accepted, champion: r.champion, trained_to: r.trainedTo, samples: r.samples };
      },
      predict: async (to) => {
        const s = await predictJob(deps, to);
        // the check reads the forecasts just written: drift is judged at every new origin
        const d = await driftCheck({ client, database: config.clickhouse.database, publishAlerts: alerts.publishAlerts }, s.origin, config.forecast.drift);
        return { version: s.version, origin: s.origin, series: s.series, forecasts: s.forecasts, reorders: s.reorders, drifted: d.drifted, drift_raised: d.raised, drift_resolved: d.resolved };
      },
    },
    logger.child({ component: 'forecast-schedule' }),
  );
  return {
    stop: async () => {
      await schedule.stop();
      await alerts.close();
    },
  };
}

/** The check as a person reads it: one line per category, the alerting measure first. */
export function formatDrift(d: DriftCheckSummary): string {
  const lines = [`drift check ${d.asOf}: reference ${d.windows.referenceFrom}..${d.windows.referenceTo}, recent ${d.windows.recentFrom}..${d.windows.recentTo}`];
  const categories = [...new Set(d.rows.map((r) => r.category))];
  for (const category of categories) {
    const own = d.rows.filter((r) => r.category === category);
    const error = own.find((r) => r.measure === 'forecast_error');
    const ownPart = own.find((r) => r.measure === 'category_error');
    const features = own.filter((r) => r.measure !== 'forecast_error' && r.measure !== 'category_error').map((r) => `${r.measure} ${r.psi.toFixed(2)}`).join(', ');
    lines.push(`  ${category.padEnd(16)} errors PSI ${(error?.psi ?? 0).toFixed(2)}, against the rest of the store ${(ownPart?.psi ?? 0).toFixed(2)}${error?.drifted ? ' DRIFTED' : ''} (${error?.recent_points ?? 0} recent points); features: ${features}`);
  }
  if (categories.length === 0) lines.push('  no forecasts beside actuals in the windows: run `shelfstream forecast predict` daily first');
  lines.push(`raised ${d.raised.length ? d.raised.join(', ') : 'none'}; resolved ${d.resolved.length ? d.resolved.join(', ') : 'none'}`);
  return lines.join('\n');
}
