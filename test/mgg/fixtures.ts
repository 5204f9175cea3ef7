/** Shared inputs of the MGG tests: the golden file and the hand-written test-vector parameters. */
import * as tf from '@tensorflow/tfjs';

import { GRADIENT_MEMORY_KEYS, GradientMemoryLayer, type GradientMemoryConfig } from '../../src/mgg/index.js';
import { flatten, readGolden } from '../helpers/golden.js';

export const golden = readGolden('mgg-golden.json');

/** Relative tolerance of a float32 implementation against the float64 golden values. */
export const GOLDEN_RTOL = 1e-5;

/** Returns the golden parameters (authors' `named_parameters()` order) as state-dict name → values. */
export function goldenParameterValues(): Map<string, Float32Array> {
  return new Map(golden.params.map((entry: { name: string; values: number[] }) => [entry.name, Float32Array.from(entry.values)]));
}

export function goldenLayer(config: Partial<GradientMemoryConfig> = {}): GradientMemoryLayer {
  return new GradientMemoryLayer(config, goldenParameterValues());
}

/** Values of a golden tensor given as a nested list, flattened row-major. */
export function goldenValues(nested: unknown): number[] {
  return flatten(nested);
}

/** Builds [rows, 2] features from nested golden inputs of shape (P, 1, 2). */
export function goldenFeatures(nested: unknown): tf.Tensor2D {
  const values = flatten(nested);
  return tf.tensor2d(values, [values.length / 2, 2]);
}

/**
 * Parameters of the hand-written test vector (r = 0..7 rows, c = 0..1, a, j = 0..7):
 *   W_Q[r][c] = 0.5 sin(1 + 2r + c),  W_K[r][c] = 0.5 cos(1 + 2r + c),  W_V[r][c] = 0.5 sin(2 + 3r + c)
 *   w_O[j] = 0.5 cos(0.5 + j),  w_lr = [0.3, −0.2],  b_lr = 0.1,  τ = 0.25
 *   γ_t[j] = 1 + 0.1 sin(j),  β_t[j] = 0.05 cos(j),  γ_p[j] = 1 + 0.1 cos(j),  β_p[j] = 0.02 sin(j)
 *   W⁰[a][j] = 0.3 sin(1 + a + 2j),  b⁰[j] = 0.1 cos(j)
 */
export function testVectorValues(): Map<string, Float32Array> {
  const d = 8;
  const projection = (entry: (r: number, c: number) => number) =>
    Float32Array.from({ length: d * 2 }, (_, index) => entry(Math.floor(index / 2), index % 2));
  const perUnit = (entry: (j: number) => number) => Float32Array.from({ length: d }, (_, j) => entry(j));

  return new Map<string, Float32Array>([
    [GRADIENT_MEMORY_KEYS.tokenOffset, Float32Array.of(0.25)],
    [GRADIENT_MEMORY_KEYS.gateWeight, Float32Array.of(0.3, -0.2)],
    [GRADIENT_MEMORY_KEYS.gateBias, Float32Array.of(0.1)],
    [GRADIENT_MEMORY_KEYS.innerNormWeight, perUnit((j) => 1 + 0.1 * Math.sin(j))],
    [GRADIENT_MEMORY_KEYS.innerNormBias, perUnit((j) => 0.05 * Math.cos(j))],
    [GRADIENT_MEMORY_KEYS.initialW, Float32Array.from({ length: d * d }, (_, index) => 0.3 * Math.sin(1 + Math.floor(index / d) + 2 * (index % d)))],
    [GRADIENT_MEMORY_KEYS.initialB, perUnit((j) => 0.1 * Math.cos(j))],
    [GRADIENT_MEMORY_KEYS.queryWeight, projection((r, c) => 0.5 * Math.sin(1 + 2 * r + c))],
    [GRADIENT_MEMORY_KEYS.keyWeight, projection((r, c) => 0.5 * Math.cos(1 + 2 * r + c))],
    [GRADIENT_MEMORY_KEYS.valueWeight, projection((r, c) => 0.5 * Math.sin(2 + 3 * r + c))],
    [GRADIENT_MEMORY_KEYS.outputWeight, perUnit((j) => 0.5 * Math.cos(0.5 + j))],
    [GRADIENT_MEMORY_KEYS.postNormWeight, perUnit((j) => 1 + 0.1 * Math.cos(j))],
    [GRADIENT_MEMORY_KEYS.postNormBias, perUnit((j) => 0.02 * Math.sin(j))],
  ]);
}
