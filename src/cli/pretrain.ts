/** `mgtta pretrain`: pre-trains the Meta Gradient Generator (or its LSTM variant) for a model. */
import { appendFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import * as tf from '@tensorflow/tfjs';
import { Command } from 'commander';
import { stringify } from 'csv-stringify/sync';

import { DEMO_WEIGHTS, resolveWeights } from '../bench/experiment.js';
import { PRETRAIN_DEFAULTS, pretrainGenerator, type EpochMetrics, type PretrainConfig } from '../bench/pretrain.js';
import { defaultGeneratorPath, obtainSourceStatistics } from '../bench/resources.js';
import { gitCommit, newRunId } from '../bench/results.js';
import { corruptionNames } from '../corruptions/index.js';
import { inMemoryImageSet, loadFashionMnist } from '../data/index.js';
import { FOA_LOSS_DEFAULTS } from '../methods/index.js';
import { GradientMemoryLayer, LstmGenerator, saveGenerator, type GradientGenerator } from '../mgg/index.js';
import { DEMO_MODEL, getModelConfig, loadModel } from '../model/index.js';
import { parseBackendChoice, selectBackend } from '../runtime/backend.js';
import { logger } from '../runtime/logger.js';
import { parseChoice, parseInteger, parsePositiveNumber } from './options.js';

interface RawPretrainOptions {
  model: string;
  weights?: string;
  dataRoot: string;
  memory: string;
  images: string;
  corruptions: string;
  epochs: string;
  steps?: string;
  biasCorrection: string;
  batchSize: string;
  trainLr: string;
  metaLr: string;
  unroll?: string;
  select: string;
  evalImages?: string;
  resetTheta?: boolean;
  fixedInitialMemory?: boolean;
  lambda?: string;
  seed: string;
  out?: string;
  runId?: string;
  results: string;
  backend?: string;
}

interface PretrainOptions {
  model: string;
  weights: string;
  dataRoot: string;
  memory: 'gml' | 'lstm';
  learnInitialMemory: boolean;
  config: PretrainConfig;
  out: string;
  metricsPath: string;
  backend: ReturnType<typeof parseBackendChoice>;
}

function parseOptions(raw: RawPretrainOptions): PretrainOptions {
  const model = getModelConfig(raw.model).name;
  const weights = resolveWeights(model, raw.weights);
  const memory = parseChoice('--memory', raw.memory, ['gml', 'lstm'] as const, 'gml');
  const lambda = raw.lambda === undefined ? FOA_LOSS_DEFAULTS.lambda : parsePositiveNumber('--lambda', raw.lambda, FOA_LOSS_DEFAULTS.lambda);
  const config: PretrainConfig = {
    ...PRETRAIN_DEFAULTS,
    images: parseInteger('--images', raw.images, 2),
    corruptions: corruptionNames(raw.corruptions),
    epochs: parseInteger('--epochs', raw.epochs, 1),
    maxSteps: raw.steps === undefined ? undefined : parseInteger('--steps', raw.steps, 1),
    biasCorrection: parseChoice('--bias-correction', raw.biasCorrection, ['code', 'standard'] as const, 'code'),
    batchSize: parseInteger('--batch-size', raw.batchSize, 2),
    trainLr: parsePositiveNumber('--train-lr', raw.trainLr, PRETRAIN_DEFAULTS.trainLr),
    metaLr: parsePositiveNumber('--meta-lr', raw.metaLr, PRETRAIN_DEFAULTS.metaLr),
    unroll: parseInteger('--unroll', raw.unroll, 1, 1),
    select: parseChoice('--select', raw.select, ['best', 'last'] as const, 'best'),
    evalImagesPerDomain: raw.evalImages === undefined || raw.evalImages === 'all' ? undefined : parseInteger('--eval-images', raw.evalImages, 1),
    resetThetaEachEpoch: raw.resetTheta === true,
    loss: { ...FOA_LOSS_DEFAULTS, lambda },
    seed: parseInteger('--seed', raw.seed, 0),
  };
  const runId = raw.runId ?? newRunId(`pretrain-${memory}`);
  return {
    model,
    weights,
    dataRoot: raw.dataRoot,
    memory,
    learnInitialMemory: raw.fixedInitialMemory !== true,
    config,
    out: raw.out ?? defaultGeneratorPath(model, memory, weights === DEMO_WEIGHTS),
    metricsPath: join(raw.results, runId, 'pretrain.csv'),
    backend: parseBackendChoice(raw.backend),
  };
}

function createGenerator(options: PretrainOptions): GradientGenerator {
  return options.memory === 'gml'
    ? new GradientMemoryLayer({ learnInitialMemory: options.learnInitialMemory, seed: options.config.seed })
    : new LstmGenerator({ seed: options.config.seed });
}

function appendMetrics(path: string, metrics: EpochMetrics): void {
  const header = !existsSync(path);
  const rounded = Object.fromEntries(Object.entries(metrics).map(([key, value]) => [key, Number(value.toFixed(key === 'mean_loss' ? 6 : 3))]));
  appendFileSync(path, stringify([rounded], { header }));
}

async function run(options: PretrainOptions): Promise<void> {
  const backend = await selectBackend(options.backend);
  const loaded = await loadModel(options.weights, options.model);
  const model = loaded.model;
  const statistics = await obtainSourceStatistics({ model, weightsSha256: loaded.sha256, isDemoWeights: options.weights === DEMO_WEIGHTS, cleanDataRoot: 'embedded' });
  const test = await loadFashionMnist({ split: 'test', root: options.dataRoot });
  const set = inMemoryImageSet(`fashion-mnist-test-${test.count}`, test.images, test.labels, { count: test.count, height: 28, width: 28, channels: 1 });

  mkdirSync(dirname(options.metricsPath), { recursive: true });
  const runInfoPath = join(dirname(options.metricsPath), 'run.json');
  const runInfo = {
    command: process.argv.slice(2).join(' '), model: options.model, weights: { path: options.weights, sha256: loaded.sha256 },
    memory: options.memory, learn_initial_memory: options.learnInitialMemory, config: options.config, out: options.out,
    backend, versions: { node: process.version, tfjs: tf.version.tfjs }, git_commit: gitCommit(),
    started_at: new Date().toISOString(), ended_at: null as string | null, selected_epoch: null as number | null,
  };
  writeFileSync(runInfoPath, `${JSON.stringify(runInfo, null, 2)}\n`);
  const generator = createGenerator(options);
  const result = await pretrainGenerator(model, generator, statistics, set, options.config, (metrics) => {
    appendMetrics(options.metricsPath, metrics);
    logger.info(`epoch ${metrics.epoch}: loss ${metrics.mean_loss.toFixed(4)}, running top-1 ${metrics.train_top1.toFixed(1)}%, eval top-1 ${metrics.eval_top1.toFixed(2)}% (${metrics.seconds.toFixed(1)} s)`);
  });

  const config = options.config;
  mkdirSync(dirname(options.out), { recursive: true });
  await saveGenerator(options.out, generator, {
    source_model: options.model,
    source_weights_sha256: loaded.sha256,
    training_data: `${config.images} images of ${set.id} under ${config.corruptions.join(', ')} at severity ${config.severity}`,
    trained_with: `mgtta pretrain --memory ${options.memory} --images ${config.images} --epochs ${config.epochs}${config.maxSteps === undefined ? '' : ` --steps ${config.maxSteps}`} --batch-size ${config.batchSize} --train-lr ${config.trainLr} --meta-lr ${config.metaLr} --select ${config.select} --seed ${config.seed}`,
    selected_epoch: String(result.bestEpoch),
    selected_eval_top1: String(result.history[result.bestEpoch - 1]?.eval_top1.toFixed(2)),
    training_seconds: result.seconds.toFixed(0),
    backend: backend.name,
  });
  runInfo.ended_at = new Date().toISOString();
  runInfo.selected_epoch = result.bestEpoch;
  writeFileSync(runInfoPath, `${JSON.stringify(runInfo, null, 2)}\n`);
  logger.info(`pretrain: wrote ${options.out} (epoch ${result.bestEpoch} of ${result.history.length}, ${(result.seconds / 60).toFixed(1)} min); metrics in ${options.metricsPath}`);

  generator.dispose();
  tf.dispose([statistics.mean, statistics.std]);
  model.dispose();
}

/** Builds the command; a fresh instance per parse, since commander keeps parsed values on it. */
export function createPretrainCommand(): Command {
  return new Command('pretrain')
    .description('pre-train the Meta Gradient Generator on unlabelled images of the held-out corruptions')
    .option('--model <name>', 'model from the registry', DEMO_MODEL)
    .option('--weights <file>', 'model weights (safetensors); default: the demo weights')
    .option('--data-root <dir>', "Fashion-MNIST test images the corruptions are applied to: 'embedded', 'debian' or a path", 'embedded')
    .option('--memory <kind>', "'gml' (gradient memory layer) or 'lstm' (the LSTM ablation)", 'gml')
    .option('--images <n>', 'unlabelled training images (the MGTTA paper uses 128, and 64 to 1000 in its data-size study)', '128')
    .option('--corruptions <names>', 'corruptions the training images come from', 'extra')
    .option('--epochs <n>', 'passes over the training images', '40')
    .option('--steps <n>', "stop after N training steps in total (the paper's T = 2000); default: all epochs")
    .option('--bias-correction <rule>', "bias correction of the moment features: 'code' (exponent t+1) or 'standard' (exponent t)", 'code')
    .option('--batch-size <images>', 'images per training step (at least 2)', '2')
    .option('--train-lr <rate>', 'step size of the LayerNorm parameters during pre-training', '1e-4')
    .option('--meta-lr <rate>', 'Adam learning rate of the generator weights', '1e-2')
    .option('--unroll <steps>', 'steps of back-propagation through the generator state (1: detached every step)', '1')
    .option('--select <rule>', "'best' (best mean evaluation top-1, uses labels, as the authors' code) or 'last' (final epoch, no labels)", 'best')
    .option('--eval-images <n>', "images per held-out corruption in each epoch's evaluation, or 'all'", 'all')
    .option('--reset-theta', "reset the LayerNorm parameters to the source weights at each epoch (the authors' code keeps them drifting)")
    .option('--fixed-initial-memory', "keep the initial memory W1, b1 at its random initialisation, as the MGTTA paper describes, instead of learning it as the authors' code does")
    .option('--lambda <weight>', 'weight of the discrepancy term', '0.4')
    .option('--seed <n>', 'seed of the image sample, the order and the initialisation', '2020')
    .option('--out <file>', 'output checkpoint (default: the committed demo generator in assets/demo for the demo model, else ~/.cache/mgtta/mgg or $MGTTA_CACHE)')
    .option('--results <dir>', 'results root for the per-epoch metrics CSV', 'results')
    .option('--run-id <id>', 'name of the run folder for the metrics')
    .option('--backend <name>', 'auto, tensorflow, wasm or cpu (env MGTTA_BACKEND)')
    .action(async (raw: RawPretrainOptions) => run(parseOptions(raw)));
}
