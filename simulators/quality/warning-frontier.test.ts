import type { StockoutRow } from '../pos/ground-truth';
import { addRun, emptyCurve, frontier, interpolatedRecallAt, rankThresholds, recallAt, warningSpans } from './warning-frontier';

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
  expect(at25).toEqual({ threshold: 0.25, recall24h: 1, falseRate: 0.5, counts: { eligible: 1, warned24h: 1, scored: 2, falseWarnings: 1 } });
  expect(at50).toEqual({ threshold: 0.5, recall24h: 1, falseRate: 0, counts: { eligible: 1, warned24h: 1, scored: 1, falseWarnings: 0 } });
  expect(recallAt(f, 0.2)).toEqual({ recall24h: 1, threshold: 0.31 });
  expect(recallAt({ points: [{ threshold: 0.5, recall24h: 0.4, falseRate: 0.3 }] }, 0.2)).toEqual({ recall24h: 0, threshold: null });
});

describe('rank thresholds', () => {
  const at = Array.from({ length: 50 }, (_, i) => (i + 1) * H);
  const risk = at.map((_, i) => ((i * 37) % 50) / 50);
  const series = { storeId: 'S1', sku: 'A', at, risk, onHand: at.map((_, i) => (i % 10 === 9 ? 0 : 4)), receipts: [20 * H, 40 * H] };

  it('are values of samples with units on hand, ascending and distinct, crowded towards the top', () => {
    const t = rankThresholds([series], 10);
    const eligible = new Set(risk.filter((_, i) => series.onHand[i]! > 0));
    expect(t.every((x) => eligible.has(x))).toBe(true);
    expect(t).toEqual([...new Set(t)].sort((a, b) => a - b));
    // Levels 1 - (1 - i/10)^3 over 45 samples: 0, 0.271, 0.488, 0.657, 0.784, 0.875, 0.936, 0.973, 0.992, 0.999.
    const sorted = [...eligible].sort((a, b) => a - b);
    expect(t).toEqual([0, 12, 21, 29, 35, 39, 42, 43, 44].map((k) => sorted[k]));
  });

  it('give the same warnings for a strictly monotone map of the risk', () => {
    const mapped = { ...series, risk: risk.map((r) => 0.1 + 0.8 * r * r) };
    const plain = rankThresholds([series], 20);
    const squeezed = rankThresholds([mapped], 20);
    expect(squeezed).toEqual(plain.map((r) => 0.1 + 0.8 * r * r));
    plain.forEach((t, i) => expect(warningSpans(mapped, squeezed[i]!)).toEqual(warningSpans(series, t)));
  });
});

describe('interpolatedRecallAt', () => {
  const point = (threshold: number, warned24h: number, scored: number, falseWarnings: number) => ({ threshold, recall24h: warned24h / 10, falseRate: falseWarnings / scored, counts: { eligible: 10, warned24h, scored, falseWarnings } });

  it('mixes the neighbouring points on their counts so the false rate is the asked one', () => {
    // A: 2 of 10 warned, 1 false of 10; B: 6 warned, 6 false of 20. At 0.2: l (1 - 0.2 x 10) +
    // (1 - l) (6 - 0.2 x 20) = 0 gives l = 2/3: false 8/3 of 40/3 warnings, warned 10/3 -> 1/3.
    const f = { points: [point(0.9, 2, 10, 1), point(0.5, 6, 20, 6), point(0.1, 9, 40, 20)] };
    expect(interpolatedRecallAt(f, 0.2).recall24h).toBeCloseTo(1 / 3, 12);
    expect(recallAt(f, 0.2).recall24h).toBe(0.2);
  });

  it('is the point itself on a point, and the best below when nothing above recalls more', () => {
    const f = { points: [point(0.9, 2, 10, 1), point(0.5, 6, 20, 6)] };
    expect(interpolatedRecallAt(f, 0.3).recall24h).toBeCloseTo(0.6, 12);
    expect(interpolatedRecallAt({ points: [point(0.9, 2, 10, 1), point(0.5, 2, 20, 6)] }, 0.2).recall24h).toBe(0.2);
  });

  it('cannot reach below the lowest false rate by warning less: no warnings keep the rate', () => {
    expect(interpolatedRecallAt({ points: [point(0.5, 6, 20, 6)] }, 0.2)).toEqual({ recall24h: 0, threshold: null });
  });
});
