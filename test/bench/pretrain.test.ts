import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';

import * as tf from '@tensorflow/tfjs';

import { DEMO_WEIGHTS } from '../../src/bench/experiment.js';
import { PRETRAIN_DEFAULTS, pretrainGenerator, sampleTrainingImages, type EpochMetrics } from '../../src/bench/pretrain.js';
import { DEMO_STATS, loadSourceStatistics } from '../../src/bench/source-stats.js';
import { inMemoryImageSet, loadFashionMnist } from '../../src/data/index.js';
import { GradientMemoryLayer } from '../../src/mgg/index.js';
import { loadModel } from '../../src/model/index.js';
import { selectBackend } from '../../src/runtime/backend.js';

async function embeddedSet(limit: number) {
  const test = await loadFashionMnist({ split: 'test', limit });
  return inMemoryImageSet(`fashion-mnist-test-${limit}`, test.images, test.labels, { count: test.count, height: 28, width: 28, channels: 1 });
}

describe('pretrainGenerator', () => {
  before(async () => {
    process.env.MGTTA_QUIET = '1';
    await selectBackend('wasm');
  });

  it('samples from the corruption union', async () => {
    const set = await embeddedSet(50);
    const config = { ...PRETRAIN_DEFAULTS, images: 20 };
    const first = await sampleTrainingImages(set, config);
    const again = await sampleTrainingImages(set, config);
    assert.equal(first.images.length, 20);
    assert.deepEqual(first.labels, again.labels);
    assert.deepEqual(first.images, again.images);
    await assert.rejects(sampleTrainingImages(set, { ...config, images: 201 }), /201 training images requested but only 200 candidates exist/);
  });

  it('trains, selects and restores the model', async () => {
    const { model } = await loadModel(DEMO_WEIGHTS);
    const statistics = await loadSourceStatistics(DEMO_STATS, model);
    const set = await embeddedSet(200);
    const generator = new GradientMemoryLayer();
    const initial = new Map([...generator.parameters].map(([name, variable]) => [name, variable.dataSync().slice()]));
    const source = await Promise.all(model.layerNormParameters().map((parameter) => parameter.data()));
    tf.tidy(() => { model.logits(tf.zeros([1, 28, 28, 1]) as tf.Tensor4D); }); // builds the cache of transposed weights
    const tensorsBefore = tf.memory().numTensors;

    const seen: EpochMetrics[] = [];
    const result = await pretrainGenerator(model, generator, statistics, set, {
      ...PRETRAIN_DEFAULTS, images: 8, epochs: 3, evalImagesPerDomain: 64, select: 'last',
    }, (metrics) => seen.push(metrics));

    assert.equal(result.history.length, 3);
    assert.deepEqual(seen.map((metrics) => metrics.epoch), [1, 2, 3]);
    assert.equal(result.bestEpoch, 3);
    assert.ok(seen.every((metrics) => metrics.steps === 4 && Number.isFinite(metrics.mean_loss)));
    const moved = [...generator.parameters].filter(([name, variable]) => variable.dataSync().some((value, i) => value !== initial.get(name)![i]));
    assert.ok(moved.length >= 11, `only ${moved.length} generator tensors changed`);
    const after = await Promise.all(model.layerNormParameters().map((parameter) => parameter.data()));
    assert.deepEqual(after, source, 'LayerNorm parameters are back at their source values');
    assert.equal(tf.memory().numTensors, tensorsBefore);

    generator.dispose();
    tf.dispose([statistics.mean, statistics.std]);
    model.dispose();
  });
});
