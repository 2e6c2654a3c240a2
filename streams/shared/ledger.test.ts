import { OnHandLedger, ledgerEntries, type LedgerEntry } from './ledger';

const H = 3_600_000;

function apply(ledger: OnHandLedger, entries: readonly LedgerEntry[]): void {
  for (const e of entries) {
    if (e.kind === 'count') ledger.applyCount(e.at, e.onHand);
    else ledger.applyDelta(e.at, e.delta);
  }
}

/** Every permutation of a small array. */
function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [items.slice()];
  const out: T[][] = [];
  items.forEach((item, i) => {
    for (const rest of permutations([...items.slice(0, i), ...items.slice(i + 1)])) out.push([item, ...rest]);
  });
  return out;
}

describe('OnHandLedger', () => {
  // Hand-computed: count 10 at 5h; a sale of 2 at 1h (covered), a correction at 5h (covered,
  // it belongs to the count), a receipt of 12 at 6h, sales of 3 at 7h and 1 at 8h,
  // a second count of 15 at 9h (covers everything before), a sale of 4 at 10h.
  const story: LedgerEntry[] = [
    { sku: 'A', at: 1 * H, kind: 'delta', delta: -2 },
    { sku: 'A', at: 5 * H, kind: 'count', onHand: 10 },
    { sku: 'A', at: 5 * H, kind: 'delta', delta: -3 },
    { sku: 'A', at: 6 * H, kind: 'delta', delta: 12 },
    { sku: 'A', at: 7 * H, kind: 'delta', delta: -3 },
    { sku: 'A', at: 8 * H, kind: 'delta', delta: -1 },
  ];

  it('sets the books to the count plus the later deltas, in every arrival order', () => {
    // 10 + 12 - 3 - 1 = 18, whatever the order the six entries arrive in (720 orders).
    for (const order of permutations(story)) {
      const ledger = new OnHandLedger();
      apply(ledger, order);
      expect(ledger.onHand).toBe(18);
      expect(ledger.known).toBe(true);
      expect(ledger.lastCountAt).toBe(5 * H);
    }
  });

  it('a newer count supersedes an older one that arrives late', () => {
    const ledger = new OnHandLedger();
    apply(ledger, [...story, { sku: 'A', at: 9 * H, kind: 'count', onHand: 15 }, { sku: 'A', at: 10 * H, kind: 'delta', delta: -4 }]);
    expect(ledger.onHand).toBe(11);
    expect(ledger.applyCount(2 * H, 99)).toBe('superseded');
    expect(ledger.onHand).toBe(11);
  });

  it('is relative and unknown before the first count', () => {
    const ledger = new OnHandLedger();
    ledger.applyDelta(1 * H, -2);
    ledger.applyDelta(2 * H, 5);
    expect(ledger.known).toBe(false);
    expect(ledger.onHand).toBe(3);
    expect(ledger.lastCountAt).toBeUndefined();
  });

  it('folds old deltas and refuses a count older than what it folded', () => {
    const ledger = new OnHandLedger({ horizonMs: 10 * H, maxRecentDeltas: 3 });
    ledger.applyCount(0, 100);
    for (let h = 1; h <= 6; h++) ledger.applyDelta(h * H, -1); // the first three are folded
    expect(ledger.onHand).toBe(94);
    expect(ledger.toJSON().recent).toHaveLength(3);
    expect(ledger.applyCount(2 * H, 50)).toBe('stale');
    expect(ledger.onHand).toBe(94);
    // A count after the folded deltas is exact again: 40 + deltas at 5h and 6h.
    expect(ledger.applyCount(4.5 * H, 40)).toBe('applied');
    expect(ledger.onHand).toBe(38);
  });

  it('round-trips through its JSON snapshot', () => {
    const ledger = new OnHandLedger();
    apply(ledger, story.slice(0, 4));
    const copy = OnHandLedger.fromJSON(JSON.parse(JSON.stringify(ledger.toJSON())));
    apply(ledger, story.slice(4));
    apply(copy, story.slice(4));
    expect(copy.onHand).toBe(ledger.onHand);
    expect(copy.toJSON()).toEqual(ledger.toJSON());
  });
});

describe('ledgerEntries', () => {
  it('adds up a sale per sku and keeps only restockable return lines', () => {
    const sale = { occurred_at: 7, lines: [{ sku: 'A', quantity: 2 }, { sku: 'B', quantity: 1 }, { sku: 'A', quantity: 1 }] };
    expect(ledgerEntries('pos.sales', sale as never)).toEqual([
      { sku: 'A', at: 7, kind: 'delta', delta: -3 },
      { sku: 'B', at: 7, kind: 'delta', delta: -1 },
    ]);
    const ret = { occurred_at: 8, lines: [{ sku: 'A', quantity: 2, restockable: true }, { sku: 'C', quantity: 1, restockable: false }] };
    expect(ledgerEntries('pos.returns', ret as never)).toEqual([{ sku: 'A', at: 8, kind: 'delta', delta: 2 }]);
  });
});
