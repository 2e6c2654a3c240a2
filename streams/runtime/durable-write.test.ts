import pino from 'pino';
import { createMetrics } from '../../lib/metrics';
import { deadLetterHeaders } from './buffer';
import { DurableWriter, chunkBySize, whileHeartbeating } from './durable-write';

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

describe('event-to-visible', () => {
  it('ends when the rows are written, not when the state snapshot after them is', async () => {
    // A hand-driven clock: the insert takes 100 ms, the snapshot 900 ms.
    let nowMs = 10_000;
    const metrics = createMetrics('test', { collectDefaults: false });
    const ports = {
      produce: async () => undefined,
      writeRows: async () => void (nowMs += 100),
      saveState: async () => void (nowMs += 900),
      commit: async () => undefined,
    };
    const writer = new DurableWriter('velocity', ['sales_velocity_1m'], 'dlq', ports, pino({ level: 'silent' }), metrics, { initialDelayMs: 1, maxDelayMs: 1 }, () => nowMs);
    await writer.write({
      output: { rows: new Map([['sales_velocity_1m', [{ units: 1 }]]]), events: new Map(), deliveries: [], deadLetters: [], eventTimes: [9_500, 9_900] },
      taskOutputs: [],
      stateSnapshots: [{ owner: 'g', partition: 0, covered: { 'pos.sales': 2 }, version: 1, stores: [] }],
      ranges: [],
      commits: [],
    });
    const histogram = (await metrics.registry.getSingleMetric('shelfstream_event_to_visible_seconds')!.get()).values as { metricName?: string; value: number }[];
    const sum = histogram.find((v) => v.metricName === 'shelfstream_event_to_visible_seconds_sum')!.value;
    // Visible at 10 100 ms: 0.6 s and 0.2 s after the two events, 0.8 s in all (with the snapshot it would be 2.6 s).
    expect(sum).toBeCloseTo(0.8, 9);
  });
});
