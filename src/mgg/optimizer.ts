/**
 * Test-time optimiser of MGTTA: turns the loss gradient of the adapted parameters into an
 * update through a frozen gradient generator, θ ← θ − adaptLr · u. The moments, the step
 * count and the generator state carry over across batches until `reset()` (a domain
 * boundary).
 */
import * as tf from '@tensorflow/tfjs';

import { check } from '../runtime/errors.js';
import { disposeState, type GeneratorState, type GeneratorStep, type GradientGenerator, stateByteLength } from './generator.js';
import { type MomentConfig, MomentFeatures } from './moments.js';

export interface MggOptimizerConfig {
  /** Step size η_adapt applied to the generator output. Default 1e-3 (MGTTA paper and `run.sh`, while `main.py` defaults to 5e-3). */
  readonly adaptLr: number;
  /** Moment features fed to the generator. Defaults: β1 0.9, β2 0.99, ε 1e-8, exponent t + 1. */
  readonly moments: Partial<MomentConfig>;
}

export const DEFAULT_MGG_OPTIMIZER_CONFIG: MggOptimizerConfig = {
  adaptLr: 1e-3,
  moments: {},
};

export class MggOptimizer {
  readonly config: MggOptimizerConfig;
  readonly generator: GradientGenerator;
  private readonly moments: MomentFeatures;
  private state: GeneratorState | null = null;

  /**
   * Wraps `generator`, which stays frozen and owned by the caller: `dispose()` does not
   * free it, so one generator can serve many optimisers.
   */
  constructor(generator: GradientGenerator, config: Partial<MggOptimizerConfig> = {}) {
    this.config = { ...DEFAULT_MGG_OPTIMIZER_CONFIG, ...config };
    check(this.config.adaptLr > 0, () => `MggOptimizer: adaptLr is ${this.config.adaptLr}, expected a positive number`);
    this.generator = generator;
    this.moments = new MomentFeatures(this.config.moments);
  }

  /** Number of adapted batches since the last reset. */
  get stepCount(): number {
    return this.moments.step;
  }

  /**
   * Consumes the gradient dL/dθ [P] of one batch and returns the update −adaptLr · u [P]
   * that the caller adds to θ. The caller owns the result, and `gradient` stays undisposed.
   */
  step(gradient: tf.Tensor1D): tf.Tensor1D {
    check(gradient.rank === 1, () => `MggOptimizer.step: gradient has shape [${gradient.shape}], expected [P]`);

    const features = this.moments.update(gradient); // [P, 2]
    let result: GeneratorStep<GeneratorState>;
    try {
      result = this.generator.step(features, this.state);
    } finally {
      features.dispose();
    }
    const { u, state } = result;

    disposeState(this.state);
    this.state = state;

    const update = tf.mul(u, -this.config.adaptLr) as tf.Tensor1D;
    u.dispose();
    return update;
  }

  /** Clears the moments, the step count and the generator state. */
  reset(): void {
    this.moments.reset();
    disposeState(this.state);
    this.state = null;
  }

  /** Bytes of the per-scalar state: the generator state (W and b, or h and c) plus m and v. */
  stateBytes(): number {
    return stateByteLength(this.state) + this.moments.stateBytes();
  }

  dispose(): void {
    this.reset();
  }
}
