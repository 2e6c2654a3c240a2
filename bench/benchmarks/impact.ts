/**
 * impact: what ordering by ShelfStream's advice does to the business, against the simulated
 * stores' own rule, in the closed loop (simulators/quality/closed-loop.ts).
 *
 * Per scoring seed, three runs of the same chain with common random numbers (the same demand,
 * promotions, losses and supplier draws; only who orders differs), perishables kept in lots and
 * written off when they expire:
 *   own         the simulator's own rule throughout (the frozen baseline; no pipeline needed);
 *   advice      the own rule over the history, then each nightly review orders ShelfStream's
 *               advice: events into ClickHouse, the demand model retrained every 7 simulated days
 *               on everything before (fitModel, the training procedure), one chain-wide predict
 *               at the nightly run (predictAndWrite: forecasts and advice with each series' lead
 *               time and case pack, at ADVICE_POLICY's service level), read through the SQL endpoint;
 *   advice-p50  the same with the forecast's P10 and P90 set to its P50: what the intervals buy.
 * Scored over the loop's days from ground truth (simulators/quality/impact.ts). Nothing was tuned
 * on these seeds: the advice's service level comes from impact-tune on seeds 7, 8, 9 (ADVICE_POLICY).
 *
 * Prints a BENCH line per seed and policy, then the summary: lost_sales_ratio, inventory_ratio and
 * waste_ratio are advice / own (lost units, average inventory value at cost, expired units), per
 * seed and their mean. Targets: lost sales <= 0.5 and inventory <= 0.7 of own.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { createClickHouse } from '../../lib/clients/clickhouse';
import { parseDay } from '../../lib/domain/calendar';
import type { Logger } from '../../lib/logger';
import type { Forecaster } from '../../services/forecast/baselines';
import { HORIZON, isoDay, loadPanel } from '../../services/forecast/features';
import { fitModel, modelForecaster } from '../../services/forecast/model';
import { TRAIN_DEFAULTS } from '../../services/forecast/model-artifact';
import { REORDER_DEFAULTS } from '../../services/forecast/jobs';
import type { ReorderPolicy, ServiceMeasure } from '../../services/forecast/reorder';
import { AdminExecutor, startSqlEndpoint } from '../../services/sql';
import type { AdviceEndpoint } from '../../simulators/pos/advice-reader';
import type { HourTruth } from '../../simulators/pos/ground-truth';
import type { SimulationOptions } from '../../simulators/pos/options';
import { OWN_POLICY, type OrderingPolicy, scaledOwnPolicy } from '../../simulators/pos/ordering';
import { PosSimulator } from '../../simulators/pos/simulator';
import { type LoopForecaster, type LoopStepSeconds, runClosedLoop } from '../../simulators/quality/closed-loop';
import { type PolicyOutcome, type ScoredTruth, scoreOutcome } from '../../simulators/quality/impact';
import { REPO_ROOT } from '../../lib/paths';
import { type BenchContext, type BenchMetrics, type Benchmark, formatBenchLine } from '../harness';
import { type FrontierPoint, frontierSvg } from './impact-plot';

export interface ImpactScale {
  readonly seeds: readonly number[];
  readonly stores: number;
  readonly skus: number;
  /** Days of the own rule before the loop: enough to train (35 days of lags + 2 weeks of calibration + a horizon) and count every sku. */
  readonly historyDays: number;
  readonly loopDays: number;
  /** Days between two trainings of the model, on simulated time. */
  readonly retrainDays: number;
  /**
   * Days before the origin each training reads (the loop's FORECAST_TRAIN_HISTORY_DAYS, at least
   * 70 as that option requires). Reading every day since the history began made each training
   * slower than the last: at full scale (2026-12-06, seed 101) 11.5 s in week 0, 43 s in week 6,
   * 106 s in week 12, against 22 and 19 s on 70 days (about 670 s of training per advised run
   * against about 220).
   */
  readonly trainDays: number;
}

/** Scoring seeds: nothing is tuned on them. */
export const IMPACT_SCALE: ImpactScale = { seeds: [101, 202, 303], stores: 10, skus: 200, historyDays: 70, loopDays: 90, retrainDays: 7, trainDays: 70 };
/** A Monday; the loop's days (mid-July to October) stay inside the forecast tables' 400-day TTL. */
export const START = parseDay('2026-05-04');

