/**
 * What the anomaly processor consumes: its input topics (co-partitioned by store_id, one task per
 * partition number) and its options.
 */
import type { WatermarkOptions } from '../runtime/windows';
import { ALLOWED_LATENESS_MS, MAX_OUT_OF_ORDER_MS } from './tuning';

/**
 * Catalogue topics read, in the order given to the consumer. Inventory topics are listed first:
 * a fetch hands batches topic by topic in this order, so in a replay the books tend to run ahead
 * of the sales that are judged against them.
 */
export const ANOMALY_INPUTS = ['inventory.counts', 'inventory.movements', 'pos.returns', 'pricing.prices', 'pos.voids', 'pos.sales'] as const;
export type AnomalyInput = (typeof ANOMALY_INPUTS)[number];

export interface AnomalyOptions extends WatermarkOptions {
  /** Stand-in topics: catalogue topic -> topic to read instead (tests, reprocessing). */
  readonly topics?: Readonly<Partial<Record<string, string>>>;
  /**
   * IANA time zone per store_id, for local hours of the week. The processor reads them from
   * md.stores (a global table: shared/master-data.ts); entries here take precedence (tests, scoring).
   */
  readonly timeZones?: Readonly<Record<string, string>>;
  /** Event time an event_id is remembered for, to drop a repeat (ms); see runtime/event-ids.ts. */
  readonly eventIdHorizonMs?: number;
}

export const DEFAULT_ANOMALY_OPTIONS: AnomalyOptions = { maxOutOfOrderMs: MAX_OUT_OF_ORDER_MS, allowedLatenessMs: ALLOWED_LATENESS_MS };

