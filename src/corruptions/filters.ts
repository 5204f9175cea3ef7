/**
 * Linear filters on float planes: border rules, separable Gaussian smoothing, 2-D
 * correlation, the anti-aliased disk of defocus blur and the one-sided line kernel of
 * ImageMagick's motion blur.
 */
import type { Plane } from './image.js';

/**
 * Rule that maps an index outside 0..n-1 back inside.
 * `clamp` repeats the edge sample (a a | a b c), `reflect-101` mirrors without repeating it
 * (c b | a b c | b a, OpenCV's default), `reflect-half` mirrors repeating it
 * (b a | a b c | c b, SciPy's `reflect`). Both mirrors are periodic, so any index is valid.
 */
export type BorderMode = 'clamp' | 'reflect-101' | 'reflect-half';

/** Maps an index to 0..length-1 under a border rule. */
export function borderIndex(index: number, length: number, border: BorderMode): number {
  if (index >= 0 && index < length) return index;
  if (length === 1) return 0;

  if (border === 'clamp') return index < 0 ? 0 : length - 1;

  if (border === 'reflect-101') {
    const period = 2 * length - 2;
    const folded = ((index % period) + period) % period;
    return folded < length ? folded : period - folded;
  }

  const period = 2 * length;
  const folded = ((index % period) + period) % period;
  return folded < length ? folded : period - 1 - folded;
}

/** A 1-D linear map from an input axis to an output axis, stored as sparse rows (CSR). */
export interface AxisTaps {
  inputLength: number;
  outputLength: number;
  /** Taps of output o are entries start[o] .. start[o+1]-1. */
  start: Int32Array;
  index: Int32Array;
  weight: Float64Array;
}

/** Builds taps from a per-output list of (input index, weight) pairs. */
export function tapsFromLists(inputLength: number, lists: ReadonlyArray<ReadonlyArray<readonly [number, number]>>): AxisTaps {
  const total = lists.reduce((sum, list) => sum + list.length, 0);
  const start = new Int32Array(lists.length + 1);
  const index = new Int32Array(total);
  const weight = new Float64Array(total);

  let cursor = 0;
  lists.forEach((list, output) => {
    start[output] = cursor;
    for (const [inputIndex, tapWeight] of list) {
      index[cursor] = inputIndex;
      weight[cursor] = tapWeight;
      cursor++;
    }
  });
  start[lists.length] = cursor;
  return { inputLength, outputLength: lists.length, start, index, weight };
}

/**
 * Builds the taps of a centred correlation kernel (`kernel[k]` weighs offset k - radius) on
 * an axis of `length` samples. Taps that fold onto the same input are merged, which keeps
 * kernels much longer than the axis cheap (elastic smoothing uses radii up to 512 px).
 */
export function kernelTaps(length: number, kernel: ArrayLike<number>, border: BorderMode): AxisTaps {
  const radius = (kernel.length - 1) / 2;
  const lists: Array<Array<[number, number]>> = [];

  if (kernel.length <= length) {
    for (let output = 0; output < length; output++) {
      const list: Array<[number, number]> = [];
      for (let k = 0; k < kernel.length; k++) list.push([borderIndex(output + k - radius, length, border), kernel[k]!]);
      lists.push(list);
    }
    return tapsFromLists(length, lists);
  }

  const merged = new Float64Array(length);
  for (let output = 0; output < length; output++) {
    merged.fill(0);
    for (let k = 0; k < kernel.length; k++) {
      merged[borderIndex(output + k - radius, length, border)]! += kernel[k]!;
    }
    const list: Array<[number, number]> = [];
    for (let input = 0; input < length; input++) {
      if (merged[input] !== 0) list.push([input, merged[input]!]);
    }
    lists.push(list);
  }
  return tapsFromLists(length, lists);
}

/** Applies taps along each row (horizontal pass): height x inputLength -> height x outputLength. */
export function applyRows(plane: Plane, height: number, taps: AxisTaps): Plane {
  const { inputLength, outputLength, start, index, weight } = taps;
  const out = new Float64Array(height * outputLength);
  for (let y = 0; y < height; y++) {
    const rowIn = y * inputLength;
    const rowOut = y * outputLength;
    for (let x = 0; x < outputLength; x++) {
      let sum = 0;
      for (let t = start[x]!; t < start[x + 1]!; t++) sum += weight[t]! * plane[rowIn + index[t]!]!;
      out[rowOut + x] = sum;
    }
  }
  return out;
}

