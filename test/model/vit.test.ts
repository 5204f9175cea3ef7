import assert from 'node:assert/strict';
import { describe, it, before } from 'node:test';

import * as tf from '@tensorflow/tfjs';

import { getModelConfig, readSafetensors, VisionTransformer, vitParameterShapes, layerNormParameterNames } from '../../src/model/index.js';
import { assertClose, FIXTURES, flatten, readGolden } from '../helpers/golden.js';

const golden = readGolden('vit-tiny-golden.json');

async function loadGoldenModel(): Promise<VisionTransformer> {
  const file = await readSafetensors(`${FIXTURES}golden/vit-tiny.safetensors`);
  return VisionTransformer.fromStateDict(getModelConfig('vit_golden_tiny'), file.tensors);
}

describe('VisionTransformer', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('golden logits and features match PyTorch', async () => {
    const model = await loadGoldenModel();
    const x = tf.tensor4d(flatten(golden.x1), [4, 32, 32, 3]);
    const { logits, features } = model.forward(x);
    assert.deepEqual(logits.shape, [4, 10]);
    assert.deepEqual(features.shape, [4, 128]);
    assertClose(await logits.data(), flatten(golden.logits_x1), 1e-4, 'logits');
    assertClose(await features.data(), flatten(golden.features_x1), 1e-4, 'features');
    tf.dispose([x, logits, features]);
    model.dispose();
  });

  it('classifier input is last feature block', async () => {
    const model = await loadGoldenModel();
    const x = tf.tensor4d(flatten(golden.x1), [4, 32, 32, 3]);
    const { logits, features } = model.forward(x);
    const head = tf.tidy(() => tf.add(tf.matMul(features.slice([0, 64], [4, 64]), model.weight('head.weight'), false, true), model.weight('head.bias')));
    assertClose(await head.data(), await logits.data(), 1e-6, 'head(features)');
    tf.dispose([x, logits, features, head]);
    model.dispose();
  });

  it('vit_base_patch16_224 has timm parameter count', () => {
    const config = getModelConfig('vit_base_patch16_224');
    const shapes = vitParameterShapes(config);
    const total = shapes.reduce((sum, [, shape]) => sum + shape.reduce((a, b) => a * b, 1), 0);
    // timm reports 86,567,656 parameters for ViT-B/16 with a 1000-class head.
    assert.equal(total, 86_567_656);
    const lnNames = layerNormParameterNames(config);
    assert.equal(lnNames.length, 50);
    const lnScalars = lnNames.length * 768;
    assert.equal(lnScalars, 38_400);
    assert.deepEqual(shapes.find(([name]) => name === 'patch_embed.proj.weight')![1], [768, 3, 16, 16]);
    assert.deepEqual(shapes.find(([name]) => name === 'blocks.3.attn.qkv.weight')![1], [2304, 768]);
    assert.deepEqual(shapes.find(([name]) => name === 'pos_embed')![1], [1, 197, 768]);
  });

  it('class subset masks the logits', async () => {
    const model = await loadGoldenModel();
    const x = tf.tensor4d(flatten(golden.x1), [4, 32, 32, 3]);
    const all = await model.logits(x).array();
    model.setClassSubset([7, 2, 5]);
    assert.equal(model.outputClasses, 3);
    const masked = await model.logits(x).array();
    masked.forEach((row, b) => assert.deepEqual(row, [all[b]![7], all[b]![2], all[b]![5]]));
    assert.throws(() => model.setClassSubset([10]), /class index 10 is outside 0\.\.9/);
    model.setClassSubset(null);
    assert.equal(model.outputClasses, 10);
    x.dispose();
    model.dispose();
  });

  it('forward rejects wrong input size', async () => {
    const model = await loadGoldenModel();
    const x = tf.zeros([1, 28, 28, 3]) as tf.Tensor4D;
    assert.throws(() => model.forward(x), /input is 28x28x3, model vit_golden_tiny expects 32x32x3/);
    x.dispose();
    model.dispose();
  });

  it('forward leaves tensor count flat', async () => {
    const model = await loadGoldenModel();
    const x = tf.tensor4d(flatten(golden.x1), [4, 32, 32, 3]);
    tf.dispose(model.logits(x)); // builds the cache of transposed weights
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) tf.dispose(model.logits(x));
    assert.equal(tf.memory().numTensors, before);
    x.dispose();
    model.dispose();
  });
});
