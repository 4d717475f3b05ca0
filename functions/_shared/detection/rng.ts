/**
 * Seedable pseudo-random number generator: xoshiro128** (Blackman & Vigna, 2018),
 * seeded through splitmix32 so that any 32-bit seed (or a string) gives a
 * well-mixed, non-zero state. 32-bit integer arithmetic only (Math.imul), so it
 * runs identically under Deno, Node and browsers.
 */

export interface Rng {
  /** Next raw 32-bit unsigned integer. */
  nextU32(): number;
  /** Uniform double in the open interval (0, 1): never 0, never 1 (safe for log). */
  next(): number;
}

const TWO_POW_M32 = 2.3283064365386963e-10; // 2^-32

/** Hash a seed (number or string) to a 32-bit unsigned integer. */
export function seedToU32(seed: number | string): number {
  if (typeof seed === 'number') {
    if (!Number.isFinite(seed)) throw new RangeError('seed must be finite');
    // Mix the high bits of large seeds into the low 32 bits.
    const hi = Math.floor(seed / 4294967296);
    return (Math.trunc(seed) ^ Math.imul(hi, 0x9e3779b1)) >>> 0;
  }
  // FNV-1a over UTF-16 code units.
  let h = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) {
    h ^= seed.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** xoshiro128** generator. */
export class Xoshiro128 implements Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number | string = 1) {
    let x = seedToU32(seed);
    // splitmix32 to fill the state.
    const split = (): number => {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) | 0;
    };
    this.s0 = split();
    this.s1 = split();
    this.s2 = split();
    this.s3 = split();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  nextU32(): number {
    const s1 = this.s1;
    const m = Math.imul(s1, 5);
    const result = Math.imul((m << 7) | (m >>> 25), 9);
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = (this.s3 << 11) | (this.s3 >>> 21);
    return result >>> 0;
  }

  next(): number {
    return (this.nextU32() + 0.5) * TWO_POW_M32;
  }

  /** Independent generator derived from this one (for sub-streams). */
  fork(): Xoshiro128 {
    return new Xoshiro128(this.nextU32() ^ Math.imul(this.nextU32(), 0x2545f491));
  }
}

export function createRng(seed: number | string = 1): Xoshiro128 {
  return new Xoshiro128(seed);
}
