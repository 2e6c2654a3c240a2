import { MemoryStateBackend, TaskStateStores } from './state-store';

describe('state stores', () => {
  it('restore the latest value of each key and the offsets the last snapshot covered', async () => {
    const backend = new MemoryStateBackend();
    const first = new TaskStateStores(backend, 'stock', 3);
    await first.restore();
    const books = await first.open<{ on_hand: number }>('books');
    books.put('S1/A', { on_hand: 5 });
    books.put('S1/B', { on_hand: 2 });
    await backend.save([first.takeSnapshot(new Map([['pos.sales', 10]]))!]);
    books.put('S1/A', { on_hand: 4 });
    books.delete('S1/B');
    await backend.save([first.takeSnapshot(new Map([['pos.sales', 12], ['inventory.counts', 3]]))!]);
    // Nothing changed and no offset moved: no snapshot.
    expect(first.takeSnapshot(new Map([['pos.sales', 12]]))).toBeUndefined();

    const restarted = new TaskStateStores(backend, 'stock', 3);
    await restarted.restore();
    const again = await restarted.open<{ on_hand: number }>('books');
    expect([...again.entries()]).toEqual([['S1/A', { on_hand: 4 }]]);
    expect(restarted.applied({ topic: 'pos.sales', offset: 11 })).toBe(true);
    expect(restarted.applied({ topic: 'pos.sales', offset: 12 })).toBe(false);
    expect(restarted.applied({ topic: 'inventory.counts', offset: 2 })).toBe(true);
    expect(restarted.applied({ topic: 'pos.returns', offset: 0 })).toBe(false);
    // Another partition and another processor share nothing.
    const other = new TaskStateStores(backend, 'stock', 4);
    await other.restore();
    expect((await other.open('books')).size).toBe(0);
    expect(other.applied({ topic: 'pos.sales', offset: 0 })).toBe(false);
  });

  it('keep a covered offset for a topic not read since the last snapshot, and never move it back', async () => {
    const backend = new MemoryStateBackend();
    const stores = new TaskStateStores(backend, 'anomaly', 0);
    await stores.restore();
    (await stores.open<number>('hours')).put('h', 1);
    expect(stores.takeSnapshot(new Map([['pos.sales', 7], ['pos.voids', 2]]))!.covered).toEqual({ 'pos.sales': 7, 'pos.voids': 2 });
    (await stores.open<number>('hours')).put('h', 2);
    expect(stores.takeSnapshot(new Map([['pos.sales', 9]]))!.covered).toEqual({ 'pos.sales': 9, 'pos.voids': 2 });
  });

  it('snapshot a value as it was when the snapshot was taken, not as the task changed it before the save', async () => {
    const backend = new MemoryStateBackend();
    const stores = new TaskStateStores(backend, 'anomaly', 0);
    await stores.restore();
    const series = await stores.open<{ baseline: number[] }>('series');
    const value = { baseline: [1, 2] };
    series.put('S1/A', value);
    const snapshot = stores.takeSnapshot(new Map([['pos.sales', 5]]))!;
    // The task keeps processing while the snapshot waits for its rows: a change in place, not put again.
    value.baseline.push(3);
    await backend.save([snapshot]);
    const restarted = new TaskStateStores(backend, 'anomaly', 0);
    await restarted.restore();
    expect([...(await restarted.open<{ baseline: number[] }>('series')).entries()]).toEqual([['S1/A', { baseline: [1, 2] }]]);
  });
});
