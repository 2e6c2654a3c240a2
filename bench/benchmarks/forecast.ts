/**
 * forecast: the demand forecast jobs at chain scale, in embedded ClickHouse (a private chDB
 * folder) unless CLICKHOUSE_URL is set.
 *
 * 1. Training on ONE YEAR of 10k store x sku series of the POS simulator (20 stores x 500 skus x
 *    365 days), loaded through the warehouse's row logic as in the quality test: the feature
 *    query over the year, the training samples, the training loop (target <= 10 min).
 * 2. Quality on that same simulated year: 4-week rolling-origin backtest against the
 *    simulator's TRUE demand (stock-out days left out), the model beside seasonal naive (the
 *    baseline the gain is a ratio to) and exponential smoothing: P50 WAPE gain, P10-P90 coverage.
 * 3. Predict for 100k series (100 stores x 1000 skus, target <= 60 s from features in hand to
 *    forecasts ready), beside seasonal naive on the same panel. The simulator writes about 5k
 *    store x sku days a second into chDB here (the inline INSERT parse dominates), so the 6.4M
 *    days of history 100k series need would take over 20 minutes: that history is SYNTHETIC,
 *    generated in ClickHouse SQL (Poisson units with a weekday profile, one count per series so
 *    the books are known) into the real tables, and runs through the real feature query, model
 *    and ClickHouse writes. The line says so with
 *    predict_history_synthetic=1.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { fillCalendar } from '../../clickhouse/calendar';
import { migrate } from '../../clickhouse/migrate';
import { createClickHouse } from '../../lib/clients/clickhouse';
import { loadConfig } from '../../lib/config';
import { createLogger, type Logger } from '../../lib/logger';
import { formatDay, parseDay } from '../../lib/domain/calendar';
import { CATEGORIES } from '../../simulators/pos/chain';
import { exponentialSmoothing, seasonalNaive } from '../../services/forecast/baselines';
import { type Actuals, type BacktestResult, backtest, metricOf, rollingOrigins } from '../../services/forecast/backtest';
import { PREDICT_HISTORY_DAYS } from '../../services/forecast';
import { FEATURE_COLUMNS, type FeatureColumn, HORIZON, type Panel, isoDay, loadPanel } from '../../services/forecast/features';
import { predictAndWrite } from '../../services/forecast/jobs';
import { fitModel, modelForecaster } from '../../services/forecast/model';
import { TRAIN_DEFAULTS } from '../../services/forecast/model-artifact';
import { loadSimulatedHistory, trueDemandActuals } from '../../simulators/quality/forecast-history';
import { type BenchMetrics, type Benchmark, formatBenchLine, recordResult } from '../harness';

/** The sizes measured; a smaller scale runs the same code for a quick check. */
export interface ForecastBenchScale {
  readonly trainStores: number;
  readonly trainSkus: number;
  readonly trainDays: number;
  readonly predictStores: number;
  readonly predictSkus: number;
}

export const FORECAST_BENCH_SCALE: ForecastBenchScale = { trainStores: 20, trainSkus: 500, trainDays: 365, predictStores: 100, predictSkus: 1_000 };

const TRAIN_START = '2025-06-01';
/** Seed of the simulated year. */
const SIM_SEED = 11;
/** History the predict job reads (services/forecast PREDICT_HISTORY_DAYS) plus the origin day. */
const PREDICT_DAYS = PREDICT_HISTORY_DAYS + 1;
const PREDICT_TO = '2026-05-31';

const seconds = (since: number): number => (performance.now() - since) / 1000;

