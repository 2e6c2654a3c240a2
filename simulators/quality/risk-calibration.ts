/**
 * Is the stock processor's risk honest? Its `risk` claims P(the shelf runs out before the next
 * replenishment). Sampled hourly (each series' latest stockout_risk row at the end of every
 * hour, what a dashboard shows then) and judged against the simulator's ground truth: the
 * outcome is 1 when a stock-out of that store x sku is going on at the sample or starts before
 * the series' next receipt (the delivery that really came, lateness included), else 0. A sample
 * with no receipt after it in the run and no stock-out is undecided and left out.
 *
 * The expected calibration error (ECE) is the usual one: samples in 10 equal-width risk bins,
 * the mean |claimed - observed| per bin weighted by the bin's share of samples. Pooled over
 * seeds and the seasons of detection-seasons.ts (a normal month, the year-end, Ramadan), each
 * scored after its warm-up. Nothing here is tuned: the processor runs at its own constants.
 *
 * Beside the ECE, both risks' warning curves (warning-frontier.ts): the processor's against the
 * oracle's (stock-oracle.ts). The processor gets the master data it reads in production
 * (md.stores and md.products: its holiday calendars), the records the simulation publishes.
 */
import { DAY_MS } from '../../lib/domain/time';
import { parseDay } from '../../lib/domain/calendar';
import { HOUR_MS } from '../../streams/stock/risk';
import { StockTask, STOCKOUT_RISK_TABLE, type StockOptions } from '../../streams/stock/stock';
import { MemorySink } from '../../streams/runtime/memory-sink';
import type { InputRecord, RowSink } from '../../streams/runtime/processor';
import type { StockoutRow } from '../pos/ground-truth';
import { PosSimulator } from '../pos/simulator';
import { SEASONS, type Season } from './detection-seasons';
import { calibrateRisk, type RiskMap } from '../../streams/stock/risk-calibration-map';
import { ORACLE_RISK_MAP, TrueDemandMeans, oracleRisk } from './stock-oracle';
import { type AlertSpan, scoreAlerts, stockAlertsOf, WARMUP_DAYS } from './stockout-alerts';
import { publishedMasterData, runStockSimulation } from './stock-simulation';
import { addRun, type CurvePoint, emptyCurve, FALSE_RATE_TARGET, type Frontier, frontier, interpolatedRecallAt, rankThresholds, recallAt, type RiskSeries } from './warning-frontier';

export const CALIBRATION_BINS = 10;

export interface RiskSample {
  readonly series: string;
  readonly at: number;
  readonly risk: number;
}

export interface CalibrationBin {
  readonly from: number;
  readonly samples: number;
  readonly meanRisk: number;
  readonly observed: number;
}

export interface Calibration {
  readonly samples: number;
  readonly ece: number;
  readonly bins: readonly CalibrationBin[];
}

/** ECE of (claimed, outcome) pairs over CALIBRATION_BINS equal-width bins (pure). */
export function calibration(claimed: ArrayLike<number>, outcome: ArrayLike<number>): Calibration {
  if (claimed.length !== outcome.length) throw new RangeError(`${claimed.length} claims but ${outcome.length} outcomes`);
  const n = new Float64Array(CALIBRATION_BINS);
  const sumRisk = new Float64Array(CALIBRATION_BINS);
  const sumOut = new Float64Array(CALIBRATION_BINS);
  for (let i = 0; i < claimed.length; i++) {
    const r = claimed[i]!;
    if (!(r >= 0 && r <= 1)) throw new RangeError(`a risk must be a probability, got ${r}`);
    const b = Math.min(CALIBRATION_BINS - 1, Math.floor(r * CALIBRATION_BINS));
    n[b]!++;
    sumRisk[b]! += r;
    sumOut[b]! += outcome[i]!;
  }
  const total = claimed.length;
  let ece = 0;
  const bins: CalibrationBin[] = [];
  for (let b = 0; b < CALIBRATION_BINS; b++) {
    if (n[b] === 0) continue;
    const meanRisk = sumRisk[b]! / n[b]!;
    const observed = sumOut[b]! / n[b]!;
    ece += (n[b]! / total) * Math.abs(meanRisk - observed);
    bins.push({ from: b / CALIBRATION_BINS, samples: n[b]!, meanRisk, observed });
  }
  return { samples: total, ece, bins };
}

/**
 * The outcome of each sample (1, 0, or undefined when undecided): a stock-out going on at the
 * sample or starting before the series' next receipt after it (pure).
 */
