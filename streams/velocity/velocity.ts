/**
 * velocity — units and revenue per store x sku per 1-minute event-time window.
 *
 * Consumes: pos.sales (SaleCompleted), keyed by store_id; only the fields in VELOCITY_READS are
 *   decoded and checked against the contract (a processor judges only what it reads).
 * Per record (pure): each line adds its units, net revenue (quantity x unit_price - discount)
 *   and gross revenue to the window of the sale's occurred_at; a sale counts once per sku as a
 *   transaction.
 * State: the open 1-minute windows of the partition, and its watermark. Nothing else: hourly
 *   figures, revenue per store and the rolling 1 h / 24 h rates are derived in ClickHouse
 *   from these rows (views over sales_velocity_1m), so a restart re-reads about a minute
 *   plus the allowed lateness, not hours.
 * Emits: sales_velocity_1m rows, while a window is open (is_final = false, every flush) and
 *   once when it closes (is_final = true). version = 2 x (last input offset) + is_final, so
 *   ReplacingMergeTree keeps the newest, and a replay ends on the same final row.
 * Late records (their minute closed: watermark past end + allowed lateness) are not counted;
 *   they go to the dead-letter topic as LATE_EVENT and are counted in late_events_total.
 */
import type { SaleCompleted } from '../../schemas/generated/events';
import type { FieldSelection } from '../../schemas/projection';
import type { InputRecord, PartitionTask, ProcessorDefinition, Rejection, RowSink, TaskInit } from '../runtime/processor';
import { DEFAULT_EVENT_ID_HORIZON_MS, openEventIdGuard, type EventIdGuard } from '../runtime/event-ids';
import { TopicMapping } from '../runtime/topics';
import { Watermark, tumblingStart, type WatermarkOptions } from '../runtime/windows';
import { MINUTE_MS } from '../../lib/domain/time';

export const VELOCITY_TABLE = 'sales_velocity_1m';

/**
 * The fields of a sale this processor reads: decoded alone (the rest of the record is skipped)
 * and checked alone, so a sale whose totals or ids break the contract is still counted here
 * (the warehouse dead-letters it); one with a bad quantity, price, discount or time is not.
 */
export const VELOCITY_READS = {
  event_id: true,
  store_id: true,
  occurred_at: true,
  lines: { sku: true, quantity: true, unit_price: true, discount: true },
} as const satisfies FieldSelection;

export interface VelocityOptions extends WatermarkOptions {
  /** The sales topic; another one for isolated tests or a parallel reprocessing. */
  readonly salesTopic?: string;
  /** Event time a sale's event_id is remembered for, to drop a repeat (ms); see event-ids.ts. */
  readonly eventIdHorizonMs?: number;
}

export const DEFAULT_VELOCITY_OPTIONS: VelocityOptions = {
  maxOutOfOrderMs: 5_000, // terminals in one store send within seconds of each other
  allowedLatenessMs: 60_000, // a terminal that was offline for a minute is still counted
  eventIdHorizonMs: DEFAULT_EVENT_ID_HORIZON_MS,
};

/** What the runtime's state stores tell a task after a restart (TaskDeps.stores). */
export interface VelocityRecovery {
  /** True when the last snapshot covered the record: its minute, if closed, was written already. */
  readonly applied: (record: InputRecord) => boolean;
  /** Drops a repeated event_id; absent in unit tests of the window logic alone. */
  readonly eventIds?: EventIdGuard;
}

const FRESH: VelocityRecovery = { applied: () => false };

interface WindowAggregate {
  readonly storeId: string;
  readonly sku: string;
  /** The minute's start as ClickHouse reads it, formatted once per minute, not per row. */
  readonly windowStart: string;
  units: number;
  revenue: number;
  grossRevenue: number;
  discount: number;
  transactions: number;
  lines: number;
  minOffset: number;
  maxOffset: number;
  dirty: boolean;
}

interface Checkpoint {
  /** Largest event time seen when the offsets were committed. */
  readonly maxEventTime: number;
}

