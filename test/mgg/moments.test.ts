import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';

import * as tf from '@tensorflow/tfjs';

import { MomentFeatures } from '../../src/mgg/index.js';
import { assertClose } from '../helpers/golden.js';
import { golden, GOLDEN_RTOL, goldenValues } from './fixtures.js';

/** Runs `features.update` on each gradient in turn and returns the [m̃, g̃] rows of every step. */
function runSteps(features: MomentFeatures, gradients: number[][]): number[][][] {
  return gradients.map((values) => {
    const gradient = tf.tensor1d(values);
    const x = features.update(gradient);
    const rows = x.arraySync();
    tf.dispose([gradient, x]);
    return rows;
  });
}

describe('MomentFeatures', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('golden B matches all cases', () => {
    const features = new MomentFeatures();
    const columns = ['constant', 'alternating sign', 'tiny', 'always zero', 'large', 'zero at step 1'];

    for (const step of golden.golden_B.steps) {
      const gradient = tf.tensor1d(step.raw_grad);
      const x = features.update(gradient);
      assert.equal(features.step, step.batch_cnt);
      assert.deepEqual(x.shape, [6, 2]);

      // Compare each gradient case on its own, because their scales differ by ten orders of magnitude.
      const rows = x.arraySync();
      const expected = step.mgg_input as number[][][];
      columns.forEach((name, p) => {
        assertClose(rows[p]!, goldenValues(expected[p]), GOLDEN_RTOL, `step ${step.step} ${name} [m̃, g̃]`);
      });
      assertClose(rows.map((row) => row[0]!), step.m_tilde, GOLDEN_RTOL, `step ${step.step} m_tilde`);
      assertClose(rows.map((row) => row[1]!), step.g_tilde, GOLDEN_RTOL, `step ${step.step} g_tilde`);
      tf.dispose([gradient, x]);
    }
    features.dispose();
  });

  it('zero gradient gives zero features', () => {
    const features = new MomentFeatures();
    const steps = runSteps(features, [[0, 0], [0, 0]]);
    assert.deepEqual(steps, [[[0, 0], [0, 0]], [[0, 0], [0, 0]]]);
    features.dispose();
  });

  it('code correction matches reference steps', () => {
    const features = new MomentFeatures();
    // Large |g|: step 1 gives m̃ = 0.1/(1 − 0.81) / √(0.01/(1 − 0.9801)) = 0.742460 and
    // g̃ = 1/√(0.01/0.0199) = 1.410674, times sign(g). Steps 2 and 3 use g = −0.2 and 0.1.
    const steps = runSteps(features, [[0.5, -3e4], [-0.2, -3e4], [0.1, -3e4]]);
    const expected = [[0.742460, 1.410674], [0.296509, -0.642831], [0.345610, 0.365709]];
    steps.forEach((rows, index) => {
      assertClose(rows[0]!, expected[index]!, 1e-5, `step ${index + 1} for g = 0.5, −0.2, 0.1`);
    });
    assertClose(steps[0]![1]!, [-0.742460, -1.410674], 1e-5, 'step 1 for g = −3e4');
    features.dispose();
  });

  it('standard correction uses exponent t', () => {
    const features = new MomentFeatures({ biasCorrection: 'standard' });
    const steps = runSteps(features, [[2], [-1]]);

    // Step 1: m̂ = g and v̂ = g², so m̃ = g̃ = sign(g) up to ε.
    assertClose(steps[0]![0]!, [1, 1], 1e-6, 'step 1');

    // Step 2: m = 0.9·0.2 + 0.1·(−1) = 0.08, v = 0.99·0.04 + 0.01·1 = 0.0496,
    // m̂ = 0.08/0.19, v̂ = 0.0496/0.0199, so m̃ = 0.421053/1.578770 and g̃ = −1/1.578770.
    const root = Math.sqrt(0.0496 / 0.0199);
    assertClose(steps[1]![0]!, [0.08 / 0.19 / root, -1 / root], 1e-6, 'step 2');
    features.dispose();
  });

  it('reset restarts moments and step', () => {
    const features = new MomentFeatures();
    const first = runSteps(features, [[0.5, -1], [2, 3]]);
    assert.equal(features.step, 2);
    assert.equal(features.stateBytes(), 2 * 2 * 4);

    features.reset();
    assert.equal(features.step, 0);
    assert.equal(features.stateBytes(), 0);
    const again = runSteps(features, [[0.5, -1], [2, 3]]);
    assert.deepEqual(again, first);
    features.dispose();
  });

  it('update rejects bad gradients', () => {
    const features = new MomentFeatures();
    const matrix = tf.zeros([2, 2]) as unknown as tf.Tensor1D;
    assert.throws(() => features.update(matrix), /MomentFeatures\.update: gradient has shape \[2,2\], expected \[P\]/);

    runSteps(features, [[1, 2, 3]]);
    const shorter = tf.zeros([2]) as tf.Tensor1D;
    assert.throws(() => features.update(shorter), /gradient has 2 entries, expected 3/);
    assert.throws(() => new MomentFeatures({ beta2: 1 }), /beta2 is 1, expected a value in \[0, 1\)/);
    tf.dispose([matrix, shorter]);
    features.dispose();
  });
});
