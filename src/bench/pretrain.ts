/**
 * Pre-training of a gradient generator for a ViT, following Algorithm 1 of the MGTTA paper as
 * the authors' code runs it. The data are a fixed set of unlabelled images from the four
 * held-out corruptions at severity 5, in batches of 2. Each step moves θ (the LayerNorm
 * parameters) by η_train · u and the generator's weights by Adam on the one-step
 * meta-gradient. After every epoch, MGTTA runs from the source weights on each held-out
 * corruption, and the best epoch by mean top-1 is kept unless `select` is `last`.
 */
import * as tf from '@tensorflow/tfjs';

import { EXTRA_CORRUPTIONS, applyCorruption } from '../corruptions/index.js';
import type { ImageSet } from '../data/index.js';
import { foaLoss, FOA_LOSS_DEFAULTS, Mgtta, MGTTA_DEFAULTS, ParameterSnapshot, ParameterVector, type FoaLossConfig, type SourceStatistics } from '../methods/index.js';
import { MggTrainer, type BiasCorrection, type GradientGenerator, type MetaTrainingTarget } from '../mgg/index.js';
import type { VisionTransformer } from '../model/index.js';
import { logger } from '../runtime/logger.js';
import { createProgress } from '../runtime/progress.js';
import { Rng } from '../runtime/rng.js';
import { runCell } from './cell.js';

export interface PretrainConfig {
  /** Unlabelled training images drawn from the union of the held-out corruptions (128 in the MGTTA paper, whose Table 6 also uses 64, 256 and 1000). */
  readonly images: number;
  /** Corruptions the images come from (speckle_noise, gaussian_blur, spatter, saturate). */
  readonly corruptions: readonly string[];
  readonly severity: number;
  /** Images per training step (2 in the authors' code). */
  readonly batchSize: number;
  /** Passes over the training images (40 in the authors' code: 2,560 steps at 128 images). */
  readonly epochs: number;
  /** Total training steps after which to stop, inside an epoch if need be (the MGTTA paper trains T = 2,000 steps); undefined runs all epochs. */
  readonly maxSteps?: number;
  /** Bias correction of the moment features: `code` (exponent t + 1) or `standard` (exponent t). */
  readonly biasCorrection: BiasCorrection;
  /** Step size η_train of θ during pre-training (1e-4). */
  readonly trainLr: number;
  /** Adam learning rate of the generator weights (1e-2). */
  readonly metaLr: number;
  /** Steps of back-propagation through the generator state (1: detached every step, as for the memory layer). */
  readonly unroll: number;
  /** Put θ back to the source weights at every epoch start (the code keeps θ drifting). */
  readonly resetThetaEachEpoch: boolean;
  /** `best`: keep the epoch with the best mean evaluation top-1 (labelled selection, as the code); `last`: the final epoch. */
  readonly select: 'best' | 'last';
  /** Images per held-out corruption in each evaluation; undefined: all. */
  readonly evalImagesPerDomain?: number;
  /** Batch size and η_adapt of the evaluation runs (64 and 1e-3). */
  readonly evalBatchSize: number;
  readonly evalAdaptLr: number;
  readonly loss: FoaLossConfig;
  readonly seed: number;
}

export const PRETRAIN_DEFAULTS: PretrainConfig = {
  images: 128,
  corruptions: EXTRA_CORRUPTIONS,
  severity: 5,
  batchSize: 2,
  epochs: 40,
  trainLr: 1e-4,
  metaLr: 1e-2,
  unroll: 1,
  biasCorrection: 'code',
  resetThetaEachEpoch: false,
  select: 'best',
  evalBatchSize: 64,
  evalAdaptLr: 1e-3,
  loss: FOA_LOSS_DEFAULTS,
  seed: 2020,
};

/** One row of the per-epoch metrics CSV. */
export interface EpochMetrics {
  epoch: number;
  steps: number;
  /** Mean FOA loss over the epoch's steps, at θ before each step's update. */
  mean_loss: number;
  /** Top-1 (%) of the predictions on the training images during the epoch (reported, never trained on). */
  train_top1: number;
  /** Mean evaluation top-1 (%) over the held-out corruptions, and each one's. */
  eval_top1: number;
  [corruption: string]: number;
  seconds: number;
}

/** A training batch: normalised images and, for the running accuracy only, their labels. */
export interface LabelledBatch {
  inputs: tf.Tensor4D;
  labels: Int32Array;
}

