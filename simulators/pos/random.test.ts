import { Rng, seedOf } from './random';

function moments(draw: () => number, n: number): { mean: number; variance: number } {
  let sum = 0;
  let sq = 0;
  for (let i = 0; i < n; i++) {
    const x = draw();
    sum += x;
    sq += x * x;
  }
  const mean = sum / n;
  return { mean, variance: sq / n - mean * mean };
}

describe('Rng', () => {
  it('gives the same stream for the same seed and a different one for another seed', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const xs = Array.from({ length: 100 }, () => a.u32());
    expect(Array.from({ length: 100 }, () => b.u32())).toEqual(xs);
    expect(Array.from({ length: 100 }, () => c.u32())).not.toEqual(xs);
  });

  it('derives independent streams from parts', () => {
    expect(seedOf(1, 'store', 0)).toBe(seedOf(1, 'store', 0));
    expect(seedOf(1, 'store', 0)).not.toBe(seedOf(1, 'store', 1));
    // A number and its string are different parts.
    expect(seedOf(1)).not.toBe(seedOf('1'));
  });

  it('draws uniforms in [0, 1) with mean 1/2 and variance 1/12', () => {
    const rng = new Rng(7);
    let min = 1;
    let max = 0;
    const m = moments(() => {
      const u = rng.next();
      min = Math.min(min, u);
      max = Math.max(max, u);
      return u;
    }, 200_000);
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    expect(m.mean).toBeCloseTo(0.5, 2);
    expect(m.variance).toBeCloseTo(1 / 12, 2);
  });

  it.each([
    [0.05, 2],
    [0.4, 2],
    [3, 1.5],
    [11, 2],
    [40, 2], // gamma-Poisson branch
  ])('draws negative binomials with mean %p and size %p: variance = mean + mean²/size', (mean, size) => {
    const rng = new Rng(11);
    const n = 300_000;
    const m = moments(() => rng.negativeBinomial(mean, size), n);
    const variance = mean + (mean * mean) / size;
    // Tolerance: a few standard errors of the sample mean and variance.
    expect(Math.abs(m.mean - mean)).toBeLessThan(5 * Math.sqrt(variance / n) + 1e-3);
    expect(Math.abs(m.variance - variance) / variance).toBeLessThan(0.05);
  });

  it('samples the same negative binomial with a prepared sampler', () => {
    const sample = Rng.negativeBinomialSampler(2.8, 1.5);
    const rng = new Rng(5);
    const m = moments(() => sample(rng), 200_000);
    expect(m.mean).toBeCloseTo(2.8, 1);
    expect(m.variance / (2.8 + (2.8 * 2.8) / 1.5)).toBeCloseTo(1, 1);
  });

  it('draws Poisson and gamma with the right moments', () => {
    const rng = new Rng(3);
    const p = moments(() => rng.poisson(120), 100_000);
    expect(p.mean / 120).toBeCloseTo(1, 2);
    expect(p.variance / 120).toBeCloseTo(1, 1);
    const g = moments(() => rng.gamma(0.5, 4), 200_000);
    expect(g.mean / 2).toBeCloseTo(1, 1);
    expect(g.variance / 8).toBeCloseTo(1, 1);
  });

  it('builds version-4 UUIDs from the stream', () => {
    const rng = new Rng(1);
    const ids = new Set(Array.from({ length: 20_000 }, () => rng.uuid()));
    expect(ids.size).toBe(20_000);
    for (const id of [...ids].slice(0, 500)) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Rng(1).uuid()).toBe([...ids][0]);
  });
});
