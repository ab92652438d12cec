/**
 * Seeded pseudo-random numbers and half-precision floats for generated weights. xoshiro128** is used because it
 * runs on 32-bit integer arithmetic, which V8 keeps unboxed: filling a gigabyte takes about a second, where
 * `crypto.randomBytes` or a BigInt-based generator would dominate the time to write a large model.
 */

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/** IEEE 754 half-precision bits of `value`, rounded to nearest even (overflow gives ±infinity). */
export function toHalfBits(value: number): number {
  f32Scratch[0] = value;
  const bits = u32Scratch[0] ?? 0;
  const sign = (bits >>> 16) & 0x8000;
  const rawExponent = (bits >>> 23) & 0xff;
  let mantissa = bits & 0x7fffff;
  if (rawExponent === 0xff) return sign | 0x7c00 | (mantissa !== 0 ? 0x200 : 0);
  const exponent = rawExponent - 127 + 15;
  if (exponent >= 0x1f) return sign | 0x7c00;
  if (exponent <= 0) {
    if (exponent < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - exponent;
    let half = mantissa >>> shift;
    const remainder = mantissa & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (remainder > halfway || (remainder === halfway && (half & 1) === 1)) half++;
    return sign | half;
  }
  // A carry out of the mantissa correctly bumps the exponent (and reaches infinity at the top).
  let half = (exponent << 10) | (mantissa >>> 13);
  const remainder = mantissa & 0x1fff;
  if (remainder > 0x1000 || (remainder === 0x1000 && (half & 1) === 1)) half++;
  return sign | half;
}

/** The number whose half-precision bits are `bits`. */
export function fromHalfBits(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

function splitmix32(input: number): number {
  let z = (input + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  return (z ^ (z >>> 15)) >>> 0;
}

/**
 * A xoshiro128** stream. `seed` may be any safe integer; `stream` selects an independent sequence for the same
 * seed (the writer uses one stream per tensor, so a tensor's bytes do not depend on how it is chunked).
 *
 * The fill methods repeat the xoshiro step inline with the state in locals on purpose: calling `step()` per
 * number made generating the 1b preset's 1.3 GB several times slower.
 */
export class RandomStream {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number, stream = 0) {
    if (!Number.isSafeInteger(seed) || !Number.isSafeInteger(stream)) {
      throw new RangeError(`seed and stream must be safe integers (got ${seed}, ${stream})`);
    }
    const low = seed >>> 0;
    const high = Math.floor(seed / 2 ** 32) >>> 0;
    let state = splitmix32(low ^ splitmix32(high ^ splitmix32(stream >>> 0)));
    state = splitmix32(state ^ Math.floor(stream / 2 ** 32));
    this.s0 = state = splitmix32(state);
    this.s1 = state = splitmix32(state);
    this.s2 = state = splitmix32(state);
    this.s3 = splitmix32(state);
    // xoshiro must not start from the all-zero state.
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** The next uniformly distributed unsigned 32-bit integer. */
  nextUint32(): number {
    return this.step();
  }

  /** Fills `out` with uniform unsigned 32-bit integers. */
  fillUint32(out: Uint32Array): void {
    let s0 = this.s0, s1 = this.s1, s2 = this.s2, s3 = this.s3;
    for (let i = 0; i < out.length; i++) {
      out[i] = Math.imul(rotl(Math.imul(s1, 5), 7), 9);
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = rotl(s3, 11);
    }
    this.s0 = s0; this.s1 = s1; this.s2 = s2; this.s3 = s3;
  }

  /** Fills `out` with floats uniform in [-amplitude, amplitude). */
  fillUniformFloat32(out: Float32Array, amplitude: number): void {
    const step = (2 * amplitude) / 2 ** 32;
    let s0 = this.s0, s1 = this.s1, s2 = this.s2, s3 = this.s3;
    for (let i = 0; i < out.length; i++) {
      out[i] = (Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0) * step - amplitude;
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = rotl(s3, 11);
    }
    this.s0 = s0; this.s1 = s1; this.s2 = s2; this.s3 = s3;
  }

  /**
   * Fills `out` with entries of `table` (4,096 half-float bit patterns) picked uniformly, two per random
   * number. A table lookup is several times faster than converting each float to half precision.
   */
  fillFromHalfTable(out: Uint16Array, table: Uint16Array): void {
    let s0 = this.s0, s1 = this.s1, s2 = this.s2, s3 = this.s3;
    for (let i = 0; i < out.length; i += 2) {
      const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9);
      out[i] = table[r & 0xfff] ?? 0;
      if (i + 1 < out.length) out[i + 1] = table[(r >>> 16) & 0xfff] ?? 0;
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = rotl(s3, 11);
    }
    this.s0 = s0; this.s1 = s1; this.s2 = s2; this.s3 = s3;
  }

  /**
   * Writes `blocks` Q8_0 blocks at `offset`: each is the half-float `scaleBits` (little-endian) followed by 32
   * random int8 quants, so the weights are uniform in [-128, 127] × scale.
   */
  fillQ8_0Blocks(out: Uint8Array, offset: number, blocks: number, scaleBits: number): void {
    const scaleLow = scaleBits & 0xff;
    const scaleHigh = (scaleBits >>> 8) & 0xff;
    let s0 = this.s0, s1 = this.s1, s2 = this.s2, s3 = this.s3;
    let o = offset;
    for (let b = 0; b < blocks; b++) {
      out[o] = scaleLow;
      out[o + 1] = scaleHigh;
      o += 2;
      for (let k = 0; k < 8; k++) {
        const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9);
        out[o] = r;
        out[o + 1] = r >>> 8;
        out[o + 2] = r >>> 16;
        out[o + 3] = r >>> 24;
        o += 4;
        const t = s1 << 9;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = rotl(s3, 11);
      }
    }
    this.s0 = s0; this.s1 = s1; this.s2 = s2; this.s3 = s3;
  }

  private step(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
