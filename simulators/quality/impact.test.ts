import { parseDay } from '../../lib/domain/calendar';
import { buildChain } from '../pos/chain';
import type { DailyDemandRow } from '../pos/ground-truth';
import { scoreOutcome } from './impact';

const HOUR = 3_600_000;

describe('scoreOutcome', () => {
  it('sums lost demand, stock-out hours, stock at cost, waste and orders over the scored days only', () => {
    const chain = buildChain({ seed: 1, stores: 1, skus: 2, updatedAt: 0 });
    const [a, b] = chain.products.map((p) => p.product);
    const day = (date: string, sku: string, demand: number, sold: number, onHand: number): DailyDemandRow => ({ store_id: 'S001', sku, date, hours: 24, expected: demand, demand, sold, lost: demand - sold, on_hand: onHand, book_on_hand: onHand });
    const from = parseDay('2026-03-02');
    const to = parseDay('2026-03-03');
    const start = Date.parse('2026-03-02T00:00:00Z');
    const outcome = scoreOutcome(
      {
        daily: [
          day('2026-03-01', a!.sku, 9, 0, 0), // before the scored days: left out
          day('2026-03-02', a!.sku, 5, 3, 0),
          day('2026-03-02', b!.sku, 2, 2, 4),
          day('2026-03-03', a!.sku, 4, 4, 6),
          day('2026-03-03', b!.sku, 3, 2, 0),
        ],
        stockouts: [
          { store_id: 'S001', sku: a!.sku, start: start - 5 * HOUR, end: start + 3 * HOUR, censored: false, book_on_hand_at_start: 0 }, // 3 h inside
          { store_id: 'S001', sku: b!.sku, start: start + 40 * HOUR, end: start + 60 * HOUR, censored: true, book_on_hand_at_start: 0 }, // 8 h inside
        ],
        waste: [
          { store_id: 'S001', sku: a!.sku, date: '2026-03-03', lot_id: 'L1', received_date: '2026-02-25', expiry_date: '2026-03-03', units: 2, unit_cost: 1 },
          { store_id: 'S001', sku: a!.sku, date: '2026-03-04', lot_id: 'L2', received_date: '2026-02-26', expiry_date: '2026-03-04', units: 7, unit_cost: 1 },
        ],
        orders: [
          { store_id: 'S001', sku: a!.sku, order_id: 'PO-1', date: '2026-03-01', quantity: 6, planned_date: '2026-03-02', due_date: '2026-03-02' },
          { store_id: 'S001', sku: b!.sku, order_id: 'PO-2', date: '2026-03-02', quantity: 6, planned_date: '2026-03-03', due_date: '2026-03-04' },
        ],
      },
      chain,
      from,
      to,
      () => [start, start + 48 * HOUR],
    );
    expect(outcome).toEqual({
      lost_units: 2 + 1,
      lost_value: 2 * a!.price + 1 * b!.price,
      stockout_hours: 3 + 8,
      inventory_value: (4 * b!.unit_cost + 6 * a!.unit_cost) / 2,
      waste_units: 2,
      orders: 1,
      demand_units: 5 + 2 + 4 + 3,
    });
  });
});
