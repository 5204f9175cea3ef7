/**
 * Contract shared by the per-scalar gradient generators of MGTTA (the gradient memory layer
 * and the LSTM variant), plus the helpers both use to create, count and free their tensors.
 *
 * A generator maps the features x [P, 2] of P adapted scalars to outputs u [P] in (−1, 1)
 * and carries a recurrent state per scalar from one call to the next. All P rows share the
 * learnable tensors, and every row owns its own state.
 */
import * as tf from '@tensorflow/tfjs';

import { check } from '../runtime/errors.js';

/** Generator family: `gml` is the gradient memory layer (TTT-Linear), `lstm` the LSTM variant. */
export type GeneratorKind = 'gml' | 'lstm';

export const GENERATOR_KINDS: readonly GeneratorKind[] = ['gml', 'lstm'];

/** Features per adapted scalar, in the order [m̃, g̃] (normalised first moment, normalised gradient). */
export const MGG_INPUT_FEATURES = 2;

/** Recurrent state of all rows, keyed by tensor name (plain tensors, never variables). */
export type GeneratorState = Readonly<Record<string, tf.Tensor>>;

/** Result of one generator call. The caller owns both the output and the new state. */
export type GeneratorStep<S extends GeneratorState> = {
  /** Generated update direction per scalar, [P], each entry in (−1, 1). */
  readonly u: tf.Tensor1D;
  readonly state: S;
};

export interface GradientGenerator<S extends GeneratorState = GeneratorState> {
  readonly kind: GeneratorKind;
  /** Width of the per-scalar hidden representation (d). */
  readonly hiddenSize: number;
  /**
   * Learnable tensors in state-dict order, keyed by their state-dict name, in PyTorch
   * layout. Variables with `trainable = false` are stored in checkpoints but never updated.
   */
  readonly parameters: ReadonlyMap<string, tf.Variable>;
  /**
   * Runs one step for every row of `x` [P, 2], starting from `state` (null: the initial
   * state). It reads the parameter variables, so `tf.variableGrads` can differentiate it.
   * The input tensors stay owned by the caller.
   */
  step(x: tf.Tensor2D, state: S | null): GeneratorStep<S>;
  /** Frees the parameter variables. */
  dispose(): void;
}

/** Initialisation rule of a learnable tensor, used when no stored value is given. */
export type ParameterInit =
  | { readonly kind: 'constant'; readonly value: number }
  | { readonly kind: 'uniform'; readonly bound: number }
  | { readonly kind: 'normal'; readonly std: number };

/** Name, shape and initialisation of one learnable tensor. */
export interface ParameterSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly init: ParameterInit;
  /** False for tensors kept fixed during meta-training. */
  readonly trainable: boolean;
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((product, size) => product * size, 1);
}

/**
 * Creates one variable per spec, in spec order. A tensor listed in `values` takes those
 * values. Every other tensor is drawn from its init with seed `seed + index`, so the draws
 * are reproducible and differ between tensors.
 */
export function createParameterVariables(
  specs: readonly ParameterSpec[],
  seed: number,
  values?: ReadonlyMap<string, Float32Array>,
): Map<string, tf.Variable> {
  const variables = new Map<string, tf.Variable>();
  specs.forEach((spec, index) => {
    const stored = values?.get(spec.name);
    check(stored === undefined || stored.length === elementCount(spec.shape), () =>
      `createParameterVariables: tensor '${spec.name}' has ${stored!.length} values, expected ${elementCount(spec.shape)} for shape [${spec.shape}]`);

    const initial = stored !== undefined
      ? tf.tensor(stored, [...spec.shape], 'float32')
      : drawInitialValue(spec, seed + index);
    variables.set(spec.name, tf.variable(initial, spec.trainable));
    initial.dispose();
  });
  return variables;
}

function drawInitialValue(spec: ParameterSpec, seed: number): tf.Tensor {
  const shape = [...spec.shape];
  switch (spec.init.kind) {
    case 'constant':
      return tf.fill(shape, spec.init.value, 'float32');
    case 'uniform':
      return tf.randomUniform(shape, -spec.init.bound, spec.init.bound, 'float32', seed);
    case 'normal':
      return tf.randomNormal(shape, 0, spec.init.std, 'float32', seed);
  }
}

/** Total number of learnable scalars. */
export function parameterCount(generator: GradientGenerator): number {
  let total = 0;
  for (const variable of generator.parameters.values()) total += variable.size;
  return total;
}

/** Bytes taken by a state's tensors (all float32). */
export function stateByteLength(state: GeneratorState | null): number {
  if (state === null) return 0;
  return Object.values(state).reduce((bytes, tensor) => bytes + tensor.size * Float32Array.BYTES_PER_ELEMENT, 0);
}

export function disposeState(state: GeneratorState | null): void {
  if (state !== null) tf.dispose(Object.values(state));
}

/** Checks that `x` is a [P, 2] feature matrix. `caller` prefixes the error message. */
export function checkFeatures(x: tf.Tensor, caller: string): asserts x is tf.Tensor2D {
  check(x.rank === 2 && x.shape[1] === MGG_INPUT_FEATURES, () =>
    `${caller}: x has shape [${x.shape}], expected [P, ${MGG_INPUT_FEATURES}]`);
}

/** Checks that every tensor of `state` has the expected shape. `caller` prefixes the message. */
export function checkStateShapes(
  state: GeneratorState,
  expected: Readonly<Record<string, readonly number[]>>,
  caller: string,
): void {
  for (const [name, shape] of Object.entries(expected)) {
    const tensor = state[name];
    check(tensor !== undefined && tensor.shape.length === shape.length && tensor.shape.every((size, axis) => size === shape[axis]), () =>
      `${caller}: state tensor '${name}' has shape [${tensor?.shape ?? 'missing'}], expected [${shape}]`);
  }
}
