import type { StockoutRow } from '../pos/ground-truth';
import { calibration, outcomes } from './risk-calibration';

const H = 3_600_000;

test('ECE: per-bin |mean claim - share observed|, weighted by the bin (hand-computed)', () => {
  // bin 0.1-0.2: claims 0.1, 0.1, 0.1, 0.1, one stock-out -> |0.1 - 0.25| = 0.15, weight 4/6
  // bin 0.9-1.0: claims 0.9, 0.9, both stock-outs        -> |0.9 - 1| = 0.1, weight 2/6
  const c = calibration([0.1, 0.1, 0.1, 0.1, 0.9, 0.9], [1, 0, 0, 0, 1, 1]);
  expect(c.ece).toBeCloseTo((4 / 6) * 0.15 + (2 / 6) * 0.1, 10);
  expect(c.bins.map((b) => b.samples)).toEqual([4, 2]);
  expect(calibration([0.5, 0.5], [1, 0]).ece).toBeCloseTo(0, 10);
  expect(() => calibration([1.2], [1])).toThrow(/probability/);
});

test('outcome: a stock-out going on or starting before the next receipt; undecided with no receipt after', () => {
  const out = (start: number, end: number): StockoutRow => ({ store_id: 'S1', sku: 'A', start, end, censored: false, book_on_hand_at_start: 0 });
  const receipts = new Map([['S1/A', [10 * H, 30 * H]]]);
  const stockouts = [out(8 * H, 10 * H), out(25 * H, 30 * H)];
  const samples = [
    { series: 'S1/A', at: 5 * H, risk: 0.5 }, // runs out at 8 h, before the receipt at 10 h: 1
    { series: 'S1/A', at: 9 * H, risk: 0.5 }, // out at the sample: 1
    { series: 'S1/A', at: 11 * H, risk: 0.5 }, // next receipt 30 h, out from 25 h: 1
    { series: 'S1/A', at: 31 * H, risk: 0.5 }, // no receipt after, no stock-out: undecided
    { series: 'S1/B', at: 5 * H, risk: 0.5 }, // no receipts at all: undecided
  ];
  expect(outcomes(samples, stockouts, receipts)).toEqual([1, 1, 1, undefined, undefined]);
  expect(outcomes([{ series: 'S1/A', at: 10.5 * H, risk: 0.1 }], [out(31 * H, 32 * H)], receipts)).toEqual([0]);
});
