/** Shared inputs and measurements for the corruption tests. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { Rng, type RawImage } from '../../src/corruptions/index.js';

export const FASHION_FIXTURE = fileURLToPath(new URL('../fixtures/fashion-mnist-first256.u8', import.meta.url));
const FASHION_PIXELS = 28 * 28;

/** The first `count` (<= 256) Fashion-MNIST test images from the committed fixture. */
export function fashionImages(count: number): RawImage[] {
  const bytes = readFileSync(FASHION_FIXTURE);
  return Array.from({ length: count }, (_, i) => ({
    data: new Uint8Array(bytes.subarray(i * FASHION_PIXELS, (i + 1) * FASHION_PIXELS)),
    height: 28,
    width: 28,
    channels: 1 as const,
  }));
}

export function constantImage(height: number, width: number, channels: 1 | 3, value: number | readonly number[]): RawImage {
  const data = new Uint8Array(height * width * channels);
  for (let i = 0; i < data.length; i++) data[i] = typeof value === 'number' ? value : value[i % channels]!;
  return { data, height, width, channels };
}

/** Uniformly random bytes from a fixed seed. */
export function randomImage(height: number, width: number, channels: 1 | 3, seed: number): RawImage {
  const rng = new Rng([seed, 7, 11, 13]);
  const data = new Uint8Array(height * width * channels);
  for (let i = 0; i < data.length; i++) data[i] = rng.integer(0, 256);
  return { data, height, width, channels };
}

/** Mean squared error on [0, 1] values. */
export function meanSquaredError(a: RawImage, b: RawImage): number {
  let sum = 0;
  for (let i = 0; i < a.data.length; i++) sum += ((a.data[i]! - b.data[i]!) / 255) ** 2;
  return sum / a.data.length;
}

export function mean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  return sum / values.length;
}

export function standardDeviation(values: ArrayLike<number>): number {
  const centre = mean(values);
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += (values[i]! - centre) ** 2;
  return Math.sqrt(sum / values.length);
}

/** Values of one channel of an image. */
export function channelValues(image: RawImage, channel: number): number[] {
  const values: number[] = [];
  for (let i = channel; i < image.data.length; i += image.channels) values.push(image.data[i]!);
  return values;
}
