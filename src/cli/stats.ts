/** `mgtta stats`: source feature statistics (mean, unbiased std) for FOA and MGTTA. */
import { Command } from 'commander';

import { resolveWeights } from '../bench/experiment.js';
import { computeSourceStatistics, defaultStatsPath, saveSourceStatistics } from '../bench/source-stats.js';
import { inMemoryImageSet, loadFashionMnist } from '../data/index.js';
import { DEMO_MODEL, getModelConfig, loadModel } from '../model/index.js';
import { parseBackendChoice, selectBackend } from '../runtime/backend.js';
import { logger } from '../runtime/logger.js';
import { parseInteger } from './options.js';

interface RawStatsOptions {
  model: string;
  weights?: string;
  dataRoot: string;
  samples?: string;
  seed: string;
  batchSize: string;
  out?: string;
  backend?: string;
}

async function run(raw: RawStatsOptions): Promise<void> {
  const model = getModelConfig(raw.model).name;
  const samples = raw.samples === undefined || raw.samples === 'all' ? undefined : parseInteger('--samples', raw.samples, 2);
  const seed = parseInteger('--seed', raw.seed, 0);
  const batchSize = parseInteger('--batch-size', raw.batchSize, 1);
  const weightsPath = resolveWeights(model, raw.weights);
  await selectBackend(parseBackendChoice(raw.backend));

  const loaded = await loadModel(weightsPath, model);
  const clean = await loadFashionMnist({ split: 'train', root: raw.dataRoot });
  const set = inMemoryImageSet('fashion-mnist-train', clean.images, clean.labels, { count: clean.count, height: 28, width: 28, channels: 1 });
  const stats = await computeSourceStatistics(loaded.model, set, { samples, seed, batchSize });

  const out = raw.out ?? defaultStatsPath(model, loaded.sha256, raw.weights === undefined);
  await saveSourceStatistics(out, stats, {
    model,
    weights_sha256: loaded.sha256,
    data: `Fashion-MNIST train, clean, ${clean.count} images from --data-root ${raw.dataRoot}`,
    samples: samples === undefined ? 'all' : String(samples),
    seed: String(seed),
    preprocessing: 'pixels / 255, then (x - 0.5) / 0.5',
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
    .option('--data-root <dir>', "clean Fashion-MNIST: 'embedded' (1,000 committed training images), 'debian', or a path", 'embedded')
    .option('--samples <n>', "number of clean images from a seeded shuffle, or 'all'", 'all')
    .option('--seed <n>', 'seed of the shuffle', '2020')
    .option('--batch-size <images>', 'images per forward pass', '64')
    .option('--out <file>', 'output file (default: next to the demo weights, or the user cache)')
    .option('--backend <name>', 'auto, tensorflow, wasm or cpu (env MGTTA_BACKEND)')
    .action(async (raw: RawStatsOptions) => run(raw));
}
