/**
 * The closed loop: the simulated chain orders what ShelfStream advises.
 *
 * One simulation on simulated time, with common random numbers. Before `loopFromDay` the stores
 * order by their own rule (the history a model trains on); from it on, each store's nightly
 * review waits for the chain's nightly advice run (`nightlyRunUtcHour`: every store reviews then,
 * so one predict serves the chain each night) or, without one, for the hour after its own
 * closing (one predict per distinct review hour); before that hour is simulated:
 *   1. every event so far is in ClickHouse, through the warehouse processor's own row logic
 *      (WarehouseLoader: the facts the forecast reads; Kafka is left out to keep 90 simulated
 *      days inside the bench's hour);
 *   2. the forecast job's predict step (predictAndWrite, the code `shelfstream forecast predict`
 *      runs) writes forecasts and reorder advice as of that store's day, for the stores reviewing
 *      then (a chain-wide run would rewrite the advice of stores that already ordered);
 *   3. the store system reads its advice through the SQL endpoint (advice-reader.ts, plain HTTP)
 *      and hands it to the simulator, which orders it at the review.
 * The forecaster per day is the caller's: a model retrained weekly on simulated time, or a baseline.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { Forecaster } from '../../services/forecast/baselines';
import { type FeatureColumn, type Panel, isoDay, loadPanel } from '../../services/forecast/features';
import { PREDICT_HISTORY_DAYS } from '../../services/forecast';
import { predictAndWrite } from '../../services/forecast/jobs';
import type { ReorderPolicy } from '../../services/forecast/reorder';
import { type AdviceEndpoint, readAdvice } from '../pos/advice-reader';
import type { DailyDemandRow, OrderRow, StockoutRow, WasteRow } from '../pos/ground-truth';
import type { SimulationOptions } from '../pos/options';
import { AdviceBook, OWN_POLICY, advisedPolicy, switchedPolicy } from '../pos/ordering';
import { PosSimulator } from '../pos/simulator';
import { WarehouseLoader, prepareDatabase } from './forecast-history';

export interface LoopForecaster {
  readonly forecaster: Forecaster;
  readonly version: string;
}

export interface ClosedLoopOptions {
  /** The run: history and loop days together; ordering and common random numbers are set here. */
  readonly simulation: Omit<SimulationOptions, 'ordering' | 'commonRandomNumbers'>;
  /** First local day whose review orders the advice. */
  readonly loopFromDay: number;
  /** The forecaster the predict of origin `day` uses (trained on days before it). */
  forecasterFor(day: number): Promise<LoopForecaster>;
  /** The advice's service level, lead time and review period; the job's defaults when absent. */
  readonly reorder?: ReorderPolicy;
  /**
   * UTC hour of the chain's nightly advice run, at which every store reviews the day it closed
   * last; absent: each store reviews the hour after its own closing. Pick an hour after the last
   * store closes and before the first opens where possible (a store reviewing after it opened
   * still orders for the day it closed: deliveries are planned from that day).
   */
  readonly nightlyRunUtcHour?: number;
  /** Where the store systems read advice: the SQL endpoint over this database. */
  readonly endpoint: AdviceEndpoint;
  readonly calendar: { readonly from: string; readonly to: string };
}

export interface LoopTruth {
  readonly daily: DailyDemandRow[];
  readonly stockouts: StockoutRow[];
  readonly waste: WasteRow[];
  readonly orders: OrderRow[];
}

export interface ClosedLoopRun extends LoopTruth {
  readonly sim: PosSimulator;
  /** Predict runs (one per night with a nightly run, else one per distinct review hour and day) and the seconds they took with the advice reads. */
  readonly predicts: number;
  readonly pipelineSeconds: number;
  /** Seconds per step of the loop, to see where a run's time goes. */
  readonly stepSeconds: LoopStepSeconds;
}

