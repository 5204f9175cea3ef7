import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';

import * as tf from '@tensorflow/tfjs';

import { batchMeanStd, foaLoss } from '../../src/methods/foa-loss.js';
import { getModelConfig, layerNormParameterNames, readSafetensors, VisionTransformer } from '../../src/model/index.js';
import { assertClose, FIXTURES, flatten, readGolden } from '../helpers/golden.js';

const golden = readGolden('vit-tiny-golden.json');

async function loadGoldenModel(): Promise<VisionTransformer> {
  const file = await readSafetensors(`${FIXTURES}golden/vit-tiny.safetensors`);
  return VisionTransformer.fromStateDict(getModelConfig('vit_golden_tiny'), file.tensors);
}

describe('foaLoss', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('source statistics match PyTorch', async () => {
    const model = await loadGoldenModel();
    const x = tf.tensor4d(flatten(golden.x_stats), [6, 32, 32, 3]);
    const { mean, std } = tf.tidy(() => batchMeanStd(model.forward(x).features) as unknown as tf.NamedTensorMap) as unknown as { mean: tf.Tensor; std: tf.Tensor };
    assertClose(await mean.data(), golden.stats.mean, 1e-4, 'mean');
    assertClose(await std.data(), golden.stats.std_unbiased, 1e-4, 'std');
    tf.dispose([x, mean, std]);
    model.dispose();
  });

  it('loss and gradients match PyTorch', async () => {
    const model = await loadGoldenModel();
    const x = tf.tensor4d(flatten(golden.x1), [4, 32, 32, 3]);
    const source = { mean: tf.tensor1d(golden.stats.mean), std: tf.tensor1d(golden.stats.std_unbiased) };
    const parameters = model.layerNormParameters();
    let entropy = 0;
    let discrepancy = 0;
    const { value, grads } = tf.variableGrads(() => {
      const { logits, features } = model.forward(x);
      const terms = foaLoss(logits, features, source, { lambda: golden.mgtta_loss.lambda_, divisor: golden.mgtta_loss.divisor });
      entropy = terms.entropy.dataSync()[0]!;
      discrepancy = terms.discrepancy.dataSync()[0]!;
      return terms.total;
    }, parameters);

    assertClose([entropy], [golden.mgtta_loss.entropy], 1e-4, 'entropy');
    assertClose([discrepancy], [golden.mgtta_loss.discrepancy], 1e-4, 'discrepancy');
    assertClose(await value.data(), [golden.mgtta_loss.total], 1e-4, 'total');
    const names = layerNormParameterNames(model.config);
    assert.deepEqual(names, golden.ln_param_order);
    for (const [i, name] of names.entries()) {
      assertClose(await grads[parameters[i]!.name]!.data(), golden.mgtta_loss.grads[name], 1e-3, `gradient of ${name}`);
    }
    tf.dispose([x, value, source.mean, source.std, ...Object.values(grads)]);
    model.dispose();
  });

  it('batch size 1 is rejected', () => {
    const logits = tf.zeros([1, 10]) as tf.Tensor2D;
    const features = tf.zeros([1, 128]) as tf.Tensor2D;
    const source = { mean: tf.zeros([128]) as tf.Tensor1D, std: tf.ones([128]) as tf.Tensor1D };
    assert.throws(() => foaLoss(logits, features, source), /batch size 1 is too small/);
    tf.dispose([logits, features, source.mean, source.std]);
  });

  it('discrepancy by hand', async () => {
    // Features [[0, 2], [2, 6]]: mean (1, 4); unbiased std (√2, √8). Source mean (0, 0), std (0, 0):
    // gap = 2 + 8 + 1 + 16 = 27; discrepancy = 0.4 · 27 / 64 = 0.16875.
    const features = tf.tensor2d([[0, 2], [2, 6]]);
    const logits = tf.zeros([2, 3]) as tf.Tensor2D;
    const source = { mean: tf.zeros([2]) as tf.Tensor1D, std: tf.zeros([2]) as tf.Tensor1D };
    const terms = foaLoss(logits, features, source);
    assertClose(await terms.discrepancy.data(), [0.16875], 1e-6, 'discrepancy');
    assertClose(await terms.entropy.data(), [Math.log(3)], 1e-6, 'entropy of uniform');
    tf.dispose([features, logits, source.mean, source.std, terms.entropy, terms.discrepancy, terms.total]);
  });
});
