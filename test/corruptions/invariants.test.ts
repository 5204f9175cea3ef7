/**
 * Numeric invariants of the corruptions on synthetic images: colour operations, noise
 * statistics, blurs on constant and banded images, pixelate structure, JPEG, fog, frost, snow
 * and spatter. Outputs are 8-bit and truncated, so most checks allow one grey level.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import sharp from 'sharp';

import { rgbToHsv } from '../../src/corruptions/color.js';
import { displacementField } from '../../src/corruptions/digital.js';
import { FROST_PALETTES, frostTexture } from '../../src/corruptions/frost-texture.js';
import { applyCorruption, imageRng, parameter, testPattern, type RawImage } from '../../src/corruptions/index.js';
import { plasmaFractal } from '../../src/corruptions/plasma.js';
import { Rng } from '../../src/corruptions/rng.js';
import { channelValues, constantImage, mean, meanSquaredError, randomImage, standardDeviation } from './helpers.js';

const SEVERITIES = [1, 2, 3, 4, 5];
const run = (image: RawImage, name: string, severity: number, index = 0): Promise<RawImage> =>
  applyCorruption(image, name, severity, { seed: 5, index });

function assertNear(actual: number, expected: number, tolerance: number, label: string): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${label}: ${actual}, expected ${expected} +- ${tolerance}`);
}

/** Flat grey 128 (v = 0.50196) at 256x256x3, which uses the ImageNet table unscaled (256 / 224 = 1.14). */
const FLAT_GREY = constantImage(256, 256, 3, 128);
const FLAT_VALUE = 128 / 255;
const BLACK = constantImage(256, 256, 3, 0);

function fractionEqual(image: RawImage, value: number): number {
  let count = 0;
  for (const byte of image.data) if (byte === value) count++;
  return count / image.data.length;
}

function unitValues(image: RawImage): number[] {
  return Array.from(image.data, (byte) => byte / 255);
}

describe('colour invariants', () => {
  // CIFAR brightness deltas for severities 1..5 (32 px images use the CIFAR table).
  const brightnessDelta = [0.05, 0.1, 0.15, 0.2, 0.3];

  it('brightness raises V by c, keeps hue', async () => {
    const image = randomImage(32, 32, 3, 11);
    for (const severity of SEVERITIES) {
      const c = brightnessDelta[severity - 1]!;
      const out = await run(image, 'brightness', severity);
      for (let p = 0; p < 32 * 32; p++) {
        const rgb = [0, 1, 2].map((ch) => image.data[p * 3 + ch]! / 255);
        const value = Math.max(...rgb);
        const raised = Math.min(1, value + c);
        const outMax = Math.max(...[0, 1, 2].map((ch) => out.data[p * 3 + ch]!));
        assertNear(outMax, Math.floor(raised * 255), 1, `severity ${severity} pixel ${p} max channel`);
        // Hue and saturation kept: every channel scaled by (V + c) / V.
        for (let ch = 0; ch < 3; ch++) assertNear(out.data[p * 3 + ch]!, Math.floor((255 * rgb[ch]! * raised) / value), 1, `pixel ${p} channel ${ch}`);
      }
    }
  });

  it('brightness on grey is min(1, v + c)', async () => {
    const image = randomImage(28, 28, 1, 12);
    for (const severity of SEVERITIES) {
      const c = brightnessDelta[severity - 1]!;
      const out = await run(image, 'brightness', severity);
      out.data.forEach((byte, i) => assertNear(byte, Math.floor(Math.min(1, image.data[i]! / 255 + c) * 255), 1, `pixel ${i}`));
    }
  });

  it('brightness mean of V rises by c', async () => {
    // All V <= 1 - 0.3, so no pixel saturates: the mean of the max channel rises by exactly c
    // (less the 0.5-level truncation bias).
    const image = randomImage(32, 32, 3, 13);
    image.data.forEach((byte, i) => (image.data[i] = Math.floor(byte * 0.7)));
    const maxChannel = (img: RawImage): number[] => Array.from({ length: 32 * 32 }, (_, p) => Math.max(...img.data.subarray(p * 3, p * 3 + 3)) / 255);
    const out = await run(image, 'brightness', 5);
    assertNear(mean(maxChannel(out)) - mean(maxChannel(image)), 0.3, 1 / 255, 'mean V rise');
  });

  it('contrast keeps means and scales deviations', async () => {
    // CIFAR contrast factors for severities 1..5.
    const factors = [0.75, 0.5, 0.4, 0.3, 0.15];
    for (const image of [randomImage(32, 32, 3, 14), randomImage(28, 28, 1, 15)]) {
      for (const severity of SEVERITIES) {
        const out = await run(image, 'contrast', severity);
        for (let ch = 0; ch < image.channels; ch++) {
          const before = channelValues(image, ch);
          const after = channelValues(out, ch);
          assertNear(mean(after), mean(before), 1, `severity ${severity} channel ${ch} mean`);
          assertNear(standardDeviation(after), standardDeviation(before) * factors[severity - 1]!, 1, `severity ${severity} channel ${ch} std`);
        }
      }
    }
  });

  it('saturate keeps V, moves saturation', async () => {
    const image = randomImage(32, 32, 3, 16);
    const hsv = new Float64Array(3);
    const meanSaturation = (img: RawImage): number =>
      mean(Array.from({ length: 32 * 32 }, (_, p) => rgbToHsv(img.data[p * 3]! / 255, img.data[p * 3 + 1]! / 255, img.data[p * 3 + 2]! / 255, hsv)[1]!));
    const before = meanSaturation(image);
    for (const severity of SEVERITIES) {
      const out = await run(image, 'saturate', severity);
      for (let p = 0; p < 32 * 32; p++) {
        const inMax = Math.max(...image.data.subarray(p * 3, p * 3 + 3));
        const outMax = Math.max(...out.data.subarray(p * 3, p * 3 + 3));
        assertNear(outMax, inMax, 1, `severity ${severity} pixel ${p} max channel`);
      }
      const after = meanSaturation(out);
      if (severity <= 2) assert.ok(after < before, `severity ${severity}: saturation ${after} not below ${before}`);
      else assert.ok(after > before, `severity ${severity}: saturation ${after} not above ${before}`);
    }
  });

  it('saturate is identity on grey', async () => {
    const image = randomImage(28, 28, 1, 17);
    assert.deepEqual((await run(image, 'saturate', 5)).data, image.data);
  });
});

