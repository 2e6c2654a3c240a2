import { createMetrics, metricTotal, observeMany } from './metrics';

type Sample = { metricName?: string; labels: Record<string, string | number>; value: number };

async function exported(name: string, metrics: ReturnType<typeof createMetrics>): Promise<Sample[]> {
  return (await metrics.registry.getSingleMetric(name)!.get()).values as Sample[];
}

describe('observeMany', () => {
  it('reports the same buckets, count and sum as observe per value', async () => {
    const buckets = [0.05, 0.1, 0.5, 1, 2, 10];
    // Values on bucket bounds, between them, above the last one, and zero.
    const values = [0, 0.05, 0.051, 0.1, 0.3, 0.5, 0.99, 1, 1.5, 2, 7, 10, 10.01, 300, 0.02, 0.07];
    const one = createMetrics('a', { collectDefaults: false });
    const many = createMetrics('b', { collectDefaults: false });
    const h1 = one.histogram('delay_seconds', 'test', buckets, ['processor']);
    const h2 = many.histogram('delay_seconds', 'test', buckets, ['processor']);
    for (const v of values) h1.observe({ processor: 'velocity' }, v);
    h1.observe({ processor: 'stock' }, 3);
    observeMany(h2, { processor: 'velocity' }, values);
    observeMany(h2, { processor: 'stock' }, [3]);
    observeMany(h2, { processor: 'stock' }, []);
    const a = await exported('shelfstream_delay_seconds', one);
    const b = await exported('shelfstream_delay_seconds', many);
    const strip = (s: Sample[]) => s.filter((v) => !v.metricName?.endsWith('_sum')).map((v) => ({ ...v, labels: { ...v.labels, service: '' } }));
    expect(strip(b)).toEqual(strip(a));
    const sums = (s: Sample[]) => s.filter((v) => v.metricName?.endsWith('_sum')).map((v) => v.value);
    expect(sums(b).length).toBe(2);
    sums(b).forEach((v, i) => expect(v).toBeCloseTo(sums(a)[i]!, 9));
    // A second batch adds to the same series.
    observeMany(h2, { processor: 'velocity' }, [0.2, 0.2]);
    const count = (await exported('shelfstream_delay_seconds', many)).find((v) => v.metricName?.endsWith('_count') && v.labels.processor === 'velocity');
    expect(count?.value).toBe(values.length + 2);
  });

  it('refuses a value that is not a number, as observe does', () => {
    const h = createMetrics('c', { collectDefaults: false }).histogram('x_seconds', 'test', [1], ['processor']);
    expect(() => observeMany(h, { processor: 'p' }, [0.5, Number.NaN])).toThrow(TypeError);
  });
});

describe('a registry that reports another thread too', () => {
  it('adds the other thread series to its own, and keeps its own process metrics as they are', async () => {
    const owner = createMetrics('bridge-test');
    owner.counter('events_in_total', 'records read', ['processor']).labels({ processor: 'alerts' }).inc(5);
    owner.counter('events_in_total', 'records read', ['processor']).labels({ processor: 'velocity' }).inc(2);
    const thread = createMetrics('bridge-test', { collectDefaults: false });
    thread.counter('events_in_total', 'records read', ['processor']).labels({ processor: 'velocity' }).inc(40);
    thread.gauge('consumer_lag', 'lag', ['processor']).labels({ processor: 'velocity' }).set(7);
    owner.registry.addSource(() => thread.registry.getMetricsAsJSON());

    // By hand: velocity 2 here + 40 there, alerts 5 here only; the lag is the thread's alone.
    expect(await metricTotal(owner, 'events_in_total')).toBe(47);
    expect(await metricTotal(owner, 'consumer_lag')).toBe(7);
    const text = await owner.registry.metrics();
    expect(text).toMatch(/shelfstream_events_in_total\{processor="velocity",service="bridge-test"\} 42/);
    expect(text).toMatch(/shelfstream_events_in_total\{processor="alerts",service="bridge-test"\} 5/);
    // prom-client's cluster aggregation omits the start time; it is this thread's own, so it stays.
    expect(text).toMatch(/shelfstream_process_start_time_seconds\{service="bridge-test"\} \d+/);
  });

  it('reports its own metrics when the other thread cannot answer', async () => {
    const owner = createMetrics('bridge-test-2', { collectDefaults: false });
    owner.counter('events_in_total', 'records read').inc(3);
    owner.registry.addSource(() => Promise.reject(new Error('the thread has exited')));
    expect(await metricTotal(owner, 'events_in_total')).toBe(3);
  });
});
