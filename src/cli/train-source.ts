/** `mgtta train-source`: trains the demo ViT on clean Fashion-MNIST and writes its weights. */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';

import { Command } from 'commander';

import { loadFashionMnist } from '../data/index.js';
import { DEMO_MODEL, evaluateClassifier, getModelConfig, saveModel, trainClassifier, VisionTransformer, type LabelledImages } from '../model/index.js';
import { parseBackendChoice, selectBackend } from '../runtime/backend.js';
import { logger } from '../runtime/logger.js';
import { createProgress } from '../runtime/progress.js';
import { parseInteger, parsePositiveNumber } from './options.js';

export const DEMO_WEIGHTS = new URL('../../assets/demo/vit_demo_fmnist.safetensors', import.meta.url).pathname;

interface TrainSourceOptions {
  model: string;
  dataRoot: string;
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  limit: number | undefined;
  out: string;
  backend: ReturnType<typeof parseBackendChoice>;
}

function parseOptions(raw: Record<string, string | undefined>): TrainSourceOptions {
  return {
    model: getModelConfig(raw.model ?? DEMO_MODEL).name,
    dataRoot: raw.dataRoot ?? 'debian',
    epochs: parseInteger('--epochs', raw.epochs, 1, 10),
    batchSize: parseInteger('--batch-size', raw.batchSize, 1, 128),
    learningRate: parsePositiveNumber('--lr', raw.lr, 1e-3),
    seed: parseInteger('--seed', raw.seed, 0, 2020),
    limit: raw.limit === undefined ? undefined : parseInteger('--limit', raw.limit, 1),
    out: raw.out ?? DEMO_WEIGHTS,
    backend: parseBackendChoice(raw.backend),
  };
}

function asLabelled(set: { images: Uint8Array; labels: Uint8Array; count: number }): LabelledImages {
  return { ...set, height: 28, width: 28, channels: 1 };
}

async function run(options: TrainSourceOptions): Promise<void> {
  const backend = await selectBackend(options.backend);
  const train = asLabelled(await loadFashionMnist({ split: 'train', root: options.dataRoot, limit: options.limit }));
  const test = asLabelled(await loadFashionMnist({ split: 'test', root: options.dataRoot }));
  logger.info(`train-source: ${options.model} on ${train.count} training images from ${options.dataRoot}, ${options.epochs} ${options.epochs === 1 ? 'epoch' : 'epochs'}`);

  const model = VisionTransformer.random(getModelConfig(options.model), options.seed);
  const started = performance.now();
  let testTop1 = 0;
  const progress = createProgress({ label: 'train-source', total: options.epochs * Math.floor(train.count / options.batchSize), unit: 'steps' });
  let smoothedLoss = 0;
  await trainClassifier(model, train, {
    epochs: options.epochs,
    batchSize: options.batchSize,
    learningRate: options.learningRate,
    warmupSteps: 200,
    weightDecay: 0.05,
    horizontalFlip: true,
    seed: options.seed,
    onStep: (epoch, step, stepsPerEpoch, loss) => {
      smoothedLoss = smoothedLoss === 0 ? loss : 0.98 * smoothedLoss + 0.02 * loss;
      progress.update(epoch * stepsPerEpoch + step, { epoch: epoch + 1, loss: smoothedLoss.toFixed(4) });
    },
    onEpoch: async (epoch) => {
      testTop1 = (await evaluateClassifier(model, test)).top1;
      const minutes = (performance.now() - started) / 60000;
      logger.info(`epoch ${epoch + 1}: clean test top-1 ${testTop1.toFixed(2)}% after ${minutes.toFixed(1)} min`);
    },
  });
  progress.stop();

  const seconds = (performance.now() - started) / 1000;
  await mkdir(dirname(options.out), { recursive: true });
  await saveModel(model, options.out, {
    trained_with: `mgtta train-source --epochs ${options.epochs} --batch-size ${options.batchSize} --lr ${options.learningRate} --seed ${options.seed}`,
    training_data: `Fashion-MNIST train (${train.count} images)`,
    clean_test_top1: testTop1.toFixed(2),
    test_images: String(test.count),
    training_seconds: seconds.toFixed(0),
    backend: backend.name,
  });
  logger.info(`train-source: wrote ${options.out} (clean test top-1 ${testTop1.toFixed(2)}% on ${test.count} images, ${(seconds / 60).toFixed(1)} min)`);
  model.dispose();
}

/** Builds the command; a fresh instance per parse, since commander keeps parsed values on it. */
export function createTrainSourceCommand(): Command {
  return new Command('train-source')
    .description('train the small demo ViT on clean Fashion-MNIST and write its weights (safetensors)')
    .option('--model <name>', 'model from the registry', DEMO_MODEL)
    .option('--data-root <dir>', "Fashion-MNIST IDX folder: 'debian' (all 60,000 training images, the default here), 'embedded' (1,000) or a path", 'debian')
    .option('--epochs <n>', 'passes over the training set', '10')
    .option('--batch-size <images>', 'images per step', '128')
    .option('--lr <rate>', 'peak AdamW learning rate (warm-up then cosine decay)', '1e-3')
    .option('--seed <n>', 'seed for initialisation, shuffling and flips', '2020')
    .option('--limit <images>', 'train on the first N training images only')
    .option('--out <file>', 'output weights file (the default replaces the committed demo weights)', DEMO_WEIGHTS)
    .option('--backend <name>', 'auto, tensorflow, wasm or cpu (env MGTTA_BACKEND)')
    .action(async (raw) => run(parseOptions(raw)));
}
