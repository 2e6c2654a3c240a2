/**
 * CityHash128 as ClickHouse computes it: Google's CityHash v1.0.2, which ClickHouse froze in
 * `contrib/cityhash102` because its compressed blocks carry this checksum on the wire. Later
 * CityHash releases changed the short-input and tail mixing, so a library implementing today's
 * CityHash gives a checksum a ClickHouse client rejects.
 *
 * Each 64-bit word is held as two unsigned 32-bit halves (`…H`, `…L`) and every operation is
 * done on those; the helpers leave their result in two registers `R` (a Uint32Array, read at
 * once by the caller). Measured in the same runs on 1 MiB (2 cores under load 16-21, so only
 * the ratios hold): BigInt words 9-10 MB/s; halves with module variables as registers 12-20
 * (a variable holding a uint32 above 2^30 boxes it); halves with typed-array registers 24-28.
 * The checksum covers every compressed block, so this rate bounds compress=1 responses
 * (bench/benchmarks/sql-wire.ts).
 */

/** The two 64-bit halves, in the order ClickHouse writes them (low first, little-endian). */
export interface CityHash128 {
  readonly low: bigint;
  readonly high: bigint;
}

// k0..k3 and kMul of CityHash, as high and low 32-bit halves.
const K0H = 0xc3a5c85c, K0L = 0x97cb3127;
const K1H = 0xb492b66f, K1L = 0xbe98f273;
const K2H = 0x9ae16a3b, K2L = 0x2f90404f;
const K3H = 0xc949d7c7, K3L = 0x509e6557;
const KMULH = 0x9ddfea08, KMULL = 0xeb382d69;

/** The result registers: a typed array holds uint32 values unboxed, where a module variable boxes each one above 2^30. */
const R = new Uint32Array(2);

function add(ah: number, al: number, bh: number, bl: number): void {
  const low = al + bl;
  R[1] = low >>> 0;
  R[0] = (ah + bh + (low > 0xffffffff ? 1 : 0)) >>> 0;
}

function sub(ah: number, al: number, bh: number, bl: number): void {
  R[1] = (al - bl) >>> 0;
  R[0] = (ah - bh - (al < bl ? 1 : 0)) >>> 0;
}

/** The low 64 bits of a 64 x 64-bit product. */
function mul(ah: number, al: number, bh: number, bl: number): void {
  const a0 = al & 0xffff, a1 = al >>> 16, b0 = bl & 0xffff, b1 = bl >>> 16;
  const p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  R[1] = (((mid & 0xffff) << 16) | (p00 & 0xffff)) >>> 0;
  const high = p11 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16);
  R[0] = (high + Math.imul(ah, bl) + Math.imul(al, bh)) >>> 0;
}

/** Rotate right by 1..63 bits. */
function rotate(h: number, l: number, shift: number): void {
  if (shift >= 32) {
    const t = h;
    h = l;
    l = t;
    shift -= 32;
  }
  if (shift === 0) {
    R[0] = h;
    R[1] = l;
    return;
  }
  R[1] = ((l >>> shift) | (h << (32 - shift))) >>> 0;
  R[0] = ((h >>> shift) | (l << (32 - shift))) >>> 0;
}

/** x * k after x ^= x >> 47: the high half is unchanged, the low gains the high's top 17 bits. */
function shiftMixMul(h: number, l: number, kh: number, kl: number): void {
  mul(h, (l ^ (h >>> 15)) >>> 0, kh, kl);
}

/** Hash128to64(u, v): ClickHouse's HashLen16. */
function hashLen16(uh: number, ul: number, vh: number, vl: number): void {
  mul((uh ^ vh) >>> 0, (ul ^ vl) >>> 0, KMULH, KMULL);
  const ah = R[0]!;
  const al = (R[1]! ^ (R[0]! >>> 15)) >>> 0;
  mul((vh ^ ah) >>> 0, (vl ^ al) >>> 0, KMULH, KMULL);
  shiftMixMul(R[0]!, R[1]!, KMULH, KMULL);
}

