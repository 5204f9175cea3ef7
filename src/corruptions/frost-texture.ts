/**
 * Procedural frost texture (provenance `procedural-v1`), the stand-in for the six frost
 * photographs that ImageNet-C blends into images. The texture is a plasma background plus
 * dendritic ice needles. Its first two moments per colour channel and the colour mixture match
 * the photographs, so the mean brightening, contrast loss and tint of every severity match the
 * reference in expectation. Crystal shapes and the spatial spectrum differ.
 */
import { gaussianSmooth } from './filters.js';
import type { Plane } from './image.js';
import type { ReferenceTable } from './params.js';
import { cropTopLeft, nextPowerOfTwo, plasmaFractal } from './plasma.js';
import { boxResizePlane } from './resample.js';
import type { Rng } from './rng.js';

/** Colour statistics (8-bit units) measured on one reference frost photograph, and its draw weight. */
interface FrostPalette {
  source: string;
  rgbMean: readonly [number, number, number];
  rgbStandardDeviation: readonly [number, number, number];
  /** Mean and standard deviation of the photograph's luma (0.299 R + 0.587 G + 0.114 B). */
  greyMean: number;
  greyStandardDeviation: number;
  /** Probability of the photograph under the reference's draw (frost2 and frost3 are the same picture). */
  probability: number;
}

export const FROST_PALETTES: readonly FrostPalette[] = [
  { source: 'frost1, cyan ice', rgbMean: [77.7, 149.1, 165.7], rgbStandardDeviation: [26.9, 16.5, 15.3], greyMean: 129.6, greyStandardDeviation: 19.5, probability: 1 / 5 },
  { source: 'frost2/frost3, white crystals', rgbMean: [200.8, 205.4, 214.5], rgbStandardDeviation: [21.4, 22.1, 22.6], greyMean: 205.1, greyStandardDeviation: 21.9, probability: 2 / 5 },
  { source: 'frost4, grey-blue crystals', rgbMean: [137.6, 152.8, 165.2], rgbStandardDeviation: [28.5, 28.5, 29.9], greyMean: 149.7, greyStandardDeviation: 28.7, probability: 1 / 5 },
  { source: 'frost5, dark window frost', rgbMean: [112.4, 123.4, 134.8], rgbStandardDeviation: [44.4, 43.3, 41.7], greyMean: 121.4, greyStandardDeviation: 43.4, probability: 1 / 5 },
];

/**
 * Photo pixels covered by one image pixel: the reference shrank the photographs by 0.2 for
 * CIFAR and 0.3 for Tiny-ImageNet before cropping, and used them at native scale for ImageNet.
 */
const PHOTO_SHRINK: Readonly<Record<ReferenceTable, number>> = { cifar32: 0.2, tiny64: 0.3, imagenet224: 1 };

/** Shape of the crystal layer. Lengths are fractions of the shorter working side. */
const CRYSTALS = {
  /** Needles per 100 x 100 working pixels. */
  seedsPer10k: 10,
  needleLength: [0.08, 0.3] as const,
  /** Distance along a needle between branch points, working pixels. */
  branchSpacing: [1.5, 4] as const,
  branchProbability: 0.8,
  branchAngleDegrees: 60,
  branchAngleJitterDegrees: 12,
  /** Branch length as a fraction of the parent's remaining length. */
  branchLength: [0.25, 0.55] as const,
  /** Needles (level 0) branch, their branches (level 1) branch again, level 2 does not. */
  maxLevel: 2,
  intensity: [0.55, 1] as const,
  smoothingSigma: 0.5,
} as const;

/** Decay of the plasma background: a rough, high-frequency cloud. */
const BACKGROUND_DECAY = 1.3;

/** Returns the working size (photo pixels) for an image side under a reference table. */
export function frostWorkingSize(side: number, table: ReferenceTable): number {
  return Math.max(1, Math.round(side / PHOTO_SHRINK[table]));
}

/**
 * Generates a frost texture of `height` x `width` with one plane per channel, values 0..255.
 * Draws, in order: the palette index, the plasma background, then the crystals.
 */
export function frostTexture(height: number, width: number, channels: 1 | 3, table: ReferenceTable, rng: Rng): Plane[] {
  const palette = drawPalette(rng);
  const workHeight = frostWorkingSize(height, table);
  const workWidth = frostWorkingSize(width, table);

  const plasmaSide = nextPowerOfTwo(Math.max(workHeight, workWidth));
  const background = cropTopLeft(plasmaFractal(plasmaSide, BACKGROUND_DECAY, rng), plasmaSide, workHeight, workWidth);
  const crystals = crystalLayer(workHeight, workWidth, rng);

  const texture = new Float64Array(workHeight * workWidth);
  let crystalMax = 0;
  for (const value of crystals) crystalMax = Math.max(crystalMax, value);
  for (let i = 0; i < texture.length; i++) {
    texture[i] = 0.5 * background[i]! + (crystalMax > 0 ? (0.5 * crystals[i]!) / crystalMax : 0);
  }

  const standardised = standardise(texture);
  const planes: Plane[] = [];
  for (let ch = 0; ch < channels; ch++) {
    const mean = channels === 1 ? palette.greyMean : palette.rgbMean[ch]!;
    const deviation = channels === 1 ? palette.greyStandardDeviation : palette.rgbStandardDeviation[ch]!;
    const photo = standardised.map((z) => Math.min(255, Math.max(0, mean + deviation * z)));
    planes.push(boxResizePlane(photo, workHeight, workWidth, height, width));
  }
  return planes;
}

