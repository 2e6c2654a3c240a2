/**
 * forecast-drift: does the model-drift check flag a real change of demand, and only that?
 *
 * One simulated year of the POS simulator (seed 12, 10 stores x 150 skus from 2026-04-01) and
 * the same year with a known shift injected by the simulator: Beverages demand x1.4 from
 * 2026-09-16. At each check date the bench does what production does at a predict
 * origin: a model trained on the history before the reference window (the real training
 * procedure, fitModel), one-day-ahead forecasts for every day of the reference (56 days) and
 * recent (14 days) windows written to demand_forecast beside the days' units in demand_daily,
 * then the real drift check (services/forecast/drift-check.ts: its SQL, PSI and verdict).
 *
 *   - shifted year, checked at 2026-09-29 (the recent window is the shift's first two weeks):
 *     Beverages must be flagged, no other category;
 *   - the year without the shift, checked at the same date, at the year-end (2027-01-06: the
 *     recent window holds Christmas and New Year) and after the end of Ramadan 2027 (2027-03-14:
 *     the last week of Ramadan and Eid al-Fitr in the window): nothing may be flagged, although
 *     demand moves with the seasons.
 *
 * The BENCH line: shift_flagged (1 when the shifted category was flagged), shift_psi,
 * shift_other_flags (other categories flagged at the shift check), shift_max_other_psi,
 * no_shift_flags (flags over the three checks of the year without shift), no_shift_max_psi, and
 * per check the largest error PSI and the feature PSI of the level (which moves with seasons).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { createClickHouse } from '../../lib/clients/clickhouse';
import type { Logger } from '../../lib/logger';
import type { DriftConfig } from '../../lib/config';
import { parseDay } from '../../lib/domain/calendar';
import type { DemandShift } from '../../simulators/pos/options';
import { driftCheck, driftWindows } from '../../services/forecast/drift-check';
import { HORIZON, type Panel, dayNumber, isoDay, loadPanel } from '../../services/forecast/features';
import { fitModel, modelForecaster } from '../../services/forecast/model';
import { TRAIN_DEFAULTS } from '../../services/forecast/model-artifact';
import { loadSimulatedHistory } from '../../simulators/quality/forecast-history';
import type { BenchMetrics, Benchmark } from '../harness';

// Seed 11 ran first, before holiday days were left out of the check (a year-end run of it flagged
// 5 of 12 categories with no change at all): the rule was chosen on it, so the figures that count
// come from seed 12, which the rule never saw.
const SEED = 12;
const STORES = 10;
const SKUS = 150;
// Dates within the tables' TTL (demand_forecast keeps 400 days from today): the simulator runs to 2030.
const START = '2026-04-01';
const SHIFT: DemandShift = { category: 'Beverages', fromDay: parseDay('2026-09-16'), factor: 1.4 };
const SHIFT_CHECK = '2026-09-29';
const SEASON_CHECKS = { normal: SHIFT_CHECK, year_end: '2027-01-06', ramadan: '2027-03-14' } as const;
const POLICY: DriftConfig = { psiThreshold: 0.25, recentDays: 14, referenceDays: 56 };

const seconds = (since: number): number => (performance.now() - since) / 1000;

interface CheckOutcome {
  readonly flagged: readonly string[];
  readonly errorPsi: ReadonlyMap<string, number>;
  readonly maxLevelPsi: number;
}

/** Loads the simulated history (to `lastDay`) into its own database and answers its panel. */
async function simulatedPanel(client: ClickHouseClient, database: string, lastDay: string, shift: DemandShift | undefined, logger: Logger): Promise<Panel> {
  const t = performance.now();
  const start = parseDay(START);
  const days = parseDay(lastDay) - start + 1;
  const history = await loadSimulatedHistory(
    client,
    database,
    { seed: SEED, stores: STORES, skus: SKUS, window: { kind: 'days', startDay: start, days }, anomalyRate: 1, heartbeats: false, ...(shift ? { demandShift: shift } : {}) },
    { from: isoDay(start - 60), to: isoDay(start + days + 30) },
  );
  const panel = await loadPanel(client, database, { from: START, to: lastDay });
  logger.warn({ database, rows: history.rows, s: seconds(t) }, 'simulated history and features');
  return panel;
}

/**
 * What production does at the predict origin `asOf`, with a model trained before the reference
 * window: forecasts one day ahead for every day of both windows, written with the day's units
 * (stock-out days flagged as the forecast job flags them), then the drift check.
 */
