import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';

import * as tf from '@tensorflow/tfjs';

import { Adam } from '../../src/mgg/index.js';

/**
 * Computes one step of torch.optim.Adam on a scalar (no weight decay):
 *   m ← β1 m + (1 − β1) g,  v ← β2 v + (1 − β2) g²
 *   p ← p − lr / (1 − β1^t) · m / (√v / √(1 − β2^t) + ε)
 */
function referenceStep(state: { p: number; m: number; v: number; t: number }, g: number, lr: number) {
  const [beta1, beta2, epsilon] = [0.9, 0.999, 1e-8];
  const t = state.t + 1;
  const m = beta1 * state.m + (1 - beta1) * g;
  const v = beta2 * state.v + (1 - beta2) * g * g;
  const p = state.p - (lr / (1 - beta1 ** t)) * m / (Math.sqrt(v) / Math.sqrt(1 - beta2 ** t) + epsilon);
  return { p, m, v, t };
}

describe('Adam', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('steps match PyTorch formula', () => {
    const weight = tf.variable(tf.tensor1d([0.3, -1.2]));
    const adam = new Adam(new Map([['w', weight]]), { learningRate: 0.1 });
    let reference = [0.3, -1.2].map((p) => ({ p, m: 0, v: 0, t: 0 }));

    for (const gradientValues of [[0.5, 2e-9], [-1, 3], [0.25, -0.5]]) {
      const gradient = tf.tensor1d(gradientValues);
      adam.step(new Map([['w', gradient]]));
      reference = reference.map((state, index) => referenceStep(state, gradientValues[index]!, 0.1));
      const actual = weight.dataSync();
      reference.forEach((state, index) => {
        assert.ok(Math.abs(actual[index]! - state.p) < 1e-6, `step ${state.t} entry ${index}: ${actual[index]}, expected ${state.p}`);
      });
      gradient.dispose();
    }
    assert.equal(adam.stepCount('w'), 3);
    adam.dispose();
    weight.dispose();
  });

  it('null gradient skips parameter and count', () => {
    const always = tf.variable(tf.scalar(1));
    const sometimes = tf.variable(tf.scalar(1));
    const adam = new Adam(new Map([['always', always], ['sometimes', sometimes]]), { learningRate: 0.01 });
    const gradient = tf.scalar(0.7);

    adam.step(new Map([['always', gradient], ['sometimes', null]]));
    adam.step(new Map([['always', gradient]]));
    assert.equal(sometimes.dataSync()[0], 1);
    assert.equal(adam.stepCount('sometimes'), 0);
    assert.equal(adam.stepCount('always'), 2);

    // The first update of `sometimes` uses the bias correction of its own step 1: p − lr·g/(|g| + ε).
    adam.step(new Map([['always', gradient], ['sometimes', gradient]]));
    assert.equal(adam.stepCount('sometimes'), 1);
    const expected = 1 - 0.01 * 0.7 / (0.7 + 1e-8);
    assert.ok(Math.abs(sometimes.dataSync()[0]! - expected) < 1e-7, `sometimes is ${sometimes.dataSync()[0]}, expected ${expected}`);

    tf.dispose([always, sometimes, gradient]);
    adam.dispose();
  });

  it('step rejects unknown or mis-shaped gradients', () => {
    const weight = tf.variable(tf.zeros([2, 3]));
    const adam = new Adam(new Map([['w', weight]]));
    const wrong = tf.zeros([4]);
    assert.throws(() => adam.step(new Map([['x', wrong]])), /Adam\.step: gradient for unknown variable 'x'/);
    assert.throws(() => adam.step(new Map([['w', wrong]])), /gradient for 'w' has shape \[4\], expected \[2,3\]/);
    tf.dispose([weight, wrong]);
    adam.dispose();
  });
});
