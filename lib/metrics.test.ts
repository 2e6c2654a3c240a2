import { createMetrics, observeMany } from './metrics';

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