/** Synthetic history for the predict timing: stores, products and sale lines generated in SQL. */
async function synthesiseHistory(client: ReturnType<typeof createClickHouse>, database: string, stores: number, skus: number): Promise<void> {
  const from = isoDay(parseDay(PREDICT_TO) - PREDICT_DAYS + 1);
  const categories = CATEGORIES.map((c) => `'${c.name.replace(/'/g, "\\'")}'`).join(', ');
  const zones = "['Europe/Berlin', 'Europe/London', 'America/New_York']";
  await client.command({
    query: `INSERT INTO ${database}.dim_store (store_id, name, region, time_zone, size_class, currency, opened_on, updated_at)
            SELECT concat('S', leftPad(toString(number + 1), 3, '0')), 'bench', 'bench', ${zones}[number % 3 + 1], 'MEDIUM', 'EUR', '2020-01-01', now64(3)
            FROM numbers(${stores})`,
  });
  await client.command({
    query: `INSERT INTO ${database}.dim_product (sku, name, category, brand, unit_cost, price, currency, perishable, shelf_life_days, updated_at)
            SELECT concat('SKU-', leftPad(toString(number + 1), 5, '0')), 'bench', [${categories}][number % ${CATEGORIES.length} + 1], 'bench', 100, 250, 'EUR', false, NULL, now64(3)
            FROM numbers(${skus})`,
  });
  // one sale line per series and day, units ~ Normal(lambda, lambda) rounded at >= 0 (a Poisson-like
  // count: randPoisson needs a constant rate), lambda = a level of 0.2-20 a day x a weekend factor
  await client.command({
    query: `INSERT INTO ${database}.fact_sale_lines (event_id, line_number, occurred_at, store_id, terminal_id, transaction_id, cashier_id, payment_method, currency, sku, quantity, unit_price, discount, net_amount, promotion_id, source_offset)
            SELECT generateUUIDv4(number), 1, toDateTime64(toDate('${from}') + d, 3) + INTERVAL 13 HOUR, store_id, 'T1', toString(number), 'C1', 'CARD', 'EUR', sku, q, 250, 0, q * 250, NULL, number
            FROM (
              SELECT number, intDiv(number, ${PREDICT_DAYS}) AS s, number % ${PREDICT_DAYS} AS d,
                     concat('S', leftPad(toString(intDiv(s, ${skus}) + 1), 3, '0')) AS store_id,
                     concat('SKU-', leftPad(toString(s % ${skus} + 1), 5, '0')) AS sku,
                     (0.2 + (cityHash64(s) % 100) / 5) * if(toDayOfWeek(toDate('${from}') + d) >= 6, 1.4, 1) AS lambda,
                     toInt32(greatest(0, round(lambda + sqrt(lambda) * sqrt(-2 * log(randCanonical(1) + 1e-12)) * cos(2 * pi() * randCanonical(2))))) AS q
              FROM numbers(${stores * skus * PREDICT_DAYS})
            ) WHERE q > 0`,
  });
  await client.command({
    query: `INSERT INTO ${database}.fact_inventory_movements (event_id, occurred_at, store_id, sku, movement_type, quantity_delta, counted_on_hand, reason, reference_id, unit_cost, source_offset)
            SELECT generateUUIDv4(number), toDateTime64('${from} 06:00:00', 3), concat('S', leftPad(toString(intDiv(number, ${skus}) + 1), 3, '0')), concat('SKU-', leftPad(toString(number % ${skus} + 1), 5, '0')), 'COUNT', NULL, toInt32(10000), 'bench', NULL, NULL, number
            FROM numbers(${stores * skus})`,
  });
}

/** The simulated year as the quality part needs it: its feature panel and the true demand per series x day (NaN: not scored). */
interface SimulatedYear {
  readonly panel: Panel;
  readonly truth: Float32Array;
  readonly simLoadS: number;
  readonly simRows: number;
  readonly featuresS: number;
}

/**
 * Loads the simulated year (about 9 minutes of simulator into chDB plus 2 of feature query).
 * With a cache folder, a year saved there by an earlier run of the same scale is read back
 * instead (seconds): the panel's columns and the true demand as raw Float32 files beside a
 * meta.json with the series and the scale, written after the first load.
 */
