/**
 * warehouse — the raw facts and the dimensions, for BI.
 *
 * Consumes: pos.sales, pos.returns, pos.voids, inventory.movements, inventory.counts,
 *   inventory.orders, pricing.prices, pricing.promotions (facts)
 *   and md.stores, md.products, md.exchange-rates (dimensions; compacted topics).
 * Per record (pure): one row per sale line, return line, void, movement, count, order, price change
 *   or promotion start or end; one row per store, product or exchange-rate version.
 * State: the last row of each store and product (a runtime state store), so that a deletion can
 *   be written as a whole new version of the row. Every row is final when read, so the committed
 *   offset is simply the next one.
 * Emits: fact_* rows keyed by the event's identity (event_id, line) with the source offset as
 *   the ReplacingMergeTree version, and dim_store / dim_product / dim_exchange_rate rows
 *   versioned by updated_at: a replay re-writes rows in place, a corrected rate replaces its day.
 *   A tombstone on md.stores or md.products (a deletion) becomes the row's last version again
 *   with is_deleted = 1 and deleted_at = its Kafka timestamp: the current-state views leave it
 *   out, while views over facts still find the deleted store's region and the product's category.
 */
import type {
  ExchangeRate,
  InventoryMovement,
  PriceChanged,
  Product,
  PromotionChanged,
  ReplenishmentOrdered,
  SaleCompleted,
  SaleReturned,
  SaleVoided,
  StockCounted,
  Store,
} from '../../schemas/generated/events';
import { refreshExchangeRates } from '../../clickhouse/exchange-rate-refresh';
import { refreshVatRatePeriods } from '../../clickhouse/vat-rate-refresh';
import type { Logger } from '../../lib/logger';
import type { InputRecord, PartitionTask, ProcessorDefinition, Rejection, Row, RowSink } from '../runtime/processor';
import type { KeyValueStore } from '../runtime/state-store';
import { TopicMapping } from '../runtime/topics';

export const WAREHOUSE_INPUTS = [
  'pos.sales',
  'pos.returns',
  'pos.voids',
  'inventory.movements',
  'inventory.counts',
  'inventory.orders',
  'pricing.prices',
  'pricing.promotions',
  'md.stores',
  'md.products',
  'md.exchange-rates',
] as const;
type WarehouseInput = (typeof WAREHOUSE_INPUTS)[number];

function ts(ms: number): string {
  return new Date(ms).toISOString();
}

function date(daysSinceEpoch: number): string {
  return new Date(daysSinceEpoch * 86_400_000).toISOString().slice(0, 10);
}

