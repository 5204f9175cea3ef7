import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';

import * as tf from '@tensorflow/tfjs';

import { DEMO_WEIGHTS } from '../../src/bench/experiment.js';
import { ALL_CORRUPTION_NAMES, applyCorruption, type RawImage } from '../../src/corruptions/index.js';
import { loadFashionMnist } from '../../src/data/index.js';
import { evaluateClassifier, loadModel, type VisionTransformer } from '../../src/model/index.js';
import { selectBackend } from '../../src/runtime/backend.js';

/** Images of the embedded test subset used per measurement. */
const IMAGES = 1000;
const SEED = 2020;

/** saturate only changes HSV saturation, which a grey pixel does not have: an identity on 28x28 grey images. */
const NO_OPS_ON_GREY = new Set(['saturate']);

async function accuracy(model: VisionTransformer, images: Uint8Array, labels: Uint8Array, corruption?: { name: string; severity: number }): Promise<number> {
  const corrupted = new Uint8Array(images.length);
  for (let index = 0; index < IMAGES; index++) {
    let image: RawImage = { data: images.subarray(index * 784, (index + 1) * 784), height: 28, width: 28, channels: 1 };
    if (corruption) image = await applyCorruption(image, corruption.name, corruption.severity, { seed: SEED, index, datasetId: 'accuracy-test' });
    corrupted.set(image.data, index * 784);
  }
  const result = await evaluateClassifier(model, { images: corrupted, labels, count: IMAGES, height: 28, width: 28, channels: 1 });
  return result.top1;
}

describe('corruptions on the demo model', () => {
  before(async () => {
    process.env.MGTTA_QUIET = '1';
    await selectBackend('wasm');
  });

  it('severity 5 below severity 1 below clean', async () => {
    const { model } = await loadModel(DEMO_WEIGHTS);
    const set = await loadFashionMnist({ split: 'test', limit: IMAGES });
    const clean = await accuracy(model, set.images, set.labels);
    const table: string[] = [`clean ${clean.toFixed(1)}`];
    const failures: string[] = [];

    for (const name of ALL_CORRUPTION_NAMES) {
      const severity1 = await accuracy(model, set.images, set.labels, { name, severity: 1 });
      const severity5 = await accuracy(model, set.images, set.labels, { name, severity: 5 });
      table.push(`${name} ${severity1.toFixed(1)}/${severity5.toFixed(1)}`);
      if (NO_OPS_ON_GREY.has(name)) {
        assert.equal(severity5, clean, `${name} should leave grey images unchanged`);
        continue;
      }
      if (!(severity5 < severity1 && severity1 < clean)) failures.push(`${name}: clean ${clean}, severity 1 ${severity1}, severity 5 ${severity5}`);
    }
    assert.deepEqual(failures, [], `top-1 (severity 1/5): ${table.join(', ')}`);
    model.dispose();
    assert.equal(tf.memory().numTensors, 0);
  });
});