async function simulatedYear(client: ReturnType<typeof createClickHouse>, database: string, scale: ForecastBenchScale, logger: Logger, cacheDir?: string): Promise<SimulatedYear> {
  const { trainStores, trainSkus, trainDays } = scale;
  const key = { trainStores, trainSkus, trainDays, start: TRAIN_START, seed: SIM_SEED };
  const f32 = (file: string): Float32Array => {
    const b = readFileSync(file);
    return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  };
  if (cacheDir && existsSync(join(cacheDir, 'meta.json'))) {
    const meta = JSON.parse(readFileSync(join(cacheDir, 'meta.json'), 'utf8')) as { key: typeof key; panel: Omit<Panel, 'columns'>; simLoadS: number; simRows: number; featuresS: number };
    if (JSON.stringify(meta.key) === JSON.stringify(key)) {
      const columns = Object.fromEntries(FEATURE_COLUMNS.map((c) => [c, f32(join(cacheDir, `${c}.f32`))])) as Record<FeatureColumn, Float32Array>;
      logger.warn({ cacheDir }, 'simulated year read from the cache');
      return { panel: { ...meta.panel, columns }, truth: f32(join(cacheDir, 'truth.f32')), simLoadS: meta.simLoadS, simRows: meta.simRows, featuresS: meta.featuresS };
    }
  }
  let t = performance.now();
  const start = parseDay(TRAIN_START);
  const history = await loadSimulatedHistory(client, database, { seed: SIM_SEED, stores: trainStores, skus: trainSkus, window: { kind: 'days', startDay: start, days: trainDays }, anomalyRate: 1, heartbeats: false }, { from: isoDay(start - 60), to: isoDay(start + trainDays + 30) });
  const simLoadS = seconds(t);
  logger.warn({ simLoadS, rows: history.rows }, 'simulated year loaded');
  t = performance.now();
  const panel = await loadPanel(client, database, { from: formatDay(start), to: formatDay(start + trainDays - 1) });
  const featuresS = seconds(t);
  logger.warn({ featuresS, series: panel.series.length }, 'features of the year');
  const actual = trueDemandActuals(panel, history);
  const truth = new Float32Array(panel.series.length * panel.days);
  for (let s = 0; s < panel.series.length; s++) for (let d = 0; d < panel.days; d++) truth[s * panel.days + d] = actual(s, d);
  if (cacheDir) {
    mkdirSync(cacheDir, { recursive: true });
    for (const c of FEATURE_COLUMNS) writeFileSync(join(cacheDir, `${c}.f32`), panel.columns[c]);
    writeFileSync(join(cacheDir, 'truth.f32'), truth);
    const { columns: _, ...rest } = panel;
    writeFileSync(join(cacheDir, 'meta.json'), JSON.stringify({ key, panel: rest, simLoadS, simRows: history.rows, featuresS }));
  }
  return { panel, truth, simLoadS, simRows: history.rows, featuresS };
}

/**
 * Parts 1 and 2: the training procedure (fitModel: network, validation window, calibration) on
 * the weeks before a 4-week backtest of the year, then that backtest against true demand beside
 * seasonal naive and exponential smoothing. Per-category WAPE and coverage come back as
 * `<metric>_<category>` figures.
 */
