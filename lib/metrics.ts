/**
 * Prometheus metrics (prom-client). Each process owns one registry with the default Node.js
 * metrics and the `service` label; modules create their metrics through `metricsFor` so
 * names share the `shelfstream_` prefix and the same registry.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const METRIC_PREFIX = 'shelfstream_';

export interface Metrics {
  readonly registry: Registry;
  counter<L extends string>(name: string, help: string, labelNames?: readonly L[]): Counter<L>;
  gauge<L extends string>(name: string, help: string, labelNames?: readonly L[]): Gauge<L>;
  histogram<L extends string>(name: string, help: string, buckets: readonly number[], labelNames?: readonly L[]): Histogram<L>;
}

export function createMetrics(service: string, options: { collectDefaults?: boolean } = {}): Metrics {
  const registry = new Registry();
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
