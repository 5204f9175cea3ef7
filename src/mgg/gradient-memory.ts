/**
 * Gradient memory layer of MGTTA: TTT-Linear ("Learning to (Learn at Test Time)") with one
 * head, input width 2, output width 1, hidden width d = 8 and inner mini-batch 1, as the
 * authors configure it (keikeiqi/MGTTA, `tta_library/metanet/TTT.py` with `main.py`
 * defaults). With mini-batch 1 the dual form reduces to the closed form computed here.
 *
 * Per adapted scalar (one row), with features x = [m̃, g̃] and memory (W [d, d], b [d]):
 *   q, k, v = W_Q x, W_K x, W_V x
 *   η       = max(1 + τ, 0) · σ(w_lr·x + b_lr) · tttBaseLr / d
 *   z       = k W + b,  G = ∇_z ½‖LN_t(z) − (v − k)‖²
 *   W' = W − η kᵀG,  b' = b − η G          (memorise)
 *   u  = tanh(w_O · LN_p(q + LN_t(q W' + b')))   (read the updated memory)
 * All P rows run in parallel and share the 13 learnable tensors.
 */
import * as tf from '@tensorflow/tfjs';

import { check } from '../runtime/errors.js';
import {
  checkFeatures,
  checkStateShapes,
  createParameterVariables,
  type GeneratorStep,
  type GradientGenerator,
  MGG_INPUT_FEATURES,
  type ParameterSpec,
} from './generator.js';

export interface GradientMemoryConfig {
  /** Width d of q, k, v and of each row's memory W [d, d]. Default 8 (MGTTA `main.py --ttt_hidden_size`). */
  readonly hiddenSize: number;
  /** Base inner learning rate that scales the gate. Default 1 (TTT-Linear `ttt_base_lr` in MGTTA). */
  readonly tttBaseLr: number;
  /** Epsilon of the inner and the output LayerNorm. Default 1e-6 (TTT-Linear `ttt_norm`, `post_norm`). */
  readonly layerNormEpsilon: number;
  /**
   * Whether meta-training updates the initial memory W⁰ (`W1`) and b⁰ (`b1`). Default true,
   * because the authors' code trains them. False keeps the random initialisation fixed, as
   * the MGTTA paper (Deng et al., AAAI 2025) describes it (option `mgg.learnInitialMemory`).
   */
  readonly learnInitialMemory: boolean;
  /** Standard deviation of the normal init of `W1` and of the gate weight. Default 0.02 (TTT-Linear init). */
  readonly initStd: number;
  /** Seed of the initialisation of tensors not given explicitly. Default 2020 (MGTTA run seed). */
  readonly seed: number;
}

export const DEFAULT_GRADIENT_MEMORY_CONFIG: GradientMemoryConfig = {
  hiddenSize: 8,
  tttBaseLr: 1,
  layerNormEpsilon: 1e-6,
  learnInitialMemory: true,
  initStd: 0.02,
  seed: 2020,
};

/**
 * State-dict names of the learnable tensors in the authors' `named_parameters()` order,
 * keyed by the role each tensor plays in the closed form.
 */
export const GRADIENT_MEMORY_KEYS = {
  tokenOffset: 'seq_modeling_block.learnable_token_idx',
  gateWeight: 'seq_modeling_block.learnable_ttt_lr_weight',
  gateBias: 'seq_modeling_block.learnable_ttt_lr_bias',
  innerNormWeight: 'seq_modeling_block.ttt_norm_weight',
  innerNormBias: 'seq_modeling_block.ttt_norm_bias',
  initialW: 'seq_modeling_block.W1',
  initialB: 'seq_modeling_block.b1',
  queryWeight: 'seq_modeling_block.q_proj.weight',
  keyWeight: 'seq_modeling_block.k_proj.weight',
  valueWeight: 'seq_modeling_block.v_proj.weight',
  outputWeight: 'seq_modeling_block.o_proj.weight',
  postNormWeight: 'seq_modeling_block.post_norm.weight',
  postNormBias: 'seq_modeling_block.post_norm.bias',
} as const;

export type GradientMemoryRole = keyof typeof GRADIENT_MEMORY_KEYS;

/** The learnable tensors by role (variables or plain tensors). */
export type GradientMemoryTensors = Readonly<Record<GradientMemoryRole, tf.Tensor>>;