async function qualityOnYear(year: SimulatedYear, logger: Logger): Promise<{ metrics: BenchMetrics; model: ReturnType<typeof modelForecaster>; result: BacktestResult }> {
  const { panel, truth } = year;
  const origins = rollingOrigins(panel, 4);
  const categories = [...new Set(panel.series.map((s) => s.category))].sort();
  let t = performance.now();
  let epochs = 0;
  const artifact = await fitModel(panel, origins[0]! - HORIZON, categories, TRAIN_DEFAULTS, (e, loss) => {
    epochs = e;
    logger.warn({ epoch: e, loss, s: seconds(t) }, 'epoch');
  });
  const trainS = seconds(t);
  logger.warn({ trainS, samples: artifact.train.samples, fitS: artifact.train.seconds, calibration: artifact.calibration }, 'trained');
  const model = modelForecaster(artifact);
  t = performance.now();
  const actual: Actuals = (s, d) => truth[s * panel.days + d]!;
  const result = await backtest(panel, [model, seasonalNaive, exponentialSmoothing], origins, actual);
  const backtestS = seconds(t);
  logger.warn({ backtestS }, 'backtested');
  const mlp = metricOf(result, model.name);
  const naive = metricOf(result, seasonalNaive.name);
  const ets = metricOf(result, exponentialSmoothing.name);
  const perCategory: Record<string, number> = {};
  for (const c of categories) {
    const slug = c.toLowerCase().replace(/[^a-z]+/g, '_');
    const m = metricOf(result, model.name, `category:${c}`);
    perCategory[`wape_model_${slug}`] = m.wape;
    perCategory[`wape_gain_vs_seasonal_naive_${slug}`] = 1 - m.wape / metricOf(result, seasonalNaive.name, `category:${c}`).wape;
    perCategory[`wape_exponential_smoothing_${slug}`] = metricOf(result, exponentialSmoothing.name, `category:${c}`).wape;
    perCategory[`coverage_p10_p90_${slug}`] = m.coverage_p10_p90;
  }
  return {
    model,
    result,
    metrics: {
      train_s: trainS,
      train_fit_s: artifact.train.seconds,
      train_features_s: year.featuresS,
      train_series: panel.series.length,
      train_days: panel.lastObservedDay - panel.firstDay + 1,
      train_samples: artifact.train.samples,
      train_epochs: epochs,
      sim_load_s: year.simLoadS,
      sim_rows: year.simRows,
      wape_gain_vs_seasonal_naive: 1 - mlp.wape / naive.wape,
      wape_ratio_to_exponential_smoothing: mlp.wape / ets.wape,
      coverage_p10_p90: mlp.coverage_p10_p90,
      wape_model: mlp.wape,
      wape_seasonal_naive: naive.wape,
      wape_exponential_smoothing: ets.wape,
      bias_model: mlp.bias,
      bias_exponential_smoothing: ets.bias,
      coverage_p10_p90_exponential_smoothing: ets.coverage_p10_p90,
      backtest_points: mlp.points,
      backtest_s: backtestS,
      ...perCategory,
    },
  };
}