export function outcomes(samples: readonly RiskSample[], stockouts: readonly StockoutRow[], receipts: ReadonlyMap<string, readonly number[]>): (0 | 1 | undefined)[] {
  const outs = new Map<string, StockoutRow[]>();
  for (const s of stockouts) {
    const k = `${s.store_id}/${s.sku}`;
    (outs.get(k) ?? outs.set(k, []).get(k)!).push(s);
  }
  return samples.map((x) => {
    const next = (receipts.get(x.series) ?? []).find((t) => t > x.at);
    const hit = (outs.get(x.series) ?? []).some((s) => s.end > x.at && s.start < (next ?? Number.POSITIVE_INFINITY));
    if (hit) return 1;
    return next === undefined ? undefined : 0;
  });
}

/** One season's run: the hourly series of both risks over the scored days, and the ground truth to judge them. */
export interface SeasonRun {
  readonly scoredFrom: number;
  readonly runEnd: number;
  /** The processor's risk (NaN until it has one) and its books' on_hand, per store x sku. */
  readonly processor: RiskSeries[];
  /** The oracle's risk (NaN when no receipt follows: undecided) and the shelf's units. */
  readonly oracle: RiskSeries[];
  readonly stockouts: StockoutRow[];
  readonly receipts: Map<string, number[]>;
  readonly firstCountAt: Map<string, number>;
  /** The processor's own STOCKOUT_RISK alerts, at its own thresholds. */
  readonly alerts: AlertSpan[];
  /** The risk series of each variant asked for (runSeason's `variants`), fed the same events: the tuning scripts compare them in one simulation. */
  readonly variants: RiskSeries[][];
}

/** Runs one seed x season through a StockTask (`stock`: its options) and samples both risks every hour. */
export function runSeason(seed: number, season: Season, chain: { stores: number; skus: number }, stock: StockOptions = {}, oracleMap: RiskMap = ORACLE_RISK_MAP, variants: readonly StockOptions[] = []): SeasonRun {
  const startDay = parseDay(season.start);
  const sim = new PosSimulator({ seed, ...chain, window: { kind: 'days', startDay, days: season.warmupDays + season.scoredDays }, anomalyRate: 1, heartbeats: false });
  const scoredFrom = (startDay + season.warmupDays) * DAY_MS;
  const skus = sim.chain.products.map((p) => p.product.sku);
  const means = new TrueDemandMeans(sim.start);
  const latest = new Map<string, { risk: number; onHand: number }>();
  const keys = sim.stores.flatMap((st) => skus.map((sku) => ({ storeId: st.storeId, sku, series: `${st.storeId}/${sku}` })));
  const at: number[] = [];
  const processorRisk = keys.map(() => [] as number[]);
  const bookOnHand = keys.map(() => [] as number[]);
  const shelfOnHand = keys.map(() => [] as number[]);
  const stockouts: StockoutRow[] = [];
  const receipts = new Map<string, number[]>();
  const firstCountAt = new Map<string, number>();
  const open = new Map<string, { storeId: string; sku: string; raisedAt: number }>();
  const alerts: AlertSpan[] = [];
  const masterData = publishedMasterData(sim);
  const main = new StockTask(0, { masterData, ...stock });
  const others = variants.map((v) => ({ task: new StockTask(0, { masterData, ...v }), sink: new MemorySink(), latest: new Map<string, number>(), risk: keys.map(() => [] as number[]) }));
  const fanOut = {
    process: (record: InputRecord, out: RowSink): void => {
      main.process(record, out);
      for (const o of others) o.task.process(record, o.sink);
    },
    punctuate: (out: RowSink): void => {
      main.punctuate(out);
      for (const o of others) o.task.punctuate(o.sink);
    },
  };
  const last = runStockSimulation(sim, fanOut, {
    onEvent: (topic, value) => {
      const e = value as { store_id: string; sku: string; occurred_at: number; movement_type?: string };
      const k = `${e.store_id}/${e.sku}`;
      if (topic === 'inventory.movements' && e.movement_type === 'RECEIPT') (receipts.get(k) ?? receipts.set(k, []).get(k)!).push(e.occurred_at);
      if (topic === 'inventory.counts' && !firstCountAt.has(k)) firstCountAt.set(k, e.occurred_at);
    },
    onHour: (hour, sink) => {
      stockouts.push(...hour.truth.stockouts);
      for (const st of sim.stores) means.record(st.storeId, skus, st.expectedToday, hour.hourStart);
      for (const row of sink.rowsOf(STOCKOUT_RISK_TABLE)) latest.set(`${row.store_id as string}/${row.sku as string}`, { risk: (row.risk as number | null) ?? Number.NaN, onHand: row.on_hand as number });
      for (const o of others) {
        for (const row of o.sink.rowsOf(STOCKOUT_RISK_TABLE)) o.latest.set(`${row.store_id as string}/${row.sku as string}`, (row.risk as number | null) ?? Number.NaN);
        o.sink.clear();
      }
      for (const a of stockAlertsOf(sink)) {
        if (a.state === 'RAISED') open.set(a.alert_id, { storeId: a.store_id, sku: a.sku!, raisedAt: a.occurred_at });
        else {
          const r = open.get(a.alert_id);
          if (r) alerts.push({ ...r, resolvedAt: a.occurred_at });
          open.delete(a.alert_id);
        }
      }
      const end = hour.hourStart + HOUR_MS;
      if (end <= scoredFrom) return;
      at.push(end);
      const shelves = new Map(sim.stores.map((st) => [st.storeId, st.inventory.onHand]));
      keys.forEach((k, i) => {
        const p = latest.get(k.series);
        processorRisk[i]!.push(p?.risk ?? Number.NaN);
        for (const o of others) o.risk[i]!.push(o.latest.get(k.series) ?? Number.NaN);
        bookOnHand[i]!.push(p?.onHand ?? 0);
        shelfOnHand[i]!.push(shelves.get(k.storeId)![skus.indexOf(k.sku)]!);
      });
    },
  });
  stockouts.push(...last.stockouts);
  for (const r of open.values()) alerts.push({ ...r, resolvedAt: undefined });
  const processor: RiskSeries[] = [];
  const oracle: RiskSeries[] = [];
  keys.forEach((k, i) => {
    const got = (receipts.get(k.series) ?? []).sort((a, b) => a - b);
    processor.push({ storeId: k.storeId, sku: k.sku, at, risk: processorRisk[i]!, onHand: bookOnHand[i]!, receipts: got });
    const hourMeans = means.of(k.series);
    const risk = at.map((t, h) => {
      const next = got.find((r) => r > t);
      return next === undefined ? Number.NaN : calibrateRisk(oracleMap, oracleRisk(shelfOnHand[i]![h]!, t, next, hourMeans, sim.start));
    });
    oracle.push({ storeId: k.storeId, sku: k.sku, at, risk, onHand: shelfOnHand[i]!, receipts: got });
  });
  // A variant's books are the processor's (the same events): its on_hand beside its own risk.
  const variantSeries = others.map((o) => processor.map((p, i) => ({ ...p, risk: o.risk[i]! })));
  return { scoredFrom, runEnd: sim.end, processor, oracle, stockouts, receipts, firstCountAt, alerts, variants: variantSeries };
}

