/**
 * Weather family: snow, frost, fog, brightness (ImageNet-C files brightness under weather).
 */
import { motionBlurBytes } from './blur.js';
import { spatial, tableValue, type CorruptionContext, type CorruptionDefinition } from './corruption.js';
import { motionKernel } from './filters.js';
import { frostTexture } from './frost-texture.js';
import { fromBytePlanesTruncated, fromUnitPlanes, lumaPlane, toBytePlanes, toUnitPlanes, type Plane, type RawImage } from './image.js';
import { cropTopLeft, nextPowerOfTwo, plasmaFractal } from './plasma.js';
import { clippedZoom } from './resample.js';

/**
 * Falling snow: a thresholded, enlarged Gaussian field is motion-blurred at a random angle
 * U(-135, -45) degrees (trails below each flake with y pointing down), added to the image
 * together with its 180-degree rotation, over a haze that brightens dark regions:
 * h = blend v + (1 - blend) max(v, 1.5 luma + 0.5). Snow only adds, so it never darkens.
 * Draws: H*W normals, then the angle.
 */
function snow(image: RawImage, context: CorruptionContext): RawImage {
  const read = (field: string): number => tableValue('snow', context, field);
  const { height, width } = image;
  const zoom = Math.max(1, spatial(read('zoom'), context));
  const radius = Math.max(1, Math.round(spatial(read('mb_radius'), context)));
  const sigma = spatial(read('mb_sigma'), context);
  const threshold = read('threshold');
  const blend = read('blend');

  // Snow layer: normals, enlarged into flakes, thresholded, quantised to 8 bits by truncation.
  const mean = read('mu');
  const deviation = read('sd');
  const field = new Float64Array(height * width);
  for (let i = 0; i < field.length; i++) field[i] = context.rng.normalWith(mean, deviation);
  const flakes = clippedZoom(field, height, width, zoom).map((value) => {
    const thresholded = value < threshold ? 0 : Math.min(1, value);
    return Math.floor(255 * thresholded);
  });

  // Motion-blurred layer, rounded to 8 bits as ImageMagick returns it, back on [0, 1].
  const angleDegrees = context.rng.uniformRange(-135, -45);
  const trails = motionBlurBytes([flakes], height, width, motionKernel(radius, sigma, angleDegrees)).data;

  const planes = toUnitPlanes(image);
  const luma = lumaPlane(planes);
  const last = height * width - 1;
  const snowed = planes.map((plane) => plane.map((value, i) => {
    const haze = blend * value + (1 - blend) * Math.max(value, 1.5 * luma[i]! + 0.5);
    return haze + (trails[i]! + trails[last - i]!) / 255;
  }));
  return fromUnitPlanes(snowed, height, width);
}

/**
 * Blends the image with a frost texture on the 0..255 scale: clip(a u + b F).
 *
 * NOTE: ImageNet-C crops one of six frost photographs here. This module draws a procedural
 * texture with the photographs' colour moments instead (see frost-texture.ts), so frost
 * errors are comparable in size to those on the published frost files but not equal.
 */
function frost(image: RawImage, context: CorruptionContext): RawImage {
  const imageWeight = tableValue('frost', context, 'a');
  const frostWeight = tableValue('frost', context, 'b');
  const { height, width, channels } = image;

  const texture = frostTexture(height, width, channels, context.choice.table, context.rng);
  const planes = toBytePlanes(image).map((plane, ch) => {
    const layer = texture[ch]!;
    return plane.map((value, i) => imageWeight * value + frostWeight * layer[i]!);
  });
  return fromBytePlanesTruncated(planes, height, width);
}

/**
 * Adds a grey plasma-fractal fog and rescales so that the output maximum never exceeds the
 * input maximum m: v' = clip((v + A P) m / (m + A)). The fractal is generated on the smallest
 * power-of-two square covering the image and cropped at the top left.
 */
function fog(image: RawImage, context: CorruptionContext): RawImage {
  const amplitude = tableValue('fog', context, 'amplitude');
  const decay = tableValue('fog', context, 'decay');
  const { height, width } = image;

  const planes = toUnitPlanes(image);
  let maxValue = 0;
  for (const plane of planes) for (const value of plane) maxValue = Math.max(maxValue, value);

  const side = nextPowerOfTwo(Math.max(height, width));
  const fractal = cropTopLeft(plasmaFractal(side, decay, context.rng), side, height, width);
  return fromUnitPlanes(applyFog(planes, fractal, amplitude, maxValue), height, width);
}

/** Applies the fog formula to [0, 1] planes with a given fractal field (exported for exact tests). */
export function applyFog(planes: readonly Plane[], fractal: Plane, amplitude: number, maxValue: number): Plane[] {
  const scale = maxValue / (maxValue + amplitude);
  return planes.map((plane) => plane.map((value, i) => (value + amplitude * fractal[i]!) * scale));
}

/**
 * Raises the HSV value: V' = min(1, V + c) with hue and saturation kept. In closed form a pixel
 * with V > 0 is scaled by V'/V and a black pixel becomes grey (V', V', V'). On a grey image
 * this is v' = min(1, v + c).
 */
function brightness(image: RawImage, context: CorruptionContext): RawImage {
  const delta = tableValue('brightness', context, 'delta_v');
  const planes = toUnitPlanes(image);
  return fromUnitPlanes(brightenPlanes(planes, delta), image.height, image.width);
}

/** Applies the brightness formula to [0, 1] planes. */
export function brightenPlanes(planes: readonly Plane[], delta: number): Plane[] {
  const out = planes.map((plane) => new Float64Array(plane.length));
  const count = planes[0]!.length;
  for (let i = 0; i < count; i++) {
    let value = 0;
    for (const plane of planes) value = Math.max(value, plane[i]!);
    const raised = Math.min(1, value + delta);
    for (let ch = 0; ch < planes.length; ch++) {
      out[ch]![i] = value > 0 ? (planes[ch]![i]! * raised) / value : raised;
    }
  }
  return out;
}

export const WEATHER_CORRUPTIONS: readonly CorruptionDefinition[] = [
  { name: 'snow', family: 'weather', deterministic: false, apply: snow },
  { name: 'frost', family: 'weather', deterministic: false, apply: frost },
  { name: 'fog', family: 'weather', deterministic: false, apply: fog },
  { name: 'brightness', family: 'weather', deterministic: true, apply: brightness },
];
