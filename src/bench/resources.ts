/**
 * Resources some methods need besides the model: source feature statistics (FOA loss) and
 * a pre-trained gradient generator (MGTTA and its LSTM variant). Each is found by model
 * and weights, and statistics are computed on first use when missing.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { inMemoryImageSet, loadFashionMnist } from '../data/index.js';
import type { SourceStatistics } from '../methods/index.js';
import { loadGenerator, type GradientGenerator } from '../mgg/index.js';
import { DEMO_MODEL, type VisionTransformer } from '../model/index.js';
import { UsageError } from '../runtime/errors.js';
import { logger } from '../runtime/logger.js';
import { cacheDirectory, computeSourceStatistics, defaultStatsPath, loadSourceStatistics, saveSourceStatistics } from './source-stats.js';

/** Returns the default path of a model's pre-trained generator: assets/demo for the demo weights, else the user cache. */
export function defaultGeneratorPath(modelName: string, kind: 'gml' | 'lstm', isDemoWeights: boolean): string {
  if (modelName === DEMO_MODEL && isDemoWeights) {
    return fileURLToPath(new URL(`../../assets/demo/mgg-${kind}_${DEMO_MODEL}.safetensors`, import.meta.url));
  }
  return join(cacheDirectory(), 'mgg', `${modelName}-${kind}.safetensors`);
}

export interface StatisticsRequest {
  readonly model: VisionTransformer;
  readonly weightsSha256: string;
  readonly isDemoWeights: boolean;
  /** Explicit statistics file; default: found by model and weights. */
  readonly path?: string;
  /** Fashion-MNIST root of the clean images used when the statistics must be computed. */
  readonly cleanDataRoot: string;
}

/** Loads the source statistics, computing and saving them first when the file is missing. */
export async function obtainSourceStatistics(request: StatisticsRequest): Promise<SourceStatistics & { path: string }> {
  const path = request.path ?? defaultStatsPath(request.model.config.name, request.weightsSha256, request.isDemoWeights);
  if (!existsSync(path)) {
    if (request.path !== undefined) throw new UsageError(`source statistics file '${path}' not found; create it with mgtta stats --out ${path}`);
    const { name, imgSize, inChans } = request.model.config;
    if (imgSize !== 28 || inChans !== 1) {
      throw new UsageError(`no source statistics for ${name} at '${path}'; compute them from clean images with 'mgtta stats --model ${name} --weights <file> --dataset image-folder --data-root <ImageNet val folder>'`);
    }
    logger.info(`stats: no source statistics at ${path}; computing them from clean Fashion-MNIST training images now`);
    const clean = await loadFashionMnist({ split: 'train', root: request.cleanDataRoot });
    const set = inMemoryImageSet('fashion-mnist-train', clean.images, clean.labels, { count: clean.count, height: 28, width: 28, channels: 1 });
    const stats = await computeSourceStatistics(request.model, set, { seed: 2020, batchSize: 64 });
    await saveSourceStatistics(path, stats, {
      model: request.model.config.name,
      weights_sha256: request.weightsSha256,
      data: `Fashion-MNIST train, clean, ${clean.count} images from --data-root ${request.cleanDataRoot}`,
      samples: 'all',
      preprocessing: 'pixels / 255, then (x - 0.5) / 0.5',
    });
    logger.info(`stats: wrote ${path} (${stats.images} images)`);
  }
  const { mean, std } = await loadSourceStatistics(path, request.model);
  return { mean, std, path };
}

/**
 * Loads a pre-trained generator. A missing file is a UsageError that gives the command to
 * create it. `explicit` is true when the user named the file.
 */
export async function obtainGenerator(kind: 'gml' | 'lstm', path: string, explicit: boolean): Promise<GradientGenerator> {
  if (!existsSync(path)) {
    const flag = kind === 'gml' ? '--mgg' : '--mgg-lstm';
    const create = `mgtta pretrain${kind === 'lstm' ? ' --memory lstm' : ''}`;
    throw new UsageError(explicit
      ? `${flag} file '${path}' not found; check the path, or train a generator with '${create} --out ${path}'`
      : `no pre-trained ${kind === 'gml' ? 'MGG' : 'LSTM generator'} at '${path}'; train one with '${create}' or pass ${flag} <file>`);
  }
  const { generator, metadata } = await loadGenerator(path, { kind });
  logger.info(`mgg: ${kind} generator from ${path}${metadata.source_model ? ` (trained for ${metadata.source_model})` : ''}`);
  return generator;
}
