/**
 * Digital family: contrast, elastic_transform, pixelate, jpeg_compression.
 */
import { spatial, tableValue, type CorruptionContext, type CorruptionDefinition } from './corruption.js';
import { gaussianSmooth } from './filters.js';
import { fromUnitPlanes, toUnitPlanes, type Plane, type RawImage } from './image.js';
import { jpegRoundTrip } from './jpeg.js';
import { affineFromPoints, resizePil, sampleBilinear, warpAffine } from './resample.js';

/** Pulls every channel toward its mean: v' = (v - mean) c + mean. A convex combination, so nothing clips. */
function contrast(image: RawImage, context: CorruptionContext): RawImage {
  const factor = tableValue('contrast', context, 'factor');
  const planes = toUnitPlanes(image).map((plane) => {
    let mean = 0;
    for (const value of plane) mean += value;
    mean /= plane.length;
    return plane.map((value) => (value - mean) * factor + mean);
  });
  return fromUnitPlanes(planes, image.height, image.width);
}

/** Truncation of the Gaussian that smooths the elastic displacement field, in standard deviations. */
const ELASTIC_TRUNCATE = 3;

/**
 * Random affine jitter followed by a smooth random displacement field.
 * 1. Three points around the centre c0 = (floor(W/2), floor(H/2)) at offsets +-s, s =
 *    floor(min(H, W)/3), move by U(-beta, beta) in x and y. The image is warped by the
 *    affine map between them (bilinear, reflect-101 borders).
 * 2. Dx and Dy are U(-1, 1) noise smoothed by a Gaussian of sigma (truncate 3, reflect-half)
 *    and multiplied by alpha.
 * 3. Output (y, x) samples the warped image at (y + Dy, x + Dx), bilinear, reflect-half.
 * Draws: 6 uniforms for the points, then H*W for Dx, then H*W for Dy.
 * ImageNet's table was computed from 244 instead of 224 in the reference. The values are kept.
 */
function elasticTransform(image: RawImage, context: CorruptionContext): RawImage {
  const alpha = spatial(tableValue('elastic_transform', context, 'alpha'), context);
  const sigma = spatial(tableValue('elastic_transform', context, 'sigma'), context);
  const jitter = spatial(tableValue('elastic_transform', context, 'affine_jitter'), context);
  const { height, width } = image;

  const centreX = Math.floor(width / 2);
  const centreY = Math.floor(height / 2);
  const offset = Math.floor(Math.min(height, width) / 3);
  const source: Array<[number, number]> = [
    [centreX + offset, centreY + offset],
    [centreX + offset, centreY - offset],
    [centreX - offset, centreY - offset],
  ];
  const target = source.map(([x, y]): [number, number] => [
    x + context.rng.uniformRange(-jitter, jitter),
    y + context.rng.uniformRange(-jitter, jitter),
  ]);
  const affine = affineFromPoints(source, target);

  const displacementX = displacementField(height, width, alpha, sigma, context);
  const displacementY = displacementField(height, width, alpha, sigma, context);

  const planes = toUnitPlanes(image).map((plane) => {
    const warped = warpAffine(plane, height, width, affine, 'reflect-101');
    return displace(warped, height, width, displacementX, displacementY);
  });
  return fromUnitPlanes(planes, height, width);
}

/** Returns alpha times U(-1, 1) noise smoothed by a Gaussian of sigma (truncate 3, reflect-half). Zero when alpha is 0. */
export function displacementField(height: number, width: number, alpha: number, sigma: number, context: Pick<CorruptionContext, 'rng'>): Plane {
  const noise = new Float64Array(height * width);
  for (let i = 0; i < noise.length; i++) noise[i] = context.rng.uniformRange(-1, 1);
  if (alpha === 0) return new Float64Array(height * width);
  const smoothed = gaussianSmooth(noise, height, width, sigma, ELASTIC_TRUNCATE, 'reflect-half');
  return smoothed.map((value) => value * alpha);
}

function displace(plane: Plane, height: number, width: number, displacementX: Plane, displacementY: Plane): Plane {
  const out = new Float64Array(height * width);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      out[i] = sampleBilinear(plane, height, width, y + displacementY[i]!, x + displacementX[i]!, 'reflect-half');
    }
  }
  return out;
}

/** Returns the side pixelate shrinks an axis of `length` pixels to: floor(length * ratio), at least 1. */
export function pixelateSide(length: number, ratio: number): number {
  return Math.max(1, Math.floor(length * ratio));
}

/**
 * Shrinks the image by `ratio` with Pillow's BOX filter and enlarges it back with BOX, which
 * for enlargement is nearest neighbour. sharp has no BOX kernel, so both passes run in
 * resample.ts with Pillow's fixed-point arithmetic.
 */
function pixelate(image: RawImage, context: CorruptionContext): RawImage {
  const ratio = tableValue('pixelate', context, 'ratio');
  const small = resizePil(image, pixelateSide(image.height, ratio), pixelateSide(image.width, ratio), 'box');
  return resizePil(small, image.height, image.width, 'box');
}

/** Encodes as baseline JPEG at the table's quality (4:2:0, standard tables) and decodes again. */
async function jpegCompression(image: RawImage, context: CorruptionContext): Promise<RawImage> {
  return jpegRoundTrip(image, tableValue('jpeg_compression', context, 'quality'));
}

export const DIGITAL_CORRUPTIONS: readonly CorruptionDefinition[] = [
  { name: 'contrast', family: 'digital', deterministic: true, apply: contrast },
  { name: 'elastic_transform', family: 'digital', deterministic: false, apply: elasticTransform },
  { name: 'pixelate', family: 'digital', deterministic: true, apply: pixelate },
  { name: 'jpeg_compression', family: 'digital', deterministic: true, apply: jpegCompression },
];
