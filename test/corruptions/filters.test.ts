import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { hsvToRgb, rgbToHsv } from '../../src/corruptions/color.js';
import { cannyEdges, equalizeHistogram, euclideanDistanceTransform, saturateByte } from '../../src/corruptions/edges.js';
import {
  borderIndex, correlate2d, diskKernel, gaussianKernel, gaussianRadius, gaussianSmooth, motionKernel, separableFilter,
} from '../../src/corruptions/filters.js';
import { plasmaFractal } from '../../src/corruptions/plasma.js';
import { clippedZoom, clippedZoomTaps, resizePil, roundHalfEven } from '../../src/corruptions/resample.js';
import { Rng } from '../../src/corruptions/rng.js';
import { randomImage } from './helpers.js';

const close = (actual: number, expected: number, tolerance: number, label: string): void =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${label}: ${actual}, expected ${expected} +- ${tolerance}`);

describe('filters', () => {
  it('border rules on a 3-sample axis', () => {
    const map = (border: 'clamp' | 'reflect-101' | 'reflect-half'): number[] => [-3, -2, -1, 0, 1, 2, 3, 4, 5].map((i) => borderIndex(i, 3, border));
    assert.deepEqual(map('clamp'), [0, 0, 0, 0, 1, 2, 2, 2, 2]);
    // reflect-101: ... c b | a b c | b a ...
    assert.deepEqual(map('reflect-101'), [1, 2, 1, 0, 1, 2, 1, 0, 1]);
    // reflect-half: ... c b a | a b c | c b a ...
    assert.deepEqual(map('reflect-half'), [2, 1, 0, 0, 1, 2, 2, 1, 0]);
  });

  it('gaussian radii at truncate 4', () => {
    const sigmas = [1, 2, 3, 4, 6, 0.4, 0.6, 0.7, 0.8, 1.5];
    assert.deepEqual(sigmas.map((sigma) => gaussianRadius(sigma, 4)), [4, 8, 12, 16, 24, 2, 2, 3, 3, 6]);
  });

  it('gaussian kernel sums to one', () => {
    const kernel = gaussianKernel(1.5, 6);
    close(kernel.reduce((a, b) => a + b, 0), 1, 1e-12, 'sum');
    assert.equal(kernel.length, 13);
  });

  it('gaussian smoothing tiny sigma is identity', () => {
    const plane = Float64Array.from({ length: 16 }, (_, i) => i);
    assert.deepEqual([...gaussianSmooth(plane, 4, 4, 0.1, 4, 'clamp')], [...plane]);
  });

  it('long kernels fold onto short axes', () => {
    // A kernel much longer than the axis still sums to 1 per output, so a constant stays constant.
    const plane = new Float64Array(5 * 5).fill(0.25);
    const smoothed = gaussianSmooth(plane, 5, 5, 40, 3, 'reflect-half');
    for (const value of smoothed) close(value, 0.25, 1e-12, 'folded');
  });

  it('disk anti-aliasing 3-tap weights', () => {
    // r = 0.3 leaves one tap, so the kernel is the 3x3 Gaussian outer product (w, 1-2w, w) with
    // w = e^-2 / (1 + 2 e^-2) = 0.1065 for a = 0.5.
    const kernel = diskKernel(0.3, 0.5);
    const centre = 8 * 17 + 8;
    close(kernel.weights[centre]!, 0.787 ** 2, 2e-4, 'centre');
    close(kernel.weights[centre + 1]!, 0.787 * 0.1065, 2e-4, 'side');
    close(kernel.weights[centre + 18]!, 0.1065 ** 2, 2e-4, 'corner');
    close(kernel.weights.reduce((a, b) => a + b, 0), 1, 1e-9, 'sum');
  });

  it('motion kernel offsets and weights', () => {
    // Angle 0: taps run to the right along x. Angle 90: down along y.
    const right = motionKernel(2, 1, 0);
    assert.deepEqual([...right.dx], [0, 1, 2, 3, 4]);
    assert.deepEqual([...right.dy], [0, 0, 0, 0, 0]);
    const down = motionKernel(2, 1, 90);
    assert.deepEqual([...down.dy], [0, 1, 2, 3, 4]);
    // Weights exp(-i^2 / 2) for i = 0..4, normalised. The first tap weighs most.
    const raw = [0, 1, 2, 3, 4].map((i) => Math.exp(-(i * i) / 2));
    const total = raw.reduce((a, b) => a + b, 0);
    raw.forEach((value, i) => close(right.weights[i]!, value / total, 1e-12, `weight ${i}`));
  });

  it('correlate2d does not flip the kernel', () => {
    // A kernel with a single 1 at the right of centre reads the right neighbour.
    const plane = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const kernel = { size: 3, weights: Float64Array.from([0, 0, 0, 0, 0, 1, 0, 0, 0]) };
    assert.deepEqual([...correlate2d(plane, 3, 3, kernel, 'clamp')], [2, 3, 3, 5, 6, 6, 8, 9, 9]);
  });

  it('separable filter matches 2-D correlation', () => {
    const plane = Float64Array.from(randomImage(9, 7, 1, 3).data);
    const weights = gaussianKernel(0.8, 2);
    const outer = new Float64Array(25);
    for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) outer[i * 5 + j] = weights[i]! * weights[j]!;
    const a = separableFilter(plane, 9, 7, weights, 'reflect-101');
    const b = correlate2d(plane, 9, 7, { size: 5, weights: outer }, 'reflect-101');
    a.forEach((value, i) => close(value, b[i]!, 1e-9, `pixel ${i}`));
  });

  it('clipped zoom factor 1 is identity', () => {
    const plane = Float64Array.from(randomImage(10, 12, 1, 4).data);
    assert.deepEqual([...clippedZoom(plane, 10, 12, 1)], [...plane]);
  });

  it('clipped zoom taps at 32 px and 1.06', () => {
    // crop = ceil(32 / 1.06) = 31 starting at 0, zoomed to round(31 * 1.06) = 33, output starts at 0:
    // output o reads crop coordinate o * 30 / 32.
    const taps = clippedZoomTaps(32, 1.06);
    const o = 16;
    const coordinate = (o * 30) / 32;
    const lower = Math.floor(coordinate);
    assert.equal(taps.index[taps.start[o]!], lower);
    close(taps.weight[taps.start[o]! + 1]!, coordinate - lower, 1e-12, 'fraction');
  });

  it('roundHalfEven like Python round', () => {
    assert.deepEqual([0.5, 1.5, 2.5, 28.5, 2.4, 2.6].map(roundHalfEven), [0, 2, 2, 28, 2, 3]);
  });

  it('PIL BOX upsampling is nearest', () => {
    const image = randomImage(5, 7, 3, 5);
    const up = resizePil(image, 13, 11, 'box');
    for (let y = 0; y < 13; y++) {
      for (let x = 0; x < 11; x++) {
        const sy = Math.floor(((y + 0.5) * 5) / 13);
        const sx = Math.floor(((x + 0.5) * 7) / 11);
        for (let ch = 0; ch < 3; ch++) assert.equal(up.data[(y * 11 + x) * 3 + ch], image.data[(sy * 7 + sx) * 3 + ch]);
      }
    }
  });

  it('PIL BOX 2x downsampling averages blocks', () => {
    // Exact halving: each output is the rounded mean of a 2x2 block, rounded per pass.
    const image = { data: Uint8Array.from([0, 10, 20, 31, 100, 110, 120, 131]), height: 2, width: 4, channels: 1 as const };
    const down = resizePil(image, 1, 2, 'box');
    // Horizontal pass: (0+10)/2 = 5, (20+31)/2 = 25.5 -> 26, (100+110)/2 = 105, (120+131)/2 = 125.5 -> 126.
    // Vertical pass: (5+105)/2 = 55, (26+126)/2 = 76.
    assert.deepEqual([...down.data], [55, 76]);
  });

  it('plasma spans [0, 1]', () => {
    const plasma = plasmaFractal(32, 2, new Rng([1, 2, 3, 4]));
    assert.equal(plasma.length, 32 * 32);
    assert.equal(Math.min(...plasma), 0);
    assert.equal(Math.max(...plasma), 1);
  });

  it('HSV round trip', () => {
    const hsv = new Float64Array(3);
    const rgb = new Float64Array(3);
    const rng = new Rng([4, 3, 2, 1]);
    for (let i = 0; i < 1000; i++) {
      const colour = [rng.uniform(), rng.uniform(), rng.uniform()] as const;
      rgbToHsv(...colour, hsv);
      assert.equal(hsv[2], Math.max(...colour));
      hsvToRgb(hsv[0]!, hsv[1]!, hsv[2]!, rgb);
      colour.forEach((value, ch) => close(rgb[ch]!, value, 1e-12, `channel ${ch}`));
    }
    // Pure red is hue 0, saturation 1. Grey has saturation 0.
    assert.deepEqual([...rgbToHsv(1, 0, 0, hsv)], [0, 1, 1]);
    assert.deepEqual([...rgbToHsv(0.5, 0.5, 0.5, hsv)], [0, 0, 0.5]);
  });

  it('canny finds a vertical step edge', () => {
    const width = 12;
    const height = 8;
    const image = new Uint8Array(width * height);
    for (let y = 0; y < height; y++) for (let x = 6; x < width; x++) image[y * width + x] = 200;
    const edges = cannyEdges(image, height, width, 50, 150);
    const columns = new Set<number>();
    edges.forEach((value, i) => value === 255 && columns.add(i % width));
    // Sobel responds at x = 5 and 6 equally. Suppression keeps x = 5 (strict > on the left, >= on the right).
    assert.deepEqual([...columns], [5]);
  });

  it('distance transform on a point', () => {
    const distance = euclideanDistanceTransform((i) => i === 2 * 5 + 2, 5, 5);
    close(distance[2 * 5 + 2]!, 0, 0, 'centre');
    close(distance[0]!, Math.SQRT2 * 2, 1e-12, 'corner');
    close(distance[2 * 5 + 4]!, 2, 1e-12, 'side');
  });

  it('equalizeHist by the OpenCV rule', () => {
    // Levels 10, 10, 20, 30: N = 4 and h[i0] = 2, so scale = 255 / 2. Level 20 -> round(127.5) = 128 (half to even), 30 -> 255.
    assert.deepEqual([...equalizeHistogram(Uint8Array.from([10, 10, 20, 30]))], [0, 0, 128, 255]);
    assert.deepEqual([...equalizeHistogram(Uint8Array.from([7, 7, 7]))], [7, 7, 7]);
    assert.deepEqual([2.5, 3.5, -1, 300].map(saturateByte), [2, 4, 0, 255]);
  });
});
