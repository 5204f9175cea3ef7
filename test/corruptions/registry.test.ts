import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  ALL_CORRUPTION_NAMES, BENCHMARK_CORRUPTIONS, EXTRA_CORRUPTIONS, applyCorruption, corruptionFamily, corruptionNames, isDeterministic,
  type RawImage,
} from '../../src/corruptions/index.js';
import { UsageError } from '../../src/runtime/errors.js';
import { randomImage } from './helpers.js';

const DETERMINISTIC = ['defocus_blur', 'zoom_blur', 'brightness', 'contrast', 'pixelate', 'jpeg_compression', 'gaussian_blur', 'saturate'];
const SEVERITIES = [1, 2, 3, 4, 5];

/** Inputs of every size class: 32x32 RGB and 28x28 grey (CIFAR tables), a non-square RGB and a tiny grey image. */
const INPUTS: Array<{ label: string; image: RawImage }> = [
  { label: '32x32x3', image: randomImage(32, 32, 3, 1) },
  { label: '28x28x1', image: randomImage(28, 28, 1, 2) },
  { label: '40x23x3', image: randomImage(40, 23, 3, 3) },
  { label: '7x5x1', image: randomImage(7, 5, 1, 4) },
];

describe('registry', () => {
  it('benchmark corruptions in ImageNet-C order', () => {
    assert.deepEqual(BENCHMARK_CORRUPTIONS, [
      'gaussian_noise', 'shot_noise', 'impulse_noise', 'defocus_blur', 'glass_blur', 'motion_blur', 'zoom_blur',
      'snow', 'frost', 'fog', 'brightness', 'contrast', 'elastic_transform', 'pixelate', 'jpeg_compression',
    ]);
    assert.deepEqual(EXTRA_CORRUPTIONS, ['speckle_noise', 'gaussian_blur', 'spatter', 'saturate']);
  });

  it('corruptionNames expands sets and lists', () => {
    assert.deepEqual(corruptionNames('all'), [...BENCHMARK_CORRUPTIONS]);
    assert.deepEqual(corruptionNames('noise'), ['gaussian_noise', 'shot_noise', 'impulse_noise']);
    assert.deepEqual(corruptionNames('blur'), ['defocus_blur', 'glass_blur', 'motion_blur', 'zoom_blur']);
    assert.deepEqual(corruptionNames('weather'), ['snow', 'frost', 'fog', 'brightness']);
    assert.deepEqual(corruptionNames('digital'), ['contrast', 'elastic_transform', 'pixelate', 'jpeg_compression']);
    assert.deepEqual(corruptionNames('extra'), [...EXTRA_CORRUPTIONS]);
    assert.deepEqual(corruptionNames(' fog, noise ,fog'), ['fog', 'gaussian_noise', 'shot_noise', 'impulse_noise']);
    assert.equal(corruptionNames('all,extra').length, 19);
  });

  it('corruptionNames rejects unknown names', () => {
    assert.throws(() => corruptionNames('fog,foggy'), (error: unknown) => {
      assert.ok(error instanceof UsageError);
      assert.match(error.message, /'foggy'/);
      assert.match(error.message, /gaussian_noise/);
      return true;
    });
    assert.throws(() => corruptionNames('fog,,snow'), UsageError);
  });

  it('families and determinism flags', () => {
    assert.equal(corruptionFamily('spatter'), 'extra');
    assert.equal(corruptionFamily('brightness'), 'weather');
    for (const name of ALL_CORRUPTION_NAMES) assert.equal(isDeterministic(name), DETERMINISTIC.includes(name), name);
    assert.throws(() => isDeterministic('nope'), UsageError);
  });

  it('invalid arguments raise UsageError', async () => {
    const image = randomImage(8, 8, 3, 5);
    const options = { seed: 0, index: 0 };
    await assert.rejects(applyCorruption(image, 'fog', 6, options), /invalid severity 6 for 'fog', expected an integer 1..5/);
    await assert.rejects(applyCorruption(image, 'fog', 2.5, options), UsageError);
    await assert.rejects(applyCorruption(image, 'haze', 1, options), /unknown corruption 'haze'; valid names: gaussian_noise/);
    await assert.rejects(applyCorruption(image, 'fog', 1, { seed: 0.5, index: 0 }), /invalid seed/);
    await assert.rejects(applyCorruption(image, 'fog', 1, { seed: 0, index: -1 }), /invalid index/);
    await assert.rejects(applyCorruption({ ...image, data: image.data.subarray(1) }, 'fog', 1, options), /191 bytes, expected 8x8x3 = 192/);
  });

  it('severity 0 returns a clean copy', async () => {
    const image = randomImage(8, 8, 3, 6);
    const clean = await applyCorruption(image, 'gaussian_noise', 0, { seed: 0, index: 0 });
    assert.deepEqual(clean.data, image.data);
    assert.notEqual(clean.data, image.data);
  });

  it('outputs keep shape, dtype and leave input intact', async () => {
    for (const { label, image } of INPUTS) {
      const original = new Uint8Array(image.data);
      for (const name of ALL_CORRUPTION_NAMES) {
        for (const severity of SEVERITIES) {
          const out = await applyCorruption(image, name, severity, { seed: 3, index: 1 });
          const where = `${name} ${severity} on ${label}`;
          assert.ok(out.data instanceof Uint8Array, where);
          assert.equal(out.height, image.height, where);
          assert.equal(out.width, image.width, where);
          assert.equal(out.channels, image.channels, where);
          assert.equal(out.data.length, image.data.length, where);
        }
      }
      assert.deepEqual(image.data, original, `input ${label} modified`);
    }
  });

  it('same inputs give identical bytes', async () => {
    const image = INPUTS[0]!.image;
    for (const name of ALL_CORRUPTION_NAMES) {
      const a = await applyCorruption(image, name, 3, { seed: 7, index: 2, datasetId: 'x' });
      const b = await applyCorruption(image, name, 3, { seed: 7, index: 2, datasetId: 'x' });
      assert.deepEqual(a.data, b.data, name);
    }
  });

  it('random corruptions vary with index and seed', async () => {
    for (const { label, image } of INPUTS.slice(0, 2)) {
      for (const name of ALL_CORRUPTION_NAMES.filter((n) => !DETERMINISTIC.includes(n))) {
        const base = await applyCorruption(image, name, 3, { seed: 1, index: 0 });
        const otherIndex = await applyCorruption(image, name, 3, { seed: 1, index: 1 });
        const otherSeed = await applyCorruption(image, name, 3, { seed: 2, index: 0 });
        assert.notDeepEqual(otherIndex.data, base.data, `${name} on ${label}: index ignored`);
        assert.notDeepEqual(otherSeed.data, base.data, `${name} on ${label}: seed ignored`);
      }
    }
  });

  it('deterministic corruptions ignore seed and index', async () => {
    for (const { label, image } of INPUTS.slice(0, 2)) {
      for (const name of DETERMINISTIC) {
        const base = await applyCorruption(image, name, 4, { seed: 1, index: 0 });
        const other = await applyCorruption(image, name, 4, { seed: 99, index: 5, datasetId: 'other' });
        assert.deepEqual(other.data, base.data, `${name} on ${label}`);
      }
    }
  });
});
