/**
 * Seeded randomness for the simulator: a small, fast PRNG (sfc32) and the distributions the
 * model draws from (normal, log-normal, gamma, Poisson, negative binomial) plus UUIDs built
 * from the stream. Nothing in the simulation calls Math.random or crypto: the same seed gives
 * the same events, byte for byte, on every machine.
 *
 * Each store draws from its own stream (`Rng.derive(seed, 'store', index)`), so a store's
 * events do not depend on how many other stores are simulated or on which thread runs it.
 */

const TWO_POW_32 = 4_294_967_296;

/** Mixes a 32-bit value (murmur3's finaliser): a small input change flips about half the bits. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85eb_ca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2_ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A 32-bit seed from any mix of numbers and strings (FNV-1a, then fmix32). */
export function seedOf(...parts: readonly (number | string)[]): number {
  let h = 0x811c_9dc5;
  for (const part of parts) {
    const text = `${typeof part}:${part};`;
    for (let i = 0; i < text.length; i++) {
      h ^= text.charCodeAt(i);
      h = Math.imul(h, 0x0100_0193);
    }
  }
  return fmix32(h);
}

/** Character codes of the two hex digits of each byte (UUIDs are built from codes: one flat string). */
const HEX_HI = Uint16Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0').charCodeAt(0));
const HEX_LO = Uint16Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0').charCodeAt(1));
const DASH = 45;

/** Natural log of k! : exact table for small k, Stirling's series above (error < 1e-10). */
const LOG_FACTORIAL: readonly number[] = (() => {
  const table = [0];
  for (let k = 1; k < 64; k++) table.push(table[k - 1]! + Math.log(k));
  return table;
})();

export function logFactorial(k: number): number {
  if (k < LOG_FACTORIAL.length) return LOG_FACTORIAL[k]!;
  const x = k + 1;
  return (x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI) + 1 / (12 * x) - 1 / (360 * x * x * x);
}

/** Below this mean the negative binomial is sampled by inverting its pmf (see negativeBinomial). */
const NB_INVERSION_MAX_MEAN = 12;
/** Below this mean Poisson is sampled by inversion; above by PTRS rejection. */
const POISSON_INVERSION_MAX_MEAN = 30;

