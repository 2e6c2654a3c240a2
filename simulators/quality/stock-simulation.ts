/**
 * Runs the stock processor's task over a POS simulation, hour by hour, with no broker: the one
 * driver the stock quality scorers share (stockout-alerts.ts, risk-calibration.ts), so they feed
 * the task the same records in the same order and number the offsets the same way.
 *
 * Topic after topic within an hour, as a consumer reading per topic-partition would: counts come
 * after the sales of the same hour, so the ledger's order tolerance is exercised every day. Each
 * topic's offsets count from 0 on the single partition 0.
 */
import { MemorySink } from '../../streams/runtime/memory-sink';
import { STOCK_INPUTS, type StockInput } from '../../streams/stock/stock';
import type { PartitionTask } from '../../streams/runtime/processor';
import { staticMasterData, type MasterDataLookup } from '../../streams/shared/master-data';
import type { HourBatch, PosSimulator } from '../pos/simulator';
import type { HourTruth } from '../pos/ground-truth';

export interface StockSimulationHooks {
  /** Each input event, before the task sees it. */
  readonly onEvent?: (topic: StockInput, value: unknown) => void;
  /** After each hour's punctuate, with what the task emitted in that hour (cleared afterwards). */
  readonly onHour?: (hour: HourBatch, sink: MemorySink) => void;
}

/** Drives `task` over every remaining hour of `sim`; answers the ground truth of the end of the run. */
export function runStockSimulation(sim: PosSimulator, task: Pick<PartitionTask, 'process' | 'punctuate'>, hooks: StockSimulationHooks = {}): HourTruth {
  const sink = new MemorySink();
  const offsets = new Map<string, number>(STOCK_INPUTS.map((t) => [t, 0]));
  while (!sim.done) {
    const hour = sim.nextHour();
    for (const topic of STOCK_INPUTS) {
      for (const value of hour.events[topic]) {
        const offset = offsets.get(topic)!;
        offsets.set(topic, offset + 1);
        hooks.onEvent?.(topic, value);
        task.process({ topic, partition: 0, offset, key: (value as { store_id: string }).store_id, timestamp: 0, value }, sink);
      }
    }
    task.punctuate(sink);
    hooks.onHour?.(hour, sink);
    sink.clear();
  }
  return sim.finish();
}

/**
 * The master data the processor reads for this simulation (its md.stores and md.products
 * records, before any event: what the processor's barrier finds), not its demand model.
 */
export function publishedMasterData(sim: PosSimulator): MasterDataLookup {
  return staticMasterData({ stores: sim.chain.stores.map((s) => s.store), products: sim.chain.products.map((p) => p.product) });
}
