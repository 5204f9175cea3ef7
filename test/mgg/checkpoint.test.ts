import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import * as tf from '@tensorflow/tfjs';

import { readSafetensors, type TensorToWrite, writeSafetensors } from '../../src/model/safetensors.js';
import {
  generatorFromTensors,
  GRADIENT_MEMORY_KEYS,
  type GradientGenerator,
  loadGenerator,
  LSTM_KEYS,
  LstmGenerator,
  saveGenerator,
} from '../../src/mgg/index.js';
import { UsageError } from '../../src/runtime/errors.js';
import { goldenLayer, goldenParameterValues } from './fixtures.js';

let directory = '';

/** Returns the golden tensors as a state dict in PyTorch shapes, as a converted release file stores them. */
function goldenStateDict(): Map<string, TensorToWrite> {
  const layer = goldenLayer();
  const tensors = new Map([...layer.parameters].map(([name, variable]) => [name, { shape: [...variable.shape], data: Float32Array.from(variable.dataSync()) }]));
  layer.dispose();
  return tensors;
}

function bytesOf(generator: GradientGenerator): Map<string, Uint8Array> {
  return new Map([...generator.parameters].map(([name, variable]) => [name, new Uint8Array(Float32Array.from(variable.dataSync()).buffer)]));
}

describe('checkpoint', () => {
  before(async () => {
    await tf.setBackend('cpu');
    directory = await mkdtemp(join(tmpdir(), 'mgtta-mgg-'));
  });

  after(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('round trip is bit-identical', async () => {
    for (const generator of [goldenLayer(), new LstmGenerator({ seed: 9 })] as GradientGenerator[]) {
      const path = join(directory, `${generator.kind}.safetensors`);
      await saveGenerator(path, generator, { source_model: 'vit_base_patch16_224', training_data: 'toy' });
      const { generator: loaded, metadata } = await loadGenerator(path);

      assert.equal(loaded.kind, generator.kind);
      assert.deepEqual([...loaded.parameters.keys()], [...generator.parameters.keys()]);
      assert.deepEqual(bytesOf(loaded), bytesOf(generator));
      assert.deepEqual(metadata, {
        kind: generator.kind,
        hidden_size: '8',
        input_features: '2',
        source_model: 'vit_base_patch16_224',
        training_data: 'toy',
      });
      generator.dispose();
      loaded.dispose();
    }
  });

  it('file keeps PyTorch names and shapes', async () => {
    const path = join(directory, 'layout.safetensors');
    const layer = goldenLayer();
    await saveGenerator(path, layer);
    const file = await readSafetensors(path);
    assert.deepEqual(file.tensors.get(GRADIENT_MEMORY_KEYS.queryWeight)!.shape, [8, 2]);
    assert.deepEqual(file.tensors.get(GRADIENT_MEMORY_KEYS.gateWeight)!.shape, [1, 1, 2]);
    assert.deepEqual(file.tensors.get(GRADIENT_MEMORY_KEYS.initialB)!.shape, [1, 1, 8]);
    assert.deepEqual(file.tensors.get(GRADIENT_MEMORY_KEYS.outputWeight)!.data, goldenParameterValues().get(GRADIENT_MEMORY_KEYS.outputWeight));
    layer.dispose();
  });

  it('plain state dict loads as gml', async () => {
    const path = join(directory, 'converted.safetensors');
    await writeSafetensors(path, goldenStateDict());
    const { generator } = await loadGenerator(path, { kind: 'gml', learnInitialMemory: false });
    assert.equal(generator.kind, 'gml');
    assert.equal(generator.hiddenSize, 8);
    assert.equal(generator.parameters.get(GRADIENT_MEMORY_KEYS.initialW)!.trainable, false);
    assert.deepEqual(generator.parameters.get(GRADIENT_MEMORY_KEYS.keyWeight)!.dataSync(), goldenParameterValues().get(GRADIENT_MEMORY_KEYS.keyWeight));
    generator.dispose();
  });

  it('unused second LSTM cell is skipped', () => {
    const lstm = new LstmGenerator();
    const tensors = new Map([...lstm.parameters].map(([name, variable]) => [name, { shape: [...variable.shape], data: Float32Array.from(variable.dataSync()) }]));
    tensors.set('recurs2.weight_hh', { shape: [32, 8], data: new Float32Array(256) });
    const loaded = generatorFromTensors(tensors, {});
    assert.equal(loaded.kind, 'lstm');
    assert.equal(loaded.parameters.has('recurs2.weight_hh'), false);
    assert.deepEqual(loaded.parameters.get(LSTM_KEYS.inputWeight)!.dataSync(), tensors.get(LSTM_KEYS.inputWeight)!.data);
    lstm.dispose();
    loaded.dispose();
  });

  it('missing tensor is rejected', () => {
    const tensors = goldenStateDict();
    tensors.delete(GRADIENT_MEMORY_KEYS.initialB);
    assert.throws(() => generatorFromTensors(tensors, { kind: 'gml' }, {}, 'model.safetensors'), (error: Error) => {
      assert.ok(error instanceof UsageError);
      assert.match(error.message, /^loadGenerator: tensor 'seq_modeling_block\.b1' is missing from 'model\.safetensors', expected shape \[1,1,8\]$/);
      return true;
    });
  });

  it('wrong shape is rejected', () => {
    const tensors = goldenStateDict();
    tensors.set(GRADIENT_MEMORY_KEYS.queryWeight, { shape: [2, 8], data: tensors.get(GRADIENT_MEMORY_KEYS.queryWeight)!.data });
    assert.throws(() => generatorFromTensors(tensors, { kind: 'gml' }, {}, 'model.safetensors'), (error: Error) => {
      assert.ok(error instanceof UsageError);
      assert.match(error.message, /tensor 'seq_modeling_block\.q_proj\.weight' in 'model\.safetensors' has shape \[2,8\], expected \[8,2\]/);
      return true;
    });
  });

  it('unexpected tensor is rejected', () => {
    const tensors = goldenStateDict();
    tensors.set('seq_modeling_block.rotary.freqs', { shape: [4], data: new Float32Array(4) });
    assert.throws(() => generatorFromTensors(tensors, {}, {}, 'model.safetensors'),
      /tensor 'seq_modeling_block\.rotary\.freqs' \(shape \[4\]\) in 'model\.safetensors' is unexpected/);
  });

  it('metadata problems are rejected', async () => {
    const layer = goldenLayer();
    await assert.rejects(saveGenerator(join(directory, 'reserved.safetensors'), layer, { kind: 'lstm' }), /metadata key 'kind' is reserved/);
    assert.throws(() => generatorFromTensors(goldenStateDict(), { kind: 'gru' }), /has kind 'gru', expected one of gml, lstm/);
    assert.throws(() => generatorFromTensors(goldenStateDict(), { kind: 'gml' }, { kind: 'lstm' }), /holds a gml generator, expected lstm/);
    assert.throws(() => generatorFromTensors(goldenStateDict(), { input_features: '3' }), /has input_features 3, expected 2/);
    assert.throws(() => generatorFromTensors(new Map(), {}), /generator kind is unknown/);
    layer.dispose();
  });
});
