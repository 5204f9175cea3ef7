/**
 * Seeded pseudo-random numbers for the corruptions. Every image gets its own stream, seeded
 * from a hash of (seed, dataset id, corruption, severity, image index), so generation order
 * and parallelism never change an output and one image can be regenerated alone.
 *
 * The generator is sfc32 (Chris Doty-Humphrey's small fast counting generator, 128-bit
 * state, 32-bit output), seeded from a 128-bit string hash. All arithmetic is 32-bit
 * integer or IEEE double, so streams are identical on every platform that runs Node.
 */

/** Outputs discarded after seeding so that similar keys give unrelated streams. */
const WARM_UP_DRAWS = 16;

/** 2^-32: scales a 32-bit unsigned integer into [0, 1). */
const UINT32_SCALE = 1 / 4294967296;

/** Poisson means below this use the multiplication method, larger ones PTRS. */
const PTRS_MIN_MEAN = 10;

/** Mixes a 32-bit word with the MurmurHash3 finaliser (full avalanche). */
function mix32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Hashes a string to four 32-bit words. Each lane folds the UTF-16 code units with its own
 * odd multiplier and rotation, and the lanes are cross-mixed at the end.
 */
export function hash128(text: string): [number, number, number, number] {
  let h1 = 0x243f6a88;
  let h2 = 0x85a308d3;
  let h3 = 0x13198a2e;
  let h4 = 0x03707344;

  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    h1 = Math.imul(rotl(h1 ^ code, 5), 0x9e3779b1);
    h2 = Math.imul(rotl(h2 ^ code, 11), 0x7feb352d);
    h3 = Math.imul(rotl(h3 ^ code, 17), 0x846ca68b);
    h4 = Math.imul(rotl(h4 ^ code, 23), 0xcc9e2d51);
  }

  const length = text.length;
  h1 = mix32(h1 ^ length ^ h3);
  h2 = mix32(h2 ^ h1);
  h3 = mix32(h3 ^ h2 ^ h4);
  h4 = mix32(h4 ^ h3);
  h1 = mix32(h1 ^ h4);
  return [h1, h2, h3, h4];
}

function rotl(value: number, bits: number): number {
  return (value << bits) | (value >>> (32 - bits));
}

/** Constants of Hörmann's PTRS sampler for one Poisson mean. */
interface PtrsConstants {
  mean: number;
  logMean: number;
  b: number;
  a: number;
  logInverseAlpha: number;
  acceptanceBound: number;
}

