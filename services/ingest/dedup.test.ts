import { createDedupWindow, createDeduplicator } from './dedup';

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void } {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('dedup window', () => {
  it('remembers exactly the last `capacity` ids, evicting the oldest', () => {
    const w = createDedupWindow(3);
    ['a', 'b', 'c'].forEach((id) => w.add(id));
    expect(['a', 'b', 'c'].map((id) => w.has(id))).toEqual([true, true, true]);
    w.add('d');
    expect(w.has('a')).toBe(false);
    expect(['b', 'c', 'd'].every((id) => w.has(id))).toBe(true);
    expect(w.size).toBe(3);
  });

  it('does not let a repeated id push others out', () => {
    const w = createDedupWindow(2);
    w.add('a');
    w.add('b');
    w.add('b');
    w.add('b');
    expect(w.has('a')).toBe(true);
  });

  it('holds its size over many ids', () => {
    const w = createDedupWindow(1_000);
    for (let i = 0; i < 10_000; i++) w.add(`e${i}`);
    expect(w.size).toBe(1_000);
    expect(w.has('e8999')).toBe(false);
    expect(w.has('e9000')).toBe(true);
    expect(w.has('e9999')).toBe(true);
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => createDedupWindow(0)).toThrow(RangeError);
  });
});

describe('deduplicator', () => {
  it('marks acknowledged ids as duplicates and forgets failed ones', async () => {
    const d = createDeduplicator(100);
    const ok = deferred();
    const bad = deferred();
    d.track(['a', 'b'], ok.promise);
    d.track(['c'], bad.promise);
    expect(d.inFlight).toBe(3);
    ok.resolve();
    bad.reject(new Error('broker down'));
    await flush();
    expect(d.inFlight).toBe(0);
    expect(d.classify(['a', 'b', 'c', 'd'])).toEqual({ fresh: [2, 3], duplicates: [0, 1], pending: [], waitFor: [] });
  });

  it('makes a concurrent repeat wait for the first request’s outcome, once per request', async () => {
    const d = createDeduplicator(100);
    const first = deferred();
    d.track(['a', 'b'], first.promise);
    const plan = d.classify(['x', 'a', 'b']);
    expect(plan).toEqual({ fresh: [0], duplicates: [], pending: [1, 2], waitFor: [first.promise] });
    first.resolve();
    await Promise.all(plan.waitFor);
    await flush();
    expect(d.classify(['a', 'b']).duplicates).toEqual([0, 1]);
  });

  it('lets a retry produce again after the window forgot the id (downstream dedupes those)', async () => {
    const d = createDeduplicator(2);
    d.track(['a', 'b', 'c'], Promise.resolve());
    await flush();
    expect(d.classify(['a', 'c']).fresh).toEqual([0]);
  });
});
