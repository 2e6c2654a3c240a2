import { deadLetterHeaders } from './buffer';
import { chunkBySize, whileHeartbeating } from './durable-write';

describe('dead letters', () => {
  it('are sent in requests that stay under the size limit, in order, none lost', () => {
    const messages = Array.from({ length: 1_000 }, (_, i) => ({ key: `S${i}`, value: Buffer.alloc(1_000, i % 256), headers: { 'x-shelfstream-reason': 'late' } }));
    const chunks = chunkBySize(messages, 100_000);
    expect(chunks.length).toBeGreaterThan(10);
    expect(chunks.flat()).toEqual(messages);
    for (const c of chunks) expect(c.reduce((s, m) => s + (m.value?.length ?? 0), 0)).toBeLessThanOrEqual(100_000);
  });

  it('keep a record larger than the limit on its own rather than dropping it', () => {
    const big = { key: 'k', value: Buffer.alloc(2_000) };
    expect(chunkBySize([big, big], 1_000)).toEqual([[big], [big]]);
  });

  it('say where the record came from and why it was set aside', () => {
    expect(deadLetterHeaders({ topic: 'pos.sales', partition: 3, offset: 42 }, 'velocity', 'LATE_EVENT', 'too late')).toEqual({
      'x-shelfstream-error-code': 'LATE_EVENT',
      'x-shelfstream-reason': 'too late',
      'x-shelfstream-processor': 'velocity',
      'x-shelfstream-source-topic': 'pos.sales',
      'x-shelfstream-source-partition': '3',
      'x-shelfstream-source-offset': '42',
    });
  });
});

describe('a consumer waiting on a write', () => {
  afterEach(() => jest.useRealTimers());

  it('keeps heartbeating until the write settles, then stops', async () => {
    jest.useFakeTimers();
    let finish!: () => void;
    const write = new Promise<void>((resolve) => (finish = resolve));
    const heartbeat = jest.fn(async () => undefined);
    const waiting = whileHeartbeating(write, heartbeat);
    // A sink down for longer than a short session timeout (6 s): a heartbeat every second.
    await jest.advanceTimersByTimeAsync(6_500);
    expect(heartbeat).toHaveBeenCalledTimes(6);
    finish();
    await waiting;
    await jest.advanceTimersByTimeAsync(5_000);
    expect(heartbeat).toHaveBeenCalledTimes(6);
  });

  it('passes the write failure on, and a failing heartbeat does not hide it', async () => {
    jest.useFakeTimers();
    let fail!: (error: Error) => void;
    const write = new Promise<void>((_, reject) => (fail = reject));
    const waiting = whileHeartbeating(write, async () => Promise.reject(new Error('The coordinator is not aware of this member')));
    await jest.advanceTimersByTimeAsync(2_500);
    fail(new Error('object store: writing raw/x failed'));
    await expect(waiting).rejects.toThrow('object store: writing raw/x failed');
  });
});
