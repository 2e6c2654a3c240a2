import { createPriorityBudget } from './priority-budget';

describe('priority budget', () => {
  it('raises a light load: 60-ms queries, four a second, are a quarter of a query at a time', () => {
    const budget = createPriorityBudget({ nice: -10, share: 0.5, windowMs: 10_000 });
    const nices: number[] = [];
    for (let t = 0; t < 30_000; t += 250) {
      const ticket = budget.begin(t);
      nices.push(ticket.nice);
      ticket.end(t + 60);
    }
    expect(new Set(nices)).toEqual(new Set([-10]));
    // 40 queries x 60 ms in the last 10 s (the last one ended at 29,810): 2.4 s of 10.
    expect(budget.busy(29_810)).toBeCloseTo(0.24, 10);
  });

  it('stops raising once the raised queries ran more than the share, and raises again when it falls back', () => {
    const budget = createPriorityBudget({ nice: -10, share: 0.5, windowMs: 10_000 });
    // Two 3-s queries at once from t=0: by t=3,000 they ran 6 s of the window (0.6).
    const a = budget.begin(0);
    const b = budget.begin(0);
    expect([a.nice, b.nice]).toEqual([-10, -10]);
    expect(budget.busy(2_000)).toBeCloseTo(0.4, 10); // still running: counted up to now
    expect(budget.begin(2_000).nice).toBe(-10); // 0.4 < 0.5: this third one is raised too
    a.end(3_000);
    b.end(3_000);
    // 3 + 3 s, and the third (never ended yet) 1 s by t=3,000: 0.7.
    expect(budget.busy(3_000)).toBeCloseTo(0.7, 10);
    expect(budget.begin(3_000).nice).toBe(0);
  });

  it('forgets runs that left the window', () => {
    const budget = createPriorityBudget({ nice: -10, share: 0.5, windowMs: 10_000 });
    const long = budget.begin(0);
    long.end(8_000); // 0.8 of the window
    expect(budget.begin(8_000).nice).toBe(0);
    // At t=15,000 the window is 5,000-15,000: 3 s of the run are left in it (0.3).
    expect(budget.busy(15_000)).toBeCloseTo(0.3, 10);
    expect(budget.begin(15_000).nice).toBe(-10);
  });

  it('gives a nice value of 0 or above to every query, without counting them', () => {
    const yielding = createPriorityBudget({ nice: 19, share: 0, windowMs: 1_000 });
    expect(yielding.begin(0).nice).toBe(19);
    expect(yielding.busy(10)).toBe(0);
    expect(createPriorityBudget({ nice: 0, share: 0.5, windowMs: 1_000 }).begin(0).nice).toBe(0);
  });

  it('refuses a budget that cannot be read', () => {
    expect(() => createPriorityBudget({ nice: -10, share: 0.5, windowMs: 0 })).toThrow(/windowMs/);
    expect(() => createPriorityBudget({ nice: -10, share: -1, windowMs: 1_000 })).toThrow(/share/);
  });
});