/** Seconds a closed-loop run spent on each of its steps (training is inside `forecaster`). */
export interface LoopStepSeconds {
  /** The history before the first nightly run: simulated and its rows inserted. */
  history: number;
  /** The simulator's hours from the first nightly run on. */
  simulate: number;
  /** Warehouse rows built and inserted from the first nightly run on (what the inserts leave waiting at each drain). */
  rows: number;
  /** The nightly panel loads. */
  panel: number;
  /** Getting the night's forecaster: the weekly trainings. */
  forecaster: number;
  /** predictAndWrite: forecasts, advice and the daily actuals written. */
  predict: number;
  /** The store systems' advice reads through the SQL endpoint. */
  read: number;
}

/** Runs the loop into `database` (created and migrated here) and answers the ground truth. */
export async function runClosedLoop(client: ClickHouseClient, database: string, options: ClosedLoopOptions): Promise<ClosedLoopRun> {
  await prepareDatabase(client, database, options.calendar);
  const book = new AdviceBook();
  const sim = new PosSimulator({ ...options.simulation, commonRandomNumbers: true, ordering: switchedPolicy(options.loopFromDay, OWN_POLICY, advisedPolicy(book, 'advice', options.nightlyRunUtcHour)) });
  const chainSize = sim.chain.stores.length;
  const loader = new WarehouseLoader(client, database);
  loader.masterData(sim);
  const truth: LoopTruth = { daily: [], stockouts: [], waste: [], orders: [] };
  let predicts = 0;
  let pipelineMs = 0;
  const steps: LoopStepSeconds = { history: 0, simulate: 0, rows: 0, panel: 0, forecaster: 0, predict: 0, read: 0 };
  const timed = async <T>(step: keyof LoopStepSeconds, work: () => Promise<T> | T): Promise<T> => {
    const t = performance.now();
    try {
      return await work();
    } finally {
      steps[predicts === 0 && (step === 'simulate' || step === 'rows') ? 'history' : step] += (performance.now() - t) / 1000;
    }
  };
  const collect = (t: ReturnType<PosSimulator['finish']>): void => {
    for (const r of t.daily) truth.daily.push(r);
    truth.stockouts.push(...t.stockouts);
    truth.waste.push(...t.waste);
    truth.orders.push(...t.orders);
  };
  while (!sim.done) {
    const due = sim.pendingReviews();
    if (due.length > 0) {
      const started = performance.now();
      await timed('rows', () => loader.drain());
      for (const day of new Set(due.map((d) => d.localDay))) {
        const stores = due.filter((d) => d.localDay === day).map((d) => d.storeId);
        const panel = await timed('panel', () => loadPanel(client, database, { from: isoDay(day - PREDICT_HISTORY_DAYS), to: isoDay(day) }));
        const { forecaster, version } = await timed('forecaster', () => options.forecasterFor(day));
        const reviewing = stores.length === chainSize ? panel : panelOfStores(panel, new Set(stores));
        await timed('predict', () => predictAndWrite(client, database, reviewing, forecaster, version, options.reorder));
        predicts++;
        const advice = await timed('read', () => readAdvice(options.endpoint, stores, day));
        for (const store of stores) book.provide(store, day, advice.get(store)!);
      }
      pipelineMs += performance.now() - started;
    }
    const hour = await timed('simulate', () => sim.nextHour());
    await timed('rows', () => loader.hour(hour));
    collect(hour.truth);
  }
  collect(sim.finish());
  await timed('rows', () => loader.drain());
  return { ...truth, sim, predicts, pipelineSeconds: pipelineMs / 1000, stepSeconds: steps };
}

/** The panel's series of `stores` only (columns are series-major, `days` values per series). */
export function panelOfStores(panel: Panel, stores: ReadonlySet<string>): Panel {
  const keep: number[] = [];
  panel.series.forEach((s, i) => {
    if (stores.has(s.store_id)) keep.push(i);
  });
  const columns = {} as Record<FeatureColumn, Float32Array>;
  for (const [name, column] of Object.entries(panel.columns) as [FeatureColumn, Float32Array][]) {
    const out = new Float32Array(keep.length * panel.days);
    keep.forEach((i, k) => out.set(column.subarray(i * panel.days, (i + 1) * panel.days), k * panel.days));
    columns[name] = out;
  }
  return { ...panel, series: keep.map((i) => panel.series[i]!), columns };
}
