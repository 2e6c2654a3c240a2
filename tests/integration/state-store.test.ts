/**
 * The runtime's state stores in ClickHouse (processor_state): what a task saved is what the
 * next task restores, per processor and partition, deletions included, and the offsets covered
 * are those of the latest snapshot. Expected values are the ones written here.
 */
import { migrate } from '../../clickhouse/migrate';
import { ClickHouseSink } from '../../streams/runtime/clickhouse-sink';
import { ClickHouseStateBackend } from '../../streams/runtime/clickhouse-state';
import { TaskStateStores } from '../../streams/runtime/state-store';
import { testClickHouse } from '../harness/fixtures';

describe('state stores in ClickHouse', () => {
  it('restore the latest value of each live key and the offsets the last snapshot covered', async () => {
    const { client, database } = await testClickHouse();
    await migrate(client, database);
    const query = async <T>(sql: string, params?: Record<string, unknown>): Promise<T[]> => (await client.query({ query: sql, query_params: params, format: 'JSONEachRow' })).json<T>();
    const sink = new ClickHouseSink(client, database);
    const backend = new ClickHouseStateBackend(query, (write) => sink.write(write), database);

    const first = new TaskStateStores(backend, 'shelfstream.stock', 2);
    await first.restore();
    const books = await first.open<{ on_hand: number }>('books');
    books.put('S1/A', { on_hand: 5 });
    books.put('S1/B', { on_hand: 2 });
    const snapshot = first.takeSnapshot(new Map([['pos.sales', 10]]))!;
    await backend.save([snapshot]);
    await backend.save([snapshot]); // a retry of an insert that had landed
    books.put('S1/A', { on_hand: 4 });
    books.delete('S1/B');
    await backend.save([first.takeSnapshot(new Map([['pos.sales', 12], ['inventory.counts', 3]]))!]);
    // Another consumer group's store on the same partition is not restored by this one.
    await backend.save([{ owner: 'shelfstream.anomaly', partition: 2, covered: { 'pos.sales': 99 }, version: 7, stores: [{ store: 'books', changes: [['S9/Z', JSON.stringify({ on_hand: 1 })]] }] }]);

    const restarted = new TaskStateStores(backend, 'shelfstream.stock', 2);
    await restarted.restore();
    expect([...(await restarted.open<{ on_hand: number }>('books')).entries()]).toEqual([['S1/A', { on_hand: 4 }]]);
    expect(restarted.applied({ topic: 'pos.sales', offset: 11 })).toBe(true);
    expect(restarted.applied({ topic: 'pos.sales', offset: 12 })).toBe(false);
    expect(restarted.applied({ topic: 'inventory.counts', offset: 2 })).toBe(true);
    // The next snapshot continues the sequence, so it wins over what was restored.
    (await restarted.open<{ on_hand: number }>('books')).put('S1/A', { on_hand: 3 });
    expect(restarted.takeSnapshot(new Map([['pos.sales', 13]]))!.version).toBe(3);

    const fresh = new TaskStateStores(backend, 'shelfstream.stock', 5);
    await fresh.restore();
    expect((await fresh.open('books')).size).toBe(0);
    expect(fresh.applied({ topic: 'pos.sales', offset: 0 })).toBe(false);
  });
});
