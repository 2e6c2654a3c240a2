/**
 * Detection quality of the stock processor on simulated data, with no services: the POS
 * simulator's events go through StockTask (one partition, every store) into a MemorySink,
 * and the STOCKOUT_RISK alerts are scored against the simulator's stock-out intervals.
 *
 * Definitions (issue 4: "at least 80% of simulated stock-outs warned 24 h ahead where the
 * history allows, with at most 20% false warnings"):
 *
 *   stock-out          a ground-truth interval during which the shelf was empty (stockouts.csv).
 *   where the history  the stock-out starts at least WARMUP_DAYS (7) after the run began, the
 *   allows             books showed it (book_on_hand_at_start == 0: a theft or phantom stock-out
 *                      is invisible in the books and is the anomaly processor's job), and the
 *                      series had been counted at least once 24 h before the start (an
 *                      inventory.counts event: until then the absolute stock is unknown to any
 *                      processor, because nothing reports the opening stock).
 *   warned 24 h ahead  a STOCKOUT_RISK alert of that store x sku was RAISED at least 24 h
 *                      before the start and was still open (not RESOLVED) at the start.
 *                      Strict: a stock-out whose stock only became low within the last 24 h
 *                      counts as missed. The share warned at any time before the start is
 *                      reported beside it.
 *   false warning      a STOCKOUT_RISK alert raised after the warm-up during whose life (raise
 *                      to resolve) no stock-out of that store x sku started or was going on,
 *                      visible in the books or not. Alerts still open at the end of the run
 *                      with no stock-out yet are undecided and left out (their count is reported).
 *
 * Labels come from the simulator only; nothing here looks at the processor's own scores.
 */
import type { Alert } from '../../schemas/generated/events';
import { DAY_MS, HOUR_MS } from '../../lib/domain/time';
import { ALERTS_TOPIC } from '../../streams/runtime/alerts';
import type { MemorySink } from '../../streams/runtime/memory-sink';
import { StockTask, type StockOptions } from '../../streams/stock/stock';
import type { StockoutRow } from '../pos/ground-truth';
import type { SimulationOptions } from '../pos/options';
import { PosSimulator } from '../pos/simulator';
import { publishedMasterData, runStockSimulation } from './stock-simulation';

export const WARMUP_DAYS = 7;
export const LEAD_MS = 24 * HOUR_MS;

export interface AlertSpan {
  readonly storeId: string;
  readonly sku: string;
  readonly raisedAt: number;
  /** Undefined while still open at the end of the run. */
  readonly resolvedAt: number | undefined;
}

export interface QualityReport {
  readonly stockouts: number;
  readonly eligible: number;
  readonly warned24h: number;
  readonly warnedBefore: number;
  readonly recall24h: number;
  readonly recallBefore: number;
  readonly alerts: number;
  readonly alertsScored: number;
  readonly falseWarnings: number;
  readonly falseRate: number;
  readonly undecided: number;
  readonly medianLeadHours: number;
}

/** Scores alert spans against stock-out intervals (pure; see the definitions above). */
export function scoreAlerts(args: { runStart: number; runEnd: number; stockouts: readonly StockoutRow[]; alerts: readonly AlertSpan[]; firstCountAt: ReadonlyMap<string, number> }): QualityReport {
  const { runStart, runEnd, stockouts, alerts, firstCountAt } = args;
  const warmupEnd = runStart + WARMUP_DAYS * DAY_MS;
  const bySeries = new Map<string, AlertSpan[]>();
  for (const a of alerts) {
    const k = `${a.storeId}/${a.sku}`;
    (bySeries.get(k) ?? bySeries.set(k, []).get(k)!).push(a);
  }
  let eligible = 0;
  let warned24h = 0;
  let warnedBefore = 0;
  const leads: number[] = [];
  for (const s of stockouts) {
    const k = `${s.store_id}/${s.sku}`;
    const counted = firstCountAt.get(k);
    if (s.start < warmupEnd || s.book_on_hand_at_start !== 0 || counted === undefined || counted > s.start - LEAD_MS) continue;
    eligible++;
    const open = (bySeries.get(k) ?? []).filter((a) => a.raisedAt < s.start && (a.resolvedAt === undefined || a.resolvedAt > s.start));
    if (open.length === 0) continue;
    const earliest = Math.min(...open.map((a) => a.raisedAt));
    warnedBefore++;
    leads.push((s.start - earliest) / HOUR_MS);
    if (earliest <= s.start - LEAD_MS) warned24h++;
  }
  const outsBySeries = new Map<string, StockoutRow[]>();
  for (const s of stockouts) {
    const k = `${s.store_id}/${s.sku}`;
    (outsBySeries.get(k) ?? outsBySeries.set(k, []).get(k)!).push(s);
  }
  let scored = 0;
  let falseWarnings = 0;
  let undecided = 0;
  const considered = alerts.filter((a) => a.raisedAt >= warmupEnd);
  for (const a of considered) {
    const end = a.resolvedAt ?? runEnd;
    const outs = outsBySeries.get(`${a.storeId}/${a.sku}`) ?? [];
    const hit = outs.some((s) => s.start <= end && s.end > a.raisedAt);
    if (hit) scored++;
    else if (a.resolvedAt === undefined) undecided++;
    else {
      scored++;
      falseWarnings++;
    }
  }
  leads.sort((x, y) => x - y);
  return {
    stockouts: stockouts.length,
    eligible,
    warned24h,
    warnedBefore,
    recall24h: eligible === 0 ? 0 : warned24h / eligible,
    recallBefore: eligible === 0 ? 0 : warnedBefore / eligible,
    alerts: considered.length,
    alertsScored: scored,
    falseWarnings,
    falseRate: scored === 0 ? 0 : falseWarnings / scored,
    undecided,
    medianLeadHours: leads.length === 0 ? 0 : leads[Math.floor(leads.length / 2)]!,
  };
}

