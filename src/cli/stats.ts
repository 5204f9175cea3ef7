/** `mgtta stats`: source feature statistics (mean, unbiased std) for FOA and MGTTA. */
import { Command } from 'commander';

import { resolveWeights } from '../bench/experiment.js';
import { computeSourceStatistics, defaultStatsPath, saveSourceStatistics } from '../bench/source-stats.js';
import { classList, imageFolderSet, inMemoryImageSet, loadFashionMnist, type ImageSet } from '../data/index.js';
import { UsageError } from '../runtime/errors.js';
import { DEMO_MODEL, getModelConfig, loadModel } from '../model/index.js';
import { parseBackendChoice, selectBackend } from '../runtime/backend.js';
import { logger } from '../runtime/logger.js';
import { parseChoice, parseInteger } from './options.js';

interface RawStatsOptions {
  model: string;
  weights?: string;
  dataset?: string;
  dataRoot: string;
  samples?: string;
  seed: string;
  batchSize: string;
  out?: string;
  backend?: string;
}

/** Clean source images: Fashion-MNIST training images, or an ImageNet-style folder such as ImageNet val. */
async function openCleanImages(dataset: 'fashion-mnist' | 'image-folder', dataRoot: string, size: number): Promise<{ set: ImageSet; description: string; preprocessing: string }> {
  if (dataset === 'image-folder') {
    const set = await imageFolderSet(dataRoot, { id: `image-folder:${dataRoot}`, classes: classList('imagenet'), preprocessing: 'resize-crop', size });
    return { set, description: `clean images of ${dataRoot} (${set.count})`, preprocessing: `shorter side ${Math.round((size * 256) / 224)}, centre crop ${size}` };
  }
  const clean = await loadFashionMnist({ split: 'train', root: dataRoot });
  const set = inMemoryImageSet('fashion-mnist-train', clean.images, clean.labels, { count: clean.count, height: 28, width: 28, channels: 1 });
  return { set, description: `Fashion-MNIST train, clean, ${clean.count} images from --data-root ${dataRoot}`, preprocessing: 'none' };
}

async function run(raw: RawStatsOptions): Promise<void> {
  const model = getModelConfig(raw.model).name;
  const samples = raw.samples === undefined || raw.samples === 'all' ? undefined : parseInteger('--samples', raw.samples, 2);
  const seed = parseInteger('--seed', raw.seed, 0);
  const batchSize = parseInteger('--batch-size', raw.batchSize, 1);
  const weightsPath = resolveWeights(model, raw.weights);
  await selectBackend(parseBackendChoice(raw.backend));

  const dataset = parseChoice('--dataset', raw.dataset, ['fashion-mnist', 'image-folder'] as const, 'fashion-mnist');
  if (dataset === 'image-folder' && (raw.dataRoot === 'embedded' || raw.dataRoot === 'debian')) {
    throw new UsageError('--dataset image-folder needs --data-root <folder> of clean images in <wnid> folders (for example ImageNet val)');
  }

  const loaded = await loadModel(weightsPath, model);
  const { set, description, preprocessing } = await openCleanImages(dataset, raw.dataRoot, loaded.model.config.imgSize);
  const { imgSize, inChans } = loaded.model.config;
  if (set.height !== imgSize || set.channels !== inChans) {
    throw new UsageError(`${description} are ${set.height}x${set.width}x${set.channels} but ${model} expects ${imgSize}x${imgSize}x${inChans}; use --dataset image-folder for ImageNet models`);
  }
  const stats = await computeSourceStatistics(loaded.model, set, { samples, seed, batchSize });

  const out = raw.out ?? defaultStatsPath(model, loaded.sha256, raw.weights === undefined);
  await saveSourceStatistics(out, stats, {
    model,
    weights_sha256: loaded.sha256,
    data: description,
    samples: samples === undefined ? 'all' : String(samples),
    seed: String(seed),
    preprocessing: `${preprocessing}, pixels / 255, then (x - mean) / std with mean ${loaded.model.config.mean} and std ${loaded.model.config.std}`,
  });
  logger.info(`stats: ${stats.images} clean images, ${stats.mean.length} features, written to ${out}`);
  loaded.model.dispose();
}

/** Builds the command; a fresh instance per parse, since commander keeps parsed values on it. */
export function createStatsCommand(): Command {
  return new Command('stats')
    .description('compute source feature statistics (mean, unbiased std of per-layer class-token features) from clean images')
    .option('--model <name>', 'model from the registry', DEMO_MODEL)
    .option('--weights <file>', 'model weights (safetensors); default: the demo weights')
    .option('--dataset <kind>', "'fashion-mnist' (IDX training images) or 'image-folder' (clean <data-root>/<wnid>/<image>, e.g. ImageNet val)", 'fashion-mnist')
    .option('--data-root <dir>', "clean images: for Fashion-MNIST 'embedded' (1,000 committed training images), 'debian' or an IDX folder; else the image folder", 'embedded')
    .option('--samples <n>', "number of clean images from a seeded shuffle, or 'all'", 'all')
    .option('--seed <n>', 'seed of the shuffle', '2020')
    .option('--batch-size <images>', 'images per forward pass', '64')
    .option('--out <file>', 'output file (default: next to the demo weights, or the user cache)')
    .option('--backend <name>', 'auto, tensorflow, wasm or cpu (env MGTTA_BACKEND)')
    .action(async (raw: RawStatsOptions) => run(raw));
}
