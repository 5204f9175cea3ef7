/**
 * Resampling: the clipped zoom of zoom blur and snow, PIL-compatible BOX and BILINEAR resizes
 * on 8-bit data, bilinear sampling at real coordinates and the affine warp of elastic_transform.
 */
import { applyColumns, applyRows, borderIndex, tapsFromLists, type AxisTaps, type BorderMode } from './filters.js';
import { clip, type Plane, type RawImage } from './image.js';

/** Rounds halves to the nearest even integer, like Python's `round`. */
export function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction > 0.5) return floor + 1;
  if (fraction < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * Taps of the clipped zoom on one axis of `length` samples by factor `zoom` >= 1: take the
 * centred ceil(length / zoom) samples, enlarge them to round(crop * zoom) samples with
 * linear interpolation whose first and last samples align (SciPy's order-1 zoom), and keep
 * the centred `length` samples. A factor of 1 is the identity.
 */
export function clippedZoomTaps(length: number, zoom: number): AxisTaps {
  const cropLength = Math.ceil(length / zoom);
  const cropStart = Math.floor((length - cropLength) / 2);
  const zoomedLength = roundHalfEven(cropLength * zoom);
  const outputStart = Math.floor((zoomedLength - length) / 2);
  const step = zoomedLength > 1 ? (cropLength - 1) / (zoomedLength - 1) : 0;

  const lists: Array<Array<[number, number]>> = [];
  for (let output = 0; output < length; output++) {
    const coordinate = (output + outputStart) * step;
    const lower = Math.min(Math.floor(coordinate), cropLength - 1);
    const upper = Math.min(lower + 1, cropLength - 1);
    const fraction = coordinate - lower;
    lists.push([
      [cropStart + lower, 1 - fraction],
      [cropStart + upper, fraction],
    ]);
  }
  return tapsFromLists(length, lists);
}

/** Clipped zoom of one plane. Rows and columns are zoomed separately, so non-square planes work. */
export function clippedZoom(plane: Plane, height: number, width: number, zoom: number): Plane {
  const horizontal = applyRows(plane, height, clippedZoomTaps(width, zoom));
  return applyColumns(horizontal, width, clippedZoomTaps(height, zoom));
}

/** Resampling filters of PIL's `Image.resize` that this module reproduces. */
export type PilFilter = 'box' | 'bilinear';

/** Fixed-point precision of PIL's 8-bit resampling: 32 - 8 - 2 bits. */
const PIL_PRECISION_BITS = 22;
const PIL_ONE = 2 ** PIL_PRECISION_BITS;
const PIL_HALF = 2 ** (PIL_PRECISION_BITS - 1);

const PIL_FILTERS: Readonly<Record<PilFilter, { support: number; weight: (t: number) => number }>> = {
  box: { support: 0.5, weight: (t) => (t > -0.5 && t <= 0.5 ? 1 : 0) },
  bilinear: { support: 1, weight: (t) => Math.max(0, 1 - Math.abs(t)) },
};

/** Integer taps of one PIL resampling pass (weights in units of 2^-22). */
interface PilTaps {
  start: Int32Array;
  count: Int32Array;
  /** `outputLength * maxTaps` fixed-point weights. */
  weights: Int32Array;
  maxTaps: number;
}

/**
 * Computes PIL's coefficients for resizing an axis. When shrinking, the filter is stretched by
 * the scale (antialiasing). Weights are normalised in double precision and then rounded to
 * 22-bit fixed point, so the taps of one output can sum to 1 plus or minus a few units, as in PIL.
 */
function pilTaps(inputLength: number, outputLength: number, filter: PilFilter): PilTaps {
  const { support: baseSupport, weight } = PIL_FILTERS[filter];
  const scale = inputLength / outputLength;
  const filterScale = Math.max(scale, 1);
  const support = baseSupport * filterScale;
  const maxTaps = Math.ceil(support) * 2 + 1;

  const start = new Int32Array(outputLength);
  const count = new Int32Array(outputLength);
  const weights = new Int32Array(outputLength * maxTaps);
  const real = new Float64Array(maxTaps);
  for (let output = 0; output < outputLength; output++) {
    const centre = (output + 0.5) * scale;
    const low = Math.max(0, Math.trunc(centre - support + 0.5));
    const high = Math.min(inputLength, Math.trunc(centre + support + 0.5));
    const taps = high - low;

    let sum = 0;
    for (let k = 0; k < taps; k++) {
      real[k] = weight((k + low - centre + 0.5) / filterScale);
      sum += real[k]!;
    }
    for (let k = 0; k < taps; k++) {
      const normalised = sum !== 0 ? real[k]! / sum : 0;
      weights[output * maxTaps + k] = Math.trunc(normalised < 0 ? normalised * PIL_ONE - 0.5 : normalised * PIL_ONE + 0.5);
    }
    start[output] = low;
    count[output] = taps;
  }
  return { start, count, weights, maxTaps };
}

/** Converts a fixed-point sum to an 8-bit value (floor, then clamp to 0..255). */
function clampByte(sum: number): number {
  return clip(Math.floor(sum / PIL_ONE), 0, 255);
}

function pilHorizontal(image: RawImage, outputWidth: number, filter: PilFilter): RawImage {
  const { data, height, width, channels } = image;
  const taps = pilTaps(width, outputWidth, filter);
  const out = new Uint8Array(height * outputWidth * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < outputWidth; x++) {
      const first = taps.start[x]!;
      const base = x * taps.maxTaps;
      for (let ch = 0; ch < channels; ch++) {
        let sum = PIL_HALF;
        for (let k = 0; k < taps.count[x]!; k++) sum += taps.weights[base + k]! * data[((y * width) + first + k) * channels + ch]!;
        out[(y * outputWidth + x) * channels + ch] = clampByte(sum);
      }
    }
  }
  return { data: out, height, width: outputWidth, channels };
}

function pilVertical(image: RawImage, outputHeight: number, filter: PilFilter): RawImage {
  const { data, height, width, channels } = image;
  const taps = pilTaps(height, outputHeight, filter);
  const rowLength = width * channels;
  const out = new Uint8Array(outputHeight * rowLength);
  const sums = new Float64Array(rowLength);
  for (let y = 0; y < outputHeight; y++) {
    sums.fill(PIL_HALF);
    const first = taps.start[y]!;
    const base = y * taps.maxTaps;
    for (let k = 0; k < taps.count[y]!; k++) {
      const tapWeight = taps.weights[base + k]!;
      const rowIn = (first + k) * rowLength;
      for (let i = 0; i < rowLength; i++) sums[i]! += tapWeight * data[rowIn + i]!;
    }
    for (let i = 0; i < rowLength; i++) out[y * rowLength + i] = clampByte(sums[i]!);
  }
  return { data: out, height: outputHeight, width, channels };
}

/**
 * Resizes an 8-bit image exactly as Pillow's `Image.resize` does for BOX and BILINEAR. A
 * horizontal pass runs first, then a vertical pass, and each is rounded back to 8 bits. A pass
 * whose size does not change is skipped. BOX upsampling is nearest neighbour with source
 * index floor((o + 0.5) * in / out).
 */
export function resizePil(image: RawImage, outputHeight: number, outputWidth: number, filter: PilFilter): RawImage {
  let current = image;
  if (outputWidth !== current.width) current = pilHorizontal(current, outputWidth, filter);
  if (outputHeight !== current.height) current = pilVertical(current, outputHeight, filter);
  return current === image ? { ...image, data: new Uint8Array(image.data) } : current;
}

/** Bilinear sample of a plane at real (row, column) with a border rule for the four neighbours. */
export function sampleBilinear(plane: Plane, height: number, width: number, row: number, column: number, border: BorderMode): number {
  const row0 = Math.floor(row);
  const column0 = Math.floor(column);
  const rowFraction = row - row0;
  const columnFraction = column - column0;

  const top = borderIndex(row0, height, border) * width;
  const bottom = borderIndex(row0 + 1, height, border) * width;
  const left = borderIndex(column0, width, border);
  const right = borderIndex(column0 + 1, width, border);

  const upper = plane[top + left]! * (1 - columnFraction) + plane[top + right]! * columnFraction;
  const lower = plane[bottom + left]! * (1 - columnFraction) + plane[bottom + right]! * columnFraction;
  return upper * (1 - rowFraction) + lower * rowFraction;
}

/** A 2x3 affine matrix mapping (x, y) to (m[0] x + m[1] y + m[2], m[3] x + m[4] y + m[5]). */
export type Affine = readonly [number, number, number, number, number, number];

/** Solves for the affine map that sends three source points (x, y) to three target points. */
export function affineFromPoints(source: ReadonlyArray<readonly [number, number]>, target: ReadonlyArray<readonly [number, number]>): Affine {
  const [[x1, y1], [x2, y2], [x3, y3]] = source as [[number, number], [number, number], [number, number]];
  const determinant = x1 * (y2 - y3) - x2 * (y1 - y3) + x3 * (y1 - y2);
  if (determinant === 0) throw new Error('affineFromPoints: the three source points are collinear');

  // Cramer's rule, once for the x row and once for the y row of the matrix.
  const solveRow = (q1: number, q2: number, q3: number): [number, number, number] => [
    (q1 * (y2 - y3) - q2 * (y1 - y3) + q3 * (y1 - y2)) / determinant,
    (x1 * (q2 - q3) - x2 * (q1 - q3) + x3 * (q1 - q2)) / determinant,
    (x1 * (y2 * q3 - y3 * q2) - x2 * (y1 * q3 - y3 * q1) + x3 * (y1 * q2 - y2 * q1)) / determinant,
  ];
  const [t1, t2, t3] = target as [[number, number], [number, number], [number, number]];
  return [...solveRow(t1[0], t2[0], t3[0]), ...solveRow(t1[1], t2[1], t3[1])];
}

/** Inverts an affine map. */
export function invertAffine(m: Affine): Affine {
  const determinant = m[0] * m[4] - m[1] * m[3];
  if (determinant === 0) throw new Error('invertAffine: the matrix is singular');
  const a = m[4] / determinant;
  const b = -m[1] / determinant;
  const d = -m[3] / determinant;
  const e = m[0] / determinant;
  return [a, b, -(a * m[2] + b * m[5]), d, e, -(d * m[2] + e * m[5])];
}

/** Warps a plane with `forward` (output(p) = input(forward^-1 p)), bilinear, border rule for outside samples. */
export function warpAffine(plane: Plane, height: number, width: number, forward: Affine, border: BorderMode): Plane {
  const inverse = invertAffine(forward);
  const out = new Float64Array(height * width);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const sourceX = inverse[0] * x + inverse[1] * y + inverse[2];
      const sourceY = inverse[3] * x + inverse[4] * y + inverse[5];
      out[y * width + x] = sampleBilinear(plane, height, width, sourceY, sourceX, border);
    }
  }
  return out;
}

