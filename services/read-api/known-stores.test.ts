import { KNOWN_STORE_TTL_MS, rememberKnownStores } from './known-stores';
import type { ReadQuerySource } from './queries';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('known stores', () => {
  it('asks once for a known store, always for an unknown one, and past the time answers known while one check runs behind', async () => {
    let clock = 0;
    const master = new Set(['S1']);
    const asked: string[] = [];
    const source = { storeExists: async (store: string) => (asked.push(`ask ${store}`), master.has(store)) } as unknown as ReadQuerySource;
    const recheck = async (store: string): Promise<boolean> => (asked.push(`recheck ${store}`), master.has(store));
    const queries = rememberKnownStores(source, recheck, () => clock);
    expect([await queries.storeKnown('S1'), await queries.storeKnown('S1'), await queries.storeKnown('S2'), await queries.storeKnown('S2')]).toEqual([true, true, false, false]);
    expect(asked).toEqual(['ask S1', 'ask S2', 'ask S2']);
    master.delete('S1');
    clock = KNOWN_STORE_TTL_MS;
    expect(await queries.storeKnown('S1')).toBe(true); // the old answer, while the recheck runs
    await tick();
    expect(await queries.storeKnown('S1')).toBe(false);
    expect(asked).toEqual(['ask S1', 'ask S2', 'ask S2', 'recheck S1', 'ask S1']);
  });
});
