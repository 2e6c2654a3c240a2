/**
 * CityHash128 as ClickHouse computes it: Google's CityHash v1.0.2, which ClickHouse froze in
 * `contrib/cityhash102` because its compressed blocks carry this checksum on the wire. Later
 * CityHash releases changed the short-input and tail mixing, so a library implementing today's
 * CityHash gives a checksum a ClickHouse client rejects.
 *
 * 64-bit words are BigInts wrapped to 64 bits after each step (`BigInt.asUintN`). The checksum
 * is taken over each compressed block (at most 1 MiB), so what matters is bytes per second:
 * bench/cityhash128.bench.ts measures it.
 */

const MASK64 = 0xffff_ffff_ffff_ffffn;
const K0 = 0xc3a5c85c97cb3127n;
const K1 = 0xb492b66fbe98f273n;
const K2 = 0x9ae16a3b2f90404fn;
const K3 = 0xc949d7c7509e6557n;
const KMUL = 0x9ddfea08eb382d69n;

/** The two 64-bit halves, in the order ClickHouse writes them (low first, little-endian). */
export interface CityHash128 {
  readonly low: bigint;
  readonly high: bigint;
}

function mul(a: bigint, b: bigint): bigint {
  return (a * b) & MASK64;
}

function add(a: bigint, b: bigint): bigint {
  return (a + b) & MASK64;
}

function rotate(value: bigint, shift: bigint): bigint {
  if (shift === 0n) return value;
  return ((value >> shift) | (value << (64n - shift))) & MASK64;
}

function shiftMix(value: bigint): bigint {
  return value ^ (value >> 47n);
}

function hashLen16(u: bigint, v: bigint): bigint {
  let a = mul(u ^ v, KMUL);
  a ^= a >> 47n;
  let b = mul(v ^ a, KMUL);
  b ^= b >> 47n;
  return mul(b, KMUL);
}

function fetch64(view: DataView, at: number): bigint {
  return view.getBigUint64(at, true);
}

function fetch32(view: DataView, at: number): bigint {
  return BigInt(view.getUint32(at, true));
}

function hashLen0to16(bytes: Uint8Array, view: DataView, start: number, length: number): bigint {
  if (length > 8) {
    const a = fetch64(view, start);
    const b = fetch64(view, start + length - 8);
    const len = BigInt(length);
    return hashLen16(a, rotate(add(b, len), len)) ^ b;
  }
  if (length >= 4) {
    const a = fetch32(view, start);
    return hashLen16(BigInt(length) + (a << 3n), fetch32(view, start + length - 4));
  }
  if (length > 0) {
    const y = BigInt((bytes[start]! + (bytes[start + (length >> 1)]! << 8)) >>> 0);
    const z = BigInt((length + (bytes[start + length - 1]! << 2)) >>> 0);
    return mul(shiftMix(mul(y, K2) ^ mul(z, K3)), K2);
  }
  return K2;
}

function weakHashLen32WithSeeds(view: DataView, at: number, seedA: bigint, seedB: bigint): [bigint, bigint] {
  const w = fetch64(view, at);
  const x = fetch64(view, at + 8);
  const y = fetch64(view, at + 16);
  const z = fetch64(view, at + 24);
  let a = add(seedA, w);
  let b = rotate(add(add(seedB, a), z), 21n);
  const c = a;
  a = add(add(a, x), y);
  b = add(b, rotate(a, 44n));
  return [add(a, z), add(b, c)];
}

