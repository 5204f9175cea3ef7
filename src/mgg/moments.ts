/**
 * Adam-style moment features that MGTTA feeds to its gradient generator (keikeiqi/MGTTA,
 * `tta_library/mgtta.py` and `train_mgg.py`). Per adapted scalar, with step t = 1 on the
 * first update after a reset and e = t + 1 (code) or e = t (standard):
 *   m ← β1 m + (1 − β1) g,   v ← β2 v + (1 − β2) g²
 *   m̂ = m / (1 − β1^e),      v̂ = v / (1 − β2^e)
 *   x = [m̂ / (√v̂ + ε), g / (√v̂ + ε)]
 */
import * as tf from '@tensorflow/tfjs';

import { check } from '../runtime/errors.js';

/**
 * Exponent of the bias correction. `code` uses t + 1 as the released code does, so the
 * first step divides by 1 − β² and not by 1 − β. `standard` uses t as Adam does (option
 * `mgg.biasCorrection = standard`).
 */
export type BiasCorrection = 'code' | 'standard';

export interface MomentConfig {
  /** Decay of the first moment. Default 0.9 (MGTTA code). */
  readonly beta1: number;
  /** Decay of the second moment. Default 0.99 (MGTTA code, unlike Adam's usual 0.999). */
  readonly beta2: number;
  /** Added to √v̂ before dividing. Default 1e-8 (MGTTA code). */
  readonly epsilon: number;
  /** Bias-correction exponent. Default `code` (t + 1). */
  readonly biasCorrection: BiasCorrection;
}

export const DEFAULT_MOMENT_CONFIG: MomentConfig = {
  beta1: 0.9,
  beta2: 0.99,
  epsilon: 1e-8,
  biasCorrection: 'code',
};

/** Running moments of P scalars and the features built from them. */
export class MomentFeatures {
  readonly config: MomentConfig;
  private first: tf.Tensor1D | null = null;
  private second: tf.Tensor1D | null = null;
  private stepCount = 0;

  constructor(config: Partial<MomentConfig> = {}) {
    this.config = { ...DEFAULT_MOMENT_CONFIG, ...config };
    checkMomentConfig(this.config);
  }

  /** Number of updates since the last reset (t of the most recent update). */
  get step(): number {
    return this.stepCount;
  }

  /**
   * Folds `gradient` [P] into the moments and returns the features x [P, 2], ordered
   * [m̃, g̃]. The caller owns the result, and `gradient` stays undisposed.
   */
  update(gradient: tf.Tensor1D): tf.Tensor2D {
    check(gradient.rank === 1, () => `MomentFeatures.update: gradient has shape [${gradient.shape}], expected [P]`);
    check(this.first === null || this.first.size === gradient.size, () =>
      `MomentFeatures.update: gradient has ${gradient.size} entries, expected ${this.first!.size} as in the previous steps (call reset() first to change P)`);

    const { beta1, beta2, epsilon } = this.config;
    this.stepCount += 1;
    const exponent = this.config.biasCorrection === 'code' ? this.stepCount + 1 : this.stepCount;
    const firstCorrection = 1 - beta1 ** exponent;
    const secondCorrection = 1 - beta2 ** exponent;

    // Update the running moments (zero before the first step).
    const first = tf.tidy(() => {
      const decayed = this.first === null ? tf.zerosLike(gradient) : tf.mul(this.first, beta1);
      return tf.add(decayed, tf.mul(gradient, 1 - beta1)) as tf.Tensor1D;
    });
    const second = tf.tidy(() => {
      const decayed = this.second === null ? tf.zerosLike(gradient) : tf.mul(this.second, beta2);
      return tf.add(decayed, tf.mul(tf.square(gradient), 1 - beta2)) as tf.Tensor1D;
    });
    this.replaceMoments(first, second);

    // Normalise the bias-corrected first moment and the raw gradient by √v̂ + ε.
    return tf.tidy(() => {
      const denominator = tf.add(tf.sqrt(tf.div(second, secondCorrection)), epsilon); // [P]
      const normalisedFirst = tf.div(tf.div(first, firstCorrection), denominator);
      const normalisedGradient = tf.div(gradient, denominator);
      return tf.stack([normalisedFirst, normalisedGradient], 1) as tf.Tensor2D; // [P, 2]
    });
  }

  /** Zeroes the moments and the step counter (domain or epoch boundary). */
  reset(): void {
    this.replaceMoments(null, null);
    this.stepCount = 0;
  }

  /** Bytes held by m and v (0 before the first update). */
  stateBytes(): number {
    const entries = (this.first?.size ?? 0) + (this.second?.size ?? 0);
    return entries * Float32Array.BYTES_PER_ELEMENT;
  }

  dispose(): void {
    this.reset();
  }

  private replaceMoments(first: tf.Tensor1D | null, second: tf.Tensor1D | null): void {
    this.first?.dispose();
    this.second?.dispose();
    this.first = first;
    this.second = second;
  }
}

function checkMomentConfig(config: MomentConfig): void {
  check(config.beta1 >= 0 && config.beta1 < 1, () => `MomentFeatures: beta1 is ${config.beta1}, expected a value in [0, 1)`);
  check(config.beta2 >= 0 && config.beta2 < 1, () => `MomentFeatures: beta2 is ${config.beta2}, expected a value in [0, 1)`);
  check(config.epsilon > 0, () => `MomentFeatures: epsilon is ${config.epsilon}, expected a positive number`);
  check(config.biasCorrection === 'code' || config.biasCorrection === 'standard', () =>
    `MomentFeatures: biasCorrection is '${config.biasCorrection}', expected 'code' or 'standard'`);
}
