import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';

import * as tf from '@tensorflow/tfjs';

import { runCell, type CellSpec } from '../../src/bench/cell.js';
import { inMemoryImageSet, loadFashionMnist, materializeCorruption, streamBatches } from '../../src/data/index.js';
import { Tent } from '../../src/methods/index.js';
import { getModelConfig, VisionTransformer } from '../../src/model/index.js';
import { selectBackend } from '../../src/runtime/backend.js';

async function embeddedTestSet() {
  const set = await loadFashionMnist({ split: 'test' });
  return inMemoryImageSet('fashion-mnist-test', set.images, set.labels, { count: set.count, height: 28, width: 28, channels: 1 });
}

const spec: CellSpec = {
  method: 'tent', dataset: 'fashion-mnist', corruption: 'gaussian_noise', severity: 5,
  batchSize: 8, seed: 2020, limit: 400, budget: { kind: 'none', value: 0 },
};

describe('runCell', () => {
  before(async () => {
    process.env.MGTTA_QUIET = '1';
    await selectBackend('wasm');
  });

  it('tensor count flat over 50 steps', async () => {
    const model = VisionTransformer.random(getModelConfig('vit_demo_fmnist'), 3);
    tf.tidy(() => { model.logits(tf.zeros([1, 28, 28, 1]) as tf.Tensor4D); }); // builds the cache of transposed weights
    const beforeMethod = tf.memory().numTensors;
    const tent = new Tent(model);
    const set = await embeddedTestSet();
    const start = tf.memory().numTensors;
    const { row, steps } = await runCell(tent, model, set, spec, 'wasm');
    assert.equal(steps.length, 50);
    assert.equal(row.images, 400);
    assert.equal(row.images_adapted, 400);
    // TENT's two momentum accumulators per parameter are the only new tensors.
    const accumulators = model.layerNormParameters().length;
    assert.equal(tf.memory().numTensors, start + accumulators);
    tent.reset();
    tent.dispose();
    assert.equal(tf.memory().numTensors, beforeMethod);
    model.dispose();
  });

  it('data budget freezes after N batches', async () => {
    const model = VisionTransformer.random(getModelConfig('vit_demo_fmnist'), 3);
    const tent = new Tent(model);
    const set = await embeddedTestSet();
    const { row, steps } = await runCell(tent, model, set, { ...spec, limit: 80, budget: { kind: 'data', value: 3 } }, 'wasm');
    assert.equal(row.images_adapted, 24);
    assert.deepEqual(steps.map((step) => step.adapted), [1, 1, 1, 0, 0, 0, 0, 0, 0, 0]);
    tent.dispose();
    model.dispose();
  });

  it('materialized domain equals on-the-fly stream', async () => {
    const corruption = { name: 'shot_noise', severity: 3 };
    const first100 = await loadFashionMnist({ split: 'test', limit: 100 });
    const small = inMemoryImageSet('subset', first100.images, first100.labels, { count: 100, height: 28, width: 28, channels: 1 });
    const materialized = await materializeCorruption(small, corruption, 7);
    const onTheFly: number[] = [];
    const cached: number[] = [];
    for await (const batch of streamBatches(small, { batchSize: 32, seed: 7, corruption })) onTheFly.push(...batch.pixels);
    for await (const batch of streamBatches(materialized, { batchSize: 32, seed: 7 })) cached.push(...batch.pixels);
    assert.equal(cached.length, 100 * 784);
    assert.deepEqual(cached, onTheFly);
  });

  it('stream order depends only on seed', async () => {
    const set = await embeddedTestSet();
    const labelsOf = async (seed: number) => {
      const labels: number[] = [];
      for await (const batch of streamBatches(set, { batchSize: 16, seed, limit: 64 })) labels.push(...batch.labels);
      return labels;
    };
    assert.deepEqual(await labelsOf(1), await labelsOf(1));
    assert.notDeepEqual(await labelsOf(1), await labelsOf(2));
  });
});