/**
 * sfc32 (Chris Doty-Humphrey's Small Fast Counting generator, 128-bit state, PractRand-clean
 * to terabytes): a few integer operations per draw, which matters at millions of draws per
 * simulated day.
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spareNormal = Number.NaN;

  constructor(seed: number) {
    // splitmix32 spreads one 32-bit seed over the state; the first outputs are discarded so
    // close seeds (42, 43) do not start with correlated draws.
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e37_79b9) >>> 0;
      return fmix32(s);
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = 1;
    for (let i = 0; i < 15; i++) this.u32();
  }

  /** A stream of its own for one part of the model, e.g. `Rng.derive(seed, 'store', 3)`. */
  static derive(...parts: readonly (number | string)[]): Rng {
    return new Rng(seedOf(...parts));
  }

  /** Uniform 32-bit unsigned integer. */
  u32(): number {
    const t0 = (this.a + this.b) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.d = (this.d + 1) | 0;
    const t = (t0 + this.d) | 0;
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.u32() / TWO_POW_32;
  }

  /** Uniform integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Uniform integer in [min, max], both included. */
  intBetween(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** Uniform in [min, max). */
  between(min: number, max: number): number {
    return min + this.next() * (max - min);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)]!;
  }

  /** Index drawn with probability proportional to its weight. */
  weighted(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) total += w;
    let u = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      u -= weights[i]!;
      if (u < 0) return i;
    }
    return weights.length - 1;
  }

  /** Standard normal (Marsaglia's polar method; the second value is kept for the next call). */
  normal(): number {
    if (!Number.isNaN(this.spareNormal)) {
      const v = this.spareNormal;
      this.spareNormal = Number.NaN;
      return v;
    }
    for (;;) {
      const u = 2 * this.next() - 1;
      const v = 2 * this.next() - 1;
      const s = u * u + v * v;
      if (s > 0 && s < 1) {
        const f = Math.sqrt((-2 * Math.log(s)) / s);
        this.spareNormal = v * f;
        return u * f;
      }
    }
  }

  /** exp(N(mu, sigma)): the median is exp(mu). */
  logNormal(mu: number, sigma: number): number {
    return Math.exp(mu + sigma * this.normal());
  }

  /** Gamma(shape, scale), mean shape x scale (Marsaglia and Tsang 2000). */
  gamma(shape: number, scale = 1): number {
    if (shape < 1) {
      // Boost: Gamma(a) = Gamma(a + 1) x U^(1/a).
      return this.gamma(shape + 1, scale) * Math.pow(this.next() || Number.MIN_VALUE, 1 / shape);
    }
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      const x = this.normal();
      let v = 1 + c * x;
      if (v <= 0) continue;
      v = v * v * v;
      const u = this.next();
      if (u < 1 - 0.0331 * x * x * x * x) return d * v * scale;
      if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v * scale;
    }
  }

  /** Poisson(mean): inversion for small means, PTRS (Hörmann 1993) above. */
  poisson(mean: number): number {
    if (!(mean > 0)) return 0;
    if (mean < POISSON_INVERSION_MAX_MEAN) {
      let p = Math.exp(-mean);
      let cdf = p;
      const u = this.next();
      let k = 0;
      while (u > cdf && k < 1000) {
        k++;
        p *= mean / k;
        cdf += p;
      }
      return k;
    }
    const slam = Math.sqrt(mean);
    const loglam = Math.log(mean);
    const b = 0.931 + 2.53 * slam;
    const a = -0.059 + 0.02483 * b;
    const invAlpha = 1.1239 + 1.1328 / (b - 3.4);
    const vr = 0.9277 - 3.6224 / (b - 2);
    for (;;) {
      const u = this.next() - 0.5;
      const v = this.next();
      const us = 0.5 - Math.abs(u);
      const k = Math.floor(((2 * a) / us + b) * u + mean + 0.43);
      if (us >= 0.07 && v <= vr) return k;
      if (k < 0 || (us < 0.013 && v > us)) continue;
      if (Math.log(v) + Math.log(invAlpha) - Math.log(a / (us * us) + b) <= -mean + k * loglam - logFactorial(k)) return k;
    }
  }

  /**
   * Negative binomial with the given mean and size (dispersion) k: variance = mean + mean²/k,
   * so small k means bursty demand. It is the gamma-Poisson mixture Poisson(Gamma(k, mean/k));
   * for small means (nearly every store x SKU x hour) the same distribution is drawn by
   * inverting its pmf with one uniform, p(0) = (k/(k+m))^k, p(n+1) = p(n)(n+k)/(n+1) x m/(k+m),
   * which is several times faster than a gamma draw followed by a Poisson draw.
   */
  negativeBinomial(mean: number, size: number): number {
    if (!(mean > 0)) return 0;
    if (mean >= NB_INVERSION_MAX_MEAN) return this.poisson(this.gamma(size, mean / size));
    return invertNegativeBinomial(this.next(), Math.pow(size / (size + mean), size), mean / (size + mean), size);
  }

  /** A sampler for many draws of one negative binomial (the pmf's first terms computed once). */
  static negativeBinomialSampler(mean: number, size: number): (rng: Rng) => number {
    if (!(mean > 0)) return () => 0;
    if (mean >= NB_INVERSION_MAX_MEAN) return (rng) => rng.negativeBinomial(mean, size);
    const q = mean / (size + mean);
    const p0 = Math.pow(size / (size + mean), size);
    return (rng) => invertNegativeBinomial(rng.next(), p0, q, size);
  }

  /** A version-4 UUID built from the stream (deterministic, unlike crypto.randomUUID). */
  uuid(): string {
    const a = this.u32();
    const b = ((this.u32() & 0xffff_0fff) | 0x0000_4000) >>> 0; // version 4
    const c = ((this.u32() & 0x3fff_ffff) | 0x8000_0000) >>> 0; // variant 10xx
    const d = this.u32();
    const h = HEX_HI;
    const l = HEX_LO;
    const a1 = a >>> 24, a2 = (a >>> 16) & 255, a3 = (a >>> 8) & 255, a4 = a & 255; // prettier-ignore
    const b1 = b >>> 24, b2 = (b >>> 16) & 255, b3 = (b >>> 8) & 255, b4 = b & 255; // prettier-ignore
    const c1 = c >>> 24, c2 = (c >>> 16) & 255, c3 = (c >>> 8) & 255, c4 = c & 255; // prettier-ignore
    const d1 = d >>> 24, d2 = (d >>> 16) & 255, d3 = (d >>> 8) & 255, d4 = d & 255; // prettier-ignore
    // One call with 36 codes makes one flat string; concatenation would build a rope that
    // the Avro encoder then has to flatten (twice as slow, measured).
    return String.fromCharCode(
      h[a1]!, l[a1]!, h[a2]!, l[a2]!, h[a3]!, l[a3]!, h[a4]!, l[a4]!, DASH,
      h[b1]!, l[b1]!, h[b2]!, l[b2]!, DASH, h[b3]!, l[b3]!, h[b4]!, l[b4]!, DASH,
      h[c1]!, l[c1]!, h[c2]!, l[c2]!, DASH, h[c3]!, l[c3]!, h[c4]!, l[c4]!,
      h[d1]!, l[d1]!, h[d2]!, l[d2]!, h[d3]!, l[d3]!, h[d4]!, l[d4]!,
    );
  }

  /** Fisher-Yates shuffle of the first n entries, in place. */
  shuffle(values: Int32Array | number[], n: number = values.length): void {
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const t = values[i]!;
      values[i] = values[j]!;
      values[j] = t;
    }
  }
}

/**
 * Inversion of the negative binomial cdf for a uniform draw `u`: walks the pmf from P(0) = p0
 * with the recurrence P(n+1) = P(n) (n + size) / (n + 1) q. Capped at 10,000 so a draw of
 * u ~ 1 cannot loop on floating-point round-off.
 */
function invertNegativeBinomial(u: number, p0: number, q: number, size: number): number {
  let p = p0;
  let cdf = p;
  let n = 0;
  while (u > cdf && n < 10_000) {
    p *= ((n + size) / (n + 1)) * q;
    n++;
    cdf += p;
  }
  return n;
}