/** A seeded stream of uniform, integer, normal and Poisson variates. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private counter: number;
  private spareNormal: number | undefined = undefined;
  private readonly ptrsCache = new Map<number, PtrsConstants>();

  constructor(seedWords: readonly [number, number, number, number]) {
    this.a = seedWords[0] >>> 0;
    this.b = seedWords[1] >>> 0;
    this.c = seedWords[2] >>> 0;
    this.counter = seedWords[3] >>> 0;
    for (let i = 0; i < WARM_UP_DRAWS; i++) this.nextUint32();
  }

  /** Creates the stream for a string key, for example one built by `imageStreamKey`. */
  static fromKey(key: string): Rng {
    return new Rng(hash128(key));
  }

  /** Returns the next 32-bit unsigned integer (one sfc32 step). */
  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.counter) | 0;
    this.counter = (this.counter + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = rotl(this.c, 21);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform float in [0, 1) with 32 bits of resolution. */
  uniform(): number {
    return this.nextUint32() * UINT32_SCALE;
  }

  /** Uniform float in [low, high). */
  uniformRange(low: number, high: number): number {
    return low + (high - low) * this.uniform();
  }

  /** Uniform integer in [low, high), upper bound exclusive like NumPy's `randint`. */
  integer(low: number, high: number): number {
    return low + Math.floor(this.uniform() * (high - low));
  }

  /** Standard normal variate by Marsaglia's polar method. The second value of each pair is kept for the next call. */
  normal(): number {
    if (this.spareNormal !== undefined) {
      const spare = this.spareNormal;
      this.spareNormal = undefined;
      return spare;
    }
    for (;;) {
      const u = 2 * this.uniform() - 1;
      const v = 2 * this.uniform() - 1;
      const radiusSquared = u * u + v * v;
      if (radiusSquared >= 1 || radiusSquared === 0) continue;
      const factor = Math.sqrt((-2 * Math.log(radiusSquared)) / radiusSquared);
      this.spareNormal = v * factor;
      return u * factor;
    }
  }

  /** Normal variate with the given mean and standard deviation. */
  normalWith(mean: number, standardDeviation: number): number {
    return mean + standardDeviation * this.normal();
  }

  /**
   * Poisson variate. Means below 10 use the exact multiplication method. Larger means use
   * Hörmann's transformed rejection with squeeze (PTRS, 1993), which is also exact.
   */
  poisson(mean: number): number {
    if (!(mean > 0)) return 0;
    if (mean < PTRS_MIN_MEAN) return this.poissonByMultiplication(mean);
    return this.poissonPtrs(this.ptrsConstants(mean));
  }

  private poissonByMultiplication(mean: number): number {
    const limit = Math.exp(-mean);
    let product = this.uniform();
    let count = 0;
    while (product > limit) {
      product *= this.uniform();
      count++;
    }
    return count;
  }

  private ptrsConstants(mean: number): PtrsConstants {
    const cached = this.ptrsCache.get(mean);
    if (cached !== undefined) return cached;

    const b = 0.931 + 2.53 * Math.sqrt(mean);
    const constants: PtrsConstants = {
      mean,
      logMean: Math.log(mean),
      b,
      a: -0.059 + 0.02483 * b,
      logInverseAlpha: Math.log(1.1239 + 1.1328 / (b - 3.4)),
      acceptanceBound: 0.9277 - 3.6224 / (b - 2),
    };
    this.ptrsCache.set(mean, constants);
    return constants;
  }

  private poissonPtrs(k: PtrsConstants): number {
    for (;;) {
      const u = this.uniform() - 0.5;
      const v = this.uniform();
      const us = 0.5 - Math.abs(u);
      const count = Math.floor(((2 * k.a) / us + k.b) * u + k.mean + 0.43);

      // Squeeze: most draws are accepted here without evaluating the density.
      if (us >= 0.07 && v <= k.acceptanceBound) return count;
      if (count < 0 || (us < 0.013 && v > us)) continue;

      const logLeft = Math.log(v) + k.logInverseAlpha - Math.log(k.a / (us * us) + k.b);
      const logRight = -k.mean + count * k.logMean - logFactorial(count);
      if (logLeft <= logRight) return count;
    }
  }
}

/** ln(n!) exactly summed for small n, by Stirling's series with three correction terms above. */
export function logFactorial(n: number): number {
  if (n < 2) return 0;
  if (n < 20) {
    let sum = 0;
    for (let i = 2; i <= n; i++) sum += Math.log(i);
    return sum;
  }
  const inverse = 1 / n;
  const inverseSquared = inverse * inverse;
  const series = inverse * (1 / 12 - inverseSquared * (1 / 360 - inverseSquared / 1260));
  return (n + 0.5) * Math.log(n) - n + 0.5 * Math.log(2 * Math.PI) + series;
}

/** Identity of one corrupted image. Every field takes part in the stream seed. */
export interface StreamIdentity {
  seed: number;
  datasetId: string;
  corruption: string;
  severity: number;
  index: number;
}

/** Builds the hash key of one image's stream, with fields joined by the ASCII unit separator (U+001F). */
export function imageStreamKey(identity: StreamIdentity): string {
  const separator = '\u001f';
  return [identity.seed, identity.datasetId, identity.corruption, identity.severity, identity.index].join(separator);
}

/** Creates the stream for one corrupted image. */
export function imageRng(identity: StreamIdentity): Rng {
  return Rng.fromKey(imageStreamKey(identity));
}