function drawPalette(rng: Rng): FrostPalette {
  const u = rng.uniform();
  let cumulative = 0;
  for (const palette of FROST_PALETTES) {
    cumulative += palette.probability;
    if (u < cumulative) return palette;
  }
  return FROST_PALETTES[FROST_PALETTES.length - 1]!;
}

/** Returns (x - mean) / std. A constant array becomes all zeros. */
function standardise(values: Float64Array): Float64Array {
  let mean = 0;
  for (const value of values) mean += value;
  mean /= values.length;
  let variance = 0;
  for (const value of values) variance += (value - mean) ** 2;
  const deviation = Math.sqrt(variance / values.length);
  return values.map((value) => (deviation > 0 ? (value - mean) / deviation : 0));
}

/** Rasterises the needles into a height x width layer (maximum of overlapping strokes, wrapping at the edges). */
function crystalLayer(height: number, width: number, rng: Rng): Float64Array {
  const layer = new Float64Array(height * width);
  const shorterSide = Math.min(height, width);
  const seeds = Math.round((CRYSTALS.seedsPer10k * height * width) / 10_000);

  for (let seed = 0; seed < seeds; seed++) {
    const x = rng.uniformRange(0, width);
    const y = rng.uniformRange(0, height);
    const angle = rng.uniformRange(0, 2 * Math.PI);
    const length = rng.uniformRange(CRYSTALS.needleLength[0], CRYSTALS.needleLength[1]) * shorterSide;
    growNeedle(layer, height, width, { x, y, angle, length, level: 0 }, rng);
  }
  return gaussianSmooth(layer, height, width, CRYSTALS.smoothingSigma, 4, 'clamp');
}

interface Needle {
  x: number;
  y: number;
  /** Direction, radians. */
  angle: number;
  /** Length, working pixels. */
  length: number;
  level: number;
}

function growNeedle(layer: Float64Array, height: number, width: number, needle: Needle, rng: Rng): void {
  const intensity = rng.uniformRange(CRYSTALS.intensity[0], CRYSTALS.intensity[1]);
  const cos = Math.cos(needle.angle);
  const sin = Math.sin(needle.angle);
  drawLine(layer, height, width, needle.x, needle.y, needle.x + needle.length * cos, needle.y + needle.length * sin, intensity);
  if (needle.level >= CRYSTALS.maxLevel) return;

  const jitter = CRYSTALS.branchAngleJitterDegrees;
  for (let position = rng.uniformRange(...CRYSTALS.branchSpacing); position < needle.length; position += rng.uniformRange(...CRYSTALS.branchSpacing)) {
    for (const side of [-1, 1]) {
      if (rng.uniform() >= CRYSTALS.branchProbability) continue;
      const offsetDegrees = CRYSTALS.branchAngleDegrees + rng.uniformRange(-jitter, jitter);
      const branch: Needle = {
        x: needle.x + position * cos,
        y: needle.y + position * sin,
        angle: needle.angle + (side * offsetDegrees * Math.PI) / 180,
        length: rng.uniformRange(CRYSTALS.branchLength[0], CRYSTALS.branchLength[1]) * (needle.length - position),
        level: needle.level + 1,
      };
      growNeedle(layer, height, width, branch, rng);
    }
  }
}

/**
 * Draws an anti-aliased 1-pixel line: points every half pixel along the segment are splatted
 * bilinearly onto their four neighbours, each pixel keeping the maximum it receives.
 */
function drawLine(layer: Float64Array, height: number, width: number, x0: number, y0: number, x1: number, y1: number, intensity: number): void {
  const samples = Math.max(1, Math.ceil(2 * Math.hypot(x1 - x0, y1 - y0)));
  for (let s = 0; s <= samples; s++) {
    const x = x0 + ((x1 - x0) * s) / samples;
    const y = y0 + ((y1 - y0) * s) / samples;
    const left = Math.floor(x);
    const top = Math.floor(y);
    const fx = x - left;
    const fy = y - top;
    splat(layer, height, width, top, left, intensity * (1 - fx) * (1 - fy));
    splat(layer, height, width, top, left + 1, intensity * fx * (1 - fy));
    splat(layer, height, width, top + 1, left, intensity * (1 - fx) * fy);
    splat(layer, height, width, top + 1, left + 1, intensity * fx * fy);
  }
}

function splat(layer: Float64Array, height: number, width: number, row: number, column: number, value: number): void {
  const i = (((row % height) + height) % height) * width + (((column % width) + width) % width);
  if (value > layer[i]!) layer[i] = value;
}