/** Memory of all rows: W [P, d, d] and b [P, d]. */
export type MemoryState = { readonly W: tf.Tensor3D; readonly b: tf.Tensor2D };

/** Output of one step together with the quantities the reference implementation logs. */
export type GradientMemoryOutput = GeneratorStep<MemoryState> & {
  readonly intermediates: {
    /** Projections q, k, v, each [P, d]. */
    readonly query: tf.Tensor2D;
    readonly key: tf.Tensor2D;
    readonly value: tf.Tensor2D;
    /** Inner learning rate η per row, [P]. */
    readonly eta: tf.Tensor1D;
    /** q + LN_t(q W' + b'), [P, d]. */
    readonly postNormInput: tf.Tensor2D;
    /** LN_p of the above, [P, d]. */
    readonly postNormOutput: tf.Tensor2D;
    /** w_O · LN_p(…) before the tanh, [P]. */
    readonly preTanh: tf.Tensor1D;
  };
};

/** Names, shapes and initialisation of the 13 learnable tensors for hidden width d. */
export function gradientMemoryParameterSpecs(config: GradientMemoryConfig): ParameterSpec[] {
  const d = config.hiddenSize;
  const inputBound = 1 / Math.sqrt(MGG_INPUT_FEATURES);
  const outputBound = 1 / Math.sqrt(d);
  const spec = (role: GradientMemoryRole, shape: number[], init: ParameterSpec['init'], trainable = true): ParameterSpec =>
    ({ name: GRADIENT_MEMORY_KEYS[role], shape, init, trainable });

  // Projections use PyTorch's nn.Linear init U(−1/√fan_in, 1/√fan_in). The rest follows TTT-Linear.
  return [
    spec('tokenOffset', [1], { kind: 'constant', value: 0 }),
    spec('gateWeight', [1, 1, MGG_INPUT_FEATURES], { kind: 'normal', std: config.initStd }),
    spec('gateBias', [1, 1], { kind: 'constant', value: 0 }),
    spec('innerNormWeight', [1, d], { kind: 'constant', value: 1 }),
    spec('innerNormBias', [1, d], { kind: 'constant', value: 0 }),
    spec('initialW', [1, d, d], { kind: 'normal', std: config.initStd }, config.learnInitialMemory),
    spec('initialB', [1, 1, d], { kind: 'constant', value: 0 }, config.learnInitialMemory),
    spec('queryWeight', [d, MGG_INPUT_FEATURES], { kind: 'uniform', bound: inputBound }),
    spec('keyWeight', [d, MGG_INPUT_FEATURES], { kind: 'uniform', bound: inputBound }),
    spec('valueWeight', [d, MGG_INPUT_FEATURES], { kind: 'uniform', bound: inputBound }),
    spec('outputWeight', [1, d], { kind: 'uniform', bound: outputBound }),
    spec('postNormWeight', [d], { kind: 'constant', value: 1 }),
    spec('postNormBias', [d], { kind: 'constant', value: 0 }),
  ];
}

/** LayerNorm over the last axis with biased variance. */
export function layerNorm(z: tf.Tensor2D, weight: tf.Tensor, bias: tf.Tensor, epsilon: number): tf.Tensor2D {
  const { mean, variance } = tf.moments(z, -1, true);
  const normalised = tf.div(tf.sub(z, mean), tf.sqrt(tf.add(variance, epsilon)));
  return tf.add(tf.mul(normalised, weight), bias);
}

/**
 * Computes G = ∇_z ½‖LN(z; weight, bias) − target‖² row by row in closed form (summed over
 * the d entries, no averaging). The entries of each row of G sum to zero.
 */
export function layerNormL2Gradient(
  z: tf.Tensor2D,
  target: tf.Tensor2D,
  weight: tf.Tensor,
  bias: tf.Tensor,
  epsilon: number,
): tf.Tensor2D {
  const { mean, variance } = tf.moments(z, -1, true);
  const std = tf.sqrt(tf.add(variance, epsilon)); // [P, 1]
  const normalised = tf.div(tf.sub(z, mean), std); // [P, d]

  // Gradient with respect to the normalised value, then the LayerNorm backward.
  const error = tf.mul(weight, tf.sub(tf.add(tf.mul(weight, normalised), bias), target));
  const centred = tf.sub(error, tf.mean(error, -1, true));
  const projection = tf.mul(normalised, tf.mean(tf.mul(error, normalised), -1, true));
  return tf.div(tf.sub(centred, projection), std);
}

