/**
 * Source feature statistics for FOA and MGTTA: the mean and unbiased standard deviation of
 * every per-layer class-token feature over clean source images, computed once with the
 * unadapted model and stored as safetensors with metadata (model, weights hash, image
 * count, preprocessing).
 */
import { mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import * as tf from '@tensorflow/tfjs';

import { streamBatches, type ImageSet } from '../data/index.js';
import type { SourceStatistics } from '../methods/foa-loss.js';
import { DEMO_MODEL, readSafetensors, writeSafetensors, type VisionTransformer } from '../model/index.js';
import { UsageError } from '../runtime/errors.js';
import { createProgress } from '../runtime/progress.js';

export const DEMO_STATS = fileURLToPath(new URL('../../assets/demo/vit_demo_fmnist.stats.safetensors', import.meta.url));

/** Root of the user cache for statistics and generators: MGTTA_CACHE, else $XDG_CACHE_HOME/mgtta or ~/.cache/mgtta. */
export function cacheDirectory(): string {
  return process.env.MGTTA_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'mgtta');
}

/** Returns the default statistics path: assets/demo for the demo weights, else the user cache. */
export function defaultStatsPath(modelName: string, weightsSha256: string, isDemoWeights: boolean): string {
  if (modelName === DEMO_MODEL && isDemoWeights) return DEMO_STATS;
  return join(cacheDirectory(), 'stats', `${modelName}-${weightsSha256.slice(0, 12)}.safetensors`);
}

export interface StatsOptions {
  /** Use the first N images of a seeded shuffle; all images when undefined. */
  readonly samples?: number;
  readonly seed: number;
  readonly batchSize: number;
}

/**
 * Accumulates feature sums in float64 over clean images and returns the mean and unbiased
 * std per column, as plain arrays.
 */
export async function computeSourceStatistics(
  model: VisionTransformer,
  set: ImageSet,
  options: StatsOptions,
): Promise<{ mean: Float32Array; std: Float32Array; images: number }> {
  const total = options.samples === undefined ? set.count : Math.min(options.samples, set.count);
  if (total < 2) throw new UsageError(`source statistics need at least 2 images, got ${total}; raise --samples`);
  const progress = createProgress({ label: 'stats', total, unit: 'images' });
  let sum: Float64Array | undefined;
  let sumSquares: Float64Array | undefined;
  let images = 0;

  for await (const batch of streamBatches(set, { batchSize: options.batchSize, seed: options.seed, limit: total })) {
    const features = tf.tidy(() => {
      const pixels = tf.tensor4d(batch.pixels, [batch.size, set.height, set.width, set.channels], 'int32');
      return model.forward(model.normalize(pixels)).features;
    });
    const values = (await features.data()) as Float32Array;
    const width = features.shape[1];
    features.dispose();

    sum ??= new Float64Array(width);
    sumSquares ??= new Float64Array(width);
    for (let b = 0; b < batch.size; b++) {
      for (let j = 0; j < width; j++) {
        const value = values[b * width + j]!;
        sum[j]! += value;
        sumSquares[j]! += value * value;
      }
    }
    images += batch.size;
    progress.update(images);
  }
  progress.stop();

  const mean = new Float32Array(sum!.length);
  const std = new Float32Array(sum!.length);
  for (let j = 0; j < mean.length; j++) {
    const average = sum![j]! / images;
    mean[j] = average;
    std[j] = Math.sqrt(Math.max(0, (sumSquares![j]! - images * average * average) / (images - 1)));
  }
  return { mean, std, images };
}

export async function saveSourceStatistics(
  path: string,
  stats: { mean: Float32Array; std: Float32Array; images: number },
  metadata: Record<string, string>,
): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeSafetensors(
    path,
    [
      ['mean', { shape: [stats.mean.length], data: stats.mean }],
      ['std', { shape: [stats.std.length], data: stats.std }],
    ],
    { images: String(stats.images), ...metadata },
  );
}

/** Loads statistics as tensors (the caller disposes them), checking they fit the model. */
export async function loadSourceStatistics(path: string, model: VisionTransformer): Promise<SourceStatistics & { metadata: Record<string, string> }> {
  const file = await readSafetensors(path);
  const mean = file.tensors.get('mean');
  const std = file.tensors.get('std');
  const width = model.config.depth * model.config.embedDim;
  if (mean === undefined || std === undefined) throw new UsageError(`source statistics '${path}' lack the 'mean' or 'std' tensor; recompute them with mgtta stats`);
  if (mean.data.length !== width || std.data.length !== width) {
    throw new UsageError(`source statistics '${path}' have ${mean.data.length} features, model ${model.config.name} has ${width}; recompute them with mgtta stats`);
  }
  return { mean: tf.tensor1d(mean.data), std: tf.tensor1d(std.data), metadata: file.metadata };
}
