/**
 * What every job of one simulated store shares: who it is, its random streams, its stock, the
 * prices and demand effects in force per SKU, the current local day, and the hour's and day's
 * ground-truth accumulators. The jobs (morning routine, till, closing, anomalies, promotions,
 * ground truth) live in files of their own and read and change this state.
 */
import type { InventoryMovement } from '../../schemas/generated/events';
import type { Chain, StoreProfile } from './chain';
import { localPrice } from './chain';
import type { DemandModel } from './demand';
import { type SupplierDraws, StoreInventory, keyedSupplier, streamSupplier } from './inventory';
import { OWN_POLICY, type OrderingPolicy } from './ordering';
import { StoreLots } from './lots';
import { Rng } from './random';

export interface StoreWindow {
  /** First instant simulated (a whole UTC hour). */
  readonly start: number;
  /** End of the simulated time (exclusive); Infinity while a real-time run goes on. */
  readonly end: number;
}

export interface StoreSimOptions {
  readonly seed: number;
  readonly anomalyRate: number;
  readonly heartbeats: boolean;
  /** Keep perishables in lots and write off what expires (lots.ts). */
  readonly expiryWriteOffs: boolean;
  /**
   * Demand, promotions, closing losses and supplier draws each from a stream of its own (see
   * StoreState.demandRng): two runs that differ by ordering policy alone see the same demand.
   * Off by default: it moves draws, so a default run keeps the events its digests pin.
   */
  readonly commonRandomNumbers?: boolean;
  /** Who orders at the nightly review (ordering.ts); the store's own rule when absent. */
  readonly ordering?: OrderingPolicy;
}

export class StoreState {
  readonly storeId: string;
  readonly n: number;
  readonly skus: readonly string[];
  readonly rng: Rng;
  readonly anomalyRng: Rng;
  /**
   * Ids of order events only. The orders were added to the model later: drawing their ids from
   * `rng` would shift every draw after the first order, so a seed would no longer give the
   * demand, stock-outs and anomalies it gave before.
   */
  readonly ordersRng: Rng;
  readonly inventory: StoreInventory;
  /** Lots of perishable stock, only when expired stock is written off; null otherwise. */
  readonly lots: StoreLots | null;
  /** Ids of expiry write-offs: a stream of their own, so switching them on moves no other draw by itself. */
  readonly wasteRng: Rng;
  /**
   * Under common random numbers, the draws that make the world (customer demand; promotions,
   * which move demand; spoilage and theft at closing, drawn for every SKU whether or not it has
   * stock; supplier lateness and short deliveries, keyed by sku and day) come from streams that
   * nothing the ordering policy changes can shift. Without it they are `rng` itself (and the
   * store's stream for suppliers), drawn as they always were. What still follows the policy
   * (basket ids, returns, count ids) shapes events, not demand.
   */
  readonly demandRng: Rng;
  readonly promotionRng: Rng;
  readonly closingRng: Rng;
  readonly supplier: SupplierDraws;
  readonly ordering: OrderingPolicy;
  /** A review to run after closing (policies that review then): the local day and the hour it runs at. */
  reviewDue: { readonly localDay: number; readonly at: number } | null = null;
  readonly baseRate: Float64Array;
  readonly categoryOf: Int32Array;
  /** Shelf price per SKU in the store's currency (changed by price changes). */
  readonly price: Int32Array;
  readonly unitCost: Int32Array;
  /** Promotion uplift of demand, percent off and promotion id per SKU while one runs. */
  readonly uplift: Float64Array;
  readonly promoPercent: Int32Array;
  readonly promoId: (string | null)[];
  /** Anomaly factors per SKU: on demand (spike, drop) and on the price rung up (price error). */
  readonly demandFactor: Float64Array;
  readonly priceFactor: Float64Array;
  /** SKUs counted at least once in this run: only then do the events show what the books hold. */
  readonly counted = new Set<number>();

  // The current local day.
  day = Number.NaN;
  dayHours = 0;
  todayOpens = 0;
  todayCloses = 0;
  todayOpen = false;
  routineDoneDay = Number.NaN;
  closingDoneDay = Number.NaN;
  lastHourEnd = Number.NaN;

  // Hourly and daily accumulators, per SKU.
  readonly hExpected: Float64Array;
  readonly hDemand: Int32Array;
  readonly hSold: Int32Array;
  readonly touched: Int32Array;
  touchedCount = 0;
  readonly dExpected: Float64Array;
  readonly dDemand: Int32Array;
  readonly dSold: Int32Array;

  constructor(
    readonly profile: StoreProfile,
    readonly chain: Chain,
    readonly model: DemandModel,
    readonly window: StoreWindow,
    readonly options: StoreSimOptions,
  ) {
    const products = chain.products;
    const n = (this.n = products.length);
    this.storeId = profile.store.store_id;
    this.rng = Rng.derive(options.seed, 'store', profile.index);
    this.anomalyRng = Rng.derive(options.seed, 'anomalies', profile.index);
    this.ordersRng = Rng.derive(options.seed, 'orders', profile.index);
    this.inventory = new StoreInventory(profile, products, Rng.derive(options.seed, 'inventory', profile.index));
    this.lots = options.expiryWriteOffs ? new StoreLots(products.map((p) => p.product.shelf_life_days)) : null;
    this.inventory.lots = this.lots;
    this.wasteRng = Rng.derive(options.seed, 'waste', profile.index);
    const common = options.commonRandomNumbers ?? false;
    this.demandRng = common ? Rng.derive(options.seed, 'demand', profile.index) : this.rng;
    this.promotionRng = common ? Rng.derive(options.seed, 'promotions', profile.index) : this.rng;
    this.closingRng = common ? Rng.derive(options.seed, 'closing', profile.index) : this.rng;
    this.supplier = common ? keyedSupplier(options.seed, profile.index) : streamSupplier(this.rng);
    this.ordering = options.ordering ?? OWN_POLICY;
    // The stock before the run came in the day before its first local day.
    this.lots?.open(this.inventory.onHand, model.hour(profile, window.start).localDay, this.storeId);
    this.baseRate = Float64Array.from(products, (p) => p.baseRate);
    this.categoryOf = Int32Array.from(products, (p) => p.categoryIndex);
    this.price = Int32Array.from(products, (p) => localPrice(p.product.price, profile.region));
    this.unitCost = Int32Array.from(products, (p) => Math.max(1, Math.round(p.product.unit_cost * profile.region.perEur)));
    this.uplift = new Float64Array(n).fill(1);
    this.promoPercent = new Int32Array(n);
    this.promoId = new Array<string | null>(n).fill(null);
    this.demandFactor = new Float64Array(n).fill(1);
    this.priceFactor = new Float64Array(n).fill(1);
    this.skus = products.map((p) => p.product.sku);
    this.hExpected = new Float64Array(n);
    this.hDemand = new Int32Array(n);
    this.hSold = new Int32Array(n);
    this.touched = new Int32Array(n);
    this.dExpected = new Float64Array(n);
    this.dDemand = new Int32Array(n);
    this.dSold = new Int32Array(n);
  }

  /** An inventory movement of this store, its id drawn from the store's stream. */
  movement(at: number, sku: number, type: InventoryMovement['movement_type'], delta: number, reason: string, reference: string | null, unitCost: number | null, ids: Rng = this.rng): InventoryMovement {
    return {
      event_id: ids.uuid(),
      occurred_at: at,
      store_id: this.storeId,
      sku: this.chain.products[sku]!.product.sku,
      movement_type: type,
      quantity_delta: delta,
      reason,
      reference_id: reference,
      unit_cost: unitCost,
    };
  }
}