/** A risk's calibration and warning curve, pooled over runs and per season. */
export interface RiskFigures {
  readonly pooled: Calibration;
  readonly bySeason: Readonly<Record<string, Calibration>>;
  /** Over thresholds at the risk's own quantiles (rankThresholds), the same for every season. */
  readonly frontier: Frontier;
  readonly frontierBySeason: Readonly<Record<string, Frontier>>;
  /** Over the first grid of thresholds (every hundredth), for the old figure. */
  readonly gridFrontier: Frontier;
  readonly gridFrontierBySeason: Readonly<Record<string, Frontier>>;
}

type JudgedRun = Parameters<typeof addRun>[1];

export interface CalibrationReport {
  readonly processor: RiskFigures;
  readonly oracle: RiskFigures;
  /** Samples with no receipt after them and no stock-out (left out of the ECE). */
  readonly undecided: number;
  /** The processor's own alerts at its own thresholds, pooled. */
  readonly alerts: { recall24h: number; falseRate: number };
  /** The figures of each variant asked for (runCalibration's `variants`), in their order. */
  readonly variants: RiskFigures[];
  /** The (risk, outcome) pairs of both, when asked for (fitting a calibration map). */
  readonly pairs?: { processor: { risk: number[]; outcome: number[] }; oracle: { risk: number[]; outcome: number[] } };
}

class RiskTally {
  readonly claimed: number[] = [];
  readonly observed: number[] = [];
  readonly seasons = new Map<string, { claimed: number[]; observed: number[]; curve: CurvePoint[]; runs: JudgedRun[] }>();
  readonly curve = emptyCurve();
  /** Every run, kept until figures(): the rank thresholds come from all of them. */
  readonly runs: JudgedRun[] = [];

