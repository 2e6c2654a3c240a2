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
 * Not here yet (issue 17, item 3): the oracle's warning frontier and the processor's recall
 * against it.
 */
import { DAY_MS } from '../../lib/domain/time';
import { parseDay } from '../../lib/domain/calendar';
import { STOCK_INPUTS, StockTask, STOCKOUT_RISK_TABLE } from '../../streams/stock/stock';
import { MemorySink } from '../../streams/runtime/memory-sink';
import type { StockoutRow } from '../pos/ground-truth';
import { PosSimulator } from '../pos/simulator';
import { SEASONS, type Season } from './detection-seasons';

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

/** Hourly risk samples of one season's scored days, with the ground truth to judge them. */
export function runSeason(seed: number, season: Season, chain: { stores: number; skus: number }): { samples: RiskSample[]; stockouts: StockoutRow[]; receipts: Map<string, number[]> } {
  const startDay = parseDay(season.start);
  const sim = new PosSimulator({ seed, ...chain, window: { kind: 'days', startDay, days: season.warmupDays + season.scoredDays }, anomalyRate: 1, heartbeats: false });
  const scoredFrom = (startDay + season.warmupDays) * DAY_MS;
  const task = new StockTask(0);
  const sink = new MemorySink();
  const offsets = new Map<string, number>(STOCK_INPUTS.map((t) => [t, 0]));
  const latest = new Map<string, number | null>();
  const samples: RiskSample[] = [];
  const stockouts: StockoutRow[] = [];
  const receipts = new Map<string, number[]>();
  while (!sim.done) {
    const hour = sim.nextHour();
    stockouts.push(...hour.truth.stockouts);
    for (const topic of STOCK_INPUTS) {
      for (const value of hour.events[topic]) {
        const offset = offsets.get(topic)!;
        offsets.set(topic, offset + 1);
        if (topic === 'inventory.movements') {
          const m = value as { store_id: string; sku: string; movement_type: string; occurred_at: number };
          const k = `${m.store_id}/${m.sku}`;
          if (m.movement_type === 'RECEIPT') (receipts.get(k) ?? receipts.set(k, []).get(k)!).push(m.occurred_at);
        }
        task.process({ topic, partition: 0, offset, key: (value as { store_id: string }).store_id, timestamp: 0, value }, sink);
      }
    }
    task.punctuate(sink);
    for (const row of sink.rowsOf(STOCKOUT_RISK_TABLE)) latest.set(`${row.store_id as string}/${row.sku as string}`, (row.risk as number | null) ?? null);
    sink.clear();
    const at = hour.hourStart + 3_600_000;
    if (at <= scoredFrom) continue;
    for (const [series, risk] of latest) if (risk !== null) samples.push({ series, at, risk });
  }
  stockouts.push(...sim.finish().stockouts);
  return { samples, stockouts, receipts };
}

export interface CalibrationReport {
  readonly pooled: Calibration;
  readonly bySeason: Readonly<Record<string, Calibration>>;
  readonly undecided: number;
}

/** The risk's calibration over `seeds` x the three seasons, pooled and per season. */
export function runCalibration(seeds: readonly number[], chain: { stores: number; skus: number }): CalibrationReport {
  const claimed: number[] = [];
  const observed: number[] = [];
  const perSeason = new Map<string, { claimed: number[]; observed: number[] }>();
  let undecided = 0;
  for (const season of SEASONS) {
    const mine = { claimed: [] as number[], observed: [] as number[] };
    perSeason.set(season.name, mine);
    for (const seed of seeds) {
      const run = runSeason(seed, season, chain);
      const labels = outcomes(run.samples, run.stockouts, run.receipts);
      run.samples.forEach((s, i) => {
        const y = labels[i];
        if (y === undefined) {
          undecided++;
          return;
        }
        claimed.push(s.risk);
        observed.push(y);
        mine.claimed.push(s.risk);
        mine.observed.push(y);
      });
    }
  }
  return {
    pooled: calibration(claimed, observed),
    bySeason: Object.fromEntries([...perSeason].map(([name, x]) => [name, calibration(x.claimed, x.observed)])),
    undecided,
  };
}
