/**
 * LSTM variant of the gradient generator (MGTTA ablation "replace GML with LSTM"). The
 * authors' module file is not released. Their constructor call matches the public
 * learning-to-learn "RNN optimizer" class, so this follows that class. It has one LSTM
 * cell 2 → d (PyTorch `nn.LSTMCell`, gate order i, f, g, o), a bias-free linear d → 1 and
 * a tanh, with no input preprocessing.
 *
 * State-dict names follow that class (`recurs` is the cell, `output` the linear map):
 *   recurs.weight_ih [4d, 2], recurs.weight_hh [4d, d], recurs.bias_ih [4d],
 *   recurs.bias_hh [4d], output.weight [1, d]
 * That class also has a second cell (`recurs2.*`) which the variant never uses, so it is
 * not created here.
 *
 * NOTE: this is a reconstruction. No LSTM checkpoint or training script of the authors
 * exists to check the names, the missing output bias or the init against.
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

export interface LstmGeneratorConfig {
  /** Width d of h and c. Default 8 (same width as the gradient memory layer). */
  readonly hiddenSize: number;
  /** Seed of the initialisation of tensors not given explicitly. Default 2020 (MGTTA run seed). */
  readonly seed: number;
}

export const DEFAULT_LSTM_CONFIG: LstmGeneratorConfig = {
  hiddenSize: 8,
  seed: 2020,
};

export const LSTM_KEYS = {
  inputWeight: 'recurs.weight_ih',
  hiddenWeight: 'recurs.weight_hh',
  inputBias: 'recurs.bias_ih',
  hiddenBias: 'recurs.bias_hh',
  outputWeight: 'output.weight',
} as const;

/** Hidden and cell state of all rows, each [P, d], and zeros after a reset. */
export type LstmState = { readonly h: tf.Tensor2D; readonly c: tf.Tensor2D };

/** Gates per hidden unit of an LSTM cell (input, forget, cell candidate, output). */
export const LSTM_GATE_COUNT = 4;

/** Names, shapes and PyTorch initialisation U(−1/√d, 1/√d) of the five learnable tensors. */
export function lstmParameterSpecs(config: LstmGeneratorConfig): ParameterSpec[] {
  const d = config.hiddenSize;
  // nn.LSTMCell draws every tensor from U(−1/√d, 1/√d), and nn.Linear(d, 1) uses the same bound.
  const init = { kind: 'uniform', bound: 1 / Math.sqrt(d) } as const;
  return [
    { name: LSTM_KEYS.inputWeight, shape: [LSTM_GATE_COUNT * d, MGG_INPUT_FEATURES], init, trainable: true },
    { name: LSTM_KEYS.hiddenWeight, shape: [LSTM_GATE_COUNT * d, d], init, trainable: true },
    { name: LSTM_KEYS.inputBias, shape: [LSTM_GATE_COUNT * d], init, trainable: true },
    { name: LSTM_KEYS.hiddenBias, shape: [LSTM_GATE_COUNT * d], init, trainable: true },
    { name: LSTM_KEYS.outputWeight, shape: [1, d], init, trainable: true },
  ];
}

export class LstmGenerator implements GradientGenerator<LstmState> {
  readonly kind = 'lstm';
  readonly config: LstmGeneratorConfig;
  readonly parameters: ReadonlyMap<string, tf.Variable>;

  /** Creates the generator. Tensors listed in `values` take those values, and the others are drawn from `config.seed`. */
  constructor(config: Partial<LstmGeneratorConfig> = {}, values?: ReadonlyMap<string, Float32Array>) {
    this.config = { ...DEFAULT_LSTM_CONFIG, ...config };
    check(Number.isInteger(this.config.hiddenSize) && this.config.hiddenSize > 0, () =>
      `LstmGenerator: hiddenSize is ${this.config.hiddenSize}, expected a positive integer`);
    check(Number.isInteger(this.config.seed), () => `LstmGenerator: seed is ${this.config.seed}, expected an integer`);
    this.parameters = createParameterVariables(lstmParameterSpecs(this.config), this.config.seed, values);
  }

  get hiddenSize(): number {
    return this.config.hiddenSize;
  }

  step(x: tf.Tensor2D, state: LstmState | null): GeneratorStep<LstmState> {
    checkFeatures(x, 'LstmGenerator.step');
    const [P] = x.shape;
    const d = this.config.hiddenSize;
    if (state !== null) checkStateShapes(state, { h: [P, d], c: [P, d] }, 'LstmGenerator.step');

    return tf.tidy(() => {
      const weight = (key: keyof typeof LSTM_KEYS) => this.parameters.get(LSTM_KEYS[key])!;
      const h = state?.h ?? tf.zeros([P, d]);
      const c = state?.c ?? tf.zeros([P, d]);

      // Pre-activations of the four gates, in PyTorch order i, f, g, o.
      const fromInput = tf.add(tf.matMul(x, weight('inputWeight'), false, true), weight('inputBias'));
      const fromHidden = tf.add(tf.matMul(h, weight('hiddenWeight'), false, true), weight('hiddenBias'));
      const gates = tf.add(fromInput, fromHidden); // [P, 4d]
      const [inputGate, forgetGate, candidate, outputGate] = tf.split(gates, LSTM_GATE_COUNT, 1); // 4 × [P, d]

      // Cell and hidden update.
      const nextC = tf.add(tf.mul(tf.sigmoid(forgetGate!), c), tf.mul(tf.sigmoid(inputGate!), tf.tanh(candidate!))) as tf.Tensor2D;
      const nextH = tf.mul(tf.sigmoid(outputGate!), tf.tanh(nextC)) as tf.Tensor2D;

      // Bias-free readout squashed to (−1, 1).
      const u = tf.reshape(tf.tanh(tf.matMul(nextH, weight('outputWeight'), false, true)), [P]) as tf.Tensor1D; // [P]
      return { u, state: { h: nextH, c: nextC } };
    });
  }

  dispose(): void {
    tf.dispose([...this.parameters.values()]);
  }
}
