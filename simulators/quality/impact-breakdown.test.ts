import { parseDay } from '../../lib/domain/calendar';
import { buildChain } from '../pos/chain';
import type { DailyDemandRow } from '../pos/ground-truth';
import { adviceCoverage, bandOf, breakdown } from './impact-breakdown';

const row = (sku: string, date: string, demand: number, lost: number, onHand: number): DailyDemandRow => ({ store_id: 'S001', sku, date, hours: 24, expected: demand, demand, sold: demand - lost, lost, on_hand: onHand, book_on_hand: onHand });

test('bands: below the first bound, between two, at or above the last', () => {
  expect(bandOf(0.2, [0.5, 1, 2])).toBe('<0.5');
  expect(bandOf(0.5, [0.5, 1, 2])).toBe('0.5-1');
  expect(bandOf(1.5, [0.5, 1, 2])).toBe('1-2');
  expect(bandOf(7, [0.5, 1, 2])).toBe('>=2');
});

test('lost units and stock per policy, split by demand band and category over the scored days only (hand-computed)', () => {
  const chain = buildChain({ seed: 1, stores: 1, skus: 2, updatedAt: 0 });
  const [a, b] = chain.products;
  const from = parseDay('2026-03-02');
  const to = parseDay('2026-03-03');
  // a: 1 + 0 units in 2 days (0.5 a day); b: 8 + 12 (10 a day); the day before is not scored
  const own = [row(a!.product.sku, '2026-03-01', 9, 9, 0), row(a!.product.sku, '2026-03-02', 1, 1, 0), row(a!.product.sku, '2026-03-03', 0, 0, 2), row(b!.product.sku, '2026-03-02', 8, 0, 10), row(b!.product.sku, '2026-03-03', 12, 2, 0)];
  const advice = [row(a!.product.sku, '2026-03-02', 1, 0, 4), row(a!.product.sku, '2026-03-03', 0, 0, 4), row(b!.product.sku, '2026-03-02', 8, 3, 0), row(b!.product.sku, '2026-03-03', 12, 0, 6)];
  const groups = breakdown([own, advice], chain, { leadTimeDays: () => 2 }, from, to);
  const slow = groups.get('rate')!.get('0.5-1')!;
  expect(slow).toEqual({ series: 1, demand_units: 1, lost_units: [1, 0], inventory_value: [(2 * a!.product.unit_cost) / 2, (8 * a!.product.unit_cost) / 2] });
  const fast = groups.get('rate')!.get('>=10')!;
  expect(fast.lost_units).toEqual([2, 3]);
  expect(groups.get('lead')!.get('2d')!.lost_units).toEqual([3, 3]);
  // a case of b lasts casePack / 10 days, of a casePack / 0.5 days
  expect([...groups.get('pack')!.values()].reduce((n, g) => n + g.series, 0)).toBe(2);
});

test('coverage: demand over lead time + review after the advice day against the reorder point (hand-computed)', () => {
  const from = parseDay('2026-03-01');
  const truth = ['2026-03-01', '2026-03-02', '2026-03-03', '2026-03-04', '2026-03-05'].map((d, i) => row('SKU1', d, [2, 3, 1, 4, 0][i]!, 0, 5));
  const advice = [
    // days 2-4 (lead 2 + review 1): 3 + 1 + 4 = 8 > 7
    { store_id: 'S001', sku: 'SKU1', as_of_date: '2026-03-01', lead_time_days: 2, review_days: 1, demand_lead_time_mean: 6, reorder_point: 7 },
    // days 3-5: 1 + 4 + 0 = 5 <= 7
    { store_id: 'S001', sku: 'SKU1', as_of_date: '2026-03-02', lead_time_days: 2, review_days: 1, demand_lead_time_mean: 6, reorder_point: 7 },
    // days 4-6: past the last day, left out
    { store_id: 'S001', sku: 'SKU1', as_of_date: '2026-03-03', lead_time_days: 2, review_days: 1, demand_lead_time_mean: 6, reorder_point: 7 },
  ];
  // 10 units in 5 days: the 2-5 band
  expect(adviceCoverage(advice, truth, from, from + 4)).toEqual(new Map([['2-5', { rows: 2, expected_units: 12, actual_units: 13, exceeded: 1 }]]));
});