/** CityMurmur: the 128-bit hash of inputs shorter than 128 bytes. */
function cityMurmur(bytes: Uint8Array, view: DataView, start: number, length: number, seedLow: bigint, seedHigh: bigint): CityHash128 {
  let a = seedLow;
  let b = seedHigh;
  let c: bigint;
  let d: bigint;
  let remaining = length - 16;
  if (remaining <= 0) {
    a = mul(shiftMix(mul(a, K1)), K1);
    c = add(mul(b, K1), hashLen0to16(bytes, view, start, length));
    d = shiftMix(add(a, length >= 8 ? fetch64(view, start) : c));
  } else {
    c = hashLen16(add(fetch64(view, start + length - 8), K1), a);
    d = hashLen16(add(b, BigInt(length)), add(c, fetch64(view, start + length - 16)));
    a = add(a, d);
    let at = start;
    do {
      a ^= mul(shiftMix(mul(fetch64(view, at), K1)), K1);
      a = mul(a, K1);
      b ^= a;
      c ^= mul(shiftMix(mul(fetch64(view, at + 8), K1)), K1);
      c = mul(c, K1);
      d ^= c;
      at += 16;
      remaining -= 16;
    } while (remaining > 0);
  }
  a = hashLen16(a, c);
  b = hashLen16(d, b);
  return { low: a ^ b, high: hashLen16(b, a) };
}

function cityHash128WithSeed(bytes: Uint8Array, view: DataView, start: number, length: number, seedLow: bigint, seedHigh: bigint): CityHash128 {
  if (length < 128) return cityMurmur(bytes, view, start, length, seedLow, seedHigh);

  let x = seedLow;
  let y = seedHigh;
  let z = mul(BigInt(length), K1);
  let v0 = add(mul(rotate(y ^ K1, 49n), K1), fetch64(view, start));
  let v1 = add(mul(rotate(v0, 42n), K1), fetch64(view, start + 8));
  let w0 = add(mul(rotate(add(y, z), 35n), K1), x);
  let w1 = mul(rotate(add(x, fetch64(view, start + 88)), 53n), K1);

  let at = start;
  let left = length;
  // Two 64-byte rounds per iteration, as in the reference (the swap of x and z included).
  do {
    for (let round = 0; round < 2; round++) {
      x = mul(rotate(add(add(add(x, y), v0), fetch64(view, at + 16)), 37n), K1);
      y = mul(rotate(add(add(y, v1), fetch64(view, at + 48)), 42n), K1);
      x ^= w1;
      y ^= v0;
      z = rotate(z ^ w0, 33n);
      [v0, v1] = weakHashLen32WithSeeds(view, at, mul(v1, K1), add(x, w0));
      [w0, w1] = weakHashLen32WithSeeds(view, at + 32, add(z, w1), y);
      [z, x] = [x, z];
      at += 64;
    }
    left -= 128;
  } while (left >= 128);

  y = add(y, add(mul(rotate(w0, 37n), K0), z));
  x = add(x, mul(rotate(add(v0, z), 49n), K0));
  // The last 0-127 bytes, hashed 32 at a time from the end.
  for (let tailDone = 0; tailDone < left; ) {
    tailDone += 32;
    y = add(mul(rotate((y - x) & MASK64, 42n), K0), v1);
    w0 = add(w0, fetch64(view, at + left - tailDone + 16));
    x = add(mul(rotate(x, 49n), K0), w0);
    w0 = add(w0, v0);
    [v0, v1] = weakHashLen32WithSeeds(view, at + left - tailDone, v0, v1);
  }
  x = hashLen16(x, v0);
  y = hashLen16(y, w0);
  return { low: add(hashLen16(add(x, v1), w1), y), high: hashLen16(add(x, w1), add(y, v1)) };
}

/** ClickHouse's CityHash128 (v1.0.2) of `bytes`. */
export function cityHash128(bytes: Uint8Array): CityHash128 {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = bytes.byteLength;
  if (length >= 16) {
    return cityHash128WithSeed(bytes, view, 16, length - 16, fetch64(view, 0) ^ K3, fetch64(view, 8));
  }
  if (length >= 8) {
    const len = BigInt(length);
    return cityHash128WithSeed(bytes, view, 0, 0, fetch64(view, 0) ^ mul(len, K0), fetch64(view, length - 8) ^ K1);
  }
  return cityHash128WithSeed(bytes, view, 0, length, K0, K1);
}
