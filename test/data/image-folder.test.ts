import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';

import sharp from 'sharp';

import { main } from '../../src/cli/index.js';
import { classList, imageFolderSet } from '../../src/data/index.js';
import { getModelConfig, readSafetensors, saveModel, VisionTransformer } from '../../src/model/index.js';
import { selectBackend } from '../../src/runtime/backend.js';
import { FIXTURES } from '../helpers/golden.js';

const root = mkdtempSync(join(tmpdir(), 'mgtta-folders-'));
/** The first three ImageNet classes in sorted-wnid order: labels 0, 1 and 2. */
const WNIDS = ['n01440764', 'n01443537', 'n01484850'];

async function writeImage(path: string, width: number, height: number, seed: number): Promise<void> {
  const pixels = Buffer.alloc(width * height * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 31 + seed * 97) % 256;
  await sharp(pixels, { raw: { width, height, channels: 3 } }).jpeg({ quality: 90 }).toFile(path);
}

describe('image folders', () => {
  before(async () => {
    process.env.MGTTA_QUIET = '1';
    for (const [label, wnid] of WNIDS.entries()) {
      mkdirSync(join(root, 'clean', wnid), { recursive: true });
      mkdirSync(join(root, 'imagenet-c', 'fog', '5', wnid), { recursive: true });
      for (let i = 0; i < 2; i++) {
        await writeImage(join(root, 'clean', wnid, `img${i}.JPEG`), 300, 260, label * 2 + i);
        await writeImage(join(root, 'imagenet-c', 'fog', '5', wnid, `img${i}.JPEG`), 224, 224, label * 2 + i);
      }
    }
  });

  it('class list has 1000 sorted wnids', () => {
    const wnids = classList('imagenet');
    assert.equal(wnids.length, 1000);
    assert.deepEqual(wnids.slice(0, 3), WNIDS);
    assert.deepEqual([...wnids].sort(), wnids);
    assert.equal(classList('imagenet-r').length, 200);
  });

  it('labels follow the class list', async () => {
    const set = await imageFolderSet(join(root, 'clean'), { id: 'clean', classes: classList('imagenet'), preprocessing: 'resize-crop', size: 224 });
    assert.equal(set.count, 6);
    assert.deepEqual(Array.from({ length: 6 }, (_, i) => set.label(i)), [0, 0, 1, 1, 2, 2]);
    const image = await set.image(0);
    assert.equal(image.height, 224);
    assert.equal(image.width, 224);
    assert.equal(image.channels, 3);
  });

  it('ImageNet-R labels index its 200 classes', async () => {
    const wnids = classList('imagenet-r');
    mkdirSync(join(root, 'r', wnids[1]!), { recursive: true });
    mkdirSync(join(root, 'r', wnids[199]!), { recursive: true });
    await writeImage(join(root, 'r', wnids[1]!, 'a.jpg'), 260, 300, 3);
    await writeImage(join(root, 'r', wnids[199]!, 'b.jpg'), 260, 300, 4);
    const set = await imageFolderSet(join(root, 'r'), { id: 'r', classes: wnids, preprocessing: 'resize-crop', size: 32 });
    assert.deepEqual([set.label(0), set.label(1)], [1, 199]);
    const common = ['--model', 'vit_golden_tiny', '--weights', `${FIXTURES}golden/vit-tiny.safetensors`, '--out', join(root, 'results'), '--backend', 'wasm'];
    assert.equal(await main(['node', 'mgtta', 'adapt', '--method', 'tent', '--corruption', 'none', '--dataset', 'imagenet-r', '--data-root', join(root, 'r'), ...common]), 2, 'a 10-class model cannot be masked to ImageNet-R');
  });

  it('ImageNet-R runs on masked logits', async () => {
    await selectBackend('wasm');
    const weights = join(root, 'vit-tiny-random.safetensors');
    const model = VisionTransformer.random(getModelConfig('vit_tiny_patch16_224'), 5);
    await saveModel(model, weights);
    model.dispose();
    const out = join(root, 'results');
    const args = ['adapt', '--method', 'noadapt,mgtta-nomgg', '--corruption', 'none', '--dataset', 'imagenet-r', '--data-root', join(root, 'r'),
      '--model', 'vit_tiny_patch16_224', '--weights', weights, '--stats', join(root, 'r-stats.safetensors'), '--batch-size', '2', '--out', out, '--run-id', 'r', '--backend', 'wasm'];
    const stats = ['node', 'mgtta', 'stats', '--model', 'vit_tiny_patch16_224', '--weights', weights, '--out', join(root, 'r-stats.safetensors'), '--backend', 'wasm'];
    assert.equal(await main(stats), 2, 'Fashion-MNIST images do not fit an ImageNet model');
    assert.equal(await main([...stats, '--dataset', 'image-folder', '--data-root', join(root, 'clean')]), 0);
    assert.equal(await main(['node', 'mgtta', ...args]), 0);
    const run = JSON.parse(readFileSync(join(out, 'r', 'run.json'), 'utf8'));
    assert.equal(run.methods['mgtta-nomgg'].loss.lambda, 0.2, 'ImageNet-R uses λ = 0.2 by default');
    const steps = readFileSync(join(out, 'r', 'steps.csv'), 'utf8').trim().split('\n');
    assert.equal(steps.length, 1 + 2, 'one batch of 2 images for each method');
    const statsFile = await readSafetensors(join(root, 'r-stats.safetensors'));
    assert.deepEqual(statsFile.tensors.get('mean')!.shape, [12 * 192]);
    assert.equal(statsFile.metadata.images, '6');
  });

  it('unknown class folder is rejected', async () => {
    mkdirSync(join(root, 'odd', 'not-a-wnid'), { recursive: true });
    await writeImage(join(root, 'odd', 'not-a-wnid', 'x.png'), 40, 40, 1);
    await assert.rejects(imageFolderSet(join(root, 'odd'), { id: 'odd', classes: classList('imagenet'), preprocessing: 'crop', size: 32 }), /not in a class folder/);
  });

  it('adapt reads the ImageNet-C layout', async () => {
    const out = join(root, 'results');
    const weights = `${FIXTURES}golden/vit-tiny.safetensors`;
    const common = ['--model', 'vit_golden_tiny', '--weights', weights, '--out', out, '--backend', 'wasm', '--batch-size', '2'];
    assert.equal(await main(['node', 'mgtta', 'adapt', '--method', 'noadapt,tent', '--corruption', 'fog', '--dataset', 'imagenet-c', '--data-root', join(root, 'imagenet-c'), '--run-id', 'c', ...common]), 0);
    const rows = readFileSync(join(out, 'c', 'cells.csv'), 'utf8').trim().split('\n');
    assert.equal(rows.length, 3);
    assert.match(rows[1]!, /^noadapt,vit_golden_tiny,imagenet-c,fog,5,2,2020,none,6,0,/);

    assert.equal(await main(['node', 'mgtta', 'adapt', '--method', 'tent', '--corruption', 'gaussian_noise', '--dataset', 'image-folder', '--data-root', join(root, 'clean'), '--run-id', 'folder', ...common]), 0);
    assert.match(readFileSync(join(out, 'folder', 'cells.csv'), 'utf8'), /\ntent,vit_golden_tiny,image-folder,gaussian_noise,5,2,2020,none,6,6,/);

    assert.equal(await main(['node', 'mgtta', 'adapt', '--method', 'tent', '--corruption', 'snow', '--dataset', 'imagenet-c', '--data-root', join(root, 'imagenet-c'), ...common]), 2, 'missing corruption folder');
    assert.equal(await main(['node', 'mgtta', 'adapt', '--method', 'tent', '--corruption', 'fog', '--dataset', 'imagenet-c', ...common]), 2, 'missing --data-root');
  });
});
