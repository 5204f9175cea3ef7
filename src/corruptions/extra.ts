/**
 * The four validation ("extra") corruptions of ImageNet-C: speckle_noise, gaussian_blur,
 * spatter, saturate. They are not part of the 15 benchmark corruptions.
 */
import { GAUSSIAN_TRUNCATE } from './blur.js';
import { hsvToRgb, rgbToHsv } from './color.js';
import { spatial, tableValue, type CorruptionContext, type CorruptionDefinition } from './corruption.js';
import { boxMean3x3, boxMean3x3Bytes, cannyEdges, emboss3x3, equalizeHistogram, euclideanDistanceTransform } from './edges.js';
import { gaussianSmooth } from './filters.js';
import { cloneImage, fromUnitPlanes, lumaPlane, toUnitPlanes, type Plane, type RawImage } from './image.js';
import { mapUnitValues } from './noise.js';

/** Multiplicative noise: v' = clip(v + v n), n ~ Normal(0, sigma^2). Black stays black. */
function speckleNoise(image: RawImage, context: CorruptionContext): RawImage {
  const sigma = tableValue('speckle_noise', context, 'sigma');
  return mapUnitValues(image, (value) => value + value * sigma * context.rng.normal());
}

/** Separable Gaussian smoothing per channel (truncate 4, clamped borders). */
function gaussianBlur(image: RawImage, context: CorruptionContext): RawImage {
  const sigma = spatial(tableValue('gaussian_blur', context, 'sigma'), context);
  const planes = toUnitPlanes(image).map((plane) => gaussianSmooth(plane, image.height, image.width, sigma, GAUSSIAN_TRUNCATE, 'clamp'));
  return fromUnitPlanes(planes, image.height, image.width);
}

/** Colours added by spatter, RGB on [0, 1], and their luma for grey images. */
const WATER_RGB = [175 / 255, 238 / 255, 238 / 255] as const;
const MUD_RGB = [63 / 255, 42 / 255, 20 / 255] as const;
const WATER_GREY = lumaPlane(WATER_RGB.map((value) => Float64Array.of(value)))[0]!;
const MUD_GREY = lumaPlane(MUD_RGB.map((value) => Float64Array.of(value)))[0]!;

/** Canny thresholds on the 8-bit liquid layer. */
const CANNY_LOW = 50;
const CANNY_HIGH = 150;
/** Distances to the nearest drop edge are capped here, pixels. */
const DROP_DISTANCE_CAP = 20;
/** Mud keeps only where the blurred mask reaches this value. */
const MUD_MASK_THRESHOLD = 0.8;

/**
 * Water drops (mode 0) or mud (mode 1). A liquid layer L = Normal(mu, sd^2) per pixel is
 * smoothed by sigmaB and zeroed below the threshold. Water embosses distance-to-edge shading
 * into the drops and adds k * (pale turquoise) times that mask, so it never darkens. Mud
 * blurs the mask with sigma k and paints brown where the mask reaches 0.8. Draws: H*W normals.
 */
function spatter(image: RawImage, context: CorruptionContext): RawImage {
  const read = (field: string): number => tableValue('spatter', context, field);
  const { height, width } = image;

  const mean = read('mu');
  const deviation = read('sd');
  const field = new Float64Array(height * width);
  for (let i = 0; i < field.length; i++) field[i] = context.rng.normalWith(mean, deviation);
  const threshold = read('threshold');
  const liquid = gaussianSmooth(field, height, width, spatial(read('blur_sigma'), context), GAUSSIAN_TRUNCATE, 'clamp')
    .map((value) => (value < threshold ? 0 : value));

  const planes = toUnitPlanes(image);
  const isMud = read('mode') === 1;
  let colour: readonly number[] = isMud ? MUD_RGB : WATER_RGB;
  if (image.channels === 1) colour = [isMud ? MUD_GREY : WATER_GREY];
  const output = isMud
    ? applyMud(planes, liquid, threshold, spatial(read('k'), context), colour, height, width)
    : applyWater(planes, liquid, read('k'), colour, height, width);
  return fromUnitPlanes(output, height, width);
}