/**
 * The chain's nightly advice run, UTC: after the last store closes (New York, 23:00 EDT = 03:00
 * UTC) and before most open; one predict a night serves every store (Dubai, open at 08:00 local,
 * reviews as it opens, still for the day it closed).
 */
const NIGHTLY_RUN_UTC_HOUR = 4;

/**
 * The advice the stores follow: the job's defaults (each series' own lead time and case pack,
 * learnt from its orders; a review period of one day, the stores' nightly review) at the service
 * level chosen by impact-tune on its own seeds, never on the scoring seeds. The rule: the lowest
 * level whose lost sales, pooled over the tuning seeds, meet the target (<= 0.5 of the own rule).
 * 0.85 for the count-distribution advice on seeds 7, 8, 9 (2026-12-06, pooled lost / inventory:
 * 0.7 0.65 / 0.75, 0.8 0.57 / 0.85, 0.85 0.41 / 0.94, 0.9 0.35 / 1.03); before it, 0.9 for the
 * normal approximation on seed 7 alone. A fill-rate target (serviceMeasure 'fill-rate') was swept
 * on the same seeds (2026-12-06 23:12, pooled: 0.75 0.66 / 0.76, 0.85 0.52 / 0.89, 0.9 0.42 /
 * 0.99): the same frontier as the cycle level or slightly behind it, so the cycle level stays.
 */
export const ADVICE_POLICY: ReorderPolicy = { ...REORDER_DEFAULTS, serviceLevel: 0.85, serviceMeasure: 'cycle' };

type AdvisedPolicy = 'advice' | 'advice-p50';

const seconds = (since: number): number => (performance.now() - since) / 1000;

function simulation(scale: ImpactScale, seed: number): Omit<SimulationOptions, 'ordering' | 'commonRandomNumbers'> {
  return { seed, stores: scale.stores, skus: scale.skus, window: { kind: 'days', startDay: START, days: scale.historyDays + scale.loopDays }, anomalyRate: 1, heartbeats: false, expiryWriteOffs: true };
}

/** The own rule over the whole window: the simulator alone, nothing for ShelfStream to do. */
export function runOwn(scale: ImpactScale, seed: number, ordering: OrderingPolicy = OWN_POLICY): { truth: ScoredTruth; sim: PosSimulator } {
  const sim = new PosSimulator({ ...simulation(scale, seed), commonRandomNumbers: true, ordering });
  const truth = { daily: [] as ScoredTruth['daily'][number][], stockouts: [] as ScoredTruth['stockouts'][number][], waste: [] as ScoredTruth['waste'][number][], orders: [] as ScoredTruth['orders'][number][] };
  const collect = (t: HourTruth): void => {
    for (const r of t.daily) truth.daily.push(r);
    truth.stockouts.push(...t.stockouts);
    truth.waste.push(...t.waste);
    truth.orders.push(...t.orders);
  };
  while (!sim.done) collect(sim.nextHour().truth);
  collect(sim.finish());
  return { truth, sim };
}

/** The demand model retrained every `retrainDays` on simulated time, on the `trainDays` before the origin (from the history's first day while it is shorter). */
function weeklyModel(client: ClickHouseClient, database: string, scale: ImpactScale, p50Only: boolean, logger: Logger): { forecasterFor(day: number): Promise<LoopForecaster>; dispose(): void } {
  let current: { trainedFor: number; model: ReturnType<typeof modelForecaster>; forecaster: Forecaster; version: string } | undefined;
  return {
    async forecasterFor(day) {
      if (current && day - current.trainedFor < scale.retrainDays) return current;
      current?.model.dispose();
      const t = performance.now();
      const panel = await loadPanel(client, database, { from: isoDay(Math.max(START, day - scale.trainDays)), to: isoDay(day) });
      const loadS = seconds(t);
      const categories = [...new Set(panel.series.map((s) => s.category))].sort();
      const artifact = await fitModel(panel, day - panel.firstDay - HORIZON, categories, TRAIN_DEFAULTS);
      const model = modelForecaster(artifact);
      const forecaster: Forecaster = p50Only
        ? {
            name: `${model.name}_p50`,
            async predict(p, origin) {
              const q = await model.predict(p, origin);
              return { p10: q.p50, p50: q.p50, p90: q.p50 };
            },
          }
        : model;
      current = { trainedFor: day, model, forecaster, version: `impact-${isoDay(day)}${p50Only ? '-p50' : ''}` };
      logger.warn({ database, trainedTo: isoDay(day), panelDays: panel.days, loadS, trainS: seconds(t) }, 'impact: model trained');
      return current;
    },
    dispose: () => current?.model.dispose(),
  };
}

