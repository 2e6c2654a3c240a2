/**
 * What an ordering policy did to the business, from the simulator's ground truth over the
 * scored local days [fromDay, toDay] of every store: demand lost to empty shelves (units, and
 * value at the catalogue's euro price), stock-out hours, average stock value at the euro unit
 * cost (each store x sku's units at the end of each day, physical not book), expired units written
 * off, orders placed. Euro catalogue prices and costs keep stores of different currencies on one
 * scale.
 */
import type { Chain } from '../pos/chain';
import type { DailyDemandRow, OrderRow, StockoutRow, WasteRow } from '../pos/ground-truth';
import { parseDay } from '../../lib/domain/calendar';
import { HOUR_MS } from '../../lib/domain/time';

export interface PolicyOutcome {
  readonly lost_units: number;
  /** Euro cents at the catalogue price. */
  readonly lost_value: number;
  readonly stockout_hours: number;
  /** Euro cents at catalogue unit cost, averaged over the scored days. */
  readonly inventory_value: number;
  readonly waste_units: number;
  readonly orders: number;
  readonly demand_units: number;
}

export interface ScoredTruth {
  readonly daily: readonly DailyDemandRow[];
  readonly stockouts: readonly StockoutRow[];
  readonly waste: readonly WasteRow[];
  readonly orders: readonly OrderRow[];
}

/** `utcWindow(storeId)`: the UTC instants [start, end) of the store's scored local days, for stock-out hours. */
export function scoreOutcome(truth: ScoredTruth, chain: Chain, fromDay: number, toDay: number, utcWindow: (storeId: string) => readonly [number, number]): PolicyOutcome {
  const price = new Map(chain.products.map((p) => [p.product.sku, p.product.price]));
  const cost = new Map(chain.products.map((p) => [p.product.sku, p.product.unit_cost]));
  const scored = (date: string): boolean => {
    const d = parseDay(date);
    return d >= fromDay && d <= toDay;
  };
  let lostUnits = 0;
  let lostValue = 0;
  let stockValue = 0;
  let demand = 0;
  for (const r of truth.daily) {
    if (!scored(r.date)) continue;
    lostUnits += r.lost;
    lostValue += r.lost * price.get(r.sku)!;
    stockValue += r.on_hand * cost.get(r.sku)!;
    demand += r.demand;
  }
  let stockoutMs = 0;
  for (const o of truth.stockouts) {
    const [start, end] = utcWindow(o.store_id);
    stockoutMs += Math.max(0, Math.min(o.end, end) - Math.max(o.start, start));
  }
  return {
    lost_units: lostUnits,
    lost_value: lostValue,
    stockout_hours: stockoutMs / HOUR_MS,
    inventory_value: stockValue / (toDay - fromDay + 1),
    waste_units: truth.waste.filter((w) => scored(w.date)).reduce((n, w) => n + w.units, 0),
    orders: truth.orders.filter((o) => scored(o.date)).length,
    demand_units: demand,
  };
}
