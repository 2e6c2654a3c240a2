/**
 * The one registry of the processors ShelfStream runs, the archive included, each built from
 * the configuration. `shelfstream stream <name...>`, `run all`, `demo` and `replay` read it.
 */
import type { Config } from '../lib/config';
import { anomalyProcessor } from './anomaly/anomaly';
import { buildArchiveProcessor, openArchiveStore } from './archive';
import { loadCatalog } from '../schemas/catalog';
import type { ProcessorDefinition } from './runtime/processor';
import { stockProcessor } from './stock/stock';
import { velocityProcessor } from './velocity/velocity';
import { warehouseProcessor } from './warehouse/warehouse';

export interface ProcessorOverrides {
  /** Stand-in topics: catalogue topic -> topic to read instead. */
  readonly topics?: Readonly<Record<string, string>>;
}

interface RegisteredProcessor {
  /**
   * Its output is ClickHouse tables that `replay rebuild` can empty and refill from the archive
   * (the archive itself writes the object store, and is what rebuilds read).
   */
  readonly rebuildable: boolean;
  build(config: Config, topics: Readonly<Record<string, string>>): ProcessorDefinition | Promise<ProcessorDefinition>;
}

const PROCESSORS = {
  warehouse: { rebuildable: true, build: (_config, topics) => warehouseProcessor({ topics }) },
  velocity: {
    rebuildable: true,
    build: ({ streams }, topics) =>
      velocityProcessor({ maxOutOfOrderMs: streams.maxOutOfOrderMs, allowedLatenessMs: streams.allowedLatenessMs, eventIdHorizonMs: streams.eventIdHorizonMs, salesTopic: topics['pos.sales'] ?? 'pos.sales' }),
  },
  anomaly: {
    rebuildable: true,
    build: ({ streams }, topics) => anomalyProcessor({ maxOutOfOrderMs: streams.maxOutOfOrderMs, allowedLatenessMs: streams.allowedLatenessMs, eventIdHorizonMs: streams.eventIdHorizonMs, topics }),
  },
  stock: { rebuildable: true, build: ({ streams }, topics) => stockProcessor({ eventIdHorizonMs: streams.eventIdHorizonMs, topics }) },
  archive: { rebuildable: false, build: async (config, topics) => buildArchiveProcessor(config, loadCatalog(), await openArchiveStore(config), topics) },
} as const satisfies Record<string, RegisteredProcessor>;

export type ProcessorName = keyof typeof PROCESSORS;
/** Every processor, in the order `run all` starts them. */
export const PROCESSOR_NAMES = Object.keys(PROCESSORS) as ProcessorName[];
/** The processors whose ClickHouse tables a replay from the archive can rebuild. */
export const REBUILDABLE_NAMES = PROCESSOR_NAMES.filter((n) => PROCESSORS[n].rebuildable);

export function isProcessorName(name: string): name is ProcessorName {
  return Object.prototype.hasOwnProperty.call(PROCESSORS, name);
}

export function buildProcessor(name: ProcessorName, config: Config, overrides: ProcessorOverrides = {}): Promise<ProcessorDefinition> {
  return Promise.resolve(PROCESSORS[name].build(config, overrides.topics ?? {}));
}
