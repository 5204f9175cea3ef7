/**
 * Supervised training and evaluation of a classifier on in-memory 8-bit images: what
 * `mgtta train-source` uses to build the demo source model.
 */
import * as tf from '@tensorflow/tfjs';

import { Rng } from '../runtime/rng.js';
import type { VisionTransformer } from './vit.js';

export interface LabelledImages {
  /** `count` images of height x width x channels bytes each, HWC order. */
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  height: number;
  width: number;
  channels: number;
}

export interface TrainOptions {
  readonly epochs: number;
  readonly batchSize: number;
  /** Peak Adam learning rate, reached after the warm-up and decayed to 0 by a cosine. */
  readonly learningRate: number;
  /** Linear warm-up length in steps. */
  readonly warmupSteps: number;
  /** Decoupled weight decay (AdamW) on matrices; 0 turns it off. */
  readonly weightDecay: number;
  /** Mirror each training image left-right with probability 0.5 (valid for clothing). */
  readonly horizontalFlip: boolean;
  readonly seed: number;
  /** Called after every step with the epoch (from 0), the step and the running loss. */
  readonly onStep?: (epoch: number, step: number, stepsPerEpoch: number, loss: number) => void;
  /** Called after each epoch; a returned promise is awaited (e.g. to evaluate and log). */
  readonly onEpoch?: (epoch: number) => void | Promise<void>;
}

/** Copies the images at `indices` into one [B, H, W, C] pixel tensor and a label tensor. */
export function gatherBatch(set: LabelledImages, indices: ArrayLike<number>): { pixels: tf.Tensor4D; labels: tf.Tensor1D } {
  const imageBytes = set.height * set.width * set.channels;
  const pixels = new Uint8Array(indices.length * imageBytes);
  const labels = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const index = indices[i]!;
    pixels.set(set.images.subarray(index * imageBytes, (index + 1) * imageBytes), i * imageBytes);
    labels[i] = set.labels[index]!;
  }
  return {
    pixels: tf.tensor4d(pixels, [indices.length, set.height, set.width, set.channels], 'int32'),
    labels: tf.tensor1d(labels, 'int32'),
  };
}

function learningRateAt(step: number, totalSteps: number, options: TrainOptions): number {
  if (step < options.warmupSteps) return (options.learningRate * (step + 1)) / options.warmupSteps;
  const progress = (step - options.warmupSteps) / Math.max(1, totalSteps - options.warmupSteps);
  return 0.5 * options.learningRate * (1 + Math.cos(Math.PI * progress));
}

/** Trains every weight of `model` with AdamW on cross-entropy. Returns the last epoch's mean loss. */
export async function trainClassifier(model: VisionTransformer, train: LabelledImages, options: TrainOptions): Promise<number> {
  const rng = new Rng(options.seed);
  const stepsPerEpoch = Math.floor(train.count / options.batchSize);
  const totalSteps = stepsPerEpoch * options.epochs;
  const variables = [...model.weights.values()];
  const decayed = [...model.weights.entries()].filter(([name, v]) => v.rank >= 2 && !name.includes('embed') && name !== 'cls_token').map(([, v]) => v);
  const optimizer = tf.train.adam(options.learningRate, 0.9, 0.999, 1e-8);
  model.frozenBackbone = false;
  model.clearCache();
  let step = 0;
  let epochLoss = 0;

  for (let epoch = 0; epoch < options.epochs; epoch++) {
    const order = rng.permutation(train.count);
    epochLoss = 0;
    for (let batchIndex = 0; batchIndex < stepsPerEpoch; batchIndex++) {
      const indices = order.subarray(batchIndex * options.batchSize, (batchIndex + 1) * options.batchSize);
      const flips = Array.from(indices, () => options.horizontalFlip && rng.uniform() < 0.5);
      const rate = learningRateAt(step, totalSteps, options);
      (optimizer as unknown as { learningRate: number }).learningRate = rate;

      const { pixels, labels } = gatherBatch(train, indices);
      const loss = tf.tidy(() => {
        const inputs = model.normalize(flipSome(pixels, flips));
        const targets = tf.oneHot(labels, model.config.numClasses);
        return optimizer.minimize(
          () => tf.losses.softmaxCrossEntropy(targets, model.forward(inputs).logits) as tf.Scalar,
          true,
          variables,
        )!;
      });
      applyWeightDecay(decayed, rate * options.weightDecay);
      const lossValue = (await loss.data())[0]!;
      tf.dispose([pixels, labels, loss]);

      epochLoss += lossValue / stepsPerEpoch;
      step++;
      options.onStep?.(epoch, batchIndex + 1, stepsPerEpoch, lossValue);
    }
    await options.onEpoch?.(epoch);
  }
  optimizer.dispose();
  model.frozenBackbone = true;
  return epochLoss;
}

function flipSome(pixels: tf.Tensor4D, flips: boolean[]): tf.Tensor4D {
  if (!flips.some(Boolean)) return pixels;
  const mask = tf.tensor4d(flips.map((flip) => (flip ? 1 : 0)), [flips.length, 1, 1, 1]);
  const mirrored = tf.reverse(pixels, 2);
  return tf.add(tf.mul(mirrored, mask), tf.mul(pixels, tf.sub(1, mask))) as tf.Tensor4D;
}

function applyWeightDecay(variables: tf.Variable[], factor: number): void {
  if (factor === 0) return;
  for (const variable of variables) {
    tf.tidy(() => variable.assign(tf.mul(variable, 1 - factor)));
  }
}

export interface Evaluation {
  top1: number;
  images: number;
}

/** Top-1 accuracy (in %) of `model` on `set`, without adapting. */
export async function evaluateClassifier(model: VisionTransformer, set: LabelledImages, batchSize = 256): Promise<Evaluation> {
  let correct = 0;
  for (let start = 0; start < set.count; start += batchSize) {
    const indices = Array.from({ length: Math.min(batchSize, set.count - start) }, (_, i) => start + i);
    const { pixels, labels } = gatherBatch(set, indices);
    const hits = tf.tidy(() => {
      const predictions = tf.argMax(model.logits(model.normalize(pixels)), 1);
      return tf.sum(tf.cast(tf.equal(predictions, labels), 'int32'));
    });
    correct += (await hits.data())[0]!;
    tf.dispose([pixels, labels, hits]);
  }
  return { top1: (100 * correct) / set.count, images: set.count };
}