/** The ViT side of meta-training: the FOA loss and its gradient over the LayerNorm parameters. */
export class LayerNormTarget implements MetaTrainingTarget {
  readonly parameterCount: number;
  private readonly vector: ParameterVector;
  /** Correct predictions and images seen since the last `resetAccuracy()` (labels are never used for training). */
  correct = 0;
  seen = 0;

  constructor(
    private readonly model: VisionTransformer,
    private readonly statistics: SourceStatistics,
    private readonly loss: FoaLossConfig,
  ) {
    this.vector = new ParameterVector(model.layerNormParameters());
    this.parameterCount = this.vector.size;
  }

  lossAndGradient(batch: unknown): { loss: number; gradient: tf.Tensor1D } {
    const { inputs, labels } = batch as LabelledBatch;
    let predictions: tf.Tensor1D | undefined;
    const { value, grads } = tf.variableGrads(() => {
      const { logits, features } = this.model.forward(inputs);
      predictions = tf.keep(tf.argMax(logits, 1) as tf.Tensor1D);
      return foaLoss(logits, features, this.statistics, this.loss).total;
    }, [...this.vector.parameters]);
    const gradients = this.vector.parameters.map((parameter) => grads[parameter.name]!);
    const gradient = this.vector.flatten(gradients);
    const loss = value.dataSync()[0]!;
    const predicted = predictions!.dataSync();
    labels.forEach((label, i) => (this.correct += predicted[i] === label ? 1 : 0));
    this.seen += labels.length;
    tf.dispose([value, predictions!, ...gradients]);
    return { loss, gradient };
  }

  resetAccuracy(): void {
    this.correct = 0;
    this.seen = 0;
  }

  addToParameters(delta: tf.Tensor1D): void {
    this.vector.add(delta);
  }
}

/** Draws the training images: `count` (corruption, image) pairs without replacement from the union, corrupted once. */
export async function sampleTrainingImages(set: ImageSet, config: PretrainConfig): Promise<{ images: Uint8Array[]; labels: number[] }> {
  const candidates = config.corruptions.length * set.count;
  if (config.images > candidates) {
    throw new Error(`pretrain: ${config.images} training images requested but only ${candidates} candidates exist`);
  }
  const picks = new Rng(config.seed).permutation(candidates).subarray(0, config.images);
  const images: Uint8Array[] = [];
  const labels: number[] = [];
  for (const pick of picks) {
    const corruption = config.corruptions[Math.floor(pick / set.count)]!;
    const index = pick % set.count;
    const corrupted = await applyCorruption(await set.image(index), corruption, config.severity, { seed: config.seed, index, datasetId: set.id });
    images.push(corrupted.data);
    labels.push(set.label(index));
  }
  return { images, labels };
}

export interface PretrainResult {
  history: EpochMetrics[];
  bestEpoch: number;
  seconds: number;
}

/**
 * Trains `generator` in place. On return its weights are those of the selected epoch and
 * the model's LayerNorm parameters are back at their source values.
 */
