import { createStaleWhileRevalidate } from './stale-while-revalidate';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('stale-while-revalidate cache', () => {
  it('shares one computation among identical requests of one version within the time to live', async () => {
    let clock = 0;
    const cache = createStaleWhileRevalidate({ ttlMs: 1_000, maxEntries: 10, now: () => clock });
    let computed = 0;
    const compute = async (): Promise<number> => ++computed;
    const [a, b] = await Promise.all([cache.get('analyst|executive', compute, 'v1'), cache.get('analyst|executive', compute, 'v1')]);
    expect([a, b, computed]).toEqual([1, 1, 1]);
    clock = 999;
    expect(await cache.get('analyst|executive', compute, 'v1')).toBe(1);
    expect(await cache.get('manager|executive', compute, 'v1')).toBe(2);
  });

  it('computes afresh, and is waited for, as soon as the version changes; one entry per key', async () => {
    const cache = createStaleWhileRevalidate({ ttlMs: 60_000, maxEntries: 10, now: () => 0 });
    let computed = 0;
    const compute = async (): Promise<number> => ++computed;
    expect(await cache.get('k', compute, 'sales=10')).toBe(1);
    expect(await cache.get('k', compute, 'sales=11')).toBe(2);
    expect(await cache.get('k', compute, 'sales=11')).toBe(2);
    expect(cache.size).toBe(1);
  });

  it('past the time to live serves the kept answer while one background refresh runs, then the new one', async () => {
    let clock = 0;
    const cache = createStaleWhileRevalidate({ ttlMs: 1_000, maxEntries: 10, now: () => clock });
    let release: (v: string) => void = () => undefined;
    const runs: boolean[] = [];
    const slow = (background: boolean): Promise<string> => {
      runs.push(background);
      return new Promise((resolve) => (release = resolve));
    };
    const first = cache.get('k', slow);
    release('v1');
    expect(await first).toBe('v1');
    clock = 1_000; // expired: a refresh starts, the old answer is served
    expect(await cache.get('k', slow)).toBe('v1');
    expect(await cache.get('k', slow)).toBe('v1');
    expect(runs).toEqual([false, true]); // one refresh, not one per request, and told it is one
    release('v2');
    await tick();
    expect(await cache.get('k', slow)).toBe('v2');
    clock = 1_999; // fresh since the refresh finished at 1_000
    expect(await cache.get('k', slow)).toBe('v2');
    expect(runs).toHaveLength(2);
  });

  it('keeps neither a failure nor an answer that keep refuses', async () => {
    const cache = createStaleWhileRevalidate({ ttlMs: 60_000, maxEntries: 10, keep: (v) => v !== 'partial', now: () => 0 });
    await expect(cache.get('k', () => Promise.reject(new Error('engine busy')))).rejects.toThrow('engine busy');
    expect(await cache.get('k', async () => 'partial')).toBe('partial');
    await tick();
    expect(cache.size).toBe(0);
    expect(await cache.get('k', async () => 'whole')).toBe('whole');
  });

  it('drops the old answer when its refresh fails', async () => {
    let clock = 0;
    const cache = createStaleWhileRevalidate({ ttlMs: 1_000, maxEntries: 10, now: () => clock });
    expect(await cache.get('k', async () => 'answer')).toBe('answer');
    clock = 2_000;
    expect(await cache.get('k', () => Promise.reject(new Error('down again')))).toBe('answer'); // served stale while the refresh fails
    await tick();
    expect(cache.size).toBe(0);
    expect(await cache.get('k', async () => 'new')).toBe('new');
  });

  it('drops the oldest entries beyond maxEntries, and keeps nothing with a time to live of 0', async () => {
    const cache = createStaleWhileRevalidate({ ttlMs: 60_000, maxEntries: 2, now: () => 0 });
    for (const k of ['a', 'b', 'c']) await cache.get(k, async () => k);
    expect(cache.size).toBe(2);
    let computed = 0;
    expect(await cache.get('a', async () => `a${++computed}`)).toBe('a1');
    const off = createStaleWhileRevalidate({ ttlMs: 0, maxEntries: 2, now: () => 0 });
    let n = 0;
    await off.get('k', async () => ++n);
    expect([await off.get('k', async () => ++n), off.size]).toEqual([2, 0]);
  });
});
