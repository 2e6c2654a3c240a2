/**
 * Prometheus metrics (prom-client). Each process owns one registry with the default Node.js
 * metrics and the `service` label; modules create their metrics through `metricsFor` so
 * names share the `shelfstream_` prefix and the same registry.
 */
import { AggregatorRegistry, Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type MetricObjectWithValues, type MetricValue } from 'prom-client';

export const METRIC_PREFIX = 'shelfstream_';

/** Metrics of another thread, as its registry's getMetricsAsJSON() gives them. */
export type MetricsSource = () => Promise<MetricObjectWithValues<MetricValue<string>>[]>;

/**
 * A registry that also reports the metrics of other threads of the process (the processors'
 * worker thread): what /metrics shows and what getMetricsAsJSON() returns are this registry's
 * metrics and theirs, aggregated as prom-client aggregates cluster workers (series with the same
 * labels added). getSingleMetric() sees this registry's own only: read totals with metricTotal.
 */
export class BridgedRegistry extends Registry {
  private readonly sources = new Set<MetricsSource>();

  /** Adds `source` to what this registry reports; returns its removal. */
  addSource(source: MetricsSource): () => void {
    this.sources.add(source);
    return () => void this.sources.delete(source);
  }

  private async aggregated(): Promise<Registry | undefined> {
    if (this.sources.size === 0) return undefined;
    // A thread that has ended reports nothing, rather than failing every scrape.
    const others = await Promise.all([...this.sources].map((source) => source().catch(() => [])));
    // prom-client's aggregation drops or averages some process metrics (start time: 'omit'):
    // those the other threads do not report are this thread's alone and pass through as they are.
    const theirs = new Set(others.flat().map((m) => m.name));
    const own = (await super.getMetricsAsJSON()).map((m) => (theirs.has(m.name) ? m : { ...m, aggregator: 'first' as const }));
    return AggregatorRegistry.aggregate([own, ...others]);
  }

  override async getMetricsAsJSON(): Promise<MetricObjectWithValues<MetricValue<string>>[]> {
    const aggregated = await this.aggregated();
    return aggregated ? aggregated.getMetricsAsJSON() : super.getMetricsAsJSON();
  }

  override async metrics(): Promise<string> {
    const aggregated = await this.aggregated();
    return aggregated ? aggregated.metrics() : super.metrics();
  }
}

/** The sum of every series of a counter or gauge (`name` without the prefix), this thread's and its sources'; 0 when absent. */
export async function metricTotal(metrics: Metrics, name: string): Promise<number> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === METRIC_PREFIX + name);
  return metric?.values.reduce((s, v) => s + v.value, 0) ?? 0;
}

export interface Metrics {
  readonly registry: BridgedRegistry;
  counter<L extends string>(name: string, help: string, labelNames?: readonly L[]): Counter<L>;
  gauge<L extends string>(name: string, help: string, labelNames?: readonly L[]): Gauge<L>;
  histogram<L extends string>(name: string, help: string, buckets: readonly number[], labelNames?: readonly L[]): Histogram<L>;
}

export function createMetrics(service: string, options: { collectDefaults?: boolean } = {}): Metrics {
  const registry = new BridgedRegistry();
  registry.setDefaultLabels({ service });
  if (options.collectDefaults ?? true) collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });
  // Re-creating a metric with the same name returns the existing one, so two modules that
  // share a metric (and tests that build a module twice) do not collide.
  const existing = <T>(name: string): T | undefined => registry.getSingleMetric(METRIC_PREFIX + name) as T | undefined;
  return {
    registry,
    counter: (name, help, labelNames = []) =>
      existing(name) ?? new Counter({ name: METRIC_PREFIX + name, help, labelNames: [...labelNames], registers: [registry] }),
    gauge: (name, help, labelNames = []) =>
      existing(name) ?? new Gauge({ name: METRIC_PREFIX + name, help, labelNames: [...labelNames], registers: [registry] }),
    histogram: (name, help, buckets, labelNames = []) =>
      existing(name) ??
      new Histogram({ name: METRIC_PREFIX + name, help, buckets: [...buckets], labelNames: [...labelNames], registers: [registry] }),
  };
}

/** The parts of prom-client's Histogram (v15) that `observeMany` adds to; checked before use. */
interface HistogramSeries {
  labels: Record<string, string | number>;
  bucketValues: Record<number, number>;
  sum: number;
  count: number;
}

function sameLabels(a: Record<string, string | number>, b: Record<string, string | number | undefined>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => String(a[k]) === String(b[k]));
}

/**
 * Observes every value in one labelled series: the same bucket counts, count and sum (up to
 * floating-point rounding of the sum) as `observe` per value, but prom-client's per-call label
 * checks and hashing happen once instead of once per value: the runner observes every event it
 * writes, 100k+ a second. prom-client has no batch API, so the bucket counts are added to its
 * series directly; if its internals are not what this expects (another version), it falls back
 * to `observe` per value. metrics.test.ts compares both ways.
 */
export function observeMany<L extends string>(histogram: Histogram<L>, labels: Partial<Record<L, string | number>>, values: ArrayLike<number>): void {
  if (values.length === 0) return;
  // The first value through the public API: creates the series and validates the labels.
  histogram.observe(labels, values[0]!);
  const internal = histogram as unknown as { upperBounds?: unknown; hashMap?: Record<string, HistogramSeries> };
  const bounds = internal.upperBounds;
  const series = internal.hashMap ? Object.values(internal.hashMap).find((s) => s && typeof s.labels === 'object' && sameLabels(s.labels, labels)) : undefined;
  if (!Array.isArray(bounds) || !series || typeof series.sum !== 'number' || typeof series.count !== 'number' || typeof series.bucketValues !== 'object') {
    for (let i = 1; i < values.length; i++) histogram.observe(labels, values[i]!);
    return;
  }
  const counts = new Array<number>(bounds.length).fill(0);
  let sum = 0;
  for (let i = 1; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) throw new TypeError(`Value is not a valid number: ${v}`);
    sum += v;
    // The first bound at or above the value, as prom-client's findBound, by bisection (a replay's
    // delays are days, past every bound); above the last bound it counts in +Inf only.
    let lo = 0;
    let hi = bounds.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (v <= (bounds[mid] as number)) hi = mid;
      else lo = mid + 1;
    }
    if (lo < bounds.length) counts[lo]!++;
  }
  series.sum += sum;
  series.count += values.length - 1;
  for (let b = 0; b < bounds.length; b++) if (counts[b]! > 0) series.bucketValues[bounds[b] as number] = (series.bucketValues[bounds[b] as number] ?? 0) + counts[b]!;
}