export function parseCheckpoint(text: string | undefined): Checkpoint | undefined {
  if (!text) return undefined;
  try {
    const c = JSON.parse(text) as Partial<Checkpoint>;
    return typeof c.maxEventTime === 'number' ? { maxEventTime: c.maxEventTime } : undefined;
  } catch {
    return undefined;
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

interface Minute {
  readonly windowStart: string;
  readonly stores: Map<string, Map<string, WindowAggregate>>;
  readonly minOffset: number;
}

export class VelocityTask implements PartitionTask {
  /**
   * Open windows grouped by minute: closing a minute touches only its own bucket, and there
   * are only a few open minutes at a time (out-of-order bound + allowed lateness). Within a
   * minute, by store then sku: two lookups instead of a concatenated key per line.
   */
  private readonly minutes = new Map<number, Minute>();
  private readonly watermark: Watermark;

  constructor(
    init: TaskInit,
    options: VelocityOptions = DEFAULT_VELOCITY_OPTIONS,
    private readonly recovery: VelocityRecovery = FRESH,
  ) {
    this.watermark = new Watermark(options);
    const checkpoint = parseCheckpoint(init.checkpoint);
    if (checkpoint) this.watermark.restore(checkpoint.maxEventTime);
  }

  process(record: InputRecord, out: RowSink): Rejection | void {
    const sale = record.value as Pick<SaleCompleted, 'event_id' | 'store_id' | 'occurred_at' | 'lines'>;
    // A terminal's retry of a sale counted already (see event-ids.ts).
    if (this.recovery.eventIds?.isRepeat(record, sale.event_id, sale.occurred_at)) return;
    const start = tumblingStart(MINUTE_MS, sale.occurred_at);
    if (this.watermark.isClosed(start + MINUTE_MS)) {
      // Covered by the last snapshot: counted (or sidelined) before the restart; skip it quietly.
      if (this.recovery.applied(record)) return;
      return { code: 'LATE_EVENT', reason: `sale at ${iso(sale.occurred_at)} arrived after its minute closed (watermark ${iso(this.watermark.valueMs)})` };
    }
    let minute = this.minutes.get(start);
    if (!minute) {
      minute = { windowStart: iso(start), stores: new Map(), minOffset: record.offset };
      this.minutes.set(start, minute);
    }
    let skus = minute.stores.get(sale.store_id);
    if (!skus) minute.stores.set(sale.store_id, (skus = new Map()));
    const lines = sale.lines;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      let w = skus.get(line.sku);
      if (!w) {
        w = { storeId: sale.store_id, sku: line.sku, windowStart: minute.windowStart, units: 0, revenue: 0, grossRevenue: 0, discount: 0, transactions: 0, lines: 0, minOffset: record.offset, maxOffset: -1, dirty: true };
        skus.set(line.sku, w);
      }
      const gross = line.quantity * line.unit_price;
      w.units += line.quantity;
      w.grossRevenue += gross;
      w.discount += line.discount;
      w.revenue += gross - line.discount;
      w.lines += 1;
      // A sale counts once per sku, however many lines carry it.
      if (w.maxOffset !== record.offset) w.transactions += 1;
      w.maxOffset = record.offset;
      w.dirty = true;
    }
    const before = this.watermark.valueMs;
    this.watermark.observe(sale.occurred_at);
    if (this.watermark.valueMs !== before) this.closeMinutes(out);
  }

  private row(w: WindowAggregate, final: boolean): Record<string, unknown> {
    return {
      window_start: w.windowStart,
      store_id: w.storeId,
      sku: w.sku,
      units: w.units,
      revenue: w.revenue,
      gross_revenue: w.grossRevenue,
      discount: w.discount,
      transactions: w.transactions,
      lines: w.lines,
      is_final: final,
      version: w.maxOffset * 2 + (final ? 1 : 0),
    };
  }

  private closeMinutes(out: RowSink): void {
    for (const [start, minute] of this.minutes) {
      if (!this.watermark.isClosed(start + MINUTE_MS)) continue;
      for (const skus of minute.stores.values()) for (const w of skus.values()) out.emit(VELOCITY_TABLE, this.row(w, true));
      this.minutes.delete(start);
    }
  }

  punctuate(out: RowSink): void {
    this.recovery.eventIds?.seal(this.watermark.maxEventTime);
    for (const minute of this.minutes.values()) {
      for (const skus of minute.stores.values()) {
        for (const w of skus.values()) {
          if (w.dirty) {
            out.emit(VELOCITY_TABLE, this.row(w, false));
            w.dirty = false;
          }
        }
      }
    }
  }

  earliestNeededOffset(): number | undefined {
    let min: number | undefined;
    for (const minute of this.minutes.values()) if (min === undefined || minute.minOffset < min) min = minute.minOffset;
    return min;
  }

  checkpoint(): string {
    return JSON.stringify({ maxEventTime: this.watermark.maxEventTime } satisfies Checkpoint);
  }

  /** Open windows, for tests and the demo's summary. */
  get openWindows(): number {
    let n = 0;
    for (const minute of this.minutes.values()) for (const skus of minute.stores.values()) n += skus.size;
    return n;
  }
}

export function velocityProcessor(options: VelocityOptions = DEFAULT_VELOCITY_OPTIONS): ProcessorDefinition {
  return {
    name: 'velocity',
    ...new TopicMapping(options.salesTopic ? { 'pos.sales': options.salesTopic } : {}).inputs(['pos.sales']),
    reads: { 'pos.sales': VELOCITY_READS },
    tables: [VELOCITY_TABLE],
    createTask: async (init, deps) => {
      const eventIds = await openEventIdGuard(deps, 'velocity', options.eventIdHorizonMs ?? DEFAULT_VELOCITY_OPTIONS.eventIdHorizonMs!);
      return new VelocityTask(init, options, { applied: (record) => deps.stores.applied(record), eventIds });
    },
  };
}