describe('noise statistics', () => {
  it('gaussian noise std on flat grey', async () => {
    // ImageNet sigma 0.08 .. 0.38. Clipping at 0 and 1 lowers the observed std above 0.12.
    const expected = [0.08, 0.12, 0.179, 0.247, 0.317];
    for (const severity of SEVERITIES) {
      const values = unitValues(await run(FLAT_GREY, 'gaussian_noise', severity));
      assertNear(standardDeviation(values), expected[severity - 1]!, 0.02 * expected[severity - 1]!, `severity ${severity}`);
    }
  });

  it('shot noise mean and variance', async () => {
    // Severities 1-2 have c = 60 and 25 photons: variance v / c. Weaker c clips heavily.
    for (const [severity, photons] of [[1, 60], [2, 25]] as const) {
      const values = unitValues(await run(FLAT_GREY, 'shot_noise', severity));
      assertNear(mean(values), FLAT_VALUE - 0.5 / 255, 0.002, `severity ${severity} mean`);
      const variance = standardDeviation(values) ** 2;
      assertNear(variance, FLAT_VALUE / photons, 0.03 * (FLAT_VALUE / photons), `severity ${severity} variance`);
    }
  });

  it('speckle noise std is v c', async () => {
    // ImageNet speckle c = 0.15, 0.2, 0.35 at severities 1-3 (little clipping there).
    for (const [severity, c] of [[1, 0.15], [2, 0.2], [3, 0.35]] as const) {
      const values = unitValues(await run(FLAT_GREY, 'speckle_noise', severity));
      assertNear(standardDeviation(values), FLAT_VALUE * c, 0.02 * FLAT_VALUE * c, `severity ${severity}`);
    }
  });

  it('impulse noise salt and pepper fractions', async () => {
    const amounts = [0.03, 0.06, 0.09, 0.17, 0.27];
    for (const severity of SEVERITIES) {
      const out = await run(FLAT_GREY, 'impulse_noise', severity);
      const half = amounts[severity - 1]! / 2;
      assertNear(fractionEqual(out, 0), half, 0.1 * half, `severity ${severity} pepper`);
      assertNear(fractionEqual(out, 255), half, 0.1 * half, `severity ${severity} salt`);
    }
  });

  it('shot and speckle keep black', async () => {
    for (const name of ['shot_noise', 'speckle_noise']) {
      for (const severity of SEVERITIES) assert.equal(fractionEqual(await run(BLACK, name, severity), 0), 1, `${name} ${severity}`);
    }
  });

  it('impulse on black sets a/2 to white', async () => {
    const out = await run(BLACK, 'impulse_noise', 5);
    assertNear(fractionEqual(out, 255), 0.135, 0.0135, 'salt fraction');
    assert.equal(fractionEqual(out, 0) + fractionEqual(out, 255), 1);
  });

  it('gaussian on black is half-normal', async () => {
    // E[max(0, n)] = c / sqrt(2 pi) for n ~ N(0, c^2). Truncation to 8 bits removes about 0.5 level
    // from the positive half, i.e. 0.25 / 255 on the mean.
    for (const [severity, c] of [[1, 0.08], [5, 0.38]] as const) {
      const values = unitValues(await run(BLACK, 'gaussian_noise', severity));
      const expected = c / Math.sqrt(2 * Math.PI) - 0.25 / 255;
      assertNear(mean(values), expected, 0.02 * expected + 0.0005, `severity ${severity} mean`);
      const positive = values.filter((value) => value > 0).length / values.length;
      assertNear(positive, 0.5, 0.03, `severity ${severity} positive fraction`);
    }
  });
});

