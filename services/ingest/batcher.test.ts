import { ShelfStreamError } from '../../lib/errors';
import { createProduceBatcher, encodeOnSubmit, type TopicBatch } from './batcher';

/** A publisher whose produces the test completes by hand. */
function manualPublisher() {
  const calls: { batches: readonly TopicBatch[]; resolve: () => void; reject: (e: unknown) => void }[] = [];
  return {
    calls,
    publisher: {
      publishMixed: (batches: readonly TopicBatch[]) =>
        new Promise<void>((resolve, reject) => {
          calls.push({ batches, resolve, reject });
        }),
    },
  };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
const events = (n: number, topic = 'pos.sales') => Array.from({ length: n }, (_, i) => ({ topic, event: { i } }));

describe('produce batcher', () => {
  it('coalesces requests that arrive while a produce is in flight into the next produce', async () => {
    const { calls, publisher } = manualPublisher();
    const b = createProduceBatcher(publisher, { lingerMs: 0, maxInFlight: 1 });
    const first = b.submit(events(2));
    await tick();
    expect(calls).toHaveLength(1);

    const second = b.submit(events(3));
    const third = b.submit(events(1, 'pos.voids'));
    await tick();
    expect(calls).toHaveLength(1); // still waiting for the first produce

    calls[0]!.resolve();
    await first;
    await tick();
    expect(calls).toHaveLength(2);
    expect(calls[1]!.batches.map((t) => [t.topic, t.events.length])).toEqual([
      ['pos.sales', 3],
      ['pos.voids', 1],
    ]);
    calls[1]!.resolve();
    await expect(Promise.all([second, third])).resolves.toBeDefined();
    expect(b.pendingEvents).toBe(0);
  });

  it('lingers when idle so requests of the same moment share a produce', async () => {
    const { calls, publisher } = manualPublisher();
    const b = createProduceBatcher(publisher, { lingerMs: 5 });
    void b.submit(events(1));
    void b.submit(events(1));
    await tick();
    expect(calls).toHaveLength(0);
    await new Promise((r) => setTimeout(r, 20));
    expect(calls).toHaveLength(1);
    expect(calls[0]!.batches[0]!.events).toHaveLength(2);
  });

  it('never splits a request, and starts a new produce when the next request would overflow', async () => {
    const { calls, publisher } = manualPublisher();
    const b = createProduceBatcher(publisher, { maxBatchEvents: 10, maxInFlight: 1 });
    void b.submit(events(1));
    await tick();
    void b.submit(events(6));
    void b.submit(events(6)); // 6 + 6 > 10: a batch of its own
    void b.submit(events(12)); // larger than a batch: goes out whole, alone
    calls[0]!.resolve();
    for (let i = 1; i <= 3; i++) {
      await tick();
      calls[i]!.resolve();
    }
    await tick();
    expect(calls.map((c) => c.batches[0]!.events.length)).toEqual([1, 6, 6, 12]);
  });

  it('fails every request of a failed produce, and refuses new work during the cooldown', async () => {
    let now = 0;
    const { calls, publisher } = manualPublisher();
    const b = createProduceBatcher(publisher, { cooldownMs: 5_000, clock: () => now });
    const a = b.submit(events(1));
    const c = b.submit(events(1));
    await tick();
    calls[0]!.reject(new ShelfStreamError('SERVICE_UNAVAILABLE', 'Kafka did not acknowledge the batch: connection refused'));
    await expect(a).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    await expect(c).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    now += 1_000;
    expect(b.availability()).toEqual({ ok: false, retryAfterMs: 4_000, reason: expect.stringMatching(/connection refused/) });
    now += 4_000;
    expect(b.availability()).toEqual({ ok: true });
  });

  it('flush sends what is queued and waits for every produce', async () => {
    const published: number[] = [];
    const b = createProduceBatcher(
      { publishMixed: async (batches) => void published.push(batches.reduce((n, t) => n + t.events.length, 0)) },
      { lingerMs: 10_000 },
    );
    const done = b.submit(events(4));
    await b.flush();
    await done;
    expect(published).toEqual([4]);
  });

  it('reports each produce for metrics', async () => {
    const seen: [number, boolean][] = [];
    const b = createProduceBatcher({ publishMixed: async () => undefined }, { onProduced: (n, _ms, error) => seen.push([n, error !== undefined]) });
    await b.submit(events(3));
    expect(seen).toEqual([[3, false]]);
  });

  it('encodeOnSubmit encodes when a request is submitted and produces the encoded records', async () => {
    const { calls, publisher } = manualPublisher();
    const encoded: string[] = [];
    const b = encodeOnSubmit(createProduceBatcher(publisher, { lingerMs: 0, maxInFlight: 1 }), (topic, event) => {
      encoded.push(`${topic}#${(event as { i: number }).i}`);
      return Buffer.from(`${topic}#${(event as { i: number }).i}`);
    });
    const done = b.submit(events(2));
    // Encoded at once, before any produce started.
    expect(encoded).toEqual(['pos.sales#0', 'pos.sales#1']);
    expect(b.pendingEvents).toBe(2);
    await tick();
    expect(calls[0]!.batches.map((t) => [t.topic, t.events.map((e) => String(e))])).toEqual([['pos.sales', ['pos.sales#0', 'pos.sales#1']]]);
    calls[0]!.resolve();
    await done;
    await tick();
    expect(b.pendingEvents).toBe(0);
  });

  it('encodeOnSubmit queues nothing when an event cannot be encoded', async () => {
    const { calls, publisher } = manualPublisher();
    const b = encodeOnSubmit(createProduceBatcher(publisher, { lingerMs: 0 }), (_topic, event) => {
      if ((event as { i: number }).i === 1) throw new ShelfStreamError('CONTRACT_VIOLATION', 'does not fit');
      return event;
    });
    expect(() => b.submit(events(2))).toThrow('does not fit');
    await tick();
    expect(calls).toHaveLength(0);
    expect(b.pendingEvents).toBe(0);
  });
});
