/**
 * anomaly — demand spikes and drops, phantom inventory, price errors and void bursts.
 *
 * The processor folder reads top-down:
 *   inputs.ts       what it consumes (co-partitioned by store_id, one task per partition number:
 *                   counts, movements, returns, shelf prices, voids and sales) and its options;
 *   task.ts         the per-record logic: hour buckets, books, price checks, void counts;
 *   judge-hour.ts   an hour of sales closed by the watermark, judged against its baselines
 *                   (detectors.ts, baseline.ts, book-history.ts, promotions.ts, tuning.ts);
 *   state.ts        what outlives an hour, in the runtime's state stores;
 *   emit.ts         what it emits: alerts (shelfstream.alerts and the alerts table) when raised
 *                   and resolved, with a deterministic alert_id, and one row per alert in `anomalies`;
 *   legacy-snapshot.ts  the anomaly_state table of earlier versions, read once on upgrade.
 * This file is the definition the runtime runs: inputs (md.stores as a global table, for each
 * store's time zone), tables, and a task per partition with its stores restored.
 */
import type { InputRecord, ProcessorDefinition, TaskDeps, TaskInit } from '../runtime/processor';
import { MasterDataInput, STORES_TOPIC } from '../shared/master-data';
import { DEFAULT_EVENT_ID_HORIZON_MS, openEventIdGuard } from '../runtime/event-ids';
import { TopicMapping } from '../runtime/topics';
import { ANOMALIES_TABLE, ANOMALY_PROCESSOR } from './emit';
import { ANOMALY_INPUTS, DEFAULT_ANOMALY_OPTIONS, type AnomalyInput, type AnomalyOptions } from './inputs';
import { restoreLegacySnapshot } from './legacy-snapshot';
import { HOURS_STORE, SERIES_STORE, STORE_STORE, TERMINAL_STORE, type AnomalyState, type ClosedHoursSnapshot, type SeriesSnapshot, type StoreSnapshot, type TerminalSnapshot } from './state';
import { AnomalyTask } from './task';

export { ANOMALIES_TABLE } from './emit';
export { ANOMALY_INPUTS, DEFAULT_ANOMALY_OPTIONS, type AnomalyOptions } from './inputs';
export { AnomalyTask } from './task';

/** A task's state in the runtime's stores, upgraded from anomaly_state once if it has none. */
async function openAnomalyState(deps: TaskDeps, partition: number): Promise<AnomalyState> {
  const stores = {
    series: await deps.stores.open<SeriesSnapshot>(SERIES_STORE),
    stores: await deps.stores.open<StoreSnapshot>(STORE_STORE),
    terminals: await deps.stores.open<TerminalSnapshot>(TERMINAL_STORE),
    hours: await deps.stores.open<ClosedHoursSnapshot>(HOURS_STORE),
  };
  const upgrade = await restoreLegacySnapshot(deps, partition, stores);
  return { ...stores, applied: (record: InputRecord) => deps.stores.applied(record) || upgrade.applied(record) };
}

export function anomalyProcessor(options: AnomalyOptions = DEFAULT_ANOMALY_OPTIONS): ProcessorDefinition {
  const storesTopic = new TopicMapping<typeof STORES_TOPIC>(options.topics as Record<string, string> | undefined).read(STORES_TOPIC);
  return {
    name: ANOMALY_PROCESSOR,
    ...new TopicMapping<AnomalyInput>(options.topics as Record<string, string> | undefined).inputs(ANOMALY_INPUTS),
    // Each store's time zone (its local hours), read from md.stores as an input (shared/master-data.ts).
    globalTables: [storesTopic],
    copartitioned: true,
    tables: ['alerts', ANOMALIES_TABLE],
    createTask: async (init: TaskInit, deps: TaskDeps) => {
      const masterData = MasterDataInput.of(deps, { stores: storesTopic });
      await masterData.catchUp();
      const state = await openAnomalyState(deps, init.partition);
      const eventIds = await openEventIdGuard(deps, ANOMALY_PROCESSOR, options.eventIdHorizonMs ?? DEFAULT_EVENT_ID_HORIZON_MS);
      return new AnomalyTask(init.partition, options, state, eventIds, masterData);
    },
  };
}