describe('blur invariants', () => {
  const PRESERVING = ['gaussian_blur', 'defocus_blur', 'glass_blur', 'motion_blur', 'zoom_blur', 'elastic_transform', 'pixelate', 'contrast'];

  it('constant images stay constant', async () => {
    for (const image of [constantImage(32, 32, 3, [40, 128, 211]), constantImage(28, 28, 1, 77)]) {
      for (const name of PRESERVING) {
        for (const severity of SEVERITIES) {
          const out = await run(image, name, severity);
          out.data.forEach((byte, i) => assertNear(byte, image.data[i]!, 1, `${name} ${severity} ${image.channels}-channel value ${i}`));
        }
      }
    }
  });

  it('blurs keep the mean with a constant band', async () => {
    // 40x40 uses the CIFAR table unscaled (40 / 32 = 1.25). The outer band of 18 px is wider than
    // every reach (gaussian radius 4, disk 2, motion kernel 18 taps), so each kernel's weight stays inside.
    const image = constantImage(40, 40, 3, 90);
    const texture = randomImage(4, 4, 3, 18);
    for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) for (let ch = 0; ch < 3; ch++) {
      image.data[((18 + y) * 40 + 18 + x) * 3 + ch] = texture.data[(y * 4 + x) * 3 + ch]!;
    }
    for (const name of ['gaussian_blur', 'defocus_blur', 'motion_blur']) {
      for (const severity of SEVERITIES) {
        const out = await run(image, name, severity);
        assertNear(mean(out.data), mean(image.data), 1, `${name} ${severity}`);
      }
    }
  });

  it('blurs keep the mean at 224', async () => {
    // Centre 100x100 pattern on a band of 62 px: wider than motion's 40-tap reach at severity 5.
    const image = constantImage(224, 224, 3, 120);
    const centre = testPattern(100, 100, 3);
    for (let y = 0; y < 100; y++) image.data.set(centre.data.subarray(y * 300, (y + 1) * 300), ((62 + y) * 224 + 62) * 3);
    for (const name of ['gaussian_blur', 'defocus_blur', 'motion_blur']) {
      const out = await run(image, name, 5);
      assertNear(mean(out.data), mean(image.data), 1, name);
    }
  });

  it('elastic displacement RMS per axis', () => {
    // Per-axis RMS of the smoothed displacement field (measured on the reference): ImageNet
    // 1.2, 4.8, 0.8, 1.2, 2.0 px and CIFAR 0, 0.05, 0.24, 0.45, 0.57 px. Allow 10 %. ImageNet
    // severity 1 is left out: with sigma 170.8 px on 224 px the field is close to one random
    // shift per image, so its RMS varies by about 50 % between images.
    const expected = { imagenet224: [1.2, 4.8, 0.8, 1.2, 2.0], cifar32: [0, 0.05, 0.24, 0.45, 0.57] } as const;
    for (const [table, side] of [['imagenet224', 224], ['cifar32', 32]] as const) {
      for (const severity of table === 'imagenet224' ? [2, 3, 4, 5] : SEVERITIES) {
        const alpha = parameter(table, 'elastic_transform', severity, 'alpha');
        const sigma = parameter(table, 'elastic_transform', severity, 'sigma');
        let squares = 0;
        let count = 0;
        for (let stream = 0; stream < 4; stream++) {
          for (const value of displacementField(side, side, alpha, sigma, { rng: new Rng([stream, severity, side, 1]) })) {
            squares += value * value;
            count++;
          }
        }
        const target = expected[table][severity - 1]!;
        assertNear(Math.sqrt(squares / count), target, 0.1 * target + 0.005, `${table} severity ${severity}`);
      }
    }
  });
});

