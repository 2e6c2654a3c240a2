/**
 * The processors ShelfStream runs, by name, built from the configuration. `shelfstream stream
 * <name...>` and `shelfstream run all` start them through this list.
 */
import type { StreamsConfig } from '../lib/config';
import { anomalyProcessor } from './anomaly/anomaly';
import type { ProcessorDefinition } from './runtime/processor';
import { stockProcessor } from './stock/stock';
import { velocityProcessor } from './velocity/velocity';
import { warehouseProcessor } from './warehouse/warehouse';

export interface ProcessorOverrides {
  /** Stand-in topics: catalogue topic -> topic to read instead. */
  readonly topics?: Readonly<Record<string, string>>;
}

export const PROCESSOR_NAMES = ['warehouse', 'velocity', 'anomaly', 'stock'] as const;
export type ProcessorName = (typeof PROCESSOR_NAMES)[number];

export function buildProcessor(name: ProcessorName, config: StreamsConfig, overrides: ProcessorOverrides = {}): ProcessorDefinition {
  const topic = (t: string): string => overrides.topics?.[t] ?? t;
  switch (name) {
    case 'warehouse':
      return warehouseProcessor({ topics: overrides.topics ?? {} });
    case 'velocity':
      return velocityProcessor({ maxOutOfOrderMs: config.maxOutOfOrderMs, allowedLatenessMs: config.allowedLatenessMs, eventIdHorizonMs: config.eventIdHorizonMs, salesTopic: topic('pos.sales') });
    case 'anomaly':
      return anomalyProcessor({ maxOutOfOrderMs: config.maxOutOfOrderMs, allowedLatenessMs: config.allowedLatenessMs, eventIdHorizonMs: config.eventIdHorizonMs, topics: overrides.topics ?? {} });
    case 'stock':
      return stockProcessor({ eventIdHorizonMs: config.eventIdHorizonMs, topics: overrides.topics ?? {} });
  }
}
