/**
 * Pre-training core of the gradient generator (MGTTA Algorithm 1 as `train_mgg.py` runs
 * it), generic over the model through `MetaTrainingTarget`.
 *
 * Step t of an epoch:
 *   1. L_t, g_t ← loss and dL/dθ at the current θ.
 *   2. If a pending call (X_{t−1}, S_{t−1}) exists, the meta-gradient is the gradient of
 *      s(φ) = Σ_i g_t,i · (−η_train · U_i(φ; X_{t−1}, S_{t−1})) with g_t held constant. It
 *      equals the authors' hook, which back-propagates dL_t/dθ_t through
 *      θ_t = θ_{t−1} − η_train · U. One Adam step on φ follows.
 *   3. X_t ← moment features of g_t, then (X_t, S_t) becomes the pending call.
 *   4. (U, S_{t+1}) ← generator(X_t, S_t), with φ after this step's Adam update, and
 *      θ ← θ − η_train · U.
 * The features, θ and the carried state are constants, so with the default `unroll` of 1
 * the meta-gradient of step t reaches φ only through the single generator call of step
 * t − 1. The initial memory W1/b1 therefore gets a gradient only on the second step of an
 * epoch, and Adam skips it on every other step.
 */
import * as tf from '@tensorflow/tfjs';

import { check } from '../runtime/errors.js';
import { Adam, type AdamConfig } from './adam.js';
import { disposeState, type GeneratorState, type GeneratorStep, type GradientGenerator } from './generator.js';
import { type MomentConfig, MomentFeatures } from './moments.js';

/** The model side of pre-training. The ViT harness implements it over the LayerNorm parameters. */
export interface MetaTrainingTarget {
  /** Number of adapted scalars P. */
  readonly parameterCount: number;
  /**
   * Returns the loss of `batch` at the current θ and its gradient dL/dθ, flattened [P].
   * θ is a constant here. The trainer takes ownership of the gradient and disposes it.
   */
  lossAndGradient(batch: unknown): { loss: number; gradient: tf.Tensor1D };
  /** θ ← θ + delta, delta [P]. The trainer keeps ownership of `delta` and disposes it afterwards. */
  addToParameters(delta: tf.Tensor1D): void;
}

export interface MggTrainerConfig {
  /** Step size η_train of θ during pre-training. Default 1e-4 (MGTTA `run.sh`, `--train_adapt_lr`). */
  readonly trainLr: number;
  /** Optimiser of φ. Defaults: lr 1e-2, β (0.9, 0.999), ε 1e-8, no weight decay (MGTTA `train_mgg.py`). */
  readonly adam: Partial<AdamConfig>;
  /** Moment features. Defaults: β1 0.9, β2 0.99, ε 1e-8, exponent t + 1 (MGTTA code). */
  readonly moments: Partial<MomentConfig>;
  /**
   * Truncation window of back-propagation through the generator state, in steps. Default 1:
   * the state is detached after every call, as the authors' code does for the memory layer.
   * With k > 1, φ stays fixed for k meta-gradient terms, each term flows back through the
   * state of the calls since the window started, and one Adam step applies their sum. This
   * is the LSTM variant's `lstm.unroll` option (10 in MGTTA `main.py --unroll_len`).
   * NOTE: the authors' LSTM training script is not released, so summing the window's terms
   * is a reading, and θ stays a constant as in the one-step case (no gradient through θ).
   */
  readonly unroll: number;
}

export const DEFAULT_MGG_TRAINER_CONFIG: MggTrainerConfig = {
  trainLr: 1e-4,
  adam: {},
  moments: {},
  unroll: 1,
};

/** Result of one training step. */
export interface MggTrainingStep {
  /** Loss of the batch at θ before this step's update. */
  readonly loss: number;
  /**
   * Meta-gradient of this step's surrogate per parameter name. A parameter it does not
   * reach maps to null, such as W1/b1 when the pending state was not the initial one.
   * The whole map is null on the first step of an epoch, which has no pending call.
   */
  readonly metaGradient: ReadonlyMap<string, Float32Array | null> | null;
}

export class MggTrainer {
  readonly config: MggTrainerConfig;
  readonly generator: GradientGenerator;
  private readonly target: MetaTrainingTarget;
  private readonly adam: Adam;
  private readonly moments: MomentFeatures;
  private readonly nameOfVariable = new Map<string, string>();

  /** Generator state after the last call (the state the next call starts from). */
  private state: GeneratorState | null = null;
  /** State before the first call of the current window, and that window's inputs. */
  private windowStart: GeneratorState | null = null;
  private windowInputs: tf.Tensor2D[] = [];
  /** Sum of the meta-gradients collected in the current window, and how many. */
  private accumulated = new Map<string, tf.Tensor>();
  private accumulatedTerms = 0;
  private features: tf.Tensor2D | null = null;
  private output: tf.Tensor1D | null = null;

  /**
   * Creates a trainer that updates the trainable variables of `generator` in place. The
   * generator and the target stay owned by the caller. The first epoch starts here.
   */
  constructor(generator: GradientGenerator, target: MetaTrainingTarget, config: Partial<MggTrainerConfig> = {}) {
    this.config = { ...DEFAULT_MGG_TRAINER_CONFIG, ...config };
    check(this.config.trainLr > 0, () => `MggTrainer: trainLr is ${this.config.trainLr}, expected a positive number`);
    check(Number.isInteger(this.config.unroll) && this.config.unroll >= 1, () =>
      `MggTrainer: unroll is ${this.config.unroll}, expected an integer of at least 1`);
    check(Number.isInteger(target.parameterCount) && target.parameterCount > 0, () =>
      `MggTrainer: target.parameterCount is ${target.parameterCount}, expected a positive integer`);

    this.generator = generator;
    this.target = target;
    this.adam = new Adam(generator.parameters, this.config.adam);
    this.moments = new MomentFeatures(this.config.moments);
    for (const [name, variable] of generator.parameters) this.nameOfVariable.set(variable.name, name);
  }