/** Applies taps along each column (vertical pass): inputLength x width -> outputLength x width. */
export function applyColumns(plane: Plane, width: number, taps: AxisTaps): Plane {
  const { outputLength, start, index, weight } = taps;
  const out = new Float64Array(outputLength * width);
  for (let y = 0; y < outputLength; y++) {
    const rowOut = y * width;
    for (let t = start[y]!; t < start[y + 1]!; t++) {
      const rowIn = index[t]! * width;
      const tapWeight = weight[t]!;
      for (let x = 0; x < width; x++) out[rowOut + x] += tapWeight * plane[rowIn + x]!;
    }
  }
  return out;
}

/** Applies a horizontal and a vertical 1-D kernel (horizontal first) with one border rule. */
export function separableFilter(plane: Plane, height: number, width: number, kernel: ArrayLike<number>, border: BorderMode): Plane {
  const horizontal = applyRows(plane, height, kernelTaps(width, kernel, border));
  return applyColumns(horizontal, width, kernelTaps(height, kernel, border));
}

/** Gaussian radius in taps: floor(truncate * sigma + 0.5), as SciPy's `gaussian_filter` computes it. */
export function gaussianRadius(sigma: number, truncate: number): number {
  return Math.floor(truncate * sigma + 0.5);
}

/** Normalised Gaussian weights exp(-k^2 / (2 sigma^2)) for k = -radius..radius. */
export function gaussianKernel(sigma: number, radius: number): Float64Array {
  const kernel = new Float64Array(2 * radius + 1);
  let sum = 0;
  for (let k = -radius; k <= radius; k++) {
    const value = Math.exp(-(k * k) / (2 * sigma * sigma));
    kernel[k + radius] = value;
    sum += value;
  }
  for (let i = 0; i < kernel.length; i++) kernel[i]! /= sum;
  return kernel;
}

/**
 * Separable Gaussian smoothing of one plane. A radius of 0 (sigma < 0.125 at truncate 4)
 * is the identity, as in SciPy. Returns a new plane.
 */
export function gaussianSmooth(plane: Plane, height: number, width: number, sigma: number, truncate: number, border: BorderMode): Plane {
  const radius = sigma > 0 ? gaussianRadius(sigma, truncate) : 0;
  if (radius === 0) return new Float64Array(plane);
  return separableFilter(plane, height, width, gaussianKernel(sigma, radius), border);
}

/** A dense 2-D kernel, row-major, odd sides, anchored at the centre. */
export interface Kernel2d {
  size: number;
  weights: Float64Array;
}

/** Copies a plane into a larger one with `radius` border samples on every side, filled by the border rule. */
export function padPlane(plane: Plane, height: number, width: number, radius: number, border: BorderMode): Plane {
  const paddedWidth = width + 2 * radius;
  const padded = new Float64Array((height + 2 * radius) * paddedWidth);
  const columnMap = new Int32Array(paddedWidth);
  for (let x = 0; x < paddedWidth; x++) columnMap[x] = borderIndex(x - radius, width, border);

  for (let y = 0; y < height + 2 * radius; y++) {
    const rowIn = borderIndex(y - radius, height, border) * width;
    const rowOut = y * paddedWidth;
    for (let x = 0; x < paddedWidth; x++) padded[rowOut + x] = plane[rowIn + columnMap[x]!]!;
  }
  return padded;
}

/** 2-D correlation (kernel not flipped) of one plane with a square kernel. */
export function correlate2d(plane: Plane, height: number, width: number, kernel: Kernel2d, border: BorderMode): Plane {
  const { size, weights } = kernel;
  const radius = (size - 1) / 2;
  const padded = padPlane(plane, height, width, radius, border);
  const paddedWidth = width + 2 * radius;
  const out = new Float64Array(height * width);

  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let sum = 0;
      for (let ky = 0; ky < size; ky++) {
        const base = (y + ky) * paddedWidth + x;
        const kernelRow = ky * size;
        for (let kx = 0; kx < size; kx++) sum += weights[kernelRow + kx]! * padded[base + kx]!;
      }
      out[y * width + x] = sum;
    }
  }
  return out;
}

