/**
 * Detection quality on the POS simulator's ground truth, in memory (no services): the simulator
 * runs hour by hour, every event goes through an AnomalyTask with a MemorySink (topics in the
 * processor's input order, offsets counted per topic, one partition), and the alerts raised are
 * matched to the injected anomalies' labels.
 *
 * Definitions (the same for every type):
 *   - scored labels: labels starting at or after the end of the warm-up (the first
 *     `warmupDays`, when baselines are being learnt) and before the end of the scored days;
 *   - scored alerts: RAISED alerts of the five anomaly types with occurred_at from the end of
 *     the warm-up to the end of the run, which goes on for `tailDays` after the scored days: an
 *     anomaly that starts an hour before the data ends cannot have been found yet (it is
 *     censored, not missed), while every alert the tail raises still counts for precision;
 *   - an alert matches a label when the type is the same, the store is the same, the sku is the
 *     same (the terminal, for VOID_BURST) and the alert's occurred_at is in
 *     [label.start, label.end + GRACE_MS);
 *   - a label is found (recall) when at least one scored alert matches it;
 *   - an alert is a true positive (precision) when it matches some label, scored or not (an
 *     anomaly that started during the warm-up is still real).
 * GRACE_MS is one hour: demand is judged when an hour closes, so an anomaly of the hour ending
 * at label.end is reported at label.end plus the watermark's delay.
 * For phantom inventory a second, lenient precision is also reported: an alert that matches no
 * label but falls in an unlabelled stock-out the books could not see (stockouts.csv with
 * book_on_hand_at_start > 0: theft emptied the shelf) is the same situation by definition.
 */
import type { Alert } from '../../schemas/generated/events';
import { parseDay } from '../../lib/domain/calendar';
import { HOUR_MS } from '../../lib/domain/time';
import { ANOMALY_INPUTS, AnomalyTask, DEFAULT_ANOMALY_OPTIONS } from '../../streams/anomaly/anomaly';
import { ALERTS_TOPIC } from '../../streams/runtime/alerts';
import { MemorySink } from '../../streams/runtime/memory-sink';
import type { AnomalyLabel, AnomalyType } from '../pos/anomalies';
import type { StockoutRow } from '../pos/ground-truth';
import { PosSimulator } from '../pos/simulator';

export const GRACE_MS = HOUR_MS;
const DAY_MS = 24 * HOUR_MS;

export interface QualityOptions {
  readonly seed: number;
  readonly stores: number;
  readonly skus: number;
  /** First simulated day, YYYY-MM-DD. */
  readonly start: string;
  readonly warmupDays: number;
  readonly scoredDays: number;
  /** Days simulated after the scored days: their alerts are scored, their labels are not. */
  readonly tailDays: number;
  /** Multiplier on the simulator's anomaly rates (more labels per simulated day). */
  readonly anomalyRate: number;
}

export interface TypeFigures {
  readonly labels: number;
  readonly found: number;
  readonly alerts: number;
  readonly truePositives: number;
  readonly recall: number;
  readonly precision: number;
}

export interface QualityReport {
  readonly byType: Readonly<Record<AnomalyType, TypeFigures>>;
  /** Spikes, drops, price errors and void bursts together. */
  readonly anomalies: TypeFigures;
  /** Phantom-inventory precision counting unlabelled invisible stock-outs as true. */
  readonly phantomLenientPrecision: number;
  readonly events: number;
}

const ANOMALY_FAMILY: readonly AnomalyType[] = ['DEMAND_SPIKE', 'DEMAND_DROP', 'PRICE_ERROR', 'VOID_BURST'];

/** What a run produced, before scoring: for the report, and for a look at single alerts and labels. */
export interface DetectionRun {
  readonly alerts: readonly Alert[];
  readonly labels: readonly AnomalyLabel[];
  readonly stockouts: readonly StockoutRow[];
  readonly scoredFrom: number;
  readonly scoredTo: number;
  readonly end: number;
  readonly events: number;
  /** Holiday culture of each store (Ramadan touches only the muslim regions). */
  readonly cultureOf: ReadonlyMap<string, string>;
}

export function runQuality(options: QualityOptions): QualityReport {
  const run = runDetection(options);
  return score(run.alerts, run.labels, run.stockouts, run.scoredFrom, run.scoredTo, run.end, run.events);
}

