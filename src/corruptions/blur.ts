/**
 * Blur family: defocus_blur, glass_blur, motion_blur, zoom_blur. All work per channel, so grey
 * and RGB images take the same path.
 */
import { spatial, tableList, tableValue, type CorruptionContext, type CorruptionDefinition } from './corruption.js';
import { correlate2d, diskKernel, gaussianSmooth, motionBlurPlane, motionKernel, type MotionKernel } from './filters.js';
import { fromBytePlanesRounded, fromUnitPlanes, toBytePlanes, toUnitPlanes, type Plane, type RawImage } from './image.js';
import { clippedZoom } from './resample.js';

/** Truncation of the Gaussian smoothing in the blurs, in standard deviations (SciPy's default). */
export const GAUSSIAN_TRUNCATE = 4;

/** Scales a pixel-valued parameter but keeps it >= 1 when the table value is >= 1. */
function spatialAtLeastOne(value: number, context: CorruptionContext): number {
  const scaled = spatial(value, context);
  return value >= 1 ? Math.max(1, scaled) : scaled;
}

/** Scales an integer pixel parameter: max(1, round(value * scale)). */
function spatialInteger(value: number, context: CorruptionContext): number {
  return Math.max(1, Math.round(spatial(value, context)));
}

/** Correlates each channel with an anti-aliased disk (reflect-101 borders). */
function defocusBlur(image: RawImage, context: CorruptionContext): RawImage {
  const radius = spatialAtLeastOne(tableValue('defocus_blur', context, 'radius'), context);
  const aliasSigma = spatial(tableValue('defocus_blur', context, 'alias_sigma'), context);
  const kernel = diskKernel(radius, aliasSigma);

  const planes = toUnitPlanes(image).map((plane) => correlate2d(plane, image.height, image.width, kernel, 'reflect-101'));
  return fromUnitPlanes(planes, image.height, image.width);
}

/**
 * Smooths, shuffles pixels locally, smooths again. Each sweep visits rows from H-d down to
 * d+1 and, inside, columns from W-d down to d+1. It draws dx then dy uniform in [-d, d) and
 * copies pixel (y+dy, x+dx) into (y, x), all channels together.
 *
 * NOTE: the reference intends a swap, but its NumPy tuple assignment on a 3-channel array
 * aliases a view, so the source pixel keeps its value. ImageNet-C and CIFAR-10-C were made
 * with this copy, and values copied from already rewritten pixels lengthen the smear. This
 * implementation copies on grey images too.
 */
function glassBlur(image: RawImage, context: CorruptionContext): RawImage {
  const sigma = spatial(tableValue('glass_blur', context, 'sigma'), context);
  const maxDelta = spatialInteger(tableValue('glass_blur', context, 'max_delta'), context);
  const iterations = tableValue('glass_blur', context, 'iterations');
  const { height, width, channels } = image;

  // First smoothing, quantised to 8 bits by truncation as in the reference.
  const smoothed = toUnitPlanes(image).map((plane) => gaussianSmooth(plane, height, width, sigma, GAUSSIAN_TRUNCATE, 'clamp'));
  const shuffled = fromUnitPlanes(smoothed, height, width).data;

  for (let iteration = 0; iteration < iterations; iteration++) {
    for (let y = height - maxDelta; y > maxDelta; y--) {
      for (let x = width - maxDelta; x > maxDelta; x--) {
        const dx = context.rng.integer(-maxDelta, maxDelta);
        const dy = context.rng.integer(-maxDelta, maxDelta);
        const target = (y * width + x) * channels;
        const source = ((y + dy) * width + (x + dx)) * channels;
        for (let ch = 0; ch < channels; ch++) shuffled[target + ch] = shuffled[source + ch]!;
      }
    }
  }

  const shuffledImage: RawImage = { data: shuffled, height, width, channels };
  const planes = toUnitPlanes(shuffledImage).map((plane) => gaussianSmooth(plane, height, width, sigma, GAUSSIAN_TRUNCATE, 'clamp'));
  return fromUnitPlanes(planes, height, width);
}

/** Blurs 0..255 planes with a motion kernel and rounds to 8 bits, as ImageMagick writes its output. */
export function motionBlurBytes(planes: readonly Plane[], height: number, width: number, kernel: MotionKernel): RawImage {
  const blurred = planes.map((plane) => motionBlurPlane(plane, height, width, kernel));
  return fromBytePlanesRounded(blurred, height, width);
}

/**
 * Blurs along a line at a random angle U(-45, 45) degrees with ImageMagick's one-sided
 * half-Gaussian kernel, on 8-bit data.
 *
 * NOTE: the reference ran ImageMagick's MotionBlurImage through Wand. This is the same
 * kernel (width, weights, integer offsets, edge-replicating borders) computed in double
 * precision and rounded once to 8 bits; ImageMagick accumulates in its own quantum units,
 * so single pixels may differ by one grey level.
 */
function motionBlur(image: RawImage, context: CorruptionContext): RawImage {
  const radius = spatialInteger(tableValue('motion_blur', context, 'radius'), context);
  const sigma = spatial(tableValue('motion_blur', context, 'sigma'), context);
  const angleDegrees = context.rng.uniformRange(-45, 45);
  return motionBlurBytes(toBytePlanes(image), image.height, image.width, motionKernel(radius, sigma, angleDegrees));
}

/**
 * Rebuilds an arithmetic progression as first + i * (second - first), the float values NumPy's
 * `arange` produced for the reference factor lists. It matters only at exact halves of
 * round(crop * zoom): at 28 px, 25 * 1.14 = 28.5 rounds to 28 but 25 * 1.1400000000000001
 * to 29.
 */
export function arangeValues(listed: readonly number[]): number[] {
  if (listed.length < 2) return [...listed];
  const step = listed[1]! - listed[0]!;
  const rebuilt = listed.map((_, i) => listed[0]! + i * step);
  const isProgression = rebuilt.every((value, i) => Math.abs(value - listed[i]!) < 1e-9);
  return isProgression ? rebuilt : [...listed];
}

/** Averages the image with clipped zooms of itself. The factor list starts at 1, so the original counts twice. */
function zoomBlur(image: RawImage, context: CorruptionContext): RawImage {
  const factors = arangeValues(tableList('zoom_blur', context));
  const { height, width } = image;

  const planes = toUnitPlanes(image).map((plane) => {
    const sum = new Float64Array(plane);
    for (const zoom of factors) {
      const zoomed = clippedZoom(plane, height, width, zoom);
      for (let i = 0; i < sum.length; i++) sum[i]! += zoomed[i]!;
    }
    return sum.map((value) => value / (factors.length + 1));
  });
  return fromUnitPlanes(planes, height, width);
}

export const BLUR_CORRUPTIONS: readonly CorruptionDefinition[] = [
  { name: 'defocus_blur', family: 'blur', deterministic: true, apply: defocusBlur },
  { name: 'glass_blur', family: 'blur', deterministic: false, apply: glassBlur },
  { name: 'motion_blur', family: 'blur', deterministic: false, apply: motionBlur },
  { name: 'zoom_blur', family: 'blur', deterministic: true, apply: zoomBlur },
];
