import type { StockoutRow } from '../pos/ground-truth';
import { addRun, emptyCurve, frontier, recallAt, warningSpans } from './warning-frontier';

const H = 3_600_000;

describe('warningSpans', () => {
  const series = {
    storeId: 'S1',
    sku: 'A',
    at: [1, 2, 3, 4, 5, 6].map((h) => h * H),
    risk: [0.1, 0.6, 0.3, Number.NaN, 0.7, 0.9],
    onHand: [5, 4, 3, 2, 0, 0],
    receipts: [3.5 * H],
  };

  it('raises at the first sample at the threshold with units on hand and stands until the next delivery', () => {
    // 0.6 at 2 h raises; the receipt at 3.5 h resolves it at the next sample (4 h); 0.7 at 5 h
    // finds no units: nothing more is raised.
    expect(warningSpans(series, 0.5)).toEqual([{ storeId: 'S1', sku: 'A', raisedAt: 2 * H, resolvedAt: 4 * H }]);
  });

  it('a warning not resolved by a delivery stays open; a missing risk raises nothing', () => {
    expect(warningSpans({ ...series, receipts: [] }, 0.25)).toEqual([{ storeId: 'S1', sku: 'A', raisedAt: 2 * H, resolvedAt: undefined }]);
    expect(warningSpans({ ...series, risk: series.risk.map(() => Number.NaN) }, 0.01)).toEqual([]);
  });
});

test('curve: recall 24 h ahead and false warnings per threshold; recallAt reads the best below a false rate', () => {
  const day = 24 * H;
  // Two series over three days, one visible stock-out on A at day 2 + 12 h. A's risk is 0.8 from
  // the start (a warning 36 h ahead, true); B's is 0.3, no stock-out, delivery at day 2 (false).
  const at = Array.from({ length: 72 }, (_, i) => (i + 1) * H);
  const a = { storeId: 'S1', sku: 'A', at, risk: at.map(() => 0.8), onHand: at.map(() => 3), receipts: [] };
  const b = { storeId: 'S1', sku: 'B', at, risk: at.map(() => 0.3), onHand: at.map(() => 3), receipts: [2 * day] };
  const stockouts: StockoutRow[] = [{ store_id: 'S1', sku: 'A', start: 2 * day + 12 * H, end: 3 * day, censored: false, book_on_hand_at_start: 0 }];
  const curve = emptyCurve();
  addRun(curve, { series: [a, b], scoredFrom: 0, runEnd: 3 * day, stockouts, firstCountAt: new Map([['S1/A', 0]]) });
  const f = frontier(curve);
  const at25 = f.points.find((p) => p.threshold === 0.25)!;
  const at50 = f.points.find((p) => p.threshold === 0.5)!;
  expect(at25).toEqual({ threshold: 0.25, recall24h: 1, falseRate: 0.5 });
  expect(at50).toEqual({ threshold: 0.5, recall24h: 1, falseRate: 0 });
  expect(recallAt(f, 0.2)).toEqual({ recall24h: 1, threshold: 0.31 });
  expect(recallAt({ points: [{ threshold: 0.5, recall24h: 0.4, falseRate: 0.3 }] }, 0.2)).toEqual({ recall24h: 0, threshold: null });
});
