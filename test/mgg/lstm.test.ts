import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';

import * as tf from '@tensorflow/tfjs';

import { LSTM_KEYS, LstmGenerator, type LstmState, parameterCount } from '../../src/mgg/index.js';
import { assertClose } from '../helpers/golden.js';

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/**
 * Computes one step of PyTorch's nn.LSTMCell for a single row with scalar loops:
 *   pre = W_ih x + b_ih + W_hh h + b_hh, blocks of d in the order i, f, g, o
 *   c' = σ(f) c + σ(i) tanh(g),  h' = σ(o) tanh(c'),  u = tanh(w_out · h')
 */
function referenceStep(values: Map<string, Float32Array>, d: number, x: number[], h: number[], c: number[]) {
  const wih = values.get(LSTM_KEYS.inputWeight)!;
  const whh = values.get(LSTM_KEYS.hiddenWeight)!;
  const bih = values.get(LSTM_KEYS.inputBias)!;
  const bhh = values.get(LSTM_KEYS.hiddenBias)!;
  const wout = values.get(LSTM_KEYS.outputWeight)!;
  const pre = (row: number) => {
    let sum = bih[row]! + bhh[row]!;
    for (let col = 0; col < 2; col++) sum += wih[row * 2 + col]! * x[col]!;
    for (let col = 0; col < d; col++) sum += whh[row * d + col]! * h[col]!;
    return sum;
  };

  const nextC = c.map((cj, j) => sigmoid(pre(d + j)) * cj + sigmoid(pre(j)) * Math.tanh(pre(2 * d + j)));
  const nextH = nextC.map((cj, j) => sigmoid(pre(3 * d + j)) * Math.tanh(cj));
  const u = Math.tanh(nextH.reduce((sum, hj, j) => sum + wout[j]! * hj, 0));
  return { u, h: nextH, c: nextC };
}

function readValues(generator: LstmGenerator): Map<string, Float32Array> {
  return new Map([...generator.parameters].map(([name, variable]) => [name, Float32Array.from(variable.dataSync())]));
}

describe('LstmGenerator', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('has 392 parameters with PyTorch shapes', () => {
    const generator = new LstmGenerator();
    assert.equal(parameterCount(generator), 392);
    const shapes = [...generator.parameters].map(([name, variable]) => [name, variable.shape]);
    assert.deepEqual(shapes, [
      ['recurs.weight_ih', [32, 2]],
      ['recurs.weight_hh', [32, 8]],
      ['recurs.bias_ih', [32]],
      ['recurs.bias_hh', [32]],
      ['output.weight', [1, 8]],
    ]);
    for (const [name, variable] of generator.parameters) {
      const largest = tf.tidy(() => tf.max(tf.abs(variable)).dataSync()[0]!);
      assert.ok(largest <= 1 / Math.sqrt(8), `${name}: max |value| ${largest} above 1/√8`);
    }
    generator.dispose();
  });

  it('step matches hand computation', () => {
    // d = 1. W_ih rows (i, f, g, o) = [0.5, 0], [0, 1.5], [1, −1], [2, 0]; W_hh = [0.3, 0.2, −0.4, 0.1];
    // biases 0, w_out = 1.
    const values = new Map([
      [LSTM_KEYS.inputWeight, Float32Array.of(0.5, 0, 0, 1.5, 1, -1, 2, 0)],
      [LSTM_KEYS.hiddenWeight, Float32Array.of(0.3, 0.2, -0.4, 0.1)],
      [LSTM_KEYS.inputBias, new Float32Array(4)],
      [LSTM_KEYS.hiddenBias, new Float32Array(4)],
      [LSTM_KEYS.outputWeight, Float32Array.of(1)],
    ]);
    const generator = new LstmGenerator({ hiddenSize: 1 }, values);

    // Step 1, x = [1, 0], h = c = 0: pre-activations (i, f, g, o) = (0.5, 0, 1, 2), so
    // c' = σ(0.5)·tanh(1) = 0.622459·0.761594 = 0.474061, h' = σ(2)·tanh(c') = 0.880797·0.441475
    // = 0.388850 and u = tanh(h') = 0.370368.
    const x1 = tf.tensor2d([[1, 0]]);
    const first = generator.step(x1, null);
    assertClose(first.state.c.dataSync(), [0.474061], 2e-6, 'step 1 c');
    assertClose(first.state.h.dataSync(), [0.388850], 2e-6, 'step 1 h');
    assertClose(first.u.dataSync(), [0.370368], 2e-6, 'step 1 u');

    // Step 2, x = [0, 1]: pre = (0.3h, 1.5 + 0.2h, −1 − 0.4h, 0.1h) = (0.116655, 1.577770,
    // −1.155540, 0.038885). c'' = σ(1.577770)·0.474061 + σ(0.116655)·tanh(−1.155540) = −0.040721,
    // h'' = σ(0.038885)·tanh(c'') = −0.020745, u = tanh(h'') = −0.020742.
    const x2 = tf.tensor2d([[0, 1]]);
    const second = generator.step(x2, first.state);
    assertClose(second.state.c.dataSync(), [-0.040721], 2e-5, 'step 2 c');
    assertClose(second.state.h.dataSync(), [-0.020745], 2e-5, 'step 2 h');
    assertClose(second.u.dataSync(), [-0.020742], 2e-5, 'step 2 u');

    tf.dispose([x1, x2, first.u, first.state.h, first.state.c, second.u, second.state.h, second.state.c]);
    generator.dispose();
  });

  it('width 8 matches scalar reference', () => {
    const generator = new LstmGenerator({ seed: 5 });
    const values = readValues(generator);
    const inputs = [[[0.7, -1.3], [2.0, 0.4], [0, 0]], [[-0.2, 0.9], [1.1, -2.2], [0.5, 0.5]]];
    let state: LstmState | null = null;
    let reference = inputs[0]!.map(() => ({ h: new Array(8).fill(0), c: new Array(8).fill(0) }));

    inputs.forEach((rows, call) => {
      const x = tf.tensor2d(rows);
      const result = generator.step(x, state);
      const expected = rows.map((row, p) => referenceStep(values, 8, row, reference[p]!.h, reference[p]!.c));
      assertClose(result.u.dataSync(), expected.map((entry) => entry.u), 1e-5, `call ${call + 1} u`);
      assertClose(result.state.h.dataSync(), expected.flatMap((entry) => entry.h), 1e-5, `call ${call + 1} h`);
      assertClose(result.state.c.dataSync(), expected.flatMap((entry) => entry.c), 1e-5, `call ${call + 1} c`);

      tf.dispose([x, result.u]);
      if (state !== null) tf.dispose([state.h, state.c]);
      state = result.state;
      reference = expected;
    });
    tf.dispose([state!.h, state!.c]);
    generator.dispose();
  });

  it('step rejects mismatched state', () => {
    const generator = new LstmGenerator();
    const x = tf.zeros([3, 2]) as tf.Tensor2D;
    const state = { h: tf.zeros([3, 4]) as tf.Tensor2D, c: tf.zeros([3, 8]) as tf.Tensor2D };
    assert.throws(() => generator.step(x, state), /LstmGenerator\.step: state tensor 'h' has shape \[3,4\], expected \[3,8\]/);
    tf.dispose([x, state.h, state.c]);
    generator.dispose();
  });
});