/** Runs the simulation through a StockTask (with `stock` options, e.g. other alert thresholds) and scores it. */
export function runQuality(options: SimulationOptions, stock: StockOptions = {}): QualityReport & { task: StockTask; sim: PosSimulator } {
  const sim = new PosSimulator(options);
  // The master data the processor reads from md.stores and md.products (its holiday calendars), as in production.
  const task = new StockTask(0, { masterData: publishedMasterData(sim), ...stock });
  const stockouts: StockoutRow[] = [];
  const firstCountAt = new Map<string, number>();
  const open = new Map<string, { storeId: string; sku: string; raisedAt: number }>();
  const spans: AlertSpan[] = [];
  const last = runStockSimulation(sim, task, {
    onEvent: (topic, value) => {
      if (topic !== 'inventory.counts') return;
      const c = value as { store_id: string; sku: string; occurred_at: number };
      const k = `${c.store_id}/${c.sku}`;
      if (!firstCountAt.has(k)) firstCountAt.set(k, c.occurred_at);
    },
    onHour: (hour, sink) => {
      stockouts.push(...hour.truth.stockouts);
      for (const a of stockAlertsOf(sink)) {
        if (a.state === 'RAISED') open.set(a.alert_id, { storeId: a.store_id, sku: a.sku!, raisedAt: a.occurred_at });
        else {
          const r = open.get(a.alert_id);
          if (r) spans.push({ ...r, resolvedAt: a.occurred_at });
          open.delete(a.alert_id);
        }
      }
    },
  });
  stockouts.push(...last.stockouts);
  for (const r of open.values()) spans.push({ ...r, resolvedAt: undefined });
  return { ...scoreAlerts({ runStart: sim.start, runEnd: sim.end, stockouts, alerts: spans, firstCountAt }), task, sim };
}

/** The STOCKOUT_RISK alerts (raised or resolved) a task emitted into `sink`. */
export function stockAlertsOf(sink: MemorySink): Alert[] {
  return sink.events.filter((e) => e.topic === ALERTS_TOPIC && (e.value as Alert).alert_type === 'STOCKOUT_RISK').map((e) => e.value as Alert);
}

/**
 * `node dist/streams/stock/quality.js [stores] [skus] [days] [seed] [raise resolve]...`: prints
 * the figures of a bigger run; each further raise/resolve pair is scored on the same simulation
 * too (a threshold sweep), beside the processor's own thresholds.
 */
if (require.main === module) {
  const [stores = 10, skus = 200, days = 90, seed = 7, ...pairs] = process.argv.slice(2).map(Number);
  const simulation: SimulationOptions = { seed, stores, skus, window: { kind: 'days', startDay: Math.floor(Date.UTC(2026, 0, 5) / DAY_MS), days }, anomalyRate: 1, heartbeats: false };
  const thresholds: (StockOptions['riskThresholds'] | undefined)[] = [undefined];
  for (let i = 0; i + 1 < pairs.length; i += 2) thresholds.push({ raise: pairs[i]!, resolve: pairs[i + 1]! });
  for (const riskThresholds of thresholds) {
    const started = Date.now();
    const { task: _task, sim: _sim, ...report } = runQuality(simulation, riskThresholds ? { riskThresholds } : {});
    const which = riskThresholds ? `raise=${riskThresholds.raise} resolve=${riskThresholds.resolve}` : 'default thresholds';
    process.stdout.write(`stock quality stores=${stores} skus=${skus} days=${days} seed=${seed} ${which} ${JSON.stringify(report)} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  }
}
