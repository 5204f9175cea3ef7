/**
 * ImageNet-C style image corruptions: the 15 benchmark corruptions and 4 extra ones at
 * severities 1..5, for RGB and grey images of any size, seeded per image. Depends only on
 * sharp (JPEG, file I/O) and typed arrays.
 */
export type { RawImage } from './image.js';
export type { CorruptionFamily } from './corruption.js';
export {
  ALL_CORRUPTION_NAMES,
  BENCHMARK_CORRUPTIONS,
  CORRUPTION_FAMILIES,
  CORRUPTION_SETS,
  EXTRA_CORRUPTIONS,
  MAX_SEVERITY,
  applyCorruption,
  corruptionFamily,
  corruptionNames,
  isDeterministic,
  type ApplyOptions,
} from './registry.js';
export { chooseTable, parameter, parameterList, type ReferenceTable, type TableChoice } from './params.js';
export { decodeToRaw, encodeJpeg, jpegRoundTrip } from './jpeg.js';
export {
  IMAGENET_C_JPEG_QUALITY,
  centreCrop,
  decodeRgb,
  encodeImageNetJpeg,
  encodePng,
  prepareImageNetStyle,
  resizeShorterSide,
  resizeSideFor,
} from './pipeline.js';
export { enlargeNearest, renderContactSheet, type ContactSheetOptions } from './contact-sheet.js';
export { resizePil, type PilFilter } from './resample.js';
export { Rng, imageRng } from './rng.js';
export { testPattern } from './test-pattern.js';
