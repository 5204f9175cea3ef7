import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';

import * as tf from '@tensorflow/tfjs';

import {
  GRADIENT_MEMORY_KEYS,
  GradientMemoryLayer,
  type MemoryState,
  parameterCount,
} from '../../src/mgg/index.js';
import { assertClose } from '../helpers/golden.js';
import { golden, GOLDEN_RTOL, goldenFeatures, goldenLayer, goldenValues, testVectorValues } from './fixtures.js';

/** Tolerance of the hand-written test vector (its values are given to 7 digits). */
const TEST_VECTOR_TOLERANCE = 1e-4;

function assertNear(actual: number, expected: number, tolerance: number, label: string): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${label}: ${actual}, expected ${expected} ± ${tolerance}`);
}

describe('GradientMemoryLayer', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('has 164 parameters in golden order', () => {
    const layer = new GradientMemoryLayer();
    assert.equal(parameterCount(layer), 164);
    const names = [...layer.parameters.keys()];
    assert.deepEqual(names, golden.params.map((entry: { name: string }) => entry.name));
    for (const entry of golden.params as Array<{ name: string; shape: number[] }>) {
      assert.deepEqual(layer.parameters.get(entry.name)!.shape, entry.shape, `shape of ${entry.name}`);
    }
    layer.dispose();
  });

  it('golden A outputs and states match', () => {
    const layer = goldenLayer();
    let state: MemoryState | null = null;

    for (const step of golden.golden_A.steps) {
      const x = goldenFeatures(step.inputs);
      const result = layer.forwardWithIntermediates(x, state);
      const label = `step ${step.step}`;

      assertClose(result.u.dataSync(), goldenValues(step.outputs), GOLDEN_RTOL, `${label} outputs`);
      assertClose(result.state.W.dataSync(), goldenValues(step.W1_states), GOLDEN_RTOL, `${label} W`);
      assertClose(result.state.b.dataSync(), goldenValues(step.b1_states), GOLDEN_RTOL, `${label} b`);

      const expected = step.intermediates;
      const actual = result.intermediates;
      assertClose(actual.query.dataSync(), goldenValues(expected.XQ), GOLDEN_RTOL, `${label} XQ`);
      assertClose(actual.key.dataSync(), goldenValues(expected.XK), GOLDEN_RTOL, `${label} XK`);
      assertClose(actual.value.dataSync(), goldenValues(expected.XV), GOLDEN_RTOL, `${label} XV`);
      assertClose(actual.eta.dataSync(), goldenValues(expected.eta), GOLDEN_RTOL, `${label} eta`);
      assertClose(actual.postNormInput.dataSync(), goldenValues(expected.post_norm_input), GOLDEN_RTOL, `${label} post_norm_input`);
      assertClose(actual.postNormOutput.dataSync(), goldenValues(expected.post_norm_output), GOLDEN_RTOL, `${label} post_norm_output`);
      assertClose(actual.preTanh.dataSync(), goldenValues(expected.pre_tanh), GOLDEN_RTOL, `${label} pre_tanh`);

      // Keep only the new state for the next step.
      tf.dispose([x, result.u, ...Object.values(result.intermediates)]);
      if (state !== null) tf.dispose([state.W, state.b]);
      state = result.state;
    }
    tf.dispose([state!.W, state!.b]);
    layer.dispose();
  });

  it('step matches forward with intermediates', () => {
    const layer = goldenLayer();
    const x = goldenFeatures(golden.golden_A.steps[0].inputs);
    const plain = layer.step(x, null);
    const detailed = layer.forwardWithIntermediates(x, null);
    assert.deepEqual(Array.from(plain.u.dataSync()), Array.from(detailed.u.dataSync()));
    assert.deepEqual(Array.from(plain.state.W.dataSync()), Array.from(detailed.state.W.dataSync()));
    tf.dispose([x, plain.u, plain.state.W, plain.state.b, detailed.u, detailed.state.W, detailed.state.b, ...Object.values(detailed.intermediates)]);
    layer.dispose();
  });

  it('test vector matches three calls', () => {
    const layer = new GradientMemoryLayer({}, testVectorValues());
    const calls = [
      { x: [[0.3, -1.2], [-0.7, 0.05]], eta: [0.0946678, 0.0734431], u: [0.5037397, -0.3561136], w00: [0.2833416, 0.2977996], b0: [0.1934295, -0.1273491] },
      { x: [[1.0, 0.5], [0, 0]], eta: [0.0897566, 0.0820280], u: [0.7520573, -0.1425643], w00: [0.3210367, 0.2977996], b0: [0.4203519, -0.1265086] },
      { x: [[-0.4, 2.0], [0.9, -0.9]], eta: [0.0619557, 0.0990837], u: [0.5953900, -0.3825905], w00: [0.3155957, 0.2850850], b0: [0.4307313, -0.1560498] },
    ];
    let state: MemoryState | null = null;

    calls.forEach((call, index) => {
      const x = tf.tensor2d(call.x);
      const result = layer.forwardWithIntermediates(x, state);
      const eta = result.intermediates.eta.dataSync();
      const u = result.u.dataSync();
      const W = result.state.W.arraySync();
      const b = result.state.b.arraySync();
      for (let row = 0; row < 2; row++) {
        const label = `call ${index + 1} row ${row}`;
        assertNear(eta[row]!, call.eta[row]!, TEST_VECTOR_TOLERANCE, `${label} eta`);
        assertNear(u[row]!, call.u[row]!, TEST_VECTOR_TOLERANCE, `${label} u`);
        assertNear(W[row]![0]![0]!, call.w00[row]!, TEST_VECTOR_TOLERANCE, `${label} W'[0][0]`);
        assertNear(b[row]![0]!, call.b0[row]!, TEST_VECTOR_TOLERANCE, `${label} b'[0]`);
      }

      tf.dispose([x, result.u, ...Object.values(result.intermediates)]);
      if (state !== null) tf.dispose([state.W, state.b]);
      state = result.state;
    });
    tf.dispose([state!.W, state!.b]);
    layer.dispose();
  });

  it('test vector meta-gradient matches', () => {
    const layer = new GradientMemoryLayer({}, testVectorValues());
    const x = tf.tensor2d([[0.3, -1.2], [-0.7, 0.05]]);
    const cotangent = tf.tensor1d([1, -2]);

    // s = Σ_i c_i u_i for call 1 from the initial memory. The reference values are central differences.
    const { value, grads } = tf.variableGrads(() => tf.tidy(() => {
      const { u } = layer.step(x, null);
      return tf.sum(tf.mul(cotangent, u)) as tf.Scalar;
    }), [...layer.parameters.values()]);
    assertNear(value.dataSync()[0]!, 1.2159669, TEST_VECTOR_TOLERANCE, 's');

    const firstEntry = (key: keyof typeof GRADIENT_MEMORY_KEYS) => grads[layer.parameters.get(GRADIENT_MEMORY_KEYS[key])!.name]!.dataSync()[0]!;
    const expected: Array<[keyof typeof GRADIENT_MEMORY_KEYS, number]> = [
      ['tokenOffset', 0.226321],
      ['gateBias', 0.200208],
      ['gateWeight', -0.286031],
      ['outputWeight', 1.829460],
      ['queryWeight', 1.093274],
      ['keyWeight', -0.470505],
      ['valueWeight', -0.001005],
      ['innerNormWeight', 0.330254],
      ['postNormBias', -0.438844],
      ['initialW', 1.117815],
      ['initialB', -5.425236],
    ];
    for (const [key, reference] of expected) assertNear(firstEntry(key), reference, TEST_VECTOR_TOLERANCE, `ds/d${GRADIENT_MEMORY_KEYS[key]}[0]`);

    tf.dispose([x, cotangent, value, ...Object.values(grads)]);
    layer.dispose();
  });

  it('carried state cuts initial-memory gradient', () => {
    const layer = goldenLayer();
    const x = goldenFeatures(golden.golden_A.steps[0].inputs);
    const first = layer.step(x, null);

    const { value, grads } = tf.variableGrads(() => tf.tidy(() => tf.sum(layer.step(x, first.state).u) as tf.Scalar), [...layer.parameters.values()]);
    const reached = [...layer.parameters].filter(([, variable]) => grads[variable.name] !== undefined).map(([name]) => name);
    assert.ok(!reached.includes(GRADIENT_MEMORY_KEYS.initialW), `W1 got a gradient through a carried state: ${reached}`);
    assert.ok(!reached.includes(GRADIENT_MEMORY_KEYS.initialB), `b1 got a gradient through a carried state: ${reached}`);
    assert.equal(reached.length, 11);

    tf.dispose([x, first.u, first.state.W, first.state.b, value, ...Object.values(grads)]);
    layer.dispose();
  });

  it('memorise keeps row sums of memory', () => {
    const layer = goldenLayer();
    const x = tf.tensor2d([[0.4, -2.5], [3, 1.2], [-0.01, 0.02], [0, 0], [7, -9]]);
    const start = layer.step(x, null);
    const next = layer.step(tf.tidy(() => tf.mul(x, -0.5)) as tf.Tensor2D, start.state);

    // G sums to zero over its d entries, so W − η kᵀG keeps every row sum and b − ηG keeps sum(b).
    const sums = (state: MemoryState) => ({ rows: tf.sum(state.W, 2).dataSync(), bias: tf.sum(state.b, 1).dataSync() });
    const before = sums(start.state);
    const after = sums(next.state);
    assertClose(after.rows, before.rows, 1e-5, 'row sums of W');
    assertClose(after.bias, before.bias, 1e-5, 'sum of b');

    // The memory itself did change.
    const change = tf.tidy(() => tf.max(tf.abs(tf.sub(next.state.W, start.state.W))).dataSync()[0]!);
    assert.ok(change > 1e-3, `W changed by at most ${change}`);

    tf.dispose([x, start.u, start.state.W, start.state.b, next.u, next.state.W, next.state.b]);
    layer.dispose();
  });

  it('output stays inside (-1, 1)', () => {
    const layer = goldenLayer();
    const x = tf.randomNormal([500, 2], 0, 30, 'float32', 7) as tf.Tensor2D;
    let state: MemoryState | null = null;

    // |pre-tanh| ≤ ‖w_O‖·‖LN_p output‖, which LayerNorm bounds (about 3 here), so tanh stays below 1.
    for (let call = 0; call < 3; call++) {
      const result = layer.step(x, state);
      const largest = tf.tidy(() => tf.max(tf.abs(result.u)).dataSync()[0]!);
      assert.ok(largest < 1, `call ${call}: max |u| is ${largest}`);
      result.u.dispose();
      if (state !== null) tf.dispose([state.W, state.b]);
      state = result.state;
    }
    tf.dispose([x, state!.W, state!.b]);
    layer.dispose();
  });

  it('zero input still updates memory bias', () => {
    const layer = goldenLayer();
    const x = tf.zeros([2, 2]) as tf.Tensor2D;
    const { u, state } = layer.step(x, null);
    const W1 = layer.parameters.get(GRADIENT_MEMORY_KEYS.initialW)!.dataSync();
    const b1 = layer.parameters.get(GRADIENT_MEMORY_KEYS.initialB)!.dataSync();

    // k = 0 leaves W unchanged, but G ≠ 0 moves b, and u is not zero.
    assert.deepEqual(Array.from(state.W.dataSync().slice(0, 64)), Array.from(W1));
    const bChange = Math.max(...Array.from(state.b.dataSync().slice(0, 8), (value, j) => Math.abs(value - b1[j]!)));
    assert.ok(bChange > 1e-4, `b changed by ${bChange}`);
    assert.ok(Math.abs(u.dataSync()[0]!) > 1e-3, `u is ${u.dataSync()[0]}`);
    tf.dispose([x, u, state.W, state.b]);
    layer.dispose();
  });

  it('fresh init gives eta near 0.0625', () => {
    const layer = new GradientMemoryLayer();
    const x = tf.randomUniform([64, 2], -1, 1, 'float32', 3) as tf.Tensor2D;
    const result = layer.forwardWithIntermediates(x, null);

    // τ = 0, b_lr = 0 and w_lr ~ N(0, 0.02), so η = σ(w_lr·x)/8 with |w_lr·x| below about 0.1 for
    // |x| ≤ 1. σ has slope at most 1/4, hence |η − 1/16| ≤ 0.1/32 ≈ 0.003.
    const eta = result.intermediates.eta.dataSync();
    for (const value of eta) assertNear(value, 0.0625, 0.003, 'eta');
    tf.dispose([x, result.u, result.state.W, result.state.b, ...Object.values(result.intermediates)]);
    layer.dispose();
  });

  it('init follows TTT-Linear and seed', () => {
    const layer = new GradientMemoryLayer({ seed: 11 });
    const same = new GradientMemoryLayer({ seed: 11 });
    const other = new GradientMemoryLayer({ seed: 12 });
    const values = (target: GradientMemoryLayer, key: keyof typeof GRADIENT_MEMORY_KEYS) =>
      Array.from(target.parameters.get(GRADIENT_MEMORY_KEYS[key])!.dataSync());

    assert.deepEqual(values(layer, 'tokenOffset'), [0]);
    assert.deepEqual(values(layer, 'gateBias'), [0]);
    assert.deepEqual(values(layer, 'innerNormWeight'), new Array(8).fill(1));
    assert.deepEqual(values(layer, 'postNormBias'), new Array(8).fill(0));
    assert.deepEqual(values(layer, 'initialB'), new Array(8).fill(0));
    assert.ok(values(layer, 'queryWeight').every((value) => Math.abs(value) <= 1 / Math.sqrt(2)), 'q_proj within ±1/√2');
    assert.ok(values(layer, 'outputWeight').every((value) => Math.abs(value) <= 1 / Math.sqrt(8)), 'o_proj within ±1/√8');
    const initialW = values(layer, 'initialW');
    const std = Math.sqrt(initialW.reduce((sum, value) => sum + value * value, 0) / initialW.length);
    assert.ok(std > 0.01, `W1 std is ${std}, expected about 0.02`);
    assert.ok(std < 0.03, `W1 std is ${std}, expected about 0.02`);

    assert.deepEqual(values(layer, 'keyWeight'), values(same, 'keyWeight'));
    assert.notDeepEqual(values(layer, 'keyWeight'), values(other, 'keyWeight'));
    assert.notDeepEqual(values(layer, 'keyWeight'), values(layer, 'queryWeight'));
    [layer, same, other].forEach((target) => target.dispose());
  });

  it('fixed initial memory is not trainable', () => {
    const layer = new GradientMemoryLayer({ learnInitialMemory: false });
    const frozen = [...layer.parameters].filter(([, variable]) => !variable.trainable).map(([name]) => name);
    assert.deepEqual(frozen, [GRADIENT_MEMORY_KEYS.initialW, GRADIENT_MEMORY_KEYS.initialB]);
    layer.dispose();
  });

  it('step rejects bad shapes', () => {
    const layer = new GradientMemoryLayer();
    const x3 = tf.zeros([4, 3]) as tf.Tensor2D;
    assert.throws(() => layer.step(x3, null), /GradientMemoryLayer\.step: x has shape \[4,3\], expected \[P, 2\]/);

    const x = tf.zeros([4, 2]) as tf.Tensor2D;
    const state = { W: tf.zeros([3, 8, 8]) as tf.Tensor3D, b: tf.zeros([3, 8]) as tf.Tensor2D };
    assert.throws(() => layer.step(x, state), /state tensor 'W' has shape \[3,8,8\], expected \[4,8,8\]/);
    tf.dispose([x3, x, state.W, state.b]);
    layer.dispose();
  });

  it('step leaves tensor count flat', () => {
    const layer = goldenLayer();
    const x = goldenFeatures(golden.golden_A.steps[0].inputs);
    let state: MemoryState | null = null;
    const stepOnce = () => {
      const result = layer.step(x, state);
      result.u.dispose();
      if (state !== null) tf.dispose([state.W, state.b]);
      state = result.state;
    };

    stepOnce();
    const count = tf.memory().numTensors;
    for (let call = 0; call < 50; call++) stepOnce();
    assert.equal(tf.memory().numTensors, count);
    tf.dispose([x, state!.W, state!.b]);
    layer.dispose();
  });
});