/** `inspect` reads the run's database (its advice rows, forecasts) before it is dropped. */
export async function runAdvised(client: ClickHouseClient, endpoint: AdviceEndpoint, scale: ImpactScale, seed: number, policy: AdvisedPolicy, logger: Logger, reorder: ReorderPolicy = ADVICE_POLICY, inspect?: (database: string) => Promise<void>): Promise<{ truth: ScoredTruth; predicts: number; pipelineSeconds: number; seconds: number; steps: LoopStepSeconds }> {
  const database = `bench_impact_${seed}_${policy.replace('-', '_')}_${Date.now()}`;
  const t = performance.now();
  const model = weeklyModel(client, database, scale, policy === 'advice-p50', logger);
  try {
    const run = await runClosedLoop(client, database, {
      simulation: simulation(scale, seed),
      loopFromDay: START + scale.historyDays,
      forecasterFor: (day) => model.forecasterFor(day),
      endpoint: { ...endpoint, database },
      reorder,
      nightlyRunUtcHour: NIGHTLY_RUN_UTC_HOUR,
      calendar: { from: isoDay(START - 60), to: isoDay(START + scale.historyDays + scale.loopDays + 30) },
    });
    await inspect?.(database);
    return { truth: run, predicts: run.predicts, pipelineSeconds: run.pipelineSeconds, seconds: seconds(t), steps: run.stepSeconds };
  } finally {
    model.dispose();
    await client.command({ query: `DROP DATABASE IF EXISTS ${database} SYNC` });
  }
}

/** The loop's seconds per step as BENCH figures (step_history_s, step_predict_s, ...). */
const stepFigures = (steps: LoopStepSeconds): Record<string, number> => Object.fromEntries(Object.entries(steps).map(([k, v]) => [`step_${k}_s`, v]));

const ratio = (a: number, b: number): number => (b === 0 ? (a === 0 ? 1 : Number.POSITIVE_INFINITY) : a / b);

/** Runs every seed and policy at `scale`; prints a line per seed and policy; answers the summary. */
export interface LoopServices {
  readonly client: ClickHouseClient;
  readonly endpoint: AdviceEndpoint;
  close(): Promise<void>;
}