/** Disk radii up to this use a 17x17 grid and a 3-tap anti-aliasing Gaussian. */
const SMALL_DISK_MAX_RADIUS = 8;

/** Returns how many grid points (i, j) satisfy i^2 + j^2 <= radius^2 on the disk grid. */
export function diskTapCount(radius: number): number {
  const half = diskHalfWidth(radius);
  let count = 0;
  for (let i = -half; i <= half; i++) {
    for (let j = -half; j <= half; j++) if (i * i + j * j <= radius * radius) count++;
  }
  return count;
}

function diskHalfWidth(radius: number): number {
  return radius <= SMALL_DISK_MAX_RADIUS ? SMALL_DISK_MAX_RADIUS : Math.ceil(radius);
}

/**
 * Builds the defocus kernel: a flat disk of the given radius (pixels) on a grid of half-width
 * max(8, radius), normalised to sum 1, then anti-aliased in place by a separable Gaussian of
 * sigma `aliasSigma` with 3 taps (radius <= 8) or 5 taps, reflect-101 inside the kernel array.
 * The result is not renormalised, as in the ImageNet-C script.
 */
export function diskKernel(radius: number, aliasSigma: number): Kernel2d {
  const half = diskHalfWidth(radius);
  const size = 2 * half + 1;
  const disk = new Float64Array(size * size);
  const count = diskTapCount(radius);
  for (let i = -half; i <= half; i++) {
    for (let j = -half; j <= half; j++) {
      if (i * i + j * j <= radius * radius) disk[(i + half) * size + (j + half)] = 1 / count;
    }
  }

  const aliasRadius = radius <= SMALL_DISK_MAX_RADIUS ? 1 : 2;
  const smoothed = separableFilter(disk, size, size, gaussianKernel(aliasSigma, aliasRadius), 'reflect-101');
  return { size, weights: smoothed };
}

/** Taps of ImageMagick's motion blur: weights and integer pixel offsets (x right, y down). */
export interface MotionKernel {
  weights: Float64Array;
  dx: Int32Array;
  dy: Int32Array;
}

/**
 * Builds ImageMagick's `MotionBlurImage` kernel: width 2*ceil(radius)+1, weights
 * exp(-i^2 / (2 sigma^2)) for i = 0..width-1 normalised to 1 (one-sided: the pixel itself
 * weighs most), tap i at (ceil(i cos(angle) - 0.5), ceil(i sin(angle) - 0.5)).
 */
export function motionKernel(radius: number, sigma: number, angleDegrees: number): MotionKernel {
  const width = 2 * Math.ceil(radius) + 1;
  const weights = new Float64Array(width);
  const dx = new Int32Array(width);
  const dy = new Int32Array(width);
  const theta = (angleDegrees * Math.PI) / 180;

  let sum = 0;
  for (let i = 0; i < width; i++) {
    weights[i] = Math.exp(-(i * i) / (2 * sigma * sigma));
    sum += weights[i]!;
    dx[i] = Math.ceil(i * Math.cos(theta) - 0.5);
    dy[i] = Math.ceil(i * Math.sin(theta) - 0.5);
  }
  for (let i = 0; i < width; i++) weights[i]! /= sum;
  return { weights, dx, dy };
}

/** Applies a motion kernel to one plane with clamped (edge-replicating) borders. No rounding. */
export function motionBlurPlane(plane: Plane, height: number, width: number, kernel: MotionKernel): Plane {
  const out = new Float64Array(height * width);
  const columnIndex = new Int32Array(width);
  for (let t = 0; t < kernel.weights.length; t++) {
    const tapWeight = kernel.weights[t]!;
    const shiftX = kernel.dx[t]!;
    const shiftY = kernel.dy[t]!;
    for (let x = 0; x < width; x++) columnIndex[x] = borderIndex(x + shiftX, width, 'clamp');
    for (let y = 0; y < height; y++) {
      const rowIn = borderIndex(y + shiftY, height, 'clamp') * width;
      const rowOut = y * width;
      for (let x = 0; x < width; x++) out[rowOut + x] += tapWeight * plane[rowIn + columnIndex[x]!]!;
    }
  }
  return out;
}
