/**
 * Master data as an input of a processor (stock: each store's region, time zone and holiday
 * calendar, each sku's category; anomaly: each store's time zone): read from the compacted
 * md.stores and md.products topics through the runtime's global tables (runtime/global-table.ts),
 * not from ClickHouse's dim_store and dim_product, which the warehouse writes when it gets to them.
 *
 * Why a barrier. A task must not decide a store or sku has no master data because its table has
 * not read that far yet: the value would then depend on when the task started, and a replay of
 * the same events would compute other rows (seen: stockout_risk after a Kafka outage differed
 * from a clean run of the same events in sales_rate_per_day, 5 against 0, for 40 keys). Ingest
 * refuses a sale of a store not in md.stores, so a store's record is published before its sales.
 * So when a record names a store or sku the table does not hold, the task first has the table
 * catch up to the topic's end offsets as they are now (`GlobalTableView.catchUp`), then decides:
 * whatever was published before the record is found, on a live run as on a replay. A sku never
 * published is absent after the barrier on every run alike, and gets the neutral calendar.
 *
 * What stays non-deterministic, as Kafka Streams documents for its GlobalKTables (a global table
 * is not time-synchronised with the stream it is joined to): a record that CHANGES after events
 * that used it (a store moved to another region, a sku to another category, a product published
 * only after its first sales). A live run used the value it held when the key was first met (a
 * key's calendar is fixed then, and a store's clock is saved with the anomaly state); a replay or
 * a rebuild, started later, reads the newest value from the first event on.
 */
import type { Product, Store } from '../../schemas/generated/events';
import type { GlobalTableView } from '../runtime/global-table';

export const STORES_TOPIC = 'md.stores';
export const PRODUCTS_TOPIC = 'md.products';

/** The fields of a store the processors use (md.stores). */
export type StoreMaster = Pick<Store, 'store_id' | 'region' | 'time_zone'> & { readonly holiday_calendar?: string | null };
/** The fields of a product the processors use (md.products). */
export type ProductMaster = Pick<Product, 'sku' | 'category'>;

/** Lookups of the current master data (pure, no waiting): what a task's per-record logic reads. */
export interface MasterDataLookup {
  store(storeId: string): StoreMaster | undefined;
  product(sku: string): ProductMaster | undefined;
  /**
   * For master data read from topics (MasterDataInput): the barrier to await before a record
   * naming `storeId` and `skus`, or undefined when nothing is to wait for. Absent for master
   * data held whole in memory.
   */
  awaitMissing?(storeId: string, skus: readonly string[]): Promise<void> | undefined;
}

/** Master data held in memory (the simulators publish it and hand the same records to the task). */
export function staticMasterData(master: { readonly stores: readonly StoreMaster[]; readonly products: readonly ProductMaster[] }): MasterDataLookup {
  const stores = new Map(master.stores.map((s) => [s.store_id, s]));
  const products = new Map(master.products.map((p) => [p.sku, p]));
  return { store: (id) => stores.get(id), product: (sku) => products.get(sku) };
}

export const NO_MASTER_DATA: MasterDataLookup = { store: () => undefined, product: () => undefined };

/**
 * Master data from the global tables, with the barrier. `awaitMissing` is called before a record
 * is processed (PartitionTask.awaitBefore); a key still absent after a barrier is remembered, so a
 * sku that is never published costs one barrier per task, not one per record.
 */
export class MasterDataInput implements MasterDataLookup {
  private readonly absentStores = new Set<string>();
  private readonly absentSkus = new Set<string>();

  constructor(
    private readonly stores: GlobalTableView<StoreMaster>,
    /** Undefined for a processor that needs stores only (anomaly: time zones). */
    private readonly products?: GlobalTableView<ProductMaster>,
  ) {}

  store(storeId: string): StoreMaster | undefined {
    return this.stores.get(storeId);
  }

  product(sku: string): ProductMaster | undefined {
    return this.products?.get(sku);
  }

  /** Reads both tables to the topics' current ends (a task being created: its restored keys see what was published). */
  async catchUp(): Promise<void> {
    await Promise.all([this.stores.catchUp(), this.products?.catchUp()]);
  }

  /**
   * Undefined when the tables hold the store and skus (or a barrier already found them absent);
   * else the barrier, after which the ones still absent are remembered as such.
   */
  awaitMissing(storeId: string, skus: readonly string[]): Promise<void> | undefined {
    const storeMissing = this.stores.get(storeId) === undefined && !this.absentStores.has(storeId);
    let skusMissing: string[] | undefined;
    const products = this.products;
    if (products) for (const sku of skus) if (products.get(sku) === undefined && !this.absentSkus.has(sku)) (skusMissing ??= []).push(sku);
    if (!storeMissing && !skusMissing) return undefined;
    return Promise.all([storeMissing ? this.stores.catchUp() : undefined, skusMissing ? products?.catchUp() : undefined]).then(() => {
      if (storeMissing && this.stores.get(storeId) === undefined) this.absentStores.add(storeId);
      for (const sku of skusMissing ?? []) if (products?.get(sku) === undefined) this.absentSkus.add(sku);
    });
  }

  /** The master data a processor declares (ProcessorDefinition.globalTables), through a task's deps. */
  static of(deps: { globalTable<V>(topic: string): GlobalTableView<V> }, topics: { readonly stores: string; readonly products?: string }): MasterDataInput {
    return new MasterDataInput(deps.globalTable<StoreMaster>(topics.stores), topics.products === undefined ? undefined : deps.globalTable<ProductMaster>(topics.products));
  }
}

/** The skus a record of an event topic names: its lines' (sales, returns), a promotion's, or its own (movements, counts, orders). */
export function skusOf(value: { readonly sku?: unknown; readonly lines?: readonly { readonly sku: string }[]; readonly skus?: readonly string[] }): string[] {
  if (Array.isArray(value.lines)) return value.lines.map((l) => l.sku);
  if (Array.isArray(value.skus)) return [...value.skus];
  return typeof value.sku === 'string' ? [value.sku] : [];
}