  /** Moment features of the last step, [P, 2] (owned by the trainer, replaced every step). */
  get lastFeatures(): tf.Tensor2D | null {
    return this.features;
  }

  /** Generator output U of the last step, [P] (owned by the trainer, replaced every step). */
  get lastOutput(): tf.Tensor1D | null {
    return this.output;
  }

  /** Adam updates applied so far to the parameter `name`. */
  adamStepCount(name: string): number {
    return this.adam.stepCount(name);
  }

  /**
   * Starts an epoch: clears the moments, the step count, the generator state and the
   * pending call. θ and the Adam state are kept. With `unroll` > 1, the sum collected in
   * an unfinished window is applied first so that no computed term is lost.
   */
  startEpoch(): void {
    if (this.accumulatedTerms > 0) this.applyAccumulated();
    this.moments.reset();
    this.resetWindow(null);
    disposeState(this.state);
    this.state = null;
  }

  /** Runs one training step on `batch` and returns its loss and meta-gradient. */
  step(batch: unknown): MggTrainingStep {
    const { loss, gradient } = this.target.lossAndGradient(batch);
    try {
      check(gradient.rank === 1 && gradient.size === this.target.parameterCount, () =>
        `MggTrainer.step: gradient has shape [${gradient.shape}], expected [${this.target.parameterCount}]`);

      const metaGradient = this.windowInputs.length > 0 ? this.metaStep(gradient) : null;
      this.advance(gradient);
      return { loss, metaGradient };
    } finally {
      gradient.dispose();
    }
  }

  /** Frees everything the trainer owns (not the generator or the target), dropping any unapplied window sum. */
  dispose(): void {
    tf.dispose([...this.accumulated.values()]);
    this.accumulated.clear();
    this.accumulatedTerms = 0;
    this.startEpoch();
    this.adam.dispose();
    tf.dispose([this.features, this.output].filter((tensor) => tensor !== null));
    this.features = null;
    this.output = null;
  }

  private metaStep(gradient: tf.Tensor1D): Map<string, Float32Array | null> {
    const gradients = this.metaGradient(gradient);

    // Add this term to the window's sum, and step once the window is full.
    const values = new Map<string, Float32Array | null>();
    for (const [name, term] of gradients) {
      values.set(name, term === null ? null : Float32Array.from(term.dataSync()));
      if (term === null) continue;
      const sum = this.accumulated.get(name);
      this.accumulated.set(name, sum === undefined ? term : tf.add(sum, term));
      if (sum !== undefined) tf.dispose([sum, term]);
    }
    this.accumulatedTerms += 1;
    if (this.accumulatedTerms === this.config.unroll) this.applyAccumulated();
    return values;
  }

  /**
   * Computes ∇φ of −η_train Σ_i g_i U_i, where U is recomputed from the window's start
   * state over its inputs. φ has not changed since those calls ran, so the recomputed U is
   * the one that moved θ.
   */
  private metaGradient(gradient: tf.Tensor1D): Map<string, tf.Tensor | null> {
    const trainable = [...this.generator.parameters.values()].filter((variable) => variable.trainable);
    const { value, grads } = tf.variableGrads(() => tf.tidy(() => {
      let state = this.windowStart;
      let output: tf.Tensor1D | null = null;
      for (const inputs of this.windowInputs) {
        const call = this.generator.step(inputs, state);
        output = call.u;
        state = call.state;
      }
      return tf.mul(tf.sum(tf.mul(gradient, output!)), -this.config.trainLr) as tf.Scalar;
    }), trainable);
    value.dispose();

    const byName = new Map<string, tf.Tensor | null>();
    for (const name of this.generator.parameters.keys()) byName.set(name, null);
    for (const [variableName, term] of Object.entries(grads)) byName.set(this.nameOfVariable.get(variableName)!, term);
    return byName;
  }

  private applyAccumulated(): void {
    this.adam.step(this.accumulated);
    tf.dispose([...this.accumulated.values()]);
    this.accumulated.clear();
    this.accumulatedTerms = 0;

    // φ has changed, so later meta-gradients must not reach back into the calls made so far.
    this.resetWindow(this.state);
  }

  /** Builds the features, runs the generator with the current φ and moves θ. */
  private advance(gradient: tf.Tensor1D): void {
    const features = this.moments.update(gradient); // [P, 2]
    let result: GeneratorStep<GeneratorState>;
    try {
      result = this.generator.step(features, this.state);
    } catch (error) {
      features.dispose();
      throw error;
    }
    const { u, state } = result;

    this.windowInputs.push(tf.clone(features));
    disposeState(this.state);
    this.state = state;

    const delta = tf.mul(u, -this.config.trainLr) as tf.Tensor1D;
    this.target.addToParameters(delta);
    delta.dispose();

    this.features?.dispose();
    this.output?.dispose();
    this.features = features;
    this.output = u;
  }

  /** Starts a new window at `start` (null: the initial state), copying its tensors. */
  private resetWindow(start: GeneratorState | null): void {
    disposeState(this.windowStart);
    tf.dispose(this.windowInputs);
    this.windowInputs = [];
    this.windowStart = start === null ? null : cloneState(start);
  }
}

/** Copies a state's tensor handles. The data is shared, so the copy costs no memory. */
function cloneState(state: GeneratorState): GeneratorState {
  const copy: Record<string, tf.Tensor> = {};
  for (const [name, tensor] of Object.entries(state)) copy[name] = tf.clone(tensor);
  return copy;
}