/**
 * Computes one closed-form step for all rows and returns the output, the new memory and
 * the intermediates. Every returned tensor is new and owned by the caller. `state` null
 * starts every row from the learned initial memory (W⁰, b⁰).
 */
export function gradientMemoryForward(
  tensors: GradientMemoryTensors,
  x: tf.Tensor2D,
  state: MemoryState | null,
  config: GradientMemoryConfig,
): GradientMemoryOutput {
  const [P] = x.shape;
  const d = config.hiddenSize;
  const epsilon = config.layerNormEpsilon;
  const innerWeight = tensors.innerNormWeight;
  const innerBias = tensors.innerNormBias;

  // Project the features of every row.
  const query = tf.matMul(x, tensors.queryWeight, false, true) as tf.Tensor2D; // [P, d]
  const key = tf.matMul(x, tensors.keyWeight, false, true) as tf.Tensor2D; // [P, d]
  const value = tf.matMul(x, tensors.valueWeight, false, true) as tf.Tensor2D; // [P, d]

  // Inner learning rate: token scale max(1 + τ, 0) times the sigmoid gate, over d.
  const eta = innerLearningRate(tensors, x, config); // [P]

  // Memorise: one gradient step on ½‖LN_t(k W + b) − (v − k)‖². The initial memory is one
  // shared row that broadcasts against the P rows of the update.
  const memory = state ?? initialMemory(tensors, d);
  const prediction = tf.add(readMemory(key, memory.W), memory.b) as tf.Tensor2D; // [P, d]
  const gradient = layerNormL2Gradient(prediction, tf.sub(value, key), innerWeight, innerBias, epsilon); // [P, d]
  const outer = tf.mul(tf.reshape(key, [P, d, 1]), tf.reshape(gradient, [P, 1, d])); // [P, d, d]
  const W = tf.sub(memory.W, tf.mul(tf.reshape(eta, [P, 1, 1]), outer)) as tf.Tensor3D; // [P, d, d]
  const b = tf.sub(memory.b, tf.mul(tf.reshape(eta, [P, 1]), gradient)) as tf.Tensor2D; // [P, d]

  // Generate: read the updated memory with the query, residual on q, output LayerNorm.
  const read = tf.add(readMemory(query, W), b) as tf.Tensor2D; // [P, d]
  const postNormInput = tf.add(query, layerNorm(read, innerWeight, innerBias, epsilon)) as tf.Tensor2D;
  const postNormOutput = layerNorm(postNormInput, tensors.postNormWeight, tensors.postNormBias, epsilon);
  const preTanh = tf.reshape(tf.matMul(postNormOutput, tensors.outputWeight, false, true), [P]) as tf.Tensor1D; // [P]
  const u = tf.tanh(preTanh);

  return { u, state: { W, b }, intermediates: { query, key, value, eta, postNormInput, postNormOutput, preTanh } };
}

function innerLearningRate(tensors: GradientMemoryTensors, x: tf.Tensor2D, config: GradientMemoryConfig): tf.Tensor1D {
  const [P] = x.shape;
  const gateWeight = tf.reshape(tensors.gateWeight, [1, MGG_INPUT_FEATURES]); // [1, 2]
  const logit = tf.add(tf.matMul(x, gateWeight, false, true), tf.reshape(tensors.gateBias, [1, 1])); // [P, 1]
  const gate = tf.reshape(tf.sigmoid(logit), [P]); // [P]

  // The fixed token-index base is 1/position = 1 for an inner mini-batch of 1.
  const tokenScale = tf.relu(tf.add(1, tensors.tokenOffset)); // [1]
  return tf.mul(tf.mul(tokenScale, gate), config.tttBaseLr / config.hiddenSize) as tf.Tensor1D;
}

/**
 * Returns the learned initial memory as a single row, W⁰ [1, d, d] and b⁰ [1, d], which
 * broadcasts to every row.
 */
