/**
 * Test streams: a seeded order over an image set, optional on-the-fly corruption, and
 * batches of 8-bit pixels. The order depends only on the seed and the inputs, never on
 * timing, so two runs with the same flags see the same batches.
 */
import { applyCorruption, type RawImage } from '../corruptions/index.js';
import { Rng } from '../runtime/rng.js';

/** An indexable set of 8-bit images with labels (in memory or read lazily from disk). */
export interface ImageSet {
  /** Identifies the set in seeds and results, e.g. `fashion-mnist-test`. */
  readonly id: string;
  readonly count: number;
  readonly height: number;
  readonly width: number;
  readonly channels: 1 | 3;
  label(index: number): number;
  image(index: number): RawImage | Promise<RawImage>;
}

/** Wraps contiguous HWC bytes and labels (e.g. Fashion-MNIST) as an ImageSet. */
export function inMemoryImageSet(
  id: string,
  images: Uint8Array,
  labels: Uint8Array,
  shape: { count: number; height: number; width: number; channels: 1 | 3 },
): ImageSet {
  const imageBytes = shape.height * shape.width * shape.channels;
  return {
    id,
    ...shape,
    label: (index) => labels[index]!,
    image: (index) => ({
      data: images.subarray(index * imageBytes, (index + 1) * imageBytes),
      height: shape.height,
      width: shape.width,
      channels: shape.channels,
    }),
  };
}

export interface StreamOptions {
  readonly batchSize: number;
  /** Seed of the order and of the corruption noise. */
  readonly seed: number;
  /** Use only the first `limit` images of the seeded order. */
  readonly limit?: number;
  /** Corruption applied to each image as it is read; none for the clean set. */
  readonly corruption?: { readonly name: string; readonly severity: number };
  /** Shuffle with the seed (default) or keep the set's order. */
  readonly shuffle?: boolean;
}

export interface PixelBatch {
  /** [B, H, W, C] bytes. */
  pixels: Uint8Array;
  labels: Int32Array;
  /** Index of each image in the set. */
  indices: Uint32Array;
  size: number;
}

/** Returns the order a stream visits the set in: a seeded permutation, cut to `limit`. */
export function streamOrder(set: ImageSet, options: StreamOptions): Uint32Array {
  const order = options.shuffle === false
    ? Uint32Array.from({ length: set.count }, (_, i) => i)
    : new Rng(options.seed).permutation(set.count);
  return options.limit === undefined ? order : order.subarray(0, Math.min(options.limit, set.count));
}

async function loadBatch(set: ImageSet, indices: Uint32Array, options: StreamOptions): Promise<PixelBatch> {
  const imageBytes = set.height * set.width * set.channels;
  const pixels = new Uint8Array(indices.length * imageBytes);
  const labels = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const index = indices[i]!;
    let image = await set.image(index);
    if (options.corruption !== undefined) {
      image = await applyCorruption(image, options.corruption.name, options.corruption.severity, {
        seed: options.seed,
        index,
        datasetId: set.id,
      });
    }
    pixels.set(image.data, i * imageBytes);
    labels[i] = set.label(index);
  }
  return { pixels, labels, indices, size: indices.length };
}

/**
 * Yields the stream's batches (the last one may be smaller). The next batch is prepared
 * while the caller works on the current one.
 */
export async function* streamBatches(set: ImageSet, options: StreamOptions): AsyncGenerator<PixelBatch> {
  const order = streamOrder(set, options);
  const starts: number[] = [];
  for (let start = 0; start < order.length; start += options.batchSize) starts.push(start);

  const load = (start: number) => loadBatch(set, order.subarray(start, start + options.batchSize), options);
  let pending = starts.length > 0 ? load(starts[0]!) : undefined;
  for (let i = 0; i < starts.length; i++) {
    const batch = await pending!;
    pending = i + 1 < starts.length ? load(starts[i + 1]!) : undefined;
    yield batch;
  }
}

/**
 * Corrupts every image of `set` once and returns the result as an in-memory set with the
 * same id, labels and per-image seeds, so streams over it carry the same bytes as
 * on-the-fly corruption. Used when several methods run on one domain.
 */
export async function materializeCorruption(set: ImageSet, corruption: { name: string; severity: number }, seed: number): Promise<ImageSet> {
  const imageBytes = set.height * set.width * set.channels;
  const images = new Uint8Array(set.count * imageBytes);
  const labels = new Uint8Array(set.count);
  for (let index = 0; index < set.count; index++) {
    const image = await applyCorruption(await set.image(index), corruption.name, corruption.severity, { seed, index, datasetId: set.id });
    images.set(image.data, index * imageBytes);
    labels[index] = set.label(index);
  }
  return inMemoryImageSet(set.id, images, labels, { count: set.count, height: set.height, width: set.width, channels: set.channels });
}
