import { createPageCache } from './page-cache';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('dashboard page cache', () => {
  it('shares one computation among identical requests of one data version', async () => {
    let clock = 0;
    const cache = createPageCache({ ttlMs: 10_000, maxEntries: 10, now: () => clock });
    let computed = 0;
    const compute = async (): Promise<number> => ++computed;
    const [a, b] = await Promise.all([cache.get('analyst|executive', 'v1', compute), cache.get('analyst|executive', 'v1', compute)]);
    expect([a, b, computed]).toEqual([1, 1, 1]);
    clock = 9_999;
    expect(await cache.get('analyst|executive', 'v1', compute)).toBe(1);
    expect(await cache.get('manager|executive', 'v1', compute)).toBe(2);
  });

  it('computes afresh as soon as the data version changes, and keeps one entry per key', async () => {
    const cache = createPageCache({ ttlMs: 60_000, maxEntries: 10, now: () => 0 });
    let computed = 0;
    const compute = async (): Promise<number> => ++computed;
    expect(await cache.get('k', 'sales=10', compute)).toBe(1);
    expect(await cache.get('k', 'sales=11', compute)).toBe(2);
    expect(await cache.get('k', 'sales=11', compute)).toBe(2);
    expect(cache.size).toBe(1);
  });

  it('past the time to live serves the kept answer while one refresh runs', async () => {
    let clock = 0;
    const cache = createPageCache({ ttlMs: 1_000, maxEntries: 10, now: () => clock });
    let release: (v: string) => void = () => undefined;
    let computed = 0;
    const slow = (): Promise<string> => {
      computed++;
      return new Promise((resolve) => (release = resolve));
    };
    const first = cache.get('k', 'v', slow);
    release('old');
    expect(await first).toBe('old');
    clock = 1_000;
    expect(await cache.get('k', 'v', slow)).toBe('old');
    expect(await cache.get('k', 'v', slow)).toBe('old');
    expect(computed).toBe(2);
    release('new');
    await tick();
    expect(await cache.get('k', 'v', slow)).toBe('new');
  });

  it('keeps neither a failure nor an answer that keep refuses', async () => {
    const cache = createPageCache({ ttlMs: 60_000, maxEntries: 10, keep: (v) => v !== 'partial', now: () => 0 });
    await expect(cache.get('k', 'v', () => Promise.reject(new Error('engine busy')))).rejects.toThrow('engine busy');
    expect(await cache.get('k', 'v', async () => 'partial')).toBe('partial');
    await tick();
    expect(cache.size).toBe(0);
    expect(await cache.get('k', 'v', async () => 'whole')).toBe('whole');
  });

  it('drops the oldest entries beyond maxEntries, and keeps nothing with a time to live of 0', async () => {
    const cache = createPageCache({ ttlMs: 60_000, maxEntries: 2, now: () => 0 });
    for (const k of ['a', 'b', 'c']) await cache.get(k, 'v', async () => k);
    expect(cache.size).toBe(2);
    let computed = 0;
    expect(await cache.get('a', 'v', async () => `a${++computed}`)).toBe('a1');
    const off = createPageCache({ ttlMs: 0, maxEntries: 2, now: () => 0 });
    let n = 0;
    await off.get('k', 'v', async () => ++n);
    expect(await off.get('k', 'v', async () => ++n)).toBe(2);
  });
});
