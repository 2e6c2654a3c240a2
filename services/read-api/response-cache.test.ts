import { createResponseCache } from './response-cache';

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
    clock = 1_000; // expired
    expect(await cache.get('k', compute)).toBe(2);
    expect(await cache.get('other', compute)).toBe(3);
  });

  it('does not keep a failure', async () => {
    const cache = createResponseCache(1_000, () => 0);
    await expect(cache.get('k', () => Promise.reject(new Error('ClickHouse down')))).rejects.toThrow('ClickHouse down');
    expect(await cache.get('k', async () => 'answer')).toBe('answer');
  });

  it('computes every time when turned off', async () => {
    const cache = createResponseCache(0, () => 0);
    let computed = 0;
    await cache.get('k', async () => ++computed);
    await cache.get('k', async () => ++computed);
    expect([computed, cache.size]).toEqual([2, 0]);
  });
});