export function runDetection(options: QualityOptions): DetectionRun {
  const startDay = parseDay(options.start);
  const days = options.warmupDays + options.scoredDays + options.tailDays;
  const sim = new PosSimulator({ seed: options.seed, stores: options.stores, skus: options.skus, window: { kind: 'days', startDay, days }, anomalyRate: options.anomalyRate, heartbeats: false });
  // Time zones as the processor gets them from dim_store: from the stores' master data.
  const timeZones = Object.fromEntries(sim.masterData()['md.stores'].map((s) => [s.store_id, s.time_zone]));
  const task = new AnomalyTask(0, { ...DEFAULT_ANOMALY_OPTIONS, timeZones });
  const sink = new MemorySink();
  const offsets = new Map<string, number>();
  const alerts: Alert[] = [];
  const labels: AnomalyLabel[] = [];
  const stockouts: StockoutRow[] = [];
  let events = 0;
  while (!sim.done) {
    const batch = sim.nextHour();
    for (const topic of ANOMALY_INPUTS) {
      for (const value of batch.events[topic]) {
        const offset = offsets.get(topic) ?? 0;
        offsets.set(topic, offset + 1);
        task.process({ topic, partition: 0, offset, key: value.store_id, timestamp: value.occurred_at, value }, sink);
        events++;
      }
    }
    labels.push(...batch.truth.anomalies);
    stockouts.push(...batch.truth.stockouts);
    collect(sink, alerts);
  }
  const last = sim.finish();
  labels.push(...last.anomalies);
  stockouts.push(...last.stockouts);
  const scoredFrom = sim.start + options.warmupDays * DAY_MS;
  const scoredTo = sim.start + (options.warmupDays + options.scoredDays) * DAY_MS;
  const cultureOf = new Map(sim.chain.stores.map((p) => [p.store.store_id, p.region.culture] as const));
  return { alerts, labels, stockouts, scoredFrom, scoredTo, end: sim.end, events, cultureOf };
}

function collect(sink: MemorySink, into: Alert[]): void {
  for (const e of sink.events) if (e.topic === ALERTS_TOPIC) into.push(e.value as Alert);
  sink.clear();
}

function keyOf(type: AnomalyType, storeId: string, sku: string | null, terminal: string | null): string {
  return `${type}|${storeId}|${type === 'VOID_BURST' ? terminal : sku}`;
}

export function score(alerts: readonly Alert[], labels: readonly AnomalyLabel[], stockouts: readonly StockoutRow[], scoredFrom: number, scoredTo: number, alertsTo = scoredTo, events = 0): QualityReport {
  const raised = alerts.filter((a) => a.state === 'RAISED' && a.occurred_at >= scoredFrom && a.occurred_at < alertsTo && a.alert_type !== 'STOCKOUT_RISK' && a.alert_type !== 'OUT_OF_STOCK');
  const labelsByKey = new Map<string, AnomalyLabel[]>();
  for (const l of labels) {
    const k = keyOf(l.type, l.store_id, l.sku, l.terminal_id);
    labelsByKey.set(k, [...(labelsByKey.get(k) ?? []), l]);
  }
  const matches = (a: Alert, l: AnomalyLabel): boolean => a.occurred_at >= l.start && a.occurred_at < l.end + GRACE_MS;
  const found = new Set<AnomalyLabel>();
  const truePositive = new Set<Alert>();
  for (const a of raised) {
    for (const l of labelsByKey.get(keyOf(a.alert_type as AnomalyType, a.store_id, a.sku, a.terminal_id)) ?? []) {
      if (matches(a, l)) {
        truePositive.add(a);
        found.add(l);
      }
    }
  }
  const scoredLabels = labels.filter((l) => l.start >= scoredFrom && l.start < scoredTo);
  const figures = (types: readonly AnomalyType[]): TypeFigures => {
    const ls = scoredLabels.filter((l) => types.includes(l.type));
    const as = raised.filter((a) => types.includes(a.alert_type as AnomalyType));
    const f = ls.filter((l) => found.has(l)).length;
    const tp = as.filter((a) => truePositive.has(a)).length;
    return { labels: ls.length, found: f, alerts: as.length, truePositives: tp, recall: ls.length ? f / ls.length : 1, precision: as.length ? tp / as.length : 1 };
  };
  const byType = Object.fromEntries((['DEMAND_SPIKE', 'DEMAND_DROP', 'PHANTOM_INVENTORY', 'PRICE_ERROR', 'VOID_BURST'] as const).map((t) => [t, figures([t])])) as Record<AnomalyType, TypeFigures>;
  const phantoms = raised.filter((a) => a.alert_type === 'PHANTOM_INVENTORY');
  const invisible = stockouts.filter((s) => s.book_on_hand_at_start > 0);
  const lenient = phantoms.filter((a) => truePositive.has(a) || invisible.some((s) => s.store_id === a.store_id && s.sku === a.sku && a.occurred_at >= s.start && a.occurred_at < s.end + GRACE_MS)).length;
  return { byType, anomalies: figures(ANOMALY_FAMILY), phantomLenientPrecision: phantoms.length ? lenient / phantoms.length : 1, events };
}

/** One line per type, for test output and reports. */
export function formatReport(r: QualityReport): string {
  const line = (name: string, f: TypeFigures): string =>
    `${name.padEnd(18)} labels=${f.labels} found=${f.found} recall=${f.recall.toFixed(3)} alerts=${f.alerts} tp=${f.truePositives} precision=${f.precision.toFixed(3)}`;
  return [
    ...Object.entries(r.byType).map(([t, f]) => line(t, f)),
    line('ANOMALIES (4 types)', r.anomalies),
    `PHANTOM lenient precision (invisible stock-outs count as true) = ${r.phantomLenientPrecision.toFixed(3)}`,
    `events=${r.events}`,
  ].join('\n');
}
