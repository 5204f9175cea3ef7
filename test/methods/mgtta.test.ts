import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';

import * as tf from '@tensorflow/tfjs';

import { Mgtta, MGTTA_DEFAULTS, MgttaNoMgg } from '../../src/methods/index.js';
import { GradientMemoryLayer, LstmGenerator } from '../../src/mgg/index.js';
import { getModelConfig, layerNormParameterNames, readSafetensors, VisionTransformer } from '../../src/model/index.js';
import { FIXTURES, flatten, readGolden } from '../helpers/golden.js';

const golden = readGolden('vit-tiny-golden.json');

async function setup() {
  const file = await readSafetensors(`${FIXTURES}golden/vit-tiny.safetensors`);
  const model = VisionTransformer.fromStateDict(getModelConfig('vit_golden_tiny'), file.tensors);
  const statistics = { mean: tf.tensor1d(golden.stats.mean), std: tf.tensor1d(golden.stats.std_unbiased) };
  const batch = { inputs: tf.tensor4d(flatten(golden.x1), [4, 32, 32, 3]), labels: new Int32Array(4) };
  const dispose = () => {
    tf.dispose([statistics.mean, statistics.std, batch.inputs]);
    model.dispose();
  };
  return { model, statistics, batch, dispose };
}

async function layerNormValues(model: VisionTransformer): Promise<Float32Array[]> {
  return Promise.all(model.layerNormParameters().map(async (parameter) => (await parameter.data()) as Float32Array));
}

describe('Mgtta', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('each step moves θ by at most η_adapt', async () => {
    const { model, statistics, batch, dispose } = await setup();
    const generator = new GradientMemoryLayer();
    const mgtta = new Mgtta('mgtta', model, statistics, generator);
    const source = await layerNormValues(model);
    for (let t = 1; t <= 5; t++) {
      const result = await mgtta.step(batch);
      assert.ok(result.adapted, `step ${t} adapted`);
      const current = await layerNormValues(model);
      let largest = 0;
      current.forEach((values, i) => values.forEach((value, j) => (largest = Math.max(largest, Math.abs(value - source[i]![j]!)))));
      // |u| < 1, so t steps of η_adapt = 1e-3 bound the drift; 1e-6 absorbs float32 rounding.
      assert.ok(largest <= t * MGTTA_DEFAULTS.adaptLr + 1e-6, `step ${t}: largest drift ${largest}`);
      assert.ok(largest > 0, `step ${t}: nothing moved`);
    }
    mgtta.dispose();
    generator.dispose();
    dispose();
  });

  it('updates only LayerNorm parameters', async () => {
    const { model, statistics, batch, dispose } = await setup();
    const generator = new GradientMemoryLayer();
    const mgtta = new Mgtta('mgtta', model, statistics, generator);
    const before = await model.stateDict();
    await mgtta.step(batch);
    const after = await model.stateDict();
    const adapted = new Set(layerNormParameterNames(model.config));
    for (const [name, tensor] of before) {
      const changed = !Buffer.from(tensor.data.buffer).equals(Buffer.from(after.get(name)!.data.buffer));
      assert.equal(changed, adapted.has(name), `${name}: changed=${changed}`);
    }
    mgtta.dispose();
    generator.dispose();
    dispose();
  });

  it('prediction precedes the update', async () => {
    const { model, statistics, batch, dispose } = await setup();
    const generator = new GradientMemoryLayer();
    const mgtta = new Mgtta('mgtta', model, statistics, generator);
    const result = await mgtta.step(batch);
    const expected = flatten(golden.logits_x1);
    result.logits.forEach((value, i) => assert.ok(Math.abs(value - expected[i]!) < 1e-4, `logit ${i}: ${value} vs ${expected[i]}`));
    mgtta.dispose();
    generator.dispose();
    dispose();
  });

  it('reset restores source weights and memory', async () => {
    const { model, statistics, batch, dispose } = await setup();
    const generator = new GradientMemoryLayer();
    const mgtta = new Mgtta('mgtta', model, statistics, generator);
    const source = await layerNormValues(model);
    const first = await mgtta.step(batch);
    await mgtta.step(batch);
    mgtta.reset();
    assert.deepEqual(await layerNormValues(model), source);
    assert.equal(mgtta.stateBytes(), 0);
    const again = await mgtta.step(batch);
    assert.equal(again.loss, first.loss);
    mgtta.dispose();
    generator.dispose();
    dispose();
  });

  it('tensor count flat over 50 steps', async () => {
    const { model, statistics, batch, dispose } = await setup();
    for (const generator of [new GradientMemoryLayer(), new LstmGenerator()]) {
      const mgtta = new Mgtta('mgtta', model, statistics, generator);
      await mgtta.step(batch);
      const start = tf.memory().numTensors;
      for (let i = 0; i < 50; i++) await mgtta.step(batch);
      assert.equal(tf.memory().numTensors, start, `${generator.kind}`);
      mgtta.reset();
      mgtta.dispose();
      generator.dispose();
    }
    dispose();
  });

  it('state size matches per-scalar memory', async () => {
    const { model, statistics, batch, dispose } = await setup();
    const generator = new GradientMemoryLayer();
    const mgtta = new Mgtta('mgtta', model, statistics, generator);
    await mgtta.step(batch);
    // Per adapted scalar: W (8 x 8) and b (8) of the memory, m and v of the moments: 74 floats.
    const scalars = 10 * 64;
    assert.equal(mgtta.stateBytes(), scalars * 74 * 4);
    mgtta.dispose();
    generator.dispose();
    dispose();
  });
});

describe('MgttaNoMgg', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('first step is plain SGD on the FOA gradient', async () => {
    const { model, statistics, batch, dispose } = await setup();
    const source = await layerNormValues(model);
    const method = new MgttaNoMgg(model, statistics, { learningRate: 0.005, loss: { lambda: 0.4, divisor: 64 } });
    await method.step(batch);
    const after = await layerNormValues(model);
    const names = layerNormParameterNames(model.config);
    // θ₁ = θ₀ − 0.005 · g, with g the golden gradient of the FOA loss at the source weights.
    names.forEach((name, i) => {
      const gradient = golden.mgtta_loss.grads[name] as number[];
      after[i]!.forEach((value, j) => {
        const expected = source[i]![j]! - 0.005 * gradient[j]!;
        assert.ok(Math.abs(value - expected) < 1e-6 + 1e-3 * Math.abs(0.005 * gradient[j]!), `${name}[${j}]: ${value} vs ${expected}`);
      });
    });
    method.dispose();
    dispose();
  });
});
