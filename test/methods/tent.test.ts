import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';

import * as tf from '@tensorflow/tfjs';

import { getModelConfig, layerNormParameterNames, readSafetensors, VisionTransformer } from '../../src/model/index.js';
import { Tent } from '../../src/methods/tent.js';
import { assertClose, FIXTURES, flatten, readGolden } from '../helpers/golden.js';

const golden = readGolden('vit-tiny-golden.json');

async function loadGoldenModel(): Promise<VisionTransformer> {
  const file = await readSafetensors(`${FIXTURES}golden/vit-tiny.safetensors`);
  return VisionTransformer.fromStateDict(getModelConfig('vit_golden_tiny'), file.tensors);
}

function batchOf(name: 'x1' | 'x2') {
  return { inputs: tf.tensor4d(flatten(golden[name]), [4, 32, 32, 3]), labels: new Int32Array(4) };
}

describe('Tent', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('two steps match PyTorch', async () => {
    const model = await loadGoldenModel();
    const tent = new Tent(model, { learningRate: golden.tent.lr, momentum: golden.tent.momentum });
    for (const [i, name] of (['x1', 'x2'] as const).entries()) {
      const batch = batchOf(name);
      const result = await tent.step(batch);
      const expected = golden.tent.steps[i];
      assertClose(result.logits, flatten(expected.logits_before_update), 1e-4, `step ${i + 1} logits`);
      assertClose([result.loss!], [expected.loss], 1e-4, `step ${i + 1} loss`);
      batch.inputs.dispose();
    }
    for (const name of layerNormParameterNames(model.config)) {
      assertClose(await model.weight(name).data(), golden.tent.ln_params_after_two_steps[name], 1e-3, name);
    }
    tent.dispose();
    model.dispose();
  });

  it('updates only LayerNorm parameters', async () => {
    const model = await loadGoldenModel();
    const before = await model.stateDict();
    const tent = new Tent(model);
    const batch = batchOf('x1');
    await tent.step(batch);
    const after = await model.stateDict();
    const adapted = new Set(layerNormParameterNames(model.config));
    for (const [name, tensor] of before) {
      const changed = !Buffer.from(tensor.data.buffer).equals(Buffer.from(after.get(name)!.data.buffer));
      assert.equal(changed, adapted.has(name), `${name}: changed=${changed}`);
    }
    batch.inputs.dispose();
    tent.dispose();
    model.dispose();
  });

  it('reset restores source weights', async () => {
    const model = await loadGoldenModel();
    const source = await model.weight('norm.weight').data();
    const tent = new Tent(model);
    const batch = batchOf('x1');
    await tent.step(batch);
    tent.reset();
    assert.deepEqual(await model.weight('norm.weight').data(), source);
    batch.inputs.dispose();
    tent.dispose();
    model.dispose();
  });

  it('tensor count flat over 50 steps', async () => {
    const model = await loadGoldenModel();
    const tent = new Tent(model);
    const batch = batchOf('x1');
    await tent.step(batch); // creates the momentum accumulators
    const start = tf.memory().numTensors;
    for (let i = 0; i < 50; i++) await tent.step(batch);
    assert.equal(tf.memory().numTensors, start);
    batch.inputs.dispose();
    tent.dispose();
    model.dispose();
  });
});