export async function pretrainGenerator(
  model: VisionTransformer,
  generator: GradientGenerator,
  statistics: SourceStatistics,
  set: ImageSet,
  config: PretrainConfig,
  onEpoch: (metrics: EpochMetrics) => void,
): Promise<PretrainResult> {
  const started = performance.now();
  const { images, labels } = await sampleTrainingImages(set, config);
  const source = new ParameterSnapshot(model.layerNormParameters());
  const target = new LayerNormTarget(model, statistics, config.loss);
  const trainer = new MggTrainer(generator, target, {
    trainLr: config.trainLr, adam: { learningRate: config.metaLr }, unroll: config.unroll, moments: { biasCorrection: config.biasCorrection },
  });
  logger.info(`pretrain: ${images.length} images from ${config.corruptions.join(', ')} at severity ${config.severity}, ${target.parameterCount} adapted scalars, ${config.epochs} ${config.epochs === 1 ? 'epoch' : 'epochs'}`);

  const rng = new Rng(config.seed + 1);
  const stepsPerEpoch = Math.floor(images.length / config.batchSize);
  const history: EpochMetrics[] = [];
  let best: { top1: number; epoch: number; weights: Map<string, tf.Tensor> } | undefined;
  const totalSteps = Math.min(config.epochs * stepsPerEpoch, config.maxSteps ?? Infinity);
  const epochs = Math.ceil(totalSteps / stepsPerEpoch);
  const progress = createProgress({ label: 'pretrain', total: totalSteps, unit: 'steps' });

  for (let epoch = 1; epoch <= epochs; epoch++) {
    const epochStarted = performance.now();
    trainer.startEpoch();
    target.resetAccuracy();
    if (config.resetThetaEachEpoch) source.restore();

    const order = rng.permutation(images.length);
    const steps = Math.min(stepsPerEpoch, totalSteps - (epoch - 1) * stepsPerEpoch);
    let lossSum = 0;
    for (let step = 0; step < steps; step++) {
      const indices = order.subarray(step * config.batchSize, (step + 1) * config.batchSize);
      const batch: LabelledBatch = { inputs: batchInputs(model, images, indices, set), labels: Int32Array.from(indices, (index) => labels[index]!) };
      lossSum += trainer.step(batch).loss;
      batch.inputs.dispose();
      const accuracy = `${((100 * target.correct) / target.seen).toFixed(1)}%`;
      progress.update((epoch - 1) * stepsPerEpoch + step + 1, { epoch, loss: (lossSum / (step + 1)).toFixed(4), 'running top1': accuracy });
    }

    const evaluation = await evaluateGenerator(model, generator, statistics, set, config, source);
    const metrics: EpochMetrics = {
      epoch, steps, mean_loss: lossSum / steps, train_top1: (100 * target.correct) / target.seen, eval_top1: evaluation.mean,
      ...evaluation.perDomain, seconds: (performance.now() - epochStarted) / 1000,
    };
    history.push(metrics);
    onEpoch(metrics);

    if (config.select === 'best' && (best === undefined || evaluation.mean > best.top1)) {
      if (best) tf.dispose([...best.weights.values()]);
      best = { top1: evaluation.mean, epoch, weights: copyWeights(generator) };
    }
  }
  progress.stop();

  let bestEpoch = epochs;
  if (best !== undefined) {
    for (const [name, variable] of generator.parameters) variable.assign(best.weights.get(name)!);
    tf.dispose([...best.weights.values()]);
    bestEpoch = best.epoch;
  }
  source.restore();
  source.dispose();
  trainer.dispose();
  return { history, bestEpoch, seconds: (performance.now() - started) / 1000 };
}

function batchInputs(model: VisionTransformer, images: Uint8Array[], indices: Uint32Array, set: ImageSet): tf.Tensor4D {
  const imageBytes = set.height * set.width * set.channels;
  const pixels = new Uint8Array(indices.length * imageBytes);
  indices.forEach((index, i) => pixels.set(images[index]!, i * imageBytes));
  return tf.tidy(() => model.normalize(tf.tensor4d(pixels, [indices.length, set.height, set.width, set.channels], 'int32')));
}

function copyWeights(generator: GradientGenerator): Map<string, tf.Tensor> {
  return new Map([...generator.parameters].map(([name, variable]) => [name, tf.keep(variable.clone())]));
}

/**
 * Runs MGTTA with the current generator from the source weights on each held-out corruption
 * and returns top-1 per corruption and their mean. The pre-training θ is restored afterwards.
 */
async function evaluateGenerator(
  model: VisionTransformer,
  generator: GradientGenerator,
  statistics: SourceStatistics,
  set: ImageSet,
  config: PretrainConfig,
  source: ParameterSnapshot,
): Promise<{ mean: number; perDomain: Record<string, number> }> {
  const training = new ParameterSnapshot(model.layerNormParameters());
  source.restore();
  const perDomain: Record<string, number> = {};
  const quiet = process.env.MGTTA_QUIET;
  process.env.MGTTA_QUIET = '1';
  try {
    for (const corruption of config.corruptions) {
      const adapter = new Mgtta('mgtta', model, statistics, generator, { ...MGTTA_DEFAULTS, adaptLr: config.evalAdaptLr, loss: config.loss });
      const { row } = await runCell(adapter, model, set, {
        method: 'mgtta', dataset: set.id, corruption, severity: config.severity, batchSize: config.evalBatchSize,
        seed: config.seed, limit: config.evalImagesPerDomain, budget: { kind: 'none', value: 0 },
      }, tf.getBackend());
      perDomain[corruption] = Number(row.top1);
      adapter.reset();
      adapter.dispose();
    }
  } finally {
    if (quiet === undefined) delete process.env.MGTTA_QUIET;
    else process.env.MGTTA_QUIET = quiet;
  }
  training.restore();
  training.dispose();
  const values = Object.values(perDomain);
  return { mean: values.reduce((a, b) => a + b, 0) / values.length, perDomain };
}