function initialMemory(tensors: GradientMemoryTensors, d: number): MemoryState {
  // Not tf.tile: the gradient of Tile (tfjs 4.22) runs one slice per copy, which is orders
  // of magnitude slower than a broadcast for P = 38,400.
  const W = tf.reshape(tensors.initialW, [1, d, d]) as tf.Tensor3D; // [1, d, d]
  const b = tf.reshape(tensors.initialB, [1, d]) as tf.Tensor2D; // [1, d]
  return { W, b };
}

/** Computes r W for every row r [P, d] with a memory W of P rows or one shared row. */
function readMemory(row: tf.Tensor2D, W: tf.Tensor3D): tf.Tensor2D {
  const [P, d] = row.shape;
  if (W.shape[0] === 1) return tf.matMul(row, tf.reshape(W, [d, d])); // [P, d]
  return tf.reshape(tf.matMul(tf.reshape(row, [P, 1, d]), W), [P, d]); // [P, d]
}

/** Gradient memory layer with its learnable tensors held as variables. */
export class GradientMemoryLayer implements GradientGenerator<MemoryState> {
  readonly kind = 'gml';
  readonly config: GradientMemoryConfig;
  readonly parameters: ReadonlyMap<string, tf.Variable>;

  /**
   * Creates the layer. Tensors listed in `values` (state-dict name to row-major values)
   * take those values, and the others are initialised as TTT-Linear does, from `config.seed`.
   */
  constructor(config: Partial<GradientMemoryConfig> = {}, values?: ReadonlyMap<string, Float32Array>) {
    this.config = { ...DEFAULT_GRADIENT_MEMORY_CONFIG, ...config };
    checkGradientMemoryConfig(this.config);
    this.parameters = createParameterVariables(gradientMemoryParameterSpecs(this.config), this.config.seed, values);
  }

  get hiddenSize(): number {
    return this.config.hiddenSize;
  }

  /** Returns the learnable tensors by role, for `gradientMemoryForward`. */
  tensors(): GradientMemoryTensors {
    const byRole = {} as Record<GradientMemoryRole, tf.Tensor>;
    for (const [role, name] of Object.entries(GRADIENT_MEMORY_KEYS)) {
      byRole[role as GradientMemoryRole] = this.parameters.get(name)!;
    }
    return byRole;
  }

  step(x: tf.Tensor2D, state: MemoryState | null): GeneratorStep<MemoryState> {
    this.checkInputs(x, state, 'GradientMemoryLayer.step');
    return tf.tidy(() => {
      const { u, state: next } = gradientMemoryForward(this.tensors(), x, state, this.config);
      return { u, state: next };
    });
  }

  /** Runs one step and also returns the intermediates. The caller disposes every tensor. */
  forwardWithIntermediates(x: tf.Tensor2D, state: MemoryState | null): GradientMemoryOutput {
    this.checkInputs(x, state, 'GradientMemoryLayer.forwardWithIntermediates');
    return tf.tidy(() => gradientMemoryForward(this.tensors(), x, state, this.config));
  }

  dispose(): void {
    tf.dispose([...this.parameters.values()]);
  }

  private checkInputs(x: tf.Tensor, state: MemoryState | null, caller: string): asserts x is tf.Tensor2D {
    checkFeatures(x, caller);
    if (state === null) return;
    const [P] = x.shape;
    const d = this.config.hiddenSize;
    checkStateShapes(state, { W: [P, d, d], b: [P, d] }, caller);
  }
}

function checkGradientMemoryConfig(config: GradientMemoryConfig): void {
  check(Number.isInteger(config.hiddenSize) && config.hiddenSize > 0, () =>
    `GradientMemoryLayer: hiddenSize is ${config.hiddenSize}, expected a positive integer`);
  check(config.tttBaseLr > 0, () => `GradientMemoryLayer: tttBaseLr is ${config.tttBaseLr}, expected a positive number`);
  check(config.layerNormEpsilon > 0, () =>
    `GradientMemoryLayer: layerNormEpsilon is ${config.layerNormEpsilon}, expected a positive number`);
  check(config.initStd >= 0, () => `GradientMemoryLayer: initStd is ${config.initStd}, expected a non-negative number`);
  check(Number.isInteger(config.seed), () => `GradientMemoryLayer: seed is ${config.seed}, expected an integer`);
}
