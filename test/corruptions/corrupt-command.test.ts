/** `mgtta corrupt` end to end on small folders written to a temporary directory. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import sharp from 'sharp';

import { createCorruptCommand, jpegOutputName, parseCorruptOptions } from '../../src/cli/corrupt.js';
import { applyCorruption, encodePng, testPattern } from '../../src/corruptions/index.js';
import { UsageError } from '../../src/runtime/errors.js';
import { fashionImages } from './helpers.js';

const previousQuiet = process.env.MGTTA_QUIET;
let workspace = '';

async function corrupt(...args: string[]): Promise<void> {
  await createCorruptCommand().parseAsync(args, { from: 'user' });
}

function manifestLines(output: string): string[] {
  return readFileSync(join(output, 'manifest.csv'), 'utf8').trim().split('\n');
}

const RAW_DEFAULTS = { split: 'test', corruptions: 'all', severities: '1,2,3,4,5', seed: '0', size: '224' };

describe('corrupt command', () => {
  before(async () => {
    process.env.MGTTA_QUIET = '1';
    workspace = mkdtempSync(join(tmpdir(), 'mgtta-corrupt-'));
    const input = join(workspace, 'input');
    mkdirSync(join(input, 'cat', 'nested'), { recursive: true });
    mkdirSync(join(input, 'dog'), { recursive: true });

    writeFileSync(join(input, 'cat', 'a.png'), await encodePng(testPattern(40, 60, 3)));
    await sharp(Buffer.from(testPattern(50, 50, 3).data), { raw: { width: 50, height: 50, channels: 3 } }).jpeg().toFile(join(input, 'cat', 'nested', 'b.JPG'));
    writeFileSync(join(input, 'dog', 'c.pgm'), Buffer.concat([Buffer.from('P5\n36 34\n255\n'), Buffer.from(testPattern(34, 36, 1).data)]));
    writeFileSync(join(input, 'dog', 'notes.txt'), 'not an image');
    writeFileSync(join(workspace, 'pattern.png'), await encodePng(testPattern(48, 48, 3)));
  });

  after(() => {
    rmSync(workspace, { recursive: true, force: true });
    if (previousQuiet === undefined) delete process.env.MGTTA_QUIET;
    else process.env.MGTTA_QUIET = previousQuiet;
  });

  it('output names replace the extension', () => {
    assert.equal(jpegOutputName('cat/nested/b.JPG'), 'cat/nested/b.jpg');
    assert.equal(jpegOutputName('x.y/flat.png'), 'x.y/flat.jpg');
  });

  it('folder run writes every output and manifest', async () => {
    const output = join(workspace, 'out');
    await corrupt('--input', join(workspace, 'input'), '--output', output, '--size', '32', '--corruptions', 'fog,pixelate', '--severities', '1,3', '--concurrency', '2');

    const images = ['cat/a.jpg', 'cat/nested/b.jpg', 'dog/c.jpg'];
    const lines = manifestLines(output);
    assert.equal(lines[0], 'file,corruption,severity,seed,sha256');
    assert.equal(lines.length, 1 + images.length * 2 * 2);
    for (const corruption of ['fog', 'pixelate']) {
      for (const severity of [1, 3]) {
        for (const image of images) {
          const file = `${corruption}/${severity}/${image}`;
          const bytes = readFileSync(join(output, file));
          const metadata = await sharp(bytes).metadata();
          assert.deepEqual([metadata.format, metadata.width, metadata.height], ['jpeg', 32, 32], file);
          const sha256 = createHash('sha256').update(bytes).digest('hex');
          assert.ok(lines.includes(`${file},${corruption},${severity},0,${sha256}`), `manifest line of ${file}`);
        }
      }
    }
  });

  it('rerun skips and restores outputs', async () => {
    const output = join(workspace, 'out');
    const args = ['--input', join(workspace, 'input'), '--output', output, '--size', '32', '--corruptions', 'fog,pixelate', '--severities', '1,3'];
    const existing = join(output, 'fog', '1', 'cat', 'a.jpg');
    const removed = join(output, 'fog', '3', 'dog', 'c.jpg');
    const existingTime = statSync(existing).mtimeMs;
    const removedBytes = readFileSync(removed);
    rmSync(removed);

    await corrupt(...args);
    assert.equal(statSync(existing).mtimeMs, existingTime);
    assert.deepEqual(readFileSync(removed), removedBytes);
    assert.equal(manifestLines(output).length, 1 + 12);
  });

  it('resume with another seed is rejected', async () => {
    const output = join(workspace, 'out');
    await assert.rejects(
      corrupt('--input', join(workspace, 'input'), '--output', output, '--size', '32', '--corruptions', 'fog', '--seed', '9'),
      /written with --seed 0/,
    );
  });

  it('unreadable images fail the run last', async () => {
    const input = join(workspace, 'broken-input');
    mkdirSync(input, { recursive: true });
    writeFileSync(join(input, 'bad.png'), 'not a png');
    writeFileSync(join(input, 'good.png'), await encodePng(testPattern(32, 32, 3)));
    const output = join(workspace, 'broken-out');
    await assert.rejects(corrupt('--input', input, '--output', output, '--size', '32', '--corruptions', 'contrast', '--severities', '2'), /1 outputs could not be written/);
    assert.ok(existsSync(join(output, 'contrast', '2', 'good.jpg')));
  });

  it('fashion-mnist run matches applyCorruption', async () => {
    const output = join(workspace, 'fashion');
    await corrupt('--dataset', 'fashion-mnist', '--limit', '3', '--output', output, '--corruptions', 'fog', '--severities', '5', '--seed', '4');
    const images = fashionImages(3);
    const labels = ['9', '2', '1'];
    for (const [index, image] of images.entries()) {
      const expected = await applyCorruption(image, 'fog', 5, { seed: 4, index, datasetId: 'fashion-mnist/test' });
      const path = join(output, 'fog', '5', labels[index]!, `${index}.png`);
      const metadata = await sharp(path).metadata();
      assert.deepEqual([metadata.format, metadata.width, metadata.height, metadata.channels], ['png', 28, 28, 1]);
      const data = await sharp(path).toColourspace('b-w').raw().toBuffer();
      assert.deepEqual(new Uint8Array(data), expected.data, `image ${index}`);
    }
  });

  it('preview writes a contact sheet', async () => {
    const path = join(workspace, 'sheet.png');
    await corrupt('--preview', path, '--image', join(workspace, 'pattern.png'), '--size', '32', '--corruptions', 'fog,snow', '--severities', '1,5');
    const metadata = await sharp(path).metadata();
    // Label column 170 px, 3 columns (clean, 1, 5) of 32 px plus 4 px gaps. Header 28 px, 2 rows.
    assert.deepEqual([metadata.width, metadata.height], [170 + 3 * 36, 28 + 2 * 36]);
  });

  it('invalid options name the value', () => {
    const input = join(workspace, 'input');
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ input, output: 'x', severities: '1,6' }, /invalid --severities '1,6': '6' is not an integer from 1 to 5/],
      [{ input, output: 'x', severities: '2,2' }, /a severity is repeated/],
      [{ input, output: 'x', size: '4' }, /invalid --size '4'/],
      [{ input, output: 'x', seed: '1.5' }, /invalid --seed '1.5'/],
      [{ input, output: 'x', corruptions: 'fog,mist' }, /unknown corruption 'mist'/],
      [{ input }, /missing --output DIR/],
      [{ output: 'x' }, /missing input: pass --input DIR/],
      [{ input, dataset: 'fashion-mnist', output: 'x' }, /exclude each other/],
      [{ dataset: 'mnist', output: 'x' }, /invalid --dataset 'mnist': expected one of fashion-mnist/],
      [{ input: join(workspace, 'missing'), output: 'x' }, /directory not found/],
      [{ preview: 'sheet.jpg' }, /give a path ending in .png/],
      [{ image: join(workspace, 'pattern.png'), output: 'x' }, /only applies with --preview/],
    ];
    for (const [overrides, message] of cases) {
      assert.throws(() => parseCorruptOptions({ ...RAW_DEFAULTS, ...overrides }), (error: unknown) => {
        assert.ok(error instanceof UsageError, `${JSON.stringify(overrides)} threw ${String(error)}`);
        assert.match(error.message, message);
        return true;
      });
    }
  });

  it('defaults resolve to a typed object', () => {
    const options = parseCorruptOptions({ ...RAW_DEFAULTS, input: join(workspace, 'input'), output: 'out' });
    assert.equal(options.mode, 'dataset');
    assert.equal(options.corruptions.length, 15);
    assert.deepEqual(options.severities, [1, 2, 3, 4, 5]);
    assert.equal(options.size, 224);
    assert.ok(options.concurrency >= 1);
    assert.deepEqual(options.source, { kind: 'folder', root: join(workspace, 'input') });
  });
});
