/**
 * Adam with the semantics of PyTorch's `torch.optim.Adam` (no weight decay, no AMSGrad),
 * used to meta-train the gradient generator.
 *
 * NOTE: `tf.train.adam` is not used because it keeps one bias-correction step count for all
 * variables and advances it on every call, even for variables without a gradient. PyTorch
 * skips a parameter whose gradient is None and keeps a step count per parameter. This
 * matters for the initial memory W1/b1, which gets a gradient only on the first step of each
 * epoch: its second Adam step must use the bias correction of step 2, not of step 64.
 */
import * as tf from '@tensorflow/tfjs';

import { check } from '../runtime/errors.js';

export interface AdamConfig {
  /** Step size. Default 1e-2 (MGTTA `train_mgg.py`, MGG optimiser). */
  readonly learningRate: number;
  /** Decay of the first moment. Default 0.9 (PyTorch default). */
  readonly beta1: number;
  /** Decay of the second moment. Default 0.999 (PyTorch default). */
  readonly beta2: number;
  /** Added to the bias-corrected √v. Default 1e-8 (PyTorch default). */
  readonly epsilon: number;
}

export const DEFAULT_ADAM_CONFIG: AdamConfig = {
  learningRate: 1e-2,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-8,
};

interface SlotState {
  first: tf.Tensor;
  second: tf.Tensor;
  step: number;
}

/** Adam over a fixed set of named variables, with one step count per variable. */
export class Adam {
  readonly config: AdamConfig;
  private readonly variables: ReadonlyMap<string, tf.Variable>;
  private readonly slots = new Map<string, SlotState>();

  constructor(variables: ReadonlyMap<string, tf.Variable>, config: Partial<AdamConfig> = {}) {
    this.config = { ...DEFAULT_ADAM_CONFIG, ...config };
    const { learningRate, beta1, beta2, epsilon } = this.config;
    check(learningRate > 0, () => `Adam: learningRate is ${learningRate}, expected a positive number`);
    check(beta1 >= 0 && beta1 < 1, () => `Adam: beta1 is ${beta1}, expected a value in [0, 1)`);
    check(beta2 >= 0 && beta2 < 1, () => `Adam: beta2 is ${beta2}, expected a value in [0, 1)`);
    check(epsilon >= 0, () => `Adam: epsilon is ${epsilon}, expected a non-negative number`);
    this.variables = variables;
  }

  /** Number of updates applied to the variable `name` so far. */
  stepCount(name: string): number {
    return this.slots.get(name)?.step ?? 0;
  }

  /**
   * Updates every variable whose gradient is present and not null. A variable with a null
   * or missing gradient is left as it is, and its step count and moments do not change.
   * The gradients stay owned by the caller.
   */
  step(gradients: ReadonlyMap<string, tf.Tensor | null>): void {
    for (const [name, gradient] of gradients) {
      check(this.variables.has(name), () => `Adam.step: gradient for unknown variable '${name}'`);
      if (gradient === null) continue;
      const variable = this.variables.get(name)!;
      check(gradient.size === variable.size, () =>
        `Adam.step: gradient for '${name}' has shape [${gradient.shape}], expected [${variable.shape}]`);
      this.updateVariable(name, variable, gradient);
    }
  }

  dispose(): void {
    for (const slot of this.slots.values()) tf.dispose([slot.first, slot.second]);
    this.slots.clear();
  }

  private updateVariable(name: string, variable: tf.Variable, gradient: tf.Tensor): void {
    const { learningRate, beta1, beta2, epsilon } = this.config;
    const previous = this.slots.get(name);
    const step = (previous?.step ?? 0) + 1;

    // Moments, as `exp_avg` and `exp_avg_sq` in PyTorch (zero before the first step).
    const g = tf.reshape(gradient, variable.shape);
    const first = tf.tidy(() => tf.add(tf.mul(previous?.first ?? tf.zerosLike(g), beta1), tf.mul(g, 1 - beta1)));
    const second = tf.tidy(() => tf.add(tf.mul(previous?.second ?? tf.zerosLike(g), beta2), tf.mul(tf.square(g), 1 - beta2)));
    g.dispose();

    // p ← p − (lr / (1 − β1^t)) · m / (√v / √(1 − β2^t) + ε), in PyTorch's order of operations.
    const stepSize = learningRate / (1 - beta1 ** step);
    const secondCorrectionRoot = Math.sqrt(1 - beta2 ** step);
    tf.tidy(() => {
      const denominator = tf.add(tf.div(tf.sqrt(second), secondCorrectionRoot), epsilon);
      variable.assign(tf.sub(variable, tf.mul(tf.div(first, denominator), stepSize)));
    });

    if (previous !== undefined) tf.dispose([previous.first, previous.second]);
    this.slots.set(name, { first, second, step });
  }
}
