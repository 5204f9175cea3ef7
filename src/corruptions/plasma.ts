/**
 * Plasma fractal (diamond-square on a torus), the fog field of ImageNet-C and the background
 * of the procedural frost texture.
 */
import type { Plane } from './image.js';
import type { Rng } from './rng.js';

/** Noise amplitude parameter at the coarsest level. The added noise is uniform on (-w^2, w^2). */
const INITIAL_WIBBLE = 100;

/** Returns the smallest power of two >= n (n >= 1). */
export function nextPowerOfTwo(n: number): number {
  let size = 1;
  while (size < n) size *= 2;
  return size;
}

/**
 * Generates an M x M plasma fractal (M a power of two) normalised to [0, 1]. Each level
 * halves the step. Square centres get the mean of their 4 corners, then horizontal and
 * vertical edge midpoints get the mean of their 2 neighbouring centres and 2 corners, with
 * indices wrapping around. Each new point adds w * U(-w, w), and w is divided by `decay` per
 * level, so the amplitude falls by decay^2. Draws: all centres of a level row-major, then all
 * horizontal midpoints, then all vertical midpoints.
 */
export function plasmaFractal(size: number, decay: number, rng: Rng): Plane {
  if (size < 1 || (size & (size - 1)) !== 0) throw new Error(`plasmaFractal: size ${size} is not a power of two`);
  const map = new Float64Array(size * size);
  const at = (y: number, x: number): number => map[(((y % size) + size) % size) * size + (((x % size) + size) % size)]!;
  let wibble = INITIAL_WIBBLE;

  for (let step = size; step >= 2; step /= 2) {
    const half = step / 2;
    const noise = (): number => wibble * rng.uniformRange(-wibble, wibble);

    // Squares: cell centres from the four cell corners.
    for (let y = 0; y < size; y += step) {
      for (let x = 0; x < size; x += step) {
        const corners = at(y, x) + at(y, x + step) + at(y + step, x) + at(y + step, x + step);
        map[(y + half) * size + (x + half)] = corners / 4 + noise();
      }
    }

    // Diamonds on horizontal edges: centres above and below, corners left and right.
    for (let y = 0; y < size; y += step) {
      for (let x = 0; x < size; x += step) {
        const sum = at(y - half, x + half) + at(y + half, x + half) + at(y, x) + at(y, x + step);
        map[y * size + (x + half)] = sum / 4 + noise();
      }
    }

    // Diamonds on vertical edges: centres left and right, corners above and below.
    for (let y = 0; y < size; y += step) {
      for (let x = 0; x < size; x += step) {
        const sum = at(y + half, x - half) + at(y + half, x + half) + at(y, x) + at(y + step, x);
        map[(y + half) * size + x] = sum / 4 + noise();
      }
    }

    wibble /= decay;
  }

  return normaliseToUnit(map);
}

/** Shifts and scales values in place so that they span [0, 1]. A constant array becomes 0. */
export function normaliseToUnit(values: Float64Array): Float64Array {
  let min = Infinity;
  for (const value of values) if (value < min) min = value;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    values[i]! -= min;
    if (values[i]! > max) max = values[i]!;
  }
  if (max > 0) for (let i = 0; i < values.length; i++) values[i]! /= max;
  return values;
}

/** Copies the top-left height x width window of a square plane of side `size`. */
export function cropTopLeft(plane: Plane, size: number, height: number, width: number): Plane {
  const out = new Float64Array(height * width);
  for (let y = 0; y < height; y++) out.set(plane.subarray(y * size, y * size + width), y * width);
  return out;
}