/** A ClickHouse of the bench's own (a fresh embedded folder) and the SQL endpoint the stores read through. */
export async function loopServices({ config, logger }: BenchContext): Promise<LoopServices> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-impact-'));
  const ch = config.clickhouse;
  const client = createClickHouse(ch.mode === 'embedded' ? { ...ch, dataDir } : ch);
  const executor = ch.mode === 'embedded' ? new AdminExecutor({ dataDir, defaultDatabase: 'default', sessionTimeoutS: 60 }) : undefined;
  const served = executor ? await startSqlEndpoint({ config: { sqlEndpoint: { ...config.sqlEndpoint, port: 0 } }, logger, executor }) : undefined;
  const endpoint: AdviceEndpoint = ch.mode === 'server' ? { url: ch.url, user: ch.user, password: ch.password } : { url: served!.url };
  return {
    client,
    endpoint,
    async close() {
      await served?.close();
      await executor?.close();
      await client.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function runImpact(ctx: BenchContext, scale: ImpactScale): Promise<BenchMetrics> {
  const { logger } = ctx;
  const { client, endpoint, close } = await loopServices(ctx);
  const started = performance.now();
  const perSeed: Record<string, number>[] = [];
  try {
    for (const seed of scale.seeds) {
      const own = runOwn(scale, seed);
      const fromDay = START + scale.historyDays;
      const toDay = fromDay + scale.loopDays - 1;
      const stores = new Map(own.sim.chain.stores.map((p) => [p.store.store_id, p]));
      const window = (storeId: string): readonly [number, number] => {
        const clock = own.sim.model.clock(stores.get(storeId)!);
        return [clock.localMidnight(fromDay), clock.localMidnight(toDay + 1)];
      };
      const score = (truth: ScoredTruth): PolicyOutcome => scoreOutcome(truth, own.sim.chain, fromDay, toDay, window);
      const outcomes: Record<string, PolicyOutcome> = { own: score(own.truth) };
      const line = (policy: string, o: PolicyOutcome, extra: Record<string, number> = {}): void => {
        process.stdout.write(`${formatBenchLine('impact', { seed, ...o, ...extra })} policy=${policy}\n`);
      };
      line('own', outcomes.own!);
      for (const policy of ['advice', 'advice-p50'] as const) {
        const run = await runAdvised(client, endpoint, scale, seed, policy, logger);
        outcomes[policy] = score(run.truth);
        line(policy, outcomes[policy]!, { predicts: run.predicts, pipeline_s: run.pipelineSeconds, run_s: run.seconds, ...stepFigures(run.steps) });
      }
      const o = outcomes.own!;
      const a = outcomes.advice!;
      const p = outcomes['advice-p50']!;
      const figures = {
        seed,
        lost_sales_ratio: ratio(a.lost_units, o.lost_units),
        lost_value_ratio: ratio(a.lost_value, o.lost_value),
        inventory_ratio: ratio(a.inventory_value, o.inventory_value),
        waste_ratio: ratio(a.waste_units, o.waste_units),
        stockout_hours_ratio: ratio(a.stockout_hours, o.stockout_hours),
        orders_ratio: ratio(a.orders, o.orders),
        p50_lost_sales_ratio: ratio(p.lost_units, o.lost_units),
        p50_inventory_ratio: ratio(p.inventory_value, o.inventory_value),
        p50_waste_ratio: ratio(p.waste_units, o.waste_units),
      };
      perSeed.push(figures);
      process.stdout.write(`${formatBenchLine('impact', figures)}\n`);
    }
  } finally {
    await close();
  }
  const mean = (key: string): number => perSeed.reduce((n, f) => n + f[key]!, 0) / perSeed.length;
  const keys = Object.keys(perSeed[0]!).filter((k) => k !== 'seed');
  return {
    ...Object.fromEntries(keys.map((k) => [k, mean(k)])),
    seeds: scale.seeds.length,
    stores: scale.stores,
    skus: scale.skus,
    loop_days: scale.loopDays,
    bench_s: seconds(started),
  };
}

export const impactBench: Benchmark = {
  name: 'impact',
  description: `closed loop: ${IMPACT_SCALE.stores} stores x ${IMPACT_SCALE.skus} skus, ${IMPACT_SCALE.loopDays} days after ${IMPACT_SCALE.historyDays} of history, seeds ${IMPACT_SCALE.seeds.join(', ')}: own rule vs ShelfStream's advice vs advice from P50 alone`,
  run: (ctx) => runImpact(ctx, IMPACT_SCALE),
};

/**
 * What fits well inside the bench's hour on this machine (2 shared cores): the full scale trains
 * 13 models and predicts 90 nights of 2,000 series per advised run, 2 runs per seed (README: its
 * measured cost). Same seeds, a smaller chain and loop; named apart so its figures are never read
 * as the full scale's.
 */
export const IMPACT_QUICK_SCALE: ImpactScale = { seeds: [101, 202, 303], stores: 3, skus: 50, historyDays: 63, loopDays: 28, retrainDays: 7, trainDays: 70 };

export const impactQuickBench: Benchmark = {
  name: 'impact-quick',
  description: `closed loop at the scale that fits an hour here: ${IMPACT_QUICK_SCALE.stores} stores x ${IMPACT_QUICK_SCALE.skus} skus, ${IMPACT_QUICK_SCALE.loopDays} days after ${IMPACT_QUICK_SCALE.historyDays} of history, seeds ${IMPACT_QUICK_SCALE.seeds.join(', ')}`,
  run: (ctx) => runImpact(ctx, IMPACT_QUICK_SCALE),
};

/** The targets, as ratios to the own rule's outcome. */
const IMPACT_TARGETS = { lost: 0.5, inventory: 0.7 } as const;

/** A tuning seed (never scored), the quick chain, the service levels and own-rule stock factors swept. */
const SWEEP = { seed: 7, scale: { ...IMPACT_QUICK_SCALE, seeds: [7] }, serviceLevels: [0.5, 0.75, 0.9, 0.95, 0.99], stockFactors: [0.5, 0.75, 1, 1.25, 1.5] } as const;
export const FRONTIER_SVG = join(REPO_ROOT, 'bench', 'impact-frontier.svg');

/**
 * Lost sales against inventory as the stock each policy aims for moves: ShelfStream's advice at
 * several service levels, the own rule with its reorder point and order-up-to level scaled. Saves
 * the frontier as bench/impact-frontier.svg.
 */
export const impactSweepBench: Benchmark = {
  name: 'impact-sweep',
  description: `service-level frontier (seed ${SWEEP.seed}, ${SWEEP.scale.stores} stores x ${SWEEP.scale.skus} skus, ${SWEEP.scale.loopDays} days): advice at service levels ${SWEEP.serviceLevels.join(', ')}, own rule x ${SWEEP.stockFactors.join(', ')}`,
  async run(ctx) {
    const scale = SWEEP.scale;
    const fromDay = START + scale.historyDays;
    const toDay = fromDay + scale.loopDays - 1;
    const own: FrontierPoint[] = [];
    const advice: FrontierPoint[] = [];
    let baseline: PolicyOutcome | undefined;
    let chain: PosSimulator | undefined;
    const score = (truth: ScoredTruth, sim: PosSimulator): PolicyOutcome => {
      const stores = new Map(sim.chain.stores.map((p) => [p.store.store_id, p]));
      return scoreOutcome(truth, sim.chain, fromDay, toDay, (id) => {
        const clock = sim.model.clock(stores.get(id)!);
        return [clock.localMidnight(fromDay), clock.localMidnight(toDay + 1)];
      });
    };
    for (const factor of SWEEP.stockFactors) {
      const run = runOwn(scale, SWEEP.seed, factor === 1 ? OWN_POLICY : scaledOwnPolicy(factor));
      chain = run.sim;
      const o = score(run.truth, run.sim);
      if (factor === 1) baseline = o;
      own.push({ label: `x${factor}`, inventory: o.inventory_value / 100, lost: o.lost_units });
      process.stdout.write(`${formatBenchLine('impact-sweep', { seed: SWEEP.seed, stock_factor: factor, ...o })} policy=own\n`);
    }
    const { client, endpoint, close } = await loopServices(ctx);
    const metrics: Record<string, number> = {};
    try {
      for (const serviceLevel of SWEEP.serviceLevels) {
        const run = await runAdvised(client, endpoint, scale, SWEEP.seed, 'advice', ctx.logger, { ...REORDER_DEFAULTS, serviceLevel });
        const o = score(run.truth, chain!);
        advice.push({ label: `${serviceLevel}`, inventory: o.inventory_value / 100, lost: o.lost_units });
        process.stdout.write(`${formatBenchLine('impact-sweep', { seed: SWEEP.seed, service_level: serviceLevel, ...o })} policy=advice\n`);
        metrics[`sl${Math.round(serviceLevel * 100)}_lost_sales_ratio`] = ratio(o.lost_units, baseline!.lost_units);
        metrics[`sl${Math.round(serviceLevel * 100)}_inventory_ratio`] = ratio(o.inventory_value, baseline!.inventory_value);
      }
    } finally {
      await close();
    }
    writeFileSync(
      FRONTIER_SVG,
      frontierSvg(
        `Lost sales vs inventory, seed ${SWEEP.seed}, ${scale.stores} stores x ${scale.skus} skus, ${scale.loopDays} days`,
        [
          { name: 'own rule (levels scaled)', colour: '#b33', points: own },
          { name: 'ShelfStream advice (service level)', colour: '#236', points: advice },
        ],
        'average inventory value at cost (EUR)',
        'lost sales (units)',
        {
          label: 'both targets met',
          inventory: (IMPACT_TARGETS.inventory * baseline!.inventory_value) / 100,
          lost: IMPACT_TARGETS.lost * baseline!.lost_units,
        },
      ),
    );
    return metrics;
  },
};

interface TuneSetting {
  readonly name: string;
  readonly seeds: readonly number[];
  readonly scale: ImpactScale;
  readonly serviceMeasure: ServiceMeasure;
  readonly serviceLevels: readonly number[];
}

/**
 * The tuning seeds (never scored) and the service levels tried on them, at the quick scale: seed 7
 * alone has larger stores than the scoring seeds, so 8 and 9 (2026-12-06) join it.
 */
const TUNE: TuneSetting = {
  name: 'impact-tune',
  seeds: [7, 8, 9],
  scale: IMPACT_QUICK_SCALE,
  // 'fill-rate' with levels 0.75, 0.85, 0.9 gave the fr* metrics of 2026-12-06 23:12
  serviceMeasure: 'cycle',
  serviceLevels: [0.7, 0.8, 0.85, 0.9],
};

/**
 * The same tuning seeds at the scale (10 stores x 200 skus, 90 days), where the level is
 * chosen by the same rule: the quick scale's curve does not carry over (0.85, chosen there, lost
 * 0.66 of the own rule's sales at this scale). Each advised run takes 7-40 minutes here, so this
 * is a mode of its own. 2026-12-07, ratios to the own rule, seeds 7 / 8 / 9: at 0.9, lost 0.446 /
 * 0.374 / 0.443 and inventory 0.711 / 0.738 / 0.715.
 */
const TUNE_FULL: TuneSetting = { ...TUNE, name: 'impact-tune-full', scale: IMPACT_SCALE, serviceLevels: [0.85, 0.9] };

/** Metric key of a level: fr96 for a fill rate of 0.96, sl85 for a cycle service level of 0.85. */
const levelKey = (measure: ServiceMeasure, serviceLevel: number): string => `${measure === 'fill-rate' ? 'fr' : 'sl'}${Math.round(serviceLevel * 100)}`;

/**
 * Chooses the advice's service level on seeds that are never scored: lost sales and inventory
 * against the own rule at each level, per seed and pooled (the seeds' lost units and inventory
 * summed, then divided). The level in ADVICE_POLICY is read from this run.
 */
const tuneBench = (tune: TuneSetting): Benchmark => ({
  name: tune.name,
  description: `advice tuning on seeds ${tune.seeds.join(', ')} (${tune.scale.stores} stores x ${tune.scale.skus} skus, ${tune.scale.loopDays} days): ${tune.serviceMeasure} ${tune.serviceLevels.join(', ')} against the own rule`,
  async run(ctx) {
    const fromDay = START + tune.scale.historyDays;
    const toDay = fromDay + tune.scale.loopDays - 1;
    const pooled = new Map<string, { lost: number; inventory: number; orders: number }>();
    const add = (key: string, o: PolicyOutcome): void => {
      const p = pooled.get(key) ?? { lost: 0, inventory: 0, orders: 0 };
      pooled.set(key, { lost: p.lost + o.lost_units, inventory: p.inventory + o.inventory_value, orders: p.orders + o.orders });
    };
    const { client, endpoint, close } = await loopServices(ctx);
    try {
      for (const seed of tune.seeds) {
        const scale = { ...tune.scale, seeds: [seed] };
        const own = runOwn(scale, seed);
        const stores = new Map(own.sim.chain.stores.map((p) => [p.store.store_id, p]));
        const score = (truth: ScoredTruth): PolicyOutcome =>
          scoreOutcome(truth, own.sim.chain, fromDay, toDay, (id) => {
            const clock = own.sim.model.clock(stores.get(id)!);
            return [clock.localMidnight(fromDay), clock.localMidnight(toDay + 1)];
          });
        const baseline = score(own.truth);
        add('own', baseline);
        process.stdout.write(`${formatBenchLine(tune.name, { seed, ...baseline })} policy=own\n`);
        for (const serviceLevel of tune.serviceLevels) {
          const run = await runAdvised(client, endpoint, scale, seed, 'advice', ctx.logger, { ...REORDER_DEFAULTS, serviceLevel, serviceMeasure: tune.serviceMeasure });
          const o = score(run.truth);
          add(levelKey(tune.serviceMeasure, serviceLevel), o);
          const ratios = { lost_sales_ratio: ratio(o.lost_units, baseline.lost_units), inventory_ratio: ratio(o.inventory_value, baseline.inventory_value) };
          process.stdout.write(`${formatBenchLine(tune.name, { seed, service_level: serviceLevel, ...ratios, ...o, predicts: run.predicts, run_s: run.seconds })} policy=advice\n`);
        }
      }
    } finally {
      await close();
    }
    const own = pooled.get('own')!;
    const metrics: Record<string, number> = { seeds: tune.seeds.length };
    for (const serviceLevel of tune.serviceLevels) {
      const key = levelKey(tune.serviceMeasure, serviceLevel);
      const p = pooled.get(key)!;
      metrics[`${key}_lost_sales_ratio`] = ratio(p.lost, own.lost);
      metrics[`${key}_inventory_ratio`] = ratio(p.inventory, own.inventory);
      metrics[`${key}_orders_ratio`] = ratio(p.orders, own.orders);
    }
    return metrics;
  },
});

export const impactTuneBench = tuneBench(TUNE);
export const impactTuneFullBench = tuneBench(TUNE_FULL);
