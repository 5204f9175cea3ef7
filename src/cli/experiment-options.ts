/** Options shared by the commands that run an experiment grid (adapt, demo, bench). */
import { Command } from 'commander';

import { corruptionNames } from '../corruptions/index.js';
import type { Budget } from '../bench/cell.js';
import { DATASET_KINDS, type ExperimentConfig } from '../bench/experiment.js';
import { getMethod, methodNames } from '../methods/index.js';
import { DEMO_MODEL, getModelConfig } from '../model/index.js';
import { UsageError } from '../runtime/errors.js';
import { parseChoice, parseInteger, parseIntegerList, parsePositiveNumber } from './options.js';

export interface RawExperimentOptions {
  model?: string;
  weights?: string;
  dataset?: string;
  dataRoot?: string;
  batchSize?: string;
  seed?: string;
  limit?: string;
  timeBudget?: string;
  dataBudget?: string;
  lr?: string;
  lambda?: string;
  mgg?: string;
  mggLstm?: string;
  stats?: string;
  biasCorrection?: string;
  continual?: boolean;
  workers?: string;
  out?: string;
  runId?: string;
  resume?: boolean;
  backend?: string;
}

/** Adds the data, model, stream and output options to a command. */
export function addExperimentOptions(command: Command, defaults: { batchSize: string; workers?: string }): Command {
  return command
    .option('--model <name>', 'model from the registry', DEMO_MODEL)
    .option('--weights <file>', 'model weights (safetensors, timm names); default: the demo weights for the demo model')
    .option('--dataset <kind>', "fashion-mnist; image-folder (clean <root>/<wnid>/<image>, corrupted on the fly); imagenet-c (<root>/<corruption>/<severity>/<wnid>/<image>)", 'fashion-mnist')
    .option('--data-root <dir>', "dataset root; for Fashion-MNIST 'embedded' (2,000 committed test images), 'debian', or an IDX folder", 'embedded')
    .option('--batch-size <images>', 'images per test batch', defaults.batchSize)
    .option('--seed <n>', 'seed of the stream order and the corruption noise; a comma list runs each', '2020')
    .option('--limit <images>', 'use only the first N images of each stream')
    .option('--time-budget <seconds>', 'stop adapting after this many seconds of adaptation per domain, then only predict')
    .option('--data-budget <batches>', 'adapt on the first N batches of each domain only, then only predict')
    .option('--lr <rate>', "learning rate of the method, or η_adapt for mgtta (default: the method's own)")
    .option('--lambda <weight>', 'weight of the FOA/MGTTA discrepancy term (default 0.4)')
    .option('--mgg <file>', 'pre-trained MGG for mgtta (default: the one for the model in assets/ or the user cache)')
    .option('--mgg-lstm <file>', 'pre-trained LSTM generator for mgtta-lstm')
    .option('--stats <file>', 'source feature statistics (default: found by model and weights, computed when missing)')
    .option('--bias-correction <rule>', "bias correction of the MGG moment features: 'code' (exponent t+1, the authors' code) or 'standard' (exponent t)", 'code')
    .option('--continual', 'carry each method\'s adapted state across domains instead of resetting to the source weights')
    .option('--workers <n>', 'worker threads running cells in parallel, each with its own backend and model (1: none)', defaults.workers ?? '1')
    .option('--out <dir>', 'results root folder', 'results')
    .option('--run-id <id>', 'name of the run folder under --out (default: timestamp and method)')
    .option('--resume', 'skip cells already finished in the run folder (needs --run-id)')
    .option('--backend <name>', 'auto, tensorflow, wasm or cpu (env MGTTA_BACKEND)');
}

function parseBudget(raw: RawExperimentOptions): Budget {
  if (raw.timeBudget !== undefined && raw.dataBudget !== undefined) {
    throw new UsageError('--time-budget and --data-budget cannot be combined; choose one');
  }
  if (raw.timeBudget !== undefined) return { kind: 'time', value: parsePositiveNumber('--time-budget', raw.timeBudget, 0) };
  if (raw.dataBudget !== undefined) return { kind: 'data', value: parseInteger('--data-budget', raw.dataBudget, 0) };
  return { kind: 'none', value: 0 };
}

/** Validates the shared options into an experiment configuration. */
export function parseExperimentOptions(
  raw: RawExperimentOptions,
  grid: { methods: string[]; corruptions: string; severities: string | undefined },
): ExperimentConfig {
  // Model and methods.
  const model = getModelConfig(raw.model ?? DEMO_MODEL).name;
  for (const method of grid.methods) {
    if (!methodNames().includes(method)) throw new UsageError(`unknown method '${method}'; valid methods: ${methodNames().join(', ')}`);
  }

  // Batch size: the FOA loss needs two images for its unbiased std.
  const batchSize = parseInteger('--batch-size', raw.batchSize, 1);
  const foaMethods = grid.methods.filter((method) => getMethod(method).requires.statistics);
  if (batchSize < 2 && foaMethods.length > 0) {
    throw new UsageError(`--batch-size 1 cannot be used with ${foaMethods.join(', ')}: the FOA loss needs the unbiased std of at least 2 images; use --batch-size 2 or more`);
  }

  // Data.
  const corruptions = grid.corruptions === 'none' ? ['none'] : corruptionNames(grid.corruptions);
  const dataset = parseChoice('--dataset', raw.dataset, DATASET_KINDS, 'fashion-mnist');
  if (dataset !== 'fashion-mnist' && (raw.dataRoot === undefined || raw.dataRoot === 'embedded' || raw.dataRoot === 'debian')) {
    throw new UsageError(`--dataset ${dataset} needs --data-root <folder> with the images`);
  }

  // Execution.
  const workers = parseInteger('--workers', raw.workers, 1, 1);
  if (workers > 1 && raw.continual === true) {
    throw new UsageError('--continual needs one thread, because each method carries its state from domain to domain; drop --workers');
  }
  if (raw.resume && raw.runId === undefined) throw new UsageError('--resume needs --run-id naming the run folder to continue');

  return {
    model,
    weights: raw.weights,
    dataset,
    dataRoot: raw.dataRoot ?? 'embedded',
    methods: grid.methods,
    corruptions,
    severities: parseIntegerList('--severity', grid.severities, 1, 5, [5]),
    batchSize,
    seeds: parseIntegerList('--seed', raw.seed, 0, 2 ** 32 - 1, [2020]),
    limit: raw.limit === undefined ? undefined : parseInteger('--limit', raw.limit, 1),
    budget: parseBudget(raw),
    learningRate: raw.lr === undefined ? undefined : parsePositiveNumber('--lr', raw.lr, 0),
    lambda: raw.lambda === undefined ? undefined : parsePositiveNumber('--lambda', raw.lambda, 0),
    mgg: raw.mgg,
    mggLstm: raw.mggLstm,
    stats: raw.stats,
    biasCorrection: parseChoice('--bias-correction', raw.biasCorrection, ['code', 'standard'] as const, 'code'),
    continual: raw.continual === true,
    workers,
    out: raw.out ?? 'results',
    runId: raw.runId,
    resume: raw.resume === true,
  };
}