describe('digital invariants', () => {
  function runs(row: Uint8Array): number {
    let count = 1;
    for (let i = 1; i < row.length; i++) if (row[i] !== row[i - 1]) count++;
    return count;
  }

  it('pixelate rows have at most n runs', async () => {
    const sides = { 32: [30, 28, 27, 24, 20], 28: [26, 25, 23, 21, 18] } as const;
    for (const side of [32, 28] as const) {
      const image = randomImage(side, side, 1, 19);
      for (const severity of SEVERITIES) {
        const out = await run(image, 'pixelate', severity);
        for (let y = 0; y < side; y++) {
          const count = runs(out.data.subarray(y * side, (y + 1) * side));
          assert.ok(count <= sides[side][severity - 1]!, `side ${side} severity ${severity} row ${y}: ${count} runs`);
        }
      }
    }
  });

  it('pixelate blocks exact when n divides S', async () => {
    // At 224, severity 2 gives n = 112 (2 px blocks) and severity 5 n = 56 (4 px blocks).
    const image = randomImage(224, 224, 1, 20);
    for (const [severity, block] of [[2, 2], [5, 4]] as const) {
      const out = await run(image, 'pixelate', severity);
      for (let y = 0; y < 224; y++) {
        for (let x = 0; x < 224; x++) {
          const anchor = (y - (y % block)) * 224 + (x - (x % block));
          assert.equal(out.data[y * 224 + x], out.data[anchor], `severity ${severity} pixel (${y}, ${x})`);
        }
      }
    }
  });

  async function sharpRoundTrip(image: RawImage, quality: number): Promise<{ decoded: Uint8Array; size: number }> {
    // Independent of the module: baseline JPEG, standard tables, 4:2:0, then raw decode.
    let input = sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } });
    if (image.channels === 1) input = input.toColourspace('b-w');
    const buffer = await input.jpeg({ quality, chromaSubsampling: '4:2:0', mozjpeg: false, trellisQuantisation: false, overshootDeringing: false, optimiseScans: false, quantisationTable: 0 }).toBuffer();
    let output = sharp(buffer);
    if (image.channels === 1) output = output.toColourspace('b-w');
    const decoded = await output.raw().toBuffer();
    return { decoded: new Uint8Array(decoded), size: buffer.length };
  }

  it('jpeg equals sharp decode(encode)', async () => {
    const qualities = [80, 65, 58, 50, 40];
    for (const image of [testPattern(32, 32, 3), testPattern(28, 28, 1)]) {
      let previousSize = Infinity;
      let previousError = 0;
      for (const severity of SEVERITIES) {
        const out = await run(image, 'jpeg_compression', severity);
        const reference = await sharpRoundTrip(image, qualities[severity - 1]!);
        assert.deepEqual(out.data, reference.decoded, `${image.channels}-channel severity ${severity}`);
        // Lower quality: smaller file and larger error (lower PSNR).
        assert.ok(reference.size < previousSize, `severity ${severity}: size ${reference.size}`);
        const error = meanSquaredError(out, image);
        assert.ok(error > previousError, `severity ${severity}: MSE ${error}`);
        previousSize = reference.size;
        previousError = error;
      }
    }
  });

  it('grey jpeg has one component', async () => {
    const { encodeJpeg } = await import('../../src/corruptions/jpeg.js');
    const buffer = await encodeJpeg(testPattern(28, 28, 1), 50);
    const metadata = await sharp(buffer).metadata();
    assert.equal(metadata.channels, 1);
    assert.equal(metadata.isProgressive, false);
  });
});