  add(season: string, run: SeasonRun, series: readonly RiskSeries[], labels: readonly (0 | 1 | undefined)[][]): void {
    const mine = this.seasons.get(season) ?? this.seasons.set(season, { claimed: [], observed: [], curve: emptyCurve(), runs: [] }).get(season)!;
    series.forEach((s, i) => {
      for (let h = 0; h < s.at.length; h++) {
        const y = labels[i]![h];
        const r = s.risk[h]!;
        if (y === undefined || Number.isNaN(r)) continue;
        this.claimed.push(r);
        this.observed.push(y);
        mine.claimed.push(r);
        mine.observed.push(y);
      }
    });
    const judged = { series, scoredFrom: run.scoredFrom, runEnd: run.runEnd, stockouts: run.stockouts, firstCountAt: run.firstCountAt };
    addRun(this.curve, judged);
    addRun(mine.curve, judged);
    this.runs.push(judged);
    mine.runs.push(judged);
  }

  figures(): RiskFigures {
    const seasons = [...this.seasons];
    const thresholds = rankThresholds(this.runs.flatMap((r) => r.series));
    const curveOf = (runs: readonly JudgedRun[]): Frontier => {
      const curve = emptyCurve(thresholds);
      for (const r of runs) addRun(curve, r);
      return frontier(curve);
    };
    return {
      pooled: calibration(this.claimed, this.observed),
      bySeason: Object.fromEntries(seasons.map(([name, x]) => [name, calibration(x.claimed, x.observed)])),
      frontier: curveOf(this.runs),
      frontierBySeason: Object.fromEntries(seasons.map(([name, x]) => [name, curveOf(x.runs)])),
      gridFrontier: frontier(this.curve),
      gridFrontierBySeason: Object.fromEntries(seasons.map(([name, x]) => [name, frontier(x.curve)])),
    };
  }
}

/** Both risks' calibration and warning curves over `seeds` x the three seasons, pooled and per season. */
export function runCalibration(seeds: readonly number[], chain: { stores: number; skus: number }, options: { stock?: StockOptions; oracleMap?: RiskMap; keepPairs?: boolean; seasons?: readonly Season[]; variants?: readonly StockOptions[] } = {}): CalibrationReport {
  const processor = new RiskTally();
  const variants = (options.variants ?? []).map(() => new RiskTally());
  const oracle = new RiskTally();
  let undecided = 0;
  let alertsScored = 0;
  let alertsFalse = 0;
  let eligible = 0;
  let warned = 0;
  for (const season of options.seasons ?? SEASONS) {
    for (const seed of seeds) {
      const run = runSeason(seed, season, chain, options.stock, options.oracleMap, options.variants);
      const labels = run.processor.map((s) => outcomes(s.at.map((at) => ({ series: `${s.storeId}/${s.sku}`, at, risk: 0 })), run.stockouts, run.receipts));
      for (const l of labels) for (const y of l) if (y === undefined) undecided++;
      processor.add(season.name, run, run.processor, labels);
      oracle.add(season.name, run, run.oracle, labels);
      variants.forEach((v, i) => v.add(season.name, run, run.variants[i]!, labels));
      const own = scoreAlerts({ runStart: run.scoredFrom - WARMUP_DAYS * DAY_MS, runEnd: run.runEnd, stockouts: run.stockouts, alerts: run.alerts, firstCountAt: run.firstCountAt });
      alertsScored += own.alertsScored;
      alertsFalse += own.falseWarnings;
      eligible += own.eligible;
      warned += own.warned24h;
    }
  }
  return {
    processor: processor.figures(),
    oracle: oracle.figures(),
    variants: variants.map((v) => v.figures()),
    undecided,
    alerts: { recall24h: eligible ? warned / eligible : 0, falseRate: alertsScored ? alertsFalse / alertsScored : 0 },
    ...(options.keepPairs ? { pairs: { processor: { risk: processor.claimed, outcome: processor.observed }, oracle: { risk: oracle.claimed, outcome: oracle.observed } } } : {}),
  };
}

/**
 * recall_vs_oracle: the processor's recall 24 h ahead over the oracle's, both at
 * FALSE_RATE_TARGET, read between neighbouring operating points (interpolatedRecallAt) of
 * curves over the risks' own quantiles.
 */
export function recallVsOracle(processor: Frontier, oracle: Frontier): number {
  const o = interpolatedRecallAt(oracle, FALSE_RATE_TARGET).recall24h;
  return o === 0 ? 0 : interpolatedRecallAt(processor, FALSE_RATE_TARGET).recall24h / o;
}

/** The first figure: the best point at most FALSE_RATE_TARGET on the grid of hundredths (recallAt). */
export function recallVsOracleOnGrid(processor: Frontier, oracle: Frontier): number {
  const o = recallAt(oracle, FALSE_RATE_TARGET).recall24h;
  return o === 0 ? 0 : recallAt(processor, FALSE_RATE_TARGET).recall24h / o;
}
