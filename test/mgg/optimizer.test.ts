import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';

import * as tf from '@tensorflow/tfjs';

import { LstmGenerator, MggOptimizer, MomentFeatures, type GradientGenerator } from '../../src/mgg/index.js';
import { assertClose } from '../helpers/golden.js';
import { golden, GOLDEN_RTOL, goldenLayer, goldenValues } from './fixtures.js';

const callOne = golden.golden_C.cases['adapt_lr_1e-4'].calls[0];

function gradientSequence(P: number, steps: number): tf.Tensor1D[] {
  return Array.from({ length: steps }, (_, index) => tf.randomNormal([P], 0, 1 + index, 'float32', 100 + index) as tf.Tensor1D);
}

describe('MggOptimizer', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('first update matches golden output', () => {
    const layer = goldenLayer();
    const optimizer = new MggOptimizer(layer);
    const gradient = tf.tensor1d(callOne.grad_theta);

    // Golden C call 1 runs the golden parameters on the features of grad_theta from a fresh state.
    const update = optimizer.step(gradient);
    const expected = goldenValues(callOne.mgg_output).map((u) => -1e-3 * u);
    assertClose(update.dataSync(), expected, GOLDEN_RTOL, 'update = −adaptLr · mgg_output');
    assert.equal(optimizer.stepCount, 1);

    tf.dispose([gradient, update]);
    optimizer.dispose();
    layer.dispose();
  });

  it('update composes moments and generator', () => {
    const layer = goldenLayer();
    const optimizer = new MggOptimizer(layer, { adaptLr: 5e-3 });
    const moments = new MomentFeatures();
    const gradients = gradientSequence(10, 4);
    let state = null;

    for (const gradient of gradients) {
      const update = optimizer.step(gradient);
      const x = moments.update(gradient);
      const result = layer.step(x, state);
      const expected = Array.from(result.u.dataSync(), (u) => -5e-3 * u);
      assertClose(update.dataSync(), expected, 1e-6, `step ${optimizer.stepCount}`);

      const largest = Math.max(...Array.from(update.dataSync(), Math.abs));
      assert.ok(largest <= 5e-3, `max |update| ${largest} above adaptLr`);
      tf.dispose([update, x, result.u]);
      if (state !== null) tf.dispose(Object.values(state));
      state = result.state;
    }

    tf.dispose([...gradients, ...Object.values(state!)]);
    moments.dispose();
    optimizer.dispose();
    layer.dispose();
  });

  it('reset restores fresh behaviour', () => {
    const layer = goldenLayer();
    const optimizer = new MggOptimizer(layer);
    const gradients = gradientSequence(7, 3);
    const run = () => gradients.map((gradient) => {
      const update = optimizer.step(gradient);
      const values = Array.from(update.dataSync());
      update.dispose();
      return values;
    });

    const first = run();
    optimizer.reset();
    assert.equal(optimizer.stepCount, 0);
    assert.equal(optimizer.stateBytes(), 0);
    assert.deepEqual(run(), first);

    tf.dispose(gradients);
    optimizer.dispose();
    layer.dispose();
  });

  it('state bytes count memory and moments', () => {
    const P = 12;
    const cases: Array<[string, GradientGenerator, number]> = [
      // W [P, 8, 8] + b [P, 8] + m [P] + v [P], float32.
      ['gml', goldenLayer(), P * (64 + 8 + 2) * 4],
      // h [P, 8] + c [P, 8] + m [P] + v [P], float32.
      ['lstm', new LstmGenerator(), P * (8 + 8 + 2) * 4],
    ];
    for (const [kind, generator, bytes] of cases) {
      const optimizer = new MggOptimizer(generator);
      assert.equal(optimizer.stateBytes(), 0, `${kind} before the first step`);
      const gradient = tf.randomNormal([P], 0, 1, 'float32', 1) as tf.Tensor1D;
      tf.dispose(optimizer.step(gradient));
      assert.equal(optimizer.stateBytes(), bytes, kind);
      gradient.dispose();
      optimizer.dispose();
      generator.dispose();
    }
  });

  it('step leaves tensor count flat', () => {
    for (const generator of [goldenLayer(), new LstmGenerator()]) {
      const optimizer = new MggOptimizer(generator);
      const gradients = gradientSequence(32, 3);
      const stepOnce = (index: number) => tf.dispose(optimizer.step(gradients[index % gradients.length]!));

      stepOnce(0);
      const count = tf.memory().numTensors;
      for (let index = 1; index <= 50; index++) stepOnce(index);
      assert.equal(tf.memory().numTensors, count, `${generator.kind} after 50 steps`);

      optimizer.reset();
      stepOnce(0);
      assert.equal(tf.memory().numTensors, count, `${generator.kind} after a reset`);

      tf.dispose(gradients);
      optimizer.dispose();
      generator.dispose();
    }
  });

  it('step rejects a matrix gradient', () => {
    const layer = goldenLayer();
    const optimizer = new MggOptimizer(layer);
    const matrix = tf.zeros([3, 2]) as unknown as tf.Tensor1D;
    assert.throws(() => optimizer.step(matrix), /MggOptimizer\.step: gradient has shape \[3,2\], expected \[P\]/);
    assert.throws(() => new MggOptimizer(layer, { adaptLr: 0 }), /adaptLr is 0, expected a positive number/);
    matrix.dispose();
    optimizer.dispose();
    layer.dispose();
  });
});