/**
 * Taps of an area (BOX) resize in floating point: the weights PIL's BOX filter uses before its
 * 8-bit fixed-point step. Shrinking averages the input samples each output pixel covers.
 */
export function boxResizeTaps(inputLength: number, outputLength: number): AxisTaps {
  const scale = inputLength / outputLength;
  const filterScale = Math.max(scale, 1);
  const support = PIL_FILTERS.box.support * filterScale;
  const lists: Array<Array<[number, number]>> = [];

  for (let output = 0; output < outputLength; output++) {
    const centre = (output + 0.5) * scale;
    const low = Math.max(0, Math.trunc(centre - support + 0.5));
    const high = Math.min(inputLength, Math.trunc(centre + support + 0.5));
    const list: Array<[number, number]> = [];
    let sum = 0;
    for (let input = low; input < high; input++) {
      const tapWeight = PIL_FILTERS.box.weight((input - centre + 0.5) / filterScale);
      if (tapWeight !== 0) list.push([input, tapWeight]);
      sum += tapWeight;
    }
    lists.push(list.map(([input, tapWeight]) => [input, tapWeight / sum]));
  }
  return tapsFromLists(inputLength, lists);
}

/** Area-resizes a float plane (BOX weights, no rounding). */
export function boxResizePlane(plane: Plane, height: number, width: number, outputHeight: number, outputWidth: number): Plane {
  const horizontal = width === outputWidth ? plane : applyRows(plane, height, boxResizeTaps(width, outputWidth));
  return height === outputHeight ? new Float64Array(horizontal) : applyColumns(horizontal, outputWidth, boxResizeTaps(height, outputHeight));
}