/** Pure: the rows one record becomes. Exported for unit tests. */
export function warehouseRows(kind: WarehouseInput, value: unknown, offset: number, out: RowSink): void {
  switch (kind) {
    case 'pos.sales': {
      const s = value as SaleCompleted;
      for (const l of s.lines) {
        out.emit('fact_sale_lines', {
          event_id: s.event_id,
          line_number: l.line_number,
          occurred_at: ts(s.occurred_at),
          store_id: s.store_id,
          terminal_id: s.terminal_id,
          transaction_id: s.transaction_id,
          cashier_id: s.cashier_id,
          payment_method: s.payment_method,
          currency: s.currency,
          sku: l.sku,
          quantity: l.quantity,
          unit_price: l.unit_price,
          discount: l.discount,
          net_amount: l.quantity * l.unit_price - l.discount,
          promotion_id: l.promotion_id,
          source_offset: offset,
        });
      }
      return;
    }
    case 'pos.returns': {
      const r = value as SaleReturned;
      r.lines.forEach((l, i) =>
        out.emit('fact_return_lines', {
          event_id: r.event_id,
          line_number: i + 1,
          occurred_at: ts(r.occurred_at),
          store_id: r.store_id,
          terminal_id: r.terminal_id,
          return_id: r.return_id,
          original_transaction_id: r.original_transaction_id,
          sku: l.sku,
          quantity: l.quantity,
          refund_amount: l.refund_amount,
          restockable: l.restockable,
          reason: l.reason,
          currency: r.currency,
          source_offset: offset,
        }),
      );
      return;
    }
    case 'pos.voids': {
      const v = value as SaleVoided;
      out.emit('fact_voids', {
        event_id: v.event_id,
        occurred_at: ts(v.occurred_at),
        store_id: v.store_id,
        terminal_id: v.terminal_id,
        transaction_id: v.transaction_id,
        cashier_id: v.cashier_id,
        supervisor_id: v.supervisor_id,
        line_count: v.line_count,
        void_total: v.void_total,
        reason: v.reason,
        currency: v.currency,
        source_offset: offset,
      });
      return;
    }
    case 'inventory.movements': {
      const m = value as InventoryMovement;
      out.emit('fact_inventory_movements', {
        event_id: m.event_id,
        occurred_at: ts(m.occurred_at),
        store_id: m.store_id,
        sku: m.sku,
        movement_type: m.movement_type,
        quantity_delta: m.quantity_delta,
        counted_on_hand: null,
        reason: m.reason,
        reference_id: m.reference_id,
        unit_cost: m.unit_cost,
        source_offset: offset,
      });
      return;
    }
    case 'inventory.counts': {
      const c = value as StockCounted;
      out.emit('fact_inventory_movements', {
        event_id: c.event_id,
        occurred_at: ts(c.occurred_at),
        store_id: c.store_id,
        sku: c.sku,
        movement_type: 'COUNT',
        quantity_delta: null,
        counted_on_hand: c.on_hand,
        reason: c.counted_by,
        reference_id: null,
        unit_cost: null,
        source_offset: offset,
      });
      return;
    }
    case 'inventory.orders': {
      const o = value as ReplenishmentOrdered;
      out.emit('fact_replenishment_orders', {
        event_id: o.event_id,
        occurred_at: ts(o.occurred_at),
        store_id: o.store_id,
        sku: o.sku,
        order_id: o.order_id,
        quantity: o.quantity,
        expected_delivery_at: ts(o.expected_delivery_at),
        lead_time_days: o.lead_time_days,
        source_offset: offset,
      });
      return;
    }
    case 'pricing.prices': {
      const p = value as PriceChanged;
      out.emit('fact_price_changes', {
        event_id: p.event_id,
        occurred_at: ts(p.occurred_at),
        store_id: p.store_id,
        sku: p.sku,
        old_price: p.old_price,
        new_price: p.new_price,
        currency: p.currency,
        effective_at: ts(p.effective_at),
        source_offset: offset,
      });
      return;
    }
    case 'pricing.promotions': {
      const p = value as PromotionChanged;
      out.emit('fact_promotions', {
        event_id: p.event_id,
        occurred_at: ts(p.occurred_at),
        store_id: p.store_id,
        promotion_id: p.promotion_id,
        phase: p.phase,
        skus: p.skus,
        discount_percent: p.discount_percent,
        starts_at: ts(p.starts_at),
        ends_at: ts(p.ends_at),
        source_offset: offset,
      });
      return;
    }
    case 'md.stores': {
      const s = value as Store;
      out.emit('dim_store', {
        store_id: s.store_id,
        name: s.name,
        region: s.region,
        time_zone: s.time_zone,
        size_class: s.size_class,
        currency: s.currency,
        opened_on: date(s.opened_on),
        vat_rate: s.vat_rate,
        holiday_calendar: s.holiday_calendar ?? '',
        updated_at: ts(s.updated_at),
        is_deleted: 0,
        deleted_at: null,
      });
      return;
    }
    case 'md.exchange-rates': {
      const r = value as ExchangeRate;
      out.emit('dim_exchange_rate', { currency: r.currency, base_currency: r.base_currency, rate_date: date(r.rate_date), rate: r.rate, source: r.source, updated_at: ts(r.updated_at) });
      return;
    }
    case 'md.products': {
      const p = value as Product;
      out.emit('dim_product', { sku: p.sku, name: p.name, category: p.category, brand: p.brand, unit_cost: p.unit_cost, price: p.price, currency: p.currency, perishable: p.perishable, shelf_life_days: p.shelf_life_days, updated_at: ts(p.updated_at), is_deleted: 0, deleted_at: null });
      return;
    }
  }
}

/** The dimensions a deletion (tombstone) applies to, by their topic: the table and its key column. */
const DELETABLE: Partial<Record<WarehouseInput, { readonly table: 'dim_store' | 'dim_product'; readonly key: 'store_id' | 'sku' }>> = {
  'md.stores': { table: 'dim_store', key: 'store_id' },
  'md.products': { table: 'dim_product', key: 'sku' },
};

