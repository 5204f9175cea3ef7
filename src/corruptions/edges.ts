/**
 * The OpenCV operations behind the water drops of `spatter`, re-implemented on 8-bit and float
 * arrays: Canny edges, Euclidean distance transform, 3x3 box mean, 3x3 emboss and histogram
 * equalisation. Borders follow OpenCV: replicate for the Sobel derivatives of Canny,
 * reflect-101 for the box and emboss filters.
 */
import { correlate2d, type Kernel2d } from './filters.js';
import { clip } from './image.js';

/**
 * Canny edge map of an 8-bit image as OpenCV computes it with a 3x3 aperture: Sobel
 * derivatives, L1 magnitude |gx| + |gy|, non-maximum suppression in four directions
 * (22.5 degree sectors), then hysteresis: pixels above `high` seed edges that grow through
 * 8-connected pixels above `low`. Returns 255 on edges, 0 elsewhere.
 */
export function cannyEdges(image: Uint8Array, height: number, width: number, low: number, high: number): Uint8Array {
  const { gx, gy, magnitude } = sobelGradients(image, height, width);
  const candidate = suppressNonMaxima(gx, gy, magnitude, height, width, low, high);
  return traceHysteresis(candidate, height, width);
}

function sobelGradients(image: Uint8Array, height: number, width: number): { gx: Int32Array; gy: Int32Array; magnitude: Int32Array } {
  const gx = new Int32Array(height * width);
  const gy = new Int32Array(height * width);
  const magnitude = new Int32Array(height * width);
  const at = (y: number, x: number): number => image[Math.min(height - 1, Math.max(0, y)) * width + Math.min(width - 1, Math.max(0, x))]!;

  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const dx = at(y - 1, x + 1) + 2 * at(y, x + 1) + at(y + 1, x + 1) - at(y - 1, x - 1) - 2 * at(y, x - 1) - at(y + 1, x - 1);
      const dy = at(y + 1, x - 1) + 2 * at(y + 1, x) + at(y + 1, x + 1) - at(y - 1, x - 1) - 2 * at(y - 1, x) - at(y - 1, x + 1);
      const i = y * width + x;
      gx[i] = dx;
      gy[i] = dy;
      magnitude[i] = Math.abs(dx) + Math.abs(dy);
    }
  }
  return { gx, gy, magnitude };
}

/** tan(22.5 degrees): the sector boundary of the gradient direction. */
const TAN_22_5 = Math.SQRT2 - 1;

/** Marks of the non-maximum suppression: 0 not an edge, 1 weak candidate, 2 strong. */
function suppressNonMaxima(
  gx: Int32Array, gy: Int32Array, magnitude: Int32Array, height: number, width: number, low: number, high: number,
): Uint8Array {
  const marks = new Uint8Array(height * width);
  // Magnitudes outside the image count as 0, as in OpenCV's padded buffer.
  const mag = (y: number, x: number): number => (y < 0 || y >= height || x < 0 || x >= width ? 0 : magnitude[y * width + x]!);

  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const m = magnitude[i]!;
      if (m <= low) continue;

      const absX = Math.abs(gx[i]!);
      const absY = Math.abs(gy[i]!);
      let isMaximum: boolean;
      if (absY < absX * TAN_22_5) {
        isMaximum = m > mag(y, x - 1) && m >= mag(y, x + 1);
      } else if (absY > absX * (TAN_22_5 + 2)) {
        isMaximum = m > mag(y - 1, x) && m >= mag(y + 1, x);
      } else {
        const s = gx[i]! * gy[i]! < 0 ? -1 : 1;
        isMaximum = m > mag(y - 1, x - s) && m > mag(y + 1, x + s);
      }
      if (isMaximum) marks[i] = m > high ? 2 : 1;
    }
  }
  return marks;
}

function traceHysteresis(marks: Uint8Array, height: number, width: number): Uint8Array {
  const edges = new Uint8Array(height * width);
  const stack: number[] = [];
  for (let i = 0; i < marks.length; i++) {
    if (marks[i] === 2) {
      edges[i] = 255;
      stack.push(i);
    }
  }

  while (stack.length > 0) {
    const i = stack.pop()!;
    const y = Math.floor(i / width);
    const x = i - y * width;
    for (let ny = Math.max(0, y - 1); ny <= Math.min(height - 1, y + 1); ny++) {
      for (let nx = Math.max(0, x - 1); nx <= Math.min(width - 1, x + 1); nx++) {
        const j = ny * width + nx;
        if (edges[j] === 0 && marks[j]! > 0) {
          edges[j] = 255;
          stack.push(j);
        }
      }
    }
  }
  return edges;
}

/** Distance returned where the image has no feature pixel at all (OpenCV returns a large value too). */
const NO_FEATURE_DISTANCE = 1e20;