function applyWater(planes: Plane[], liquid: Plane, intensity: number, colour: readonly number[], height: number, width: number): Plane[] {
  // The reference wraps values above 1 modulo 256 here. Clamping keeps bright drops bright.
  const liquidBytes = Uint8Array.from(liquid, (value) => Math.floor(255 * Math.min(1, value)));
  const mask = waterMask(liquidBytes, height, width);

  let maxMask = 0;
  for (const value of mask) maxMask = Math.max(maxMask, value);
  const scale = maxMask > 0 ? intensity / maxMask : 0;

  return planes.map((plane, ch) => plane.map((value, i) => value + mask[i]! * scale * colour[ch]!));
}

/** Liquid layer times the embossed, equalised distance to the drop edges (un-normalised). */
function waterMask(liquidBytes: Uint8Array, height: number, width: number): Float64Array {
  const edges = cannyEdges(liquidBytes, height, width, CANNY_LOW, CANNY_HIGH);
  const distance = euclideanDistanceTransform((i) => edges[i] !== 0, height, width).map((value) => Math.min(value, DROP_DISTANCE_CAP));

  const smoothedDistance = Uint8Array.from(boxMean3x3(distance, height, width), Math.trunc);
  const equalised = equalizeHistogram(smoothedDistance);
  const shading = boxMean3x3Bytes(emboss3x3(equalised, height, width), height, width);

  return Float64Array.from(liquidBytes, (value, i) => value * shading[i]!);
}

function applyMud(
  planes: Plane[], liquid: Plane, threshold: number, maskSigma: number, colour: readonly number[], height: number, width: number,
): Plane[] {
  const binary = liquid.map((value) => (value > threshold ? 1 : 0));
  const mask = gaussianSmooth(binary, height, width, maskSigma, GAUSSIAN_TRUNCATE, 'clamp')
    .map((value) => (value < MUD_MASK_THRESHOLD ? 0 : value));
  return planes.map((plane, ch) => plane.map((value, i) => value * (1 - mask[i]!) + mask[i]! * colour[ch]!));
}

/**
 * Scales HSV saturation: S' = clip(S s + b, 0, 1), hue and value kept. Severities 1-2
 * desaturate, 3-5 oversaturate, and b > 0 tints grey pixels red (hue 0). A grey image has no
 * hue. Its output is V, which equals the input, so saturate is the identity there.
 */
function saturate(image: RawImage, context: CorruptionContext): RawImage {
  if (image.channels === 1) return cloneImage(image);
  const scale = tableValue('saturate', context, 'scale');
  const shift = tableValue('saturate', context, 'shift');

  const [red, green, blue] = toUnitPlanes(image) as [Plane, Plane, Plane];
  const hsv = new Float64Array(3);
  const rgb = new Float64Array(3);
  for (let i = 0; i < red.length; i++) {
    rgbToHsv(red[i]!, green[i]!, blue[i]!, hsv);
    const saturation = Math.min(1, Math.max(0, hsv[1]! * scale + shift));
    hsvToRgb(hsv[0]!, saturation, hsv[2]!, rgb);
    red[i] = rgb[0]!;
    green[i] = rgb[1]!;
    blue[i] = rgb[2]!;
  }
  return fromUnitPlanes([red, green, blue], image.height, image.width);
}

export const EXTRA_CORRUPTION_DEFINITIONS: readonly CorruptionDefinition[] = [
  { name: 'speckle_noise', family: 'extra', deterministic: false, apply: speckleNoise },
  { name: 'gaussian_blur', family: 'extra', deterministic: true, apply: gaussianBlur },
  { name: 'spatter', family: 'extra', deterministic: false, apply: spatter },
  { name: 'saturate', family: 'extra', deterministic: true, apply: saturate },
];