async function checkAt(client: ClickHouseClient, database: string, panel: Panel, asOf: string, logger: Logger): Promise<CheckOutcome> {
  const windows = driftWindows(asOf, POLICY);
  const firstForecast = dayNumber(windows.referenceFrom) - panel.firstDay; // panel index of the first day forecast
  const last = dayNumber(asOf) - panel.firstDay;
  const recentFirst = dayNumber(windows.recentFrom) - panel.firstDay;
  const categories = [...new Set(panel.series.map((s) => s.category))].sort();
  // Production retrains weekly, so the forecasts of each window come from a model that had seen
  // the history up to that window: one model trained before the reference window forecasts it,
  // one trained up to the day before the recent window forecasts that (targets up to the day
  // before the first forecast day: nothing the check scores was learned).
  const modelBefore = async (firstDayForecast: number): Promise<ReturnType<typeof modelForecaster>> => {
    const t = performance.now();
    const artifact = await fitModel(panel, firstDayForecast - 1 - HORIZON, categories, TRAIN_DEFAULTS);
    logger.warn({ asOf, trainedTo: isoDay(panel.firstDay + firstDayForecast - 1), trainS: seconds(t), samples: artifact.train.samples }, 'trained');
    return modelForecaster(artifact);
  };
  const t = performance.now();
  const forecasts: unknown[][] = [];
  const daily: unknown[][] = [];
  const { units, stockout } = panel.columns;
  for (const [from, to] of [
    [firstForecast, recentFirst - 1],
    [recentFirst, last],
  ] as const) {
    const model = await modelBefore(from);
    try {
      for (let origin = from - 1; origin < to; origin++) {
        const f = await model.predict(panel, origin);
        const day = isoDay(panel.firstDay + origin + 1);
        panel.series.forEach((s, i) => {
          forecasts.push([s.store_id, s.sku, isoDay(panel.firstDay + origin), day, 1, f.p10[i * HORIZON]!, f.p50[i * HORIZON]!, f.p90[i * HORIZON]!, 'bench', '2026-01-01 00:00:00.000']);
          daily.push([s.store_id, s.sku, day, units[i * panel.days + origin + 1]!, stockout[i * panel.days + origin + 1]! > 0, '2026-01-01 00:00:00.000']);
        });
      }
    } finally {
      model.dispose();
    }
  }
  await client.insert({ table: `${database}.demand_forecast`, columns: ['store_id', 'sku', 'origin_date', 'forecast_date', 'horizon_days', 'p10', 'p50', 'p90', 'model_version', 'generated_at'], values: forecasts, format: 'JSONCompactEachRow' });
  await client.insert({ table: `${database}.demand_daily`, columns: ['store_id', 'sku', 'sales_date', 'units', 'stockout', 'refreshed_at'], values: daily, format: 'JSONCompactEachRow' });
  logger.warn({ asOf, forecasts: forecasts.length, s: seconds(t) }, 'one-day-ahead forecasts over both windows');
  const raised: string[] = [];
  const d = await driftCheck({ client, database, publishAlerts: async (alerts) => void raised.push(...alerts.map((a) => a.alert_id)) }, asOf, POLICY);
  const errors = d.rows.filter((r) => r.measure === 'forecast_error');
  logger.warn({ asOf, drifted: d.drifted, errorPsi: Object.fromEntries(errors.map((r) => [r.category, Number(r.psi.toFixed(3))])) }, 'drift check');
  return {
    flagged: d.drifted,
    errorPsi: new Map(errors.map((r) => [r.category, r.psi])),
    maxLevelPsi: Math.max(0, ...d.rows.filter((r) => r.measure === 'units_level').map((r) => r.psi)),
  };
}

export const forecastDriftBench: Benchmark = {
  name: 'forecast-drift',
  description: `model drift check on a simulated year (${STORES} stores x ${SKUS} skus): ${SHIFT.category} x${SHIFT.factor} from ${isoDay(SHIFT.fromDay)} flagged, and nothing at three seasons of the year without the shift`,
  async run({ config, logger }) {
    const dataDir = mkdtempSync(join(tmpdir(), 'bench-drift-'));
    const client = createClickHouse(config.clickhouse.mode === 'embedded' ? { ...config.clickhouse, dataDir } : config.clickhouse);
    const stamp = Date.now();
    const started = performance.now();
    try {
      const shiftedDb = `bench_drift_shift_${stamp}`;
      const shifted = await checkAt(client, shiftedDb, await simulatedPanel(client, shiftedDb, SHIFT_CHECK, SHIFT, logger), SHIFT_CHECK, logger);
      const plainDb = `bench_drift_plain_${stamp}`;
      const plain = await simulatedPanel(client, plainDb, SEASON_CHECKS.ramadan, undefined, logger);
      const seasons: Record<string, CheckOutcome> = {};
      for (const [season, asOf] of Object.entries(SEASON_CHECKS)) seasons[season] = await checkAt(client, plainDb, plain, asOf, logger);

      const others = [...shifted.errorPsi].filter(([c]) => c !== SHIFT.category);
      const seasonFigures: Record<string, number> = {};
      for (const [season, o] of Object.entries(seasons)) {
        seasonFigures[`no_shift_${season}_flags`] = o.flagged.length;
        seasonFigures[`no_shift_${season}_max_error_psi`] = Math.max(0, ...o.errorPsi.values());
        seasonFigures[`no_shift_${season}_max_level_psi`] = o.maxLevelPsi;
      }
      const metrics: BenchMetrics = {
        shift_flagged: shifted.flagged.includes(SHIFT.category) ? 1 : 0,
        shift_psi: shifted.errorPsi.get(SHIFT.category) ?? 0,
        shift_other_flags: shifted.flagged.filter((c) => c !== SHIFT.category).length,
        shift_max_other_psi: Math.max(0, ...others.map(([, psi]) => psi)),
        no_shift_flags: Object.values(seasons).reduce((n, o) => n + o.flagged.length, 0),
        no_shift_max_psi: Math.max(0, ...Object.values(seasons).flatMap((o) => [...o.errorPsi.values()])),
        psi_threshold: POLICY.psiThreshold,
        ...seasonFigures,
        categories: shifted.errorPsi.size,
        bench_s: seconds(started),
      };
      return metrics;
    } finally {
      await client.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
};
