/**
 * Registry of the 19 corruptions by name, the named sets (`all`, the families, `extra`), and
 * `applyCorruption`, the one entry point that validates its arguments and seeds the stream.
 */
import { UsageError, check } from '../runtime/errors.js';
import { BLUR_CORRUPTIONS } from './blur.js';
import type { CorruptionDefinition, CorruptionFamily } from './corruption.js';
import { DIGITAL_CORRUPTIONS } from './digital.js';
import { EXTRA_CORRUPTION_DEFINITIONS } from './extra.js';
import { cloneImage, pixelCount, type RawImage } from './image.js';
import { NOISE_CORRUPTIONS } from './noise.js';
import { chooseTable } from './params.js';
import { imageRng } from './rng.js';
import { WEATHER_CORRUPTIONS } from './weather.js';

/** Every corruption definition, the 15 benchmark ones in ImageNet-C order, then the 4 extra ones. */
const DEFINITIONS: readonly CorruptionDefinition[] = [
  ...NOISE_CORRUPTIONS,
  ...BLUR_CORRUPTIONS,
  ...WEATHER_CORRUPTIONS,
  ...DIGITAL_CORRUPTIONS,
  ...EXTRA_CORRUPTION_DEFINITIONS,
];

const BY_NAME = new Map(DEFINITIONS.map((definition) => [definition.name, definition]));

/** The 15 test corruptions of ImageNet-C, in its order. */
export const BENCHMARK_CORRUPTIONS: readonly string[] = DEFINITIONS.filter((d) => d.family !== 'extra').map((d) => d.name);

/** The 4 validation corruptions of ImageNet-C. */
export const EXTRA_CORRUPTIONS: readonly string[] = DEFINITIONS.filter((d) => d.family === 'extra').map((d) => d.name);

/** Every corruption name, benchmark ones first. */
export const ALL_CORRUPTION_NAMES: readonly string[] = DEFINITIONS.map((d) => d.name);

export const CORRUPTION_FAMILIES: readonly CorruptionFamily[] = ['noise', 'blur', 'weather', 'digital', 'extra'];

/** Named sets accepted by `corruptionNames`: `all` is the 15 benchmark corruptions. Each family is its members. */
export const CORRUPTION_SETS: Readonly<Record<string, readonly string[]>> = {
  all: BENCHMARK_CORRUPTIONS,
  ...Object.fromEntries(CORRUPTION_FAMILIES.map((family) => [family, DEFINITIONS.filter((d) => d.family === family).map((d) => d.name)])),
};

/** Highest severity; 0 is accepted as "clean" and returns an unchanged copy. */
export const MAX_SEVERITY = 5;

function validChoices(): string {
  return `sets: ${Object.keys(CORRUPTION_SETS).join(', ')}; names: ${ALL_CORRUPTION_NAMES.join(', ')}`;
}

/** Returns the definition of a corruption. Throws a UsageError listing the valid names if unknown. */
export function corruptionDefinition(name: string): CorruptionDefinition {
  const definition = BY_NAME.get(name);
  if (definition === undefined) throw new UsageError(`unknown corruption '${name}'; valid names: ${ALL_CORRUPTION_NAMES.join(', ')}`);
  return definition;
}

/**
 * Expands a corruption spec into names: a comma-separated list of set names (`all`, `noise`,
 * `blur`, `weather`, `digital`, `extra`) and corruption names, in the order given, without
 * duplicates. Throws a UsageError naming the unknown item and the valid choices.
 */
export function corruptionNames(spec: string): string[] {
  const items = spec.split(',').map((item) => item.trim());
  check(items.every((item) => item !== ''), () => `invalid corruption list '${spec}': empty item; valid ${validChoices()}`);

  const names: string[] = [];
  for (const item of items) {
    const expanded = CORRUPTION_SETS[item] ?? (BY_NAME.has(item) ? [item] : undefined);
    if (expanded === undefined) throw new UsageError(`unknown corruption '${item}' in '${spec}'; valid ${validChoices()}`);
    for (const name of expanded) if (!names.includes(name)) names.push(name);
  }
  return names;
}

/** True when a corruption uses no randomness, so its output ignores the seed and index. */
export function isDeterministic(name: string): boolean {
  return corruptionDefinition(name).deterministic;
}

/** Returns the family of a corruption. */
export function corruptionFamily(name: string): CorruptionFamily {
  return corruptionDefinition(name).family;
}

export interface ApplyOptions {
  /** Global seed, an integer. */
  seed: number;
  /** Index of the image within its data set, an integer >= 0. */
  index: number;
  /** Names the data set so that equal indices in different sets get different noise. Default ''. */
  datasetId?: string;
}

function validateImage(image: RawImage): void {
  check(image.channels === 1 || image.channels === 3, () => `applyCorruption: image has ${image.channels} channels, expected 1 or 3`);
  check(Number.isInteger(image.height) && Number.isInteger(image.width) && image.height >= 1 && image.width >= 1,
    () => `applyCorruption: invalid image size ${image.height}x${image.width}, expected positive integers`);
  check(image.data.length === pixelCount(image),
    () => `applyCorruption: image data has ${image.data.length} bytes, expected ${image.height}x${image.width}x${image.channels} = ${pixelCount(image)}`);
}

/**
 * Applies one corruption at severity 1..5 (0 returns an unchanged copy) and returns a new
 * image of the same shape. The result depends only on (image, name, severity, seed,
 * datasetId, index): the random stream is seeded from a hash of those, so the same inputs
 * give the same bytes on every run. The parameter table follows the image size: CIFAR-10-C
 * values up to a 45 px shorter side, Tiny-ImageNet-C up to 120 px, ImageNet-C above, with
 * pixel-valued parameters rescaled outside 0.8-1.25 times the table's side.
 */
export async function applyCorruption(image: RawImage, name: string, severity: number, options: ApplyOptions): Promise<RawImage> {
  const definition = corruptionDefinition(name);
  check(Number.isInteger(severity) && severity >= 0 && severity <= MAX_SEVERITY,
    () => `applyCorruption: invalid severity ${severity} for '${name}', expected an integer 1..${MAX_SEVERITY} (0 = clean)`);
  check(Number.isSafeInteger(options.seed), () => `applyCorruption: invalid seed ${options.seed}, expected an integer`);
  check(Number.isSafeInteger(options.index) && options.index >= 0, () => `applyCorruption: invalid index ${options.index}, expected an integer >= 0`);
  validateImage(image);

  if (severity === 0) return cloneImage(image);

  const rng = imageRng({ seed: options.seed, datasetId: options.datasetId ?? '', corruption: name, severity, index: options.index });
  const choice = chooseTable(image.height, image.width);
  return definition.apply(image, { severity, choice, rng });
}