class Words {
  private readonly view: DataView;
  constructor(bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  hi(at: number): number {
    return this.view.getUint32(at + 4, true);
  }
  lo(at: number): number {
    return this.view.getUint32(at, true);
  }
  u32(at: number): number {
    return this.view.getUint32(at, true);
  }
}

function hashLen0to16(bytes: Uint8Array, w: Words, start: number, length: number): void {
  if (length > 8) {
    const ah = w.hi(start), al = w.lo(start);
    const bh = w.hi(start + length - 8), bl = w.lo(start + length - 8);
    add(bh, bl, 0, length);
    rotate(R[0]!, R[1]!, length);
    hashLen16(ah, al, R[0]!, R[1]!);
    R[0] = (R[0]! ^ bh) >>> 0;
    R[1] = (R[1]! ^ bl) >>> 0;
    return;
  }
  if (length >= 4) {
    const a = w.u32(start);
    // length + (a << 3) as a 64-bit sum
    add(a >>> 29, (a << 3) >>> 0, 0, length);
    hashLen16(R[0]!, R[1]!, 0, w.u32(start + length - 4));
    return;
  }
  if (length > 0) {
    const y = (bytes[start]! + (bytes[start + (length >> 1)]! << 8)) >>> 0;
    const z = (length + (bytes[start + length - 1]! << 2)) >>> 0;
    mul(0, y, K2H, K2L);
    const yh = R[0]!, yl = R[1]!;
    mul(0, z, K3H, K3L);
    shiftMixMul((yh ^ R[0]!) >>> 0, (yl ^ R[1]!) >>> 0, K2H, K2L);
    return;
  }
  R[0] = K2H;
  R[1] = K2L;
}

/** WeakHashLen32WithSeeds over the 32 bytes at `at`: first half in (R[0]!, R[1]!), second in `second`. */
function weakHashLen32WithSeeds(w: Words, at: number, ah: number, al: number, bh: number, bl: number, second: Uint32Array): void {
  // a += w
  add(ah, al, w.hi(at), w.lo(at));
  ah = R[0]!; al = R[1]!;
  // b = Rotate(b + a + z, 21)
  add(bh, bl, ah, al);
  add(R[0]!, R[1]!, w.hi(at + 24), w.lo(at + 24));
  rotate(R[0]!, R[1]!, 21);
  bh = R[0]!; bl = R[1]!;
  const ch = ah, cl = al;
  // a += x; a += y
  add(ah, al, w.hi(at + 8), w.lo(at + 8));
  add(R[0]!, R[1]!, w.hi(at + 16), w.lo(at + 16));
  ah = R[0]!; al = R[1]!;
  // b += Rotate(a, 44)
  rotate(ah, al, 44);
  add(bh, bl, R[0]!, R[1]!);
  // second = b + c
  add(R[0]!, R[1]!, ch, cl);
  second[0] = R[0]!;
  second[1] = R[1]!;
  // first = a + z
  add(ah, al, w.hi(at + 24), w.lo(at + 24));
}

/** CityMurmur: inputs shorter than 128 bytes. Result: low in (R[0]!, R[1]!) then copied to `out`. */
function cityMurmur(bytes: Uint8Array, w: Words, start: number, length: number, seedLowH: number, seedLowL: number, seedHighH: number, seedHighL: number, out: Uint32Array): void {
  let ah = seedLowH, al = seedLowL;
  let bh = seedHighH, bl = seedHighL;
  let ch: number, cl: number, dh: number, dl: number;
  let remaining = length - 16;
  if (remaining <= 0) {
    mul(ah, al, K1H, K1L);
    shiftMixMul(R[0]!, R[1]!, K1H, K1L);
    ah = R[0]!; al = R[1]!;
    hashLen0to16(bytes, w, start, length);
    const hh = R[0]!, hl = R[1]!;
    mul(bh, bl, K1H, K1L);
    add(R[0]!, R[1]!, hh, hl);
    ch = R[0]!; cl = R[1]!;
    if (length >= 8) add(ah, al, w.hi(start), w.lo(start));
    else add(ah, al, ch, cl);
    dh = R[0]!;
    dl = (R[1]! ^ (R[0]! >>> 15)) >>> 0;
  } else {
    add(w.hi(start + length - 8), w.lo(start + length - 8), K1H, K1L);
    hashLen16(R[0]!, R[1]!, ah, al);
    ch = R[0]!; cl = R[1]!;
    add(ch, cl, w.hi(start + length - 16), w.lo(start + length - 16));
    const th = R[0]!, tl = R[1]!;
    add(bh, bl, 0, length);
    hashLen16(R[0]!, R[1]!, th, tl);
    dh = R[0]!; dl = R[1]!;
    add(ah, al, dh, dl);
    ah = R[0]!; al = R[1]!;
    let at = start;
    do {
      mul(w.hi(at), w.lo(at), K1H, K1L);
      shiftMixMul(R[0]!, R[1]!, K1H, K1L);
      mul((ah ^ R[0]!) >>> 0, (al ^ R[1]!) >>> 0, K1H, K1L);
      ah = R[0]!; al = R[1]!;
      bh = (bh ^ ah) >>> 0; bl = (bl ^ al) >>> 0;
      mul(w.hi(at + 8), w.lo(at + 8), K1H, K1L);
      shiftMixMul(R[0]!, R[1]!, K1H, K1L);
      mul((ch ^ R[0]!) >>> 0, (cl ^ R[1]!) >>> 0, K1H, K1L);
      ch = R[0]!; cl = R[1]!;
      dh = (dh ^ ch) >>> 0; dl = (dl ^ cl) >>> 0;
      at += 16;
      remaining -= 16;
    } while (remaining > 0);
  }
  hashLen16(ah, al, ch, cl);
  ah = R[0]!; al = R[1]!;
  hashLen16(dh, dl, bh, bl);
  bh = R[0]!; bl = R[1]!;
  out[0] = (ah ^ bh) >>> 0;
  out[1] = (al ^ bl) >>> 0;
  hashLen16(bh, bl, ah, al);
  out[2] = R[0]!;
  out[3] = R[1]!;
}

function cityHash128WithSeed(bytes: Uint8Array, w: Words, start: number, length: number, seedLowH: number, seedLowL: number, seedHighH: number, seedHighL: number, out: Uint32Array): void {
  if (length < 128) {
    cityMurmur(bytes, w, start, length, seedLowH, seedLowL, seedHighH, seedHighL, out);
    return;
  }
  const pair = new Uint32Array(2);
  let xh = seedLowH, xl = seedLowL;
  let yh = seedHighH, yl = seedHighL;
  mul(0, length, K1H, K1L);
  let zh = R[0]!, zl = R[1]!;
  // v0 = Rotate(y ^ k1, 49) * k1 + s[0]
  rotate((yh ^ K1H) >>> 0, (yl ^ K1L) >>> 0, 49);
  mul(R[0]!, R[1]!, K1H, K1L);
  add(R[0]!, R[1]!, w.hi(start), w.lo(start));
  let v0h = R[0]!, v0l = R[1]!;
  // v1 = Rotate(v0, 42) * k1 + s[8]
  rotate(v0h, v0l, 42);
  mul(R[0]!, R[1]!, K1H, K1L);
  add(R[0]!, R[1]!, w.hi(start + 8), w.lo(start + 8));
  let v1h = R[0]!, v1l = R[1]!;
  // w0 = Rotate(y + z, 35) * k1 + x
  add(yh, yl, zh, zl);
  rotate(R[0]!, R[1]!, 35);
  mul(R[0]!, R[1]!, K1H, K1L);
  add(R[0]!, R[1]!, xh, xl);
  let w0h = R[0]!, w0l = R[1]!;
  // w1 = Rotate(x + s[88], 53) * k1
  add(xh, xl, w.hi(start + 88), w.lo(start + 88));
  rotate(R[0]!, R[1]!, 53);
  mul(R[0]!, R[1]!, K1H, K1L);
  let w1h = R[0]!, w1l = R[1]!;

  let at = start;
  let left = length;
  // Two 64-byte rounds per iteration, as in the reference (the swap of x and z included).
  do {
    for (let round = 0; round < 2; round++) {
      // x = Rotate(x + y + v0 + s[16], 37) * k1
      add(xh, xl, yh, yl);
      add(R[0]!, R[1]!, v0h, v0l);
      add(R[0]!, R[1]!, w.hi(at + 16), w.lo(at + 16));
      rotate(R[0]!, R[1]!, 37);
      mul(R[0]!, R[1]!, K1H, K1L);
      xh = R[0]!; xl = R[1]!;
      // y = Rotate(y + v1 + s[48], 42) * k1
      add(yh, yl, v1h, v1l);
      add(R[0]!, R[1]!, w.hi(at + 48), w.lo(at + 48));
      rotate(R[0]!, R[1]!, 42);
      mul(R[0]!, R[1]!, K1H, K1L);
      yh = R[0]!; yl = R[1]!;
      xh = (xh ^ w1h) >>> 0; xl = (xl ^ w1l) >>> 0;
      yh = (yh ^ v0h) >>> 0; yl = (yl ^ v0l) >>> 0;
      // z = Rotate(z ^ w0, 33)
      rotate((zh ^ w0h) >>> 0, (zl ^ w0l) >>> 0, 33);
      zh = R[0]!; zl = R[1]!;
      // v = WeakHashLen32WithSeeds(s, v1 * k1, x + w0)
      mul(v1h, v1l, K1H, K1L);
      const sah = R[0]!, sal = R[1]!;
      add(xh, xl, w0h, w0l);
      weakHashLen32WithSeeds(w, at, sah, sal, R[0]!, R[1]!, pair);
      v0h = R[0]!; v0l = R[1]!; v1h = pair[0]!; v1l = pair[1]!;
      // w = WeakHashLen32WithSeeds(s + 32, z + w1, y)
      add(zh, zl, w1h, w1l);
      weakHashLen32WithSeeds(w, at + 32, R[0]!, R[1]!, yh, yl, pair);
      w0h = R[0]!; w0l = R[1]!; w1h = pair[0]!; w1l = pair[1]!;
      // swap(z, x)
      const th = zh, tl = zl;
      zh = xh; zl = xl;
      xh = th; xl = tl;
      at += 64;
    }
    left -= 128;
  } while (left >= 128);

  // y += Rotate(w0, 37) * k0 + z
  rotate(w0h, w0l, 37);
  mul(R[0]!, R[1]!, K0H, K0L);
  add(R[0]!, R[1]!, zh, zl);
  add(yh, yl, R[0]!, R[1]!);
  yh = R[0]!; yl = R[1]!;
  // x += Rotate(v0 + z, 49) * k0
  add(v0h, v0l, zh, zl);
  rotate(R[0]!, R[1]!, 49);
  mul(R[0]!, R[1]!, K0H, K0L);
  add(xh, xl, R[0]!, R[1]!);
  xh = R[0]!; xl = R[1]!;
  // The last 0-127 bytes, hashed 32 at a time from the end.
  const end = at + left;
  for (let tailDone = 0; tailDone < left; ) {
    tailDone += 32;
    // y = Rotate(y - x, 42) * k0 + v1
    sub(yh, yl, xh, xl);
    rotate(R[0]!, R[1]!, 42);
    mul(R[0]!, R[1]!, K0H, K0L);
    add(R[0]!, R[1]!, v1h, v1l);
    yh = R[0]!; yl = R[1]!;
    // w0 += s[len - tail_done + 16]
    add(w0h, w0l, w.hi(end - tailDone + 16), w.lo(end - tailDone + 16));
    w0h = R[0]!; w0l = R[1]!;
    // x = Rotate(x, 49) * k0 + w0
    rotate(xh, xl, 49);
    mul(R[0]!, R[1]!, K0H, K0L);
    add(R[0]!, R[1]!, w0h, w0l);
    xh = R[0]!; xl = R[1]!;
    // w0 += v0
    add(w0h, w0l, v0h, v0l);
    w0h = R[0]!; w0l = R[1]!;
    // v = WeakHashLen32WithSeeds(s + len - tail_done, v0, v1)
    weakHashLen32WithSeeds(w, end - tailDone, v0h, v0l, v1h, v1l, pair);
    v0h = R[0]!; v0l = R[1]!; v1h = pair[0]!; v1l = pair[1]!;
  }
  // x = HashLen16(x, v0); y = HashLen16(y, w0)
  hashLen16(xh, xl, v0h, v0l);
  xh = R[0]!; xl = R[1]!;
  hashLen16(yh, yl, w0h, w0l);
  yh = R[0]!; yl = R[1]!;
  // low = HashLen16(x + v1, w1) + y; high = HashLen16(x + w1, y + v1)
  add(xh, xl, v1h, v1l);
  hashLen16(R[0]!, R[1]!, w1h, w1l);
  add(R[0]!, R[1]!, yh, yl);
  out[0] = R[0]!;
  out[1] = R[1]!;
  add(yh, yl, v1h, v1l);
  const sh = R[0]!, sl = R[1]!;
  add(xh, xl, w1h, w1l);
  hashLen16(R[0]!, R[1]!, sh, sl);
  out[2] = R[0]!;
  out[3] = R[1]!;
}

/**
 * ClickHouse's CityHash128 (v1.0.2) of `bytes`, into `out` as four 32-bit words: low high half,
 * low low half, high high half, high low half.
 */
export function cityHash128Words(bytes: Uint8Array, out: Uint32Array): void {
  const w = new Words(bytes);
  const length = bytes.byteLength;
  if (length >= 16) {
    cityHash128WithSeed(bytes, w, 16, length - 16, (w.hi(0) ^ K3H) >>> 0, (w.lo(0) ^ K3L) >>> 0, w.hi(8), w.lo(8), out);
  } else if (length >= 8) {
    mul(0, length, K0H, K0L);
    const seedLowH = (w.hi(0) ^ R[0]!) >>> 0, seedLowL = (w.lo(0) ^ R[1]!) >>> 0;
    cityHash128WithSeed(bytes, w, 0, 0, seedLowH, seedLowL, (w.hi(length - 8) ^ K1H) >>> 0, (w.lo(length - 8) ^ K1L) >>> 0, out);
  } else {
    cityHash128WithSeed(bytes, w, 0, length, K0H, K0L, K1H, K1L, out);
  }
}

/** ClickHouse's CityHash128 (v1.0.2) of `bytes`. */
export function cityHash128(bytes: Uint8Array): CityHash128 {
  const out = new Uint32Array(4);
  cityHash128Words(bytes, out);
  return {
    low: (BigInt(out[0]!) << 32n) | BigInt(out[1]!),
    high: (BigInt(out[2]!) << 32n) | BigInt(out[3]!),
  };
}