export function forecastBenchmark(scale: ForecastBenchScale): Benchmark {
  const { trainStores, trainSkus, trainDays, predictStores, predictSkus } = scale;
  return {
    name: 'forecast',
    description: `train on ${trainStores}x${trainSkus} simulated series x ${trainDays} days, backtest vs seasonal naive on true demand, predict 7 days for ${predictStores * predictSkus} series`,
    async run({ config, logger }) {
      const dataDir = mkdtempSync(join(tmpdir(), 'bench-forecast-'));
      const client = createClickHouse(config.clickhouse.mode === 'embedded' ? { ...config.clickhouse, dataDir } : config.clickhouse);
      const database = `bench_forecast_${Date.now()}`;
      const synthetic = `${database}_synthetic`;
      try {
        // 1. and 2. one simulated year of 10k series: training, then quality against true demand
        const year = await simulatedYear(client, database, scale, logger);
        const { metrics: quality, model } = await qualityOnYear(year, logger);
        let t = performance.now();

        // 3. predict for 100k series on synthetic history through the real feature query and writes
        await client.command({ query: `CREATE DATABASE ${synthetic}` });
        await migrate(client, synthetic);
        // (Before migration 0010 the BI map rollups' materialized views were dropped here: they
        // made this INSERT ... SELECT 20 times slower. What replaced them marks store x dates only.)
        await fillCalendar(client, synthetic, isoDay(parseDay(PREDICT_TO) - PREDICT_DAYS - 30), isoDay(parseDay(PREDICT_TO) + 30));
        t = performance.now();
        await synthesiseHistory(client, synthetic, predictStores, predictSkus);
        const synthesiseS = seconds(t);
        logger.warn({ synthesiseS }, 'synthetic history for the predict timing');
        t = performance.now();
        const big = await loadPanel(client, synthetic, { from: isoDay(parseDay(PREDICT_TO) - PREDICT_DAYS + 1), to: PREDICT_TO });
        const features100kS = seconds(t);
        logger.warn({ features100kS }, 'features of the predict panel');
        if (big.series.length !== predictStores * predictSkus) throw new Error(`synthetic panel has ${big.series.length} series`);
        const origin = big.lastObservedDay - big.firstDay;
        t = performance.now();
        const naive100k = await seasonalNaive.predict(big, origin);
        const naive100kS = seconds(t);
        // the timed predict is the one predictAndWrite makes (features in hand -> forecasts ready)
        let predictS = 0;
        const timed = {
          name: model.name,
          async predict(p: typeof big, o: number) {
            const at = performance.now();
            const f = await model.predict(p, o);
            predictS = seconds(at);
            return f;
          },
        };
        t = performance.now();
        const written = await predictAndWrite(client, synthetic, big, timed, 'bench');
        const predictWriteS = seconds(t);
        model.dispose();
        if (naive100k.p50.length !== written.series * HORIZON) throw new Error('seasonal naive answered the wrong shape');
        const [stored] = await (await client.query({ query: `SELECT count() AS n FROM ${synthetic}.demand_forecast`, format: 'JSONEachRow' })).json<{ n: string }>();
        if (Number(stored?.n) !== predictStores * predictSkus * HORIZON) throw new Error(`demand_forecast holds ${stored?.n} rows`);

        return {
          predict_100k_s: predictS,
          predict_100k_with_features_and_write_s: features100kS + predictWriteS,
          features_100k_s: features100kS,
          write_100k_s: predictWriteS - predictS,
          seasonal_naive_100k_s: naive100kS,
          predict_ratio_to_seasonal_naive: predictS / naive100kS,
          predict_series: big.series.length,
          predict_history_days: PREDICT_DAYS,
          predict_history_synthetic: 1,
          synthesise_s: synthesiseS,
          ...quality,
        };
      } finally {
        await client.command({ query: `DROP DATABASE IF EXISTS ${database}` }).catch(() => undefined);
        await client.command({ query: `DROP DATABASE IF EXISTS ${synthetic}` }).catch(() => undefined);
        await client.close();
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}

export const forecastBench = forecastBenchmark(FORECAST_BENCH_SCALE);

/**
 * Parts 1 and 2 alone, the simulated year cached in a folder between runs (the first run loads
 * and saves it, later runs start training within seconds):
 *   make build && node dist/bench/benchmarks/forecast.js quality [cache folder] [results file]
 * The cache defaults to $TMPDIR/shelfstream-forecast-year; the line is appended to the results
 * file (default bench/results.jsonl) under the name forecast_quality. Embedded chDB only.
 */
async function runQualityOnly(args: readonly string[]): Promise<void> {
  const config = loadConfig(process.env);
  const logger = createLogger({ level: 'warn', service: 'bench', destination: pino.destination({ fd: 2, sync: true }) });
  const cacheDir = args[0] ?? join(tmpdir(), 'shelfstream-forecast-year');
  const dataDir = join(cacheDir, 'chdb');
  mkdirSync(dataDir, { recursive: true });
  const client = createClickHouse({ mode: 'embedded', dataDir, database: config.clickhouse.database, requestTimeoutMs: config.clickhouse.requestTimeoutMs });
  const database = `bench_forecast_${Date.now()}`;
  try {
    const year = await simulatedYear(client, database, FORECAST_BENCH_SCALE, logger, cacheDir);
    const { metrics, model } = await qualityOnYear(year, logger);
    model.dispose();
    recordResult('forecast_quality', metrics, args[1]);
    process.stdout.write(formatBenchLine('forecast_quality', metrics) + '\n');
  } finally {
    await client.command({ query: `DROP DATABASE IF EXISTS ${database}` }).catch(() => undefined);
    await client.close();
  }
}

if (require.main === module && process.argv[2] === 'quality') {
  runQualityOnly(process.argv.slice(3)).catch((error: unknown) => {
    process.stderr.write(`bench forecast quality: ${String(error)}\n`);
    process.exitCode = 1;
  });
}
