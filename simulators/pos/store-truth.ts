/**
 * A store's ground truth rows: per SKU and UTC hour with demand (at the end of each hour), per
 * SKU and local day (at local midnight, zeros included), and per stock-out interval.
 */
import { formatDay } from './calendar';
import type { HourTruth, StockoutRow } from './ground-truth';
import type { StoreState } from './store-state';

export function flushHour(s: StoreState, hourStart: number, truth: HourTruth): void {
  const products = s.chain.products;
  for (let t = 0; t < s.touchedCount; t++) {
    const j = s.touched[t]!;
    const demand = s.hDemand[j]!;
    const sold = s.hSold[j]!;
    truth.hourly.push(s.storeId, products[j]!.product.sku, hourStart, s.hExpected[j]!, demand, sold, demand - sold, s.inventory.onHand[j]!);
    s.hDemand[j] = 0;
    s.hSold[j] = 0;
    s.hExpected[j] = 0;
  }
  s.touchedCount = 0;
}

export function emitDaily(s: StoreState, truth: HourTruth): void {
  const date = formatDay(s.day);
  const inv = s.inventory;
  const products = s.chain.products;
  for (let j = 0; j < s.n; j++) {
    const demand = s.dDemand[j]!;
    const sold = s.dSold[j]!;
    truth.daily.push(s.storeId, products[j]!.product.sku, date, s.dayHours, s.dExpected[j]!, demand, sold, demand - sold, inv.onHand[j]!, inv.book[j]!);
  }
  s.dExpected.fill(0);
  s.dDemand.fill(0);
  s.dSold.fill(0);
}

export function stockoutRow(s: StoreState, sku: number, start: number, end: number, censored: boolean, book: number): StockoutRow {
  return { store_id: s.storeId, sku: s.chain.products[sku]!.product.sku, start, end, censored, book_on_hand_at_start: book };
}
