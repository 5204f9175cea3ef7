/**
 * Image folders in torchvision's ImageFolder layout, `<root>/<wnid>/<file>`, read lazily with
 * sharp. Each image is decoded when the stream requests it, so sets of any size stream with
 * bounded memory. Labels are the index of the folder name in a class list (for ImageNet
 * models, the sorted 1,000 WordNet ids in `assets/imagenet/wnids.txt`).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import fg from 'fast-glob';

import { centreCrop, decodeRgb, prepareImageNetStyle, type RawImage } from '../corruptions/index.js';
import { UsageError } from '../runtime/errors.js';
import type { ImageSet } from './stream.js';

/** File extensions torchvision's ImageFolder accepts, matched case-insensitively. */
export const IMAGE_EXTENSIONS = ['jpg', 'jpeg', 'png', 'ppm', 'bmp', 'pgm', 'tif', 'tiff', 'webp'] as const;

const CLASS_LISTS = {
  imagenet: 'wnids.txt',
  'imagenet-r': 'imagenet-r-wnids.txt',
  'imagenet-a': 'imagenet-a-wnids.txt',
} as const;

/** Reads a committed class list: the 1,000 ImageNet wnids, or the 200 of ImageNet-R or -A. */
export function classList(name: keyof typeof CLASS_LISTS): string[] {
  const path = fileURLToPath(new URL(`../../assets/imagenet/${CLASS_LISTS[name]}`, import.meta.url));
  return readFileSync(path, 'utf8').split('\n').map((line) => line.trim()).filter((line) => line.length > 0);
}

/** Lists image files under `root` (any depth), as `/`-separated relative paths in code-point order. */
export async function listImageFiles(root: string): Promise<string[]> {
  const pattern = `**/*.{${IMAGE_EXTENSIONS.join(',')}}`;
  const files = await fg(pattern, { cwd: root, onlyFiles: true, caseSensitiveMatch: false, dot: false, followSymbolicLinks: true });
  return files.sort(compareCodePoints);
}

/** Orders strings by UTF-16 code units, independent of locale. */
function compareCodePoints(a: string, b: string): number {
  if (a < b) return -1;
  if (a > b) return 1;
  return 0;
}

export interface ImageFolderOptions {
  /** Identifies the set in seeds and results. */
  readonly id: string;
  /** Class names in label order; each folder name must be one of them. */
  readonly classes: readonly string[];
  /** `crop`: centre crop only (ImageNet-C files are already 224); `resize-crop`: shorter side to round(size·256/224), then centre crop. */
  readonly preprocessing: 'crop' | 'resize-crop';
  /** Side of the square model input. */
  readonly size: number;
}

/** Opens `<root>/<class>/<file>` as an ImageSet of RGB images of `size` x `size`. */
export async function imageFolderSet(root: string, options: ImageFolderOptions): Promise<ImageSet> {
  const files = await listImageFiles(root).catch((error: Error) => {
    throw new UsageError(`cannot list image folder '${root}': ${error.message}`);
  });
  if (files.length === 0) throw new UsageError(`image folder '${root}' has no images; expected <root>/<wnid>/<image> with extensions ${IMAGE_EXTENSIONS.join(', ')}`);

  const labelOf = new Map(options.classes.map((name, index) => [name, index]));
  const labels = new Int32Array(files.length);
  files.forEach((file, i) => {
    const parts = file.split('/');
    const label = parts.length === 2 ? labelOf.get(parts[0]!) : undefined;
    if (label === undefined) {
      throw new UsageError(`image '${join(root, file)}' is not in a class folder of the model's class list; expected <root>/<wnid>/<image> with a known wnid`);
    }
    labels[i] = label;
  });

  const prepare = (image: RawImage): RawImage =>
    options.preprocessing === 'crop' ? centreCrop(image, options.size) : prepareImageNetStyle(image, options.size);
  return {
    id: options.id,
    count: files.length,
    height: options.size,
    width: options.size,
    channels: 3,
    label: (index) => labels[index]!,
    image: async (index) => prepare(await decodeRgb(join(root, files[index]!))),
  };
}