describe('weather invariants', () => {
  it('fog never exceeds the input maximum', async () => {
    for (const image of [randomImage(32, 32, 3, 21), testPattern(28, 28, 1)]) {
      const inputMax = Math.max(...image.data);
      for (const severity of SEVERITIES) {
        const out = await run(image, 'fog', severity, 3);
        assert.ok(Math.max(...out.data) <= inputMax + 1, `severity ${severity}`);
      }
    }
  });

  it('fog equals the formula with its plasma', async () => {
    // Regenerate the plasma from the same stream: output = clip((v + A P) m / (m + A)).
    const image = testPattern(28, 28, 1);
    const amplitudes = [0.2, 0.5, 0.75, 1, 1.5];
    const decays = [3, 3, 2.5, 2, 1.75];
    const maxValue = Math.max(...image.data) / 255;
    for (const severity of SEVERITIES) {
      const out = await applyCorruption(image, 'fog', severity, { seed: 8, index: 2, datasetId: 'd' });
      const rng = imageRng({ seed: 8, datasetId: 'd', corruption: 'fog', severity, index: 2 });
      const plasma = plasmaFractal(32, decays[severity - 1]!, rng);
      const amplitude = amplitudes[severity - 1]!;
      for (let y = 0; y < 28; y++) {
        for (let x = 0; x < 28; x++) {
          const value = (image.data[y * 28 + x]! / 255 + amplitude * plasma[y * 32 + x]!) * maxValue / (maxValue + amplitude);
          assertNear(out.data[y * 28 + x]!, Math.floor(Math.min(1, Math.max(0, value)) * 255), 1, `severity ${severity} (${y}, ${x})`);
        }
      }
    }
  });

  it('frost equals a u + b F with its texture', async () => {
    const image = randomImage(32, 32, 3, 22);
    const weights = [[1, 0.2], [1, 0.3], [0.9, 0.4], [0.85, 0.4], [0.75, 0.45]];
    for (const severity of SEVERITIES) {
      const out = await applyCorruption(image, 'frost', severity, { seed: 4, index: 9 });
      const texture = frostTexture(32, 32, 3, 'cifar32', imageRng({ seed: 4, datasetId: '', corruption: 'frost', severity, index: 9 }));
      const [a, b] = weights[severity - 1]!;
      out.data.forEach((byte, i) => {
        const expected = Math.floor(Math.min(255, Math.max(0, a! * image.data[i]! + b! * texture[i % 3]![Math.floor(i / 3)]!)));
        assertNear(byte, expected, 1, `severity ${severity} value ${i}`);
      });
    }
  });

  it('frost texture matches a palette mean', () => {
    // Box-shrinking keeps the mean, so each grey texture's mean is its palette's grey mean,
    // less a little where the standardised texture clips at 0 or 255.
    const greyMeans = FROST_PALETTES.map((palette) => palette.greyMean);
    for (let stream = 0; stream < 12; stream++) {
      const [plane] = frostTexture(28, 28, 1, 'cifar32', new Rng([stream, 3, 3, 3]));
      const textureMean = mean(plane!);
      assert.ok(greyMeans.some((m) => Math.abs(textureMean - m) < 3), `stream ${stream}: mean ${textureMean}`);
    }
  });

  it('snow never darkens', async () => {
    for (const image of [randomImage(32, 32, 3, 23), testPattern(28, 28, 1), testPattern(224, 224, 3)]) {
      for (const severity of image.height === 224 ? [5] : SEVERITIES) {
        const out = await run(image, 'snow', severity);
        out.data.forEach((byte, i) => assert.ok(byte >= image.data[i]! - 1, `severity ${severity} value ${i}: ${byte} < ${image.data[i]}`));
      }
    }
  });

  it('spatter water never darkens', async () => {
    // Severities 1-3 are water drops in both tables.
    for (const image of [randomImage(32, 32, 3, 24), testPattern(28, 28, 1), testPattern(224, 224, 3)]) {
      for (const severity of [1, 2, 3]) {
        const out = await run(image, 'spatter', severity);
        out.data.forEach((byte, i) => assert.ok(byte >= image.data[i]! - 1, `severity ${severity} value ${i}`));
      }
    }
  });

  it('severity 5 distorts more than 1', async () => {
    // Elastic is excluded: its severity-1 affine jitter (2.56 px at 32, 24.4 px at 224) exceeds severity 5's.
    const names = ['gaussian_noise', 'shot_noise', 'impulse_noise', 'defocus_blur', 'glass_blur', 'motion_blur', 'zoom_blur', 'snow',
      'frost', 'fog', 'brightness', 'contrast', 'pixelate', 'jpeg_compression', 'speckle_noise', 'gaussian_blur', 'spatter', 'saturate'];
    const image = testPattern(32, 32, 3);
    for (const name of names) {
      let mild = 0;
      let severe = 0;
      for (let index = 0; index < 8; index++) {
        mild += meanSquaredError(await run(image, name, 1, index), image);
        severe += meanSquaredError(await run(image, name, 5, index), image);
      }
      assert.ok(severe > mild, `${name}: severity-5 MSE ${severe / 8} not above severity-1 MSE ${mild / 8}`);
    }
  });
});