/**
 * Pure: the row a deletion writes, the last version with is_deleted = 1. Its version (updated_at)
 * is the tombstone's Kafka timestamp, or just after the last version when the producer's clock is
 * behind it, so the deletion always wins the ReplacingMergeTree merge. Exported for unit tests.
 */
export function deletedRow(last: Row, deletedAtMs: number): Row {
  const lastVersion = Date.parse(String(last['updated_at']));
  return { ...last, is_deleted: 1, deleted_at: ts(deletedAtMs), updated_at: ts(Math.max(deletedAtMs, lastVersion + 1)) };
}

/** Remembers the rows it is handed (the last version of each key), for a deletion to come. */
class RememberingSink implements RowSink {
  constructor(
    private readonly out: RowSink,
    private readonly table: string,
    private readonly key: string,
    private readonly last: KeyValueStore<Row>,
  ) {}

  emit(table: string, row: Row): void {
    if (table === this.table) this.last.put(String(row[this.key]), row);
    this.out.emit(table, row);
  }

  publish(...args: Parameters<RowSink['publish']>): void {
    this.out.publish(...args);
  }

  deliver(...args: Parameters<RowSink['deliver']>): void {
    this.out.deliver(...args);
  }
}

class WarehouseTask implements PartitionTask {
  constructor(
    private readonly kind: WarehouseInput,
    /** The last row of each key, for md.stores and md.products; undefined for the other inputs. */
    private readonly last: KeyValueStore<Row> | undefined,
    private readonly logger: Logger,
  ) {}

  process(record: InputRecord, out: RowSink): Rejection | void {
    const dimension = DELETABLE[this.kind];
    if (record.value === null) {
      // Only master data is deleted by tombstones; a null value elsewhere holds nothing to land.
      if (!dimension || !this.last) return;
      const key = record.key ?? '';
      const last = this.last.get(key);
      if (!last) {
        // Compaction dropped the versions before it, and this task never saw one: there is no row to mark.
        this.logger.info({ topic: record.topic, partition: record.partition, offset: record.offset, key }, 'deletion of a key never landed here; nothing to mark deleted');
        return;
      }
      const row = deletedRow(last, record.timestamp);
      this.last.put(key, row);
      out.emit(dimension.table, row);
      return;
    }
    warehouseRows(this.kind, record.value, record.offset, dimension && this.last ? new RememberingSink(out, dimension.table, dimension.key, this.last) : out);
  }

  punctuate(): void {}

  earliestNeededOffset(): number | undefined {
    return undefined;
  }

  checkpoint(): string {
    return '';
  }
}

export function warehouseProcessor(options: { topics?: Readonly<Record<string, string>> } = {}): ProcessorDefinition {
  const topics = new TopicMapping<WarehouseInput>(options.topics);
  const kindOf = topics.catalogueOf(WAREHOUSE_INPUTS);
  return {
    name: 'warehouse',
    ...topics.inputs(WAREHOUSE_INPUTS),
    // Deletions of stores and products mark their dimension rows deleted.
    tombstones: true,
    tables: [
      'fact_sale_lines',
      'fact_return_lines',
      'fact_voids',
      'fact_inventory_movements',
      'fact_replenishment_orders',
      'fact_price_changes',
      'fact_promotions',
      'dim_store',
      'dim_product',
      'dim_exchange_rate',
    ],
    // A late or corrected rate changes every day it is carried to: the BI views read
    // exchange_rate_daily_rows, refreshed every 10 s anyway (0049), at once after a rate lands.
    // A store's VAT rate (dim_store, copied into dim_vat_rate by 0044's materialized view) is read
    // from vat_rate_periods_rows, refreshed the same way (0051).
    afterWrite: { dim_exchange_rate: refreshExchangeRates, dim_store: refreshVatRatePeriods },
    createTask: async (init, deps) => {
      const kind = kindOf.get(init.topic)!;
      // One store per dimension: tasks of md.stores and md.products with the same partition number share a snapshot owner.
      const last = DELETABLE[kind] ? await deps.stores.open<Row>(`last-${DELETABLE[kind].table}`) : undefined;
      return new WarehouseTask(kind, last, deps.logger);
    },
  };
}
