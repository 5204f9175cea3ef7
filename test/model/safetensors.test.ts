import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';

import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

import {
  getModelConfig, parseSafetensors, readSafetensors, serializeSafetensors, VisionTransformer, vitParameterShapes, writeSafetensors,
} from '../../src/model/index.js';
import { UsageError } from '../../src/runtime/errors.js';

const directory = mkdtempSync(join(tmpdir(), 'mgtta-safetensors-'));

/** Builds a safetensors file by hand with one tensor of raw little-endian bytes. */
function handMadeFile(dtype: string, shape: number[], raw: Uint8Array, metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = { t: { dtype, shape, data_offsets: [0, raw.byteLength] } };
  if (metadata) header.__metadata__ = metadata;
  const json = Buffer.from(JSON.stringify(header));
  const out = Buffer.alloc(8 + json.length + raw.byteLength);
  out.writeBigUInt64LE(BigInt(json.length), 0);
  json.copy(out, 8);
  Buffer.from(raw).copy(out, 8 + json.length);
  return out;
}

function randomState(shapes: Array<[string, number[]]>, seed: number): Map<string, { shape: number[]; data: Float32Array }> {
  let state = seed;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32 - 0.5;
  };
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, shape] of shapes) {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    const scale = name.includes('norm') && name.endsWith('weight') ? 0 : 0.04;
    for (let i = 0; i < data.length; i++) data[i] = (scale === 0 ? 1 : 0) + scale * next();
    tensors.set(name, { shape, data });
  }
  return tensors;
}

describe('safetensors', () => {
  before(async () => {
    await tf.setBackend('wasm');
  });

  it('round trip is bit-identical', async () => {
    const tensors = new Map([
      ['a.weight', { shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 1e-30, -0, 7]) }],
      ['b', { shape: [1], data: Float32Array.from([Math.PI]) }],
    ]);
    const path = join(directory, 'roundtrip.safetensors');
    await writeSafetensors(path, tensors, { model: 'x', note: 'hello' });
    const file = await readSafetensors(path);
    assert.deepEqual(file.metadata, { model: 'x', note: 'hello' });
    assert.deepEqual([...file.tensors.keys()], ['a.weight', 'b']);
    assert.deepEqual(file.tensors.get('a.weight')!.shape, [2, 3]);
    assert.deepEqual(file.tensors.get('a.weight')!.data, tensors.get('a.weight')!.data);
    assert.equal(file.tensors.get('b')!.data[0], Math.fround(Math.PI));
  });

  it('header is padded to 8 bytes', () => {
    const bytes = serializeSafetensors([['x', { shape: [1], data: Float32Array.from([1]) }]]);
    const headerLength = Number(Buffer.from(bytes).readBigUInt64LE(0));
    assert.equal(headerLength % 8, 0);
  });

  it('decodes float16 values', () => {
    // 0x3c00 = 1, 0xc000 = -2, 0x0001 = 2^-24 (smallest subnormal), 0x7c00 = +Infinity.
    const raw = new Uint8Array(new Uint16Array([0x3c00, 0xc000, 0x0001, 0x7c00]).buffer);
    const file = parseSafetensors(handMadeFile('F16', [4], raw));
    assert.deepEqual([...file.tensors.get('t')!.data], [1, -2, 2 ** -24, Infinity]);
  });

  it('decodes bfloat16 values', () => {
    // bfloat16 is the top half of float32: 0x3f80 = 1, 0xc040 = -3, 0x3e80 = 0.25.
    const raw = new Uint8Array(new Uint16Array([0x3f80, 0xc040, 0x3e80]).buffer);
    const file = parseSafetensors(handMadeFile('BF16', [3], raw));
    assert.deepEqual([...file.tensors.get('t')!.data], [1, -3, 0.25]);
  });

  it('rejects unsupported dtype', () => {
    assert.throws(() => parseSafetensors(handMadeFile('I64', [1], new Uint8Array(8)), 'x.safetensors'), /tensor 't' has dtype I64/);
  });

  it('rejects truncated data', () => {
    const file = handMadeFile('F32', [4], new Uint8Array(16));
    assert.throws(() => parseSafetensors(file.subarray(0, file.byteLength - 4), 'cut.safetensors'), /cut.safetensors.*data offsets/);
  });

  it('rejects header longer than file', () => {
    const bytes = Buffer.alloc(16);
    bytes.writeBigUInt64LE(1000n, 0);
    assert.throws(() => parseSafetensors(bytes, 'short'), /header length 1000 does not fit/);
  });

  it('missing file is a usage error', async () => {
    await assert.rejects(readSafetensors(join(directory, 'absent.safetensors')), UsageError);
  });

  it('model load names missing and mis-shaped tensors', () => {
    const config = getModelConfig('vit_golden_tiny');
    const state = randomState(vitParameterShapes(config), 1);
    state.delete('blocks.1.mlp.fc2.bias');
    state.set('head.weight', { shape: [11, 64], data: new Float32Array(11 * 64) });
    state.set('extra.weight', { shape: [2], data: new Float32Array(2) });
    assert.throws(
      () => VisionTransformer.fromStateDict(config, new Map([...state].map(([k, v]) => [k, { ...v, dtype: 'F32' as const }])), 'test file'),
      (error: Error) => {
        assert.ok(error instanceof UsageError);
        assert.match(error.message, /missing tensor 'blocks\.1\.mlp\.fc2\.bias' \(expected shape \[64\]\)/);
        assert.match(error.message, /tensor 'head\.weight' has shape \[11,64\], expected \[10,64\]/);
        assert.match(error.message, /unexpected tensor 'extra\.weight'/);
        return true;
      },
    );
  });

  it('ViT-B/16 in timm names loads and runs', async () => {
    const config = getModelConfig('vit_base_patch16_224');
    const path = join(directory, 'vit-b16.safetensors');
    await writeSafetensors(path, randomState(vitParameterShapes(config), 7), { format: 'pt' });
    const file = await readSafetensors(path);
    assert.deepEqual(file.tensors.get('patch_embed.proj.weight')!.shape, [768, 3, 16, 16]);
    assert.deepEqual(file.tensors.get('blocks.3.attn.qkv.weight')!.shape, [2304, 768]);

    const model = VisionTransformer.fromStateDict(config, file.tensors);
    file.tensors.clear();
    assert.equal(model.parameterCount(), 86_567_656);
    assert.equal(model.layerNormParameters().reduce((sum, v) => sum + v.size, 0), 38_400);

    const image = tf.randomUniform([1, 224, 224, 3], 0, 255, 'int32') as tf.Tensor4D;
    const { logits, features } = tf.tidy(() => model.forward(model.normalize(image)) as unknown as tf.NamedTensorMap) as unknown as { logits: tf.Tensor; features: tf.Tensor };
    assert.deepEqual(logits.shape, [1, 1000]);
    assert.deepEqual(features.shape, [1, 9216]);
    assert.ok((await logits.data()).every(Number.isFinite));
    tf.dispose([image, logits, features]);
    model.dispose();
  });
});
