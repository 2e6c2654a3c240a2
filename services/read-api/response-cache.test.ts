import { createResponseCache } from './response-cache';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('response cache', () => {
  it('shares one computation among identical requests within the time to live', async () => {
    let clock = 0;
    const cache = createResponseCache(1_000, () => clock);
    let computed = 0;
    const compute = async (): Promise<number> => ++computed;
    const [a, b] = await Promise.all([cache.get('k', compute), cache.get('k', compute)]);
    expect([a, b, computed]).toEqual([1, 1, 1]);
    clock = 999;
    expect(await cache.get('k', compute)).toBe(1);
    expect(await cache.get('other', compute)).toBe(2);
  });

  it('serves the previous answer while one refresh runs, then the new one', async () => {
    let clock = 0;
    const cache = createResponseCache(1_000, () => clock);
    let release: (v: string) => void = () => undefined;
    let computed = 0;
    const slow = (): Promise<string> => {
      computed++;
      return new Promise((resolve) => (release = resolve));
    };
    const first = cache.get('k', slow);
    release('v1');
    expect(await first).toBe('v1');
    clock = 1_000; // expired: a refresh starts, the old answer is served
    expect(await cache.get('k', slow)).toBe('v1');
    expect(await cache.get('k', slow)).toBe('v1');
    expect(computed).toBe(2); // one refresh, not one per request
    release('v2');
    await tick();
    expect(await cache.get('k', slow)).toBe('v2');
    clock = 1_999; // fresh since the refresh finished at 1_000
    expect(await cache.get('k', slow)).toBe('v2');
    expect(computed).toBe(2);
  });

  it('does not keep a failure, and a failed refresh drops the old answer', async () => {
    let clock = 0;
    const cache = createResponseCache(1_000, () => clock);
    await expect(cache.get('k', () => Promise.reject(new Error('ClickHouse down')))).rejects.toThrow('ClickHouse down');
    expect(await cache.get('k', async () => 'answer')).toBe('answer');
    clock = 2_000;
    expect(await cache.get('k', () => Promise.reject(new Error('down again')))).toBe('answer'); // served stale while the refresh fails
    await tick();
    expect(cache.size).toBe(0);
    expect(await cache.get('k', async () => 'new')).toBe('new');
  });

  it('computes every time when turned off', async () => {
    const cache = createResponseCache(0, () => 0);
    let computed = 0;
    await cache.get('k', async () => ++computed);
    await cache.get('k', async () => ++computed);
    expect([computed, cache.size]).toEqual([2, 0]);
  });
});