/**
 * Exact Euclidean distance from every pixel to the nearest pixel where `isFeature` is true
 * (0 on feature pixels), by Felzenszwalb and Huttenlocher's two-pass lower-envelope method.
 * OpenCV's 5x5 chamfer mask, used by the reference, approximates this within a few percent.
 */
export function euclideanDistanceTransform(isFeature: (index: number) => boolean, height: number, width: number): Float64Array {
  const squared = new Float64Array(height * width);
  for (let i = 0; i < squared.length; i++) squared[i] = isFeature(i) ? 0 : NO_FEATURE_DISTANCE;

  const length = Math.max(height, width);
  const line = new Float64Array(length);
  const result = new Float64Array(length);
  const scratch = { vertices: new Int32Array(length), boundaries: new Float64Array(length + 1) };

  for (let x = 0; x < width; x++) {
    for (let y = 0; y < height; y++) line[y] = squared[y * width + x]!;
    squaredDistance1d(line, height, result, scratch);
    for (let y = 0; y < height; y++) squared[y * width + x] = result[y]!;
  }
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) line[x] = squared[y * width + x]!;
    squaredDistance1d(line, width, result, scratch);
    for (let x = 0; x < width; x++) squared[y * width + x] = result[x]!;
  }

  return squared.map(Math.sqrt);
}

/** 1-D squared distance transform of sampled function f (lower envelope of parabolas). */
function squaredDistance1d(
  f: Float64Array, n: number, out: Float64Array, scratch: { vertices: Int32Array; boundaries: Float64Array },
): void {
  const { vertices, boundaries } = scratch;
  let k = 0;
  vertices[0] = 0;
  boundaries[0] = -Infinity;
  boundaries[1] = Infinity;

  const intersection = (q: number, v: number): number => (f[q]! + q * q - (f[v]! + v * v)) / (2 * q - 2 * v);
  for (let q = 1; q < n; q++) {
    // boundaries[0] is -Infinity, so k never drops below 0.
    let s = intersection(q, vertices[k]!);
    while (s <= boundaries[k]!) {
      k--;
      s = intersection(q, vertices[k]!);
    }
    k++;
    vertices[k] = q;
    boundaries[k] = s;
    boundaries[k + 1] = Infinity;
  }

  k = 0;
  for (let q = 0; q < n; q++) {
    while (boundaries[k + 1]! < q) k++;
    const v = vertices[k]!;
    out[q] = (q - v) * (q - v) + f[v]!;
  }
}

const BOX_3X3: Kernel2d = { size: 3, weights: new Float64Array(9).fill(1 / 9) };

/** Emboss kernel of the reference spatter: rows (-2, -1, 0), (-1, 1, 1), (0, 1, 2). */
const EMBOSS_3X3: Kernel2d = { size: 3, weights: Float64Array.from([-2, -1, 0, -1, 1, 1, 0, 1, 2]) };

/** 3x3 mean with reflect-101 borders, in float (OpenCV `blur` on a float image). */
export function boxMean3x3(plane: Float64Array, height: number, width: number): Float64Array {
  return correlate2d(plane, height, width, BOX_3X3, 'reflect-101');
}

/** Rounds half to even and saturates to 0..255, as OpenCV's `saturate_cast<uchar>` does. */
export function saturateByte(value: number): number {
  const rounded = Math.round(value);
  const even = Math.abs(value - Math.trunc(value)) === 0.5 && rounded % 2 !== 0 ? rounded - 1 : rounded;
  return clip(even, 0, 255);
}

/** 3x3 emboss on 8-bit data with reflect-101 borders, rounded and saturated to 8 bits. */
export function emboss3x3(image: Uint8Array, height: number, width: number): Uint8Array {
  const filtered = correlate2d(Float64Array.from(image), height, width, EMBOSS_3X3, 'reflect-101');
  return Uint8Array.from(filtered, saturateByte);
}

/** 3x3 mean of 8-bit data with reflect-101 borders, rounded to 8 bits. */
export function boxMean3x3Bytes(image: Uint8Array, height: number, width: number): Uint8Array {
  return Uint8Array.from(boxMean3x3(Float64Array.from(image), height, width), saturateByte);
}

/**
 * Equalises the histogram by OpenCV's rule. With i0 the lowest level present, level i maps to
 * round(255 * (count of pixels in levels i0+1..i) / (N - count at i0)). An image of a single
 * level keeps that level.
 */
export function equalizeHistogram(image: Uint8Array): Uint8Array {
  const histogram = new Int32Array(256);
  for (const value of image) histogram[value]!++;

  let lowest = 0;
  while (histogram[lowest] === 0) lowest++;
  if (histogram[lowest] === image.length) return new Uint8Array(image.length).fill(lowest);

  const scale = 255 / (image.length - histogram[lowest]!);
  const lookup = new Uint8Array(256);
  let cumulative = 0;
  for (let level = lowest + 1; level < 256; level++) {
    cumulative += histogram[level]!;
    lookup[level] = saturateByte(cumulative * scale);
  }
  return image.map((value) => lookup[value]!);
}
