/**
 * Distortion of the corruptions on real data: the first 256 Fashion-MNIST test images
 * (28x28 grey, CIFAR tables, 8-bit truncated outputs). Reference values are the mean
 * per-image MSE to the clean image (values in [0, 1]) measured with an independent
 * NumPy/Pillow prototype of the same corruption definitions.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';

import { applyCorruption, isDeterministic } from '../../src/corruptions/index.js';
import { fashionImages, meanSquaredError } from './helpers.js';

const REFERENCE_MSE: Readonly<Record<string, readonly number[]>> = {
  gaussian_noise: [0.00113, 0.00253, 0.00445, 0.00556, 0.00686],
  shot_noise: [0.00056, 0.00110, 0.00260, 0.00338, 0.00492],
  impulse_noise: [0.00427, 0.00840, 0.01264, 0.02072, 0.02982],
  speckle_noise: [0.00072, 0.00188, 0.00262, 0.00442, 0.00655],
  gaussian_blur: [0.00026, 0.00395, 0.00628, 0.00841, 0.01219],
  defocus_blur: [0.00029, 0.00186, 0.00431, 0.00726, 0.01515],
  motion_blur: [0.00802, 0.01620, 0.02361, 0.02334, 0.02990],
  zoom_blur: [0.00970, 0.01518, 0.02102, 0.02665, 0.03275],
  brightness: [0.00217, 0.00923, 0.02073, 0.03616, 0.07562],
  contrast: [0.00680, 0.02716, 0.03911, 0.05321, 0.07846],
  fog: [0.00519, 0.02160, 0.03781, 0.05145, 0.07500],
  pixelate: [0.00294, 0.00325, 0.00563, 0.00718, 0.01223],
  jpeg_compression: [0.00040, 0.00094, 0.00120, 0.00149, 0.00194],
};

/** Relative tolerance: random corruptions 10 %, deterministic 3 %, JPEG 5 % (codec builds differ). */
function tolerance(name: string): number {
  if (name === 'jpeg_compression') return 0.05;
  return isDeterministic(name) ? 0.03 : 0.1;
}

const IMAGE_COUNT = 256;
const measured = new Map<string, number[]>();

describe('fashion-mnist distortion', () => {
  before(async () => {
    const images = fashionImages(IMAGE_COUNT);
    for (const name of Object.keys(REFERENCE_MSE)) {
      const bySeverity: number[] = [];
      for (let severity = 1; severity <= 5; severity++) {
        let total = 0;
        for (const [index, image] of images.entries()) {
          const out = await applyCorruption(image, name, severity, { seed: 0, index, datasetId: 'fashion-mnist/test' });
          total += meanSquaredError(out, image);
        }
        bySeverity.push(total / IMAGE_COUNT);
      }
      measured.set(name, bySeverity);
    }
  });

  it('MSE grows with severity', () => {
    for (const [name, values] of measured) {
      for (let severity = 2; severity <= 5; severity++) {
        const ratio = values[severity - 1]! / values[severity - 2]!;
        const label = `${name} ${severity - 1} -> ${severity}: MSE ratio ${ratio.toFixed(3)}`;
        // CIFAR motion severities 3 and 4 share sigma 2. The wider kernel adds weights below 1e-7, so they tie.
        if (name === 'motion_blur' && severity === 4) assert.ok(ratio >= 0.95, label);
        else assert.ok(ratio > 1, label);
      }
    }
  });

  it('MSE matches reference magnitudes', () => {
    for (const [name, values] of measured) {
      values.forEach((value, i) => {
        const reference = REFERENCE_MSE[name]![i]!;
        const relative = Math.abs(value - reference) / reference;
        assert.ok(relative <= tolerance(name), `${name} severity ${i + 1}: MSE ${value.toFixed(5)}, reference ${reference} (off by ${(100 * relative).toFixed(1)} %)`);
      });
    }
  });

  it('saturate is a no-op on grey', async () => {
    for (const [index, image] of fashionImages(8).entries()) {
      const out = await applyCorruption(image, 'saturate', 5, { seed: 0, index });
      assert.deepEqual(out.data, image.data);
    }
  });
});
