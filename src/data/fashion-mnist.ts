/**
 * Fashion-MNIST (Xiao et al. 2017): 28x28 grey clothing images in 10 classes, as IDX files.
 * The root is a directory the caller names, or `embedded` for the subset in `assets/demo/`
 * (the first 2,000 test and 1,000 training images, the default), or `debian` for
 * `/usr/share/datasets/fashion-mnist` from Debian's `dataset-fashion-mnist` package.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { UsageError } from '../runtime/errors.js';
import { readIdx } from './idx.js';

export const FASHION_MNIST_CLASSES = [
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
] as const;

/** Install folder of the four files of Debian's `dataset-fashion-mnist` package. */
export const DEBIAN_FASHION_MNIST = '/usr/share/datasets/fashion-mnist';

/** The embedded subset committed with the repository. */
export const EMBEDDED_FASHION_MNIST = fileURLToPath(new URL('../../assets/demo/fashion-mnist/', import.meta.url));

export type Split = 'train' | 'test';

export interface GreyImageSet {
  /** `count` images of height x width bytes, one after another, 0 = black background. */
  images: Uint8Array;
  /** Class index 0..9 per image. */
  labels: Uint8Array;
  count: number;
  height: 28;
  width: 28;
  /** Directory the files were read from. */
  root: string;
}

const FILE_STEMS: Record<Split, { images: string; labels: string }> = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' },
};

export interface FashionMnistOptions {
  split: Split;
  /** A directory with the IDX files, `embedded`, or `debian`. Default: `embedded`. */
  root?: string;
  /** Keep only the first `limit` images. */
  limit?: number;
}

export function resolveFashionMnistRoot(root: string | undefined): string {
  if (root === undefined || root === 'embedded') return EMBEDDED_FASHION_MNIST;
  if (root === 'debian') return DEBIAN_FASHION_MNIST;
  return root;
}

/** Finds `<stem>` or `<stem>.gz` in `root`. */
function findFile(root: string, stem: string): string {
  for (const candidate of [join(root, `${stem}.gz`), join(root, stem)]) {
    if (existsSync(candidate)) return candidate;
  }
  if (!existsSync(root)) {
    const hint = root === DEBIAN_FASHION_MNIST ? 'install it with: apt-get install dataset-fashion-mnist' : "pass --data-root embedded, debian, or a folder with the IDX files";
    throw new UsageError(`Fashion-MNIST folder '${root}' does not exist; ${hint}`);
  }
  throw new UsageError(`Fashion-MNIST file '${stem}[.gz]' not found in '${root}'; the folder needs the four IDX files of the upstream release, gzipped or not`);
}

/** Loads one split of Fashion-MNIST, checking that images and labels agree. */
export async function loadFashionMnist(options: FashionMnistOptions): Promise<GreyImageSet> {
  const root = resolveFashionMnistRoot(options.root);
  const stems = FILE_STEMS[options.split];
  const imagesPath = findFile(root, stems.images);
  const labelsPath = findFile(root, stems.labels);
  const images = await readIdx(imagesPath);
  const labels = await readIdx(labelsPath);

  if (images.shape.length !== 3 || images.shape[1] !== 28 || images.shape[2] !== 28) {
    throw new UsageError(`Fashion-MNIST images '${imagesPath}' have shape [${images.shape}], expected [N, 28, 28]`);
  }
  if (labels.shape.length !== 1 || labels.shape[0] !== images.shape[0]) {
    throw new UsageError(`Fashion-MNIST labels '${labelsPath}' have shape [${labels.shape}], expected [${images.shape[0]}] to match the images`);
  }
  const badLabel = labels.data.findIndex((label) => label > 9);
  if (badLabel >= 0) {
    throw new UsageError(`Fashion-MNIST labels '${labelsPath}': label ${labels.data[badLabel]} at index ${badLabel} is outside 0..9`);
  }

  let count = images.shape[0]!;
  if (options.limit !== undefined) count = Math.min(count, options.limit);
  return {
    images: images.data.subarray(0, count * 784),
    labels: labels.data.subarray(0, count),
    count,
    height: 28,
    width: 28,
    root,
  };
}
