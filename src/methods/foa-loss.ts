/**
 * The test-time loss of FOA and MGTTA, as their released code computes it: mean prediction
 * entropy plus a discrepancy between the batch statistics of the per-layer class-token
 * features and the source statistics.
 *
 *   L_ent  = (1/B) Σ_b H(softmax(z_b))
 *   L_disc = λ · ( Σ_j (std_j − σS_j)² + Σ_j (mean_j − μS_j)² ) / 64
 *
 * std is the unbiased (Bessel-corrected) standard deviation over the batch, j runs over
 * every feature column, and 64 is a constant divisor (not the batch size).
 */
import * as tf from '@tensorflow/tfjs';

import { UsageError } from '../runtime/errors.js';
import { softmaxEntropy } from './losses.js';

export interface FoaLossConfig {
  /** Weight λ of the discrepancy term: 0.4 by default, 0.2 for ImageNet-R. */
  readonly lambda: number;
  /** Constant divisor of the discrepancy term (64 in the released code for every batch size). */
  readonly divisor: number;
}

export const FOA_LOSS_DEFAULTS: FoaLossConfig = { lambda: 0.4, divisor: 64 };

export interface SourceStatistics {
  /** Mean of each feature column over clean source images, [F]. */
  mean: tf.Tensor1D;
  /** Unbiased standard deviation of each feature column, [F]. */
  std: tf.Tensor1D;
}

export interface FoaLossTerms {
  entropy: tf.Scalar;
  discrepancy: tf.Scalar;
  total: tf.Scalar;
}

/** Unbiased mean and standard deviation over the batch axis of [B, F] features. */
export function batchMeanStd(features: tf.Tensor2D): { mean: tf.Tensor1D; std: tf.Tensor1D } {
  const batch = features.shape[0];
  const mean = tf.mean(features, 0) as tf.Tensor1D;
  const sumSquares = tf.sum(tf.square(tf.sub(features, mean)), 0);
  const std = tf.sqrt(tf.div(sumSquares, batch - 1)) as tf.Tensor1D;
  return { mean, std };
}

/**
 * Computes the loss terms for a batch of logits [B, C] (already masked for 200-class
 * sets) and features [B, F]. Batch size 1 is rejected: its unbiased std is undefined.
 */
export function foaLoss(logits: tf.Tensor2D, features: tf.Tensor2D, source: SourceStatistics, config: FoaLossConfig = FOA_LOSS_DEFAULTS): FoaLossTerms {
  const batch = features.shape[0];
  if (batch < 2) {
    throw new UsageError(`foaLoss: batch size ${batch} is too small: the unbiased std of the discrepancy term needs at least 2 images; use --batch-size 2 or more`);
  }
  if (features.shape[1] !== source.mean.shape[0]) {
    throw new UsageError(`foaLoss: features have ${features.shape[1]} columns but the source statistics have ${source.mean.shape[0]}; recompute them with mgtta stats for this model`);
  }

  const entropy = tf.mean(softmaxEntropy(logits)) as tf.Scalar;
  const { mean, std } = batchMeanStd(features);
  const stdGap = tf.sum(tf.square(tf.sub(std, source.std)));
  const meanGap = tf.sum(tf.square(tf.sub(mean, source.mean)));
  const discrepancy = tf.mul(tf.add(stdGap, meanGap), config.lambda / config.divisor) as tf.Scalar;
  return { entropy, discrepancy, total: tf.add(entropy, discrepancy) as tf.Scalar };
}
