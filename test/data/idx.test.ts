import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, it } from 'node:test';

import { loadFashionMnist, parseIdx, readIdx } from '../../src/data/index.js';
import { UsageError } from '../../src/runtime/errors.js';

const directory = mkdtempSync(join(tmpdir(), 'mgtta-idx-'));

function idx(shape: number[], data: number[], typeCode = 0x08): Buffer {
  const header = Buffer.alloc(4 + 4 * shape.length);
  header[2] = typeCode;
  header[3] = shape.length;
  shape.forEach((size, axis) => header.writeUInt32BE(size, 4 + 4 * axis));
  return Buffer.concat([header, Buffer.from(data)]);
}

describe('readIdx', () => {
  it('parses shape and data', () => {
    const parsed = parseIdx(idx([2, 2, 3], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]));
    assert.deepEqual(parsed.shape, [2, 2, 3]);
    assert.deepEqual([...parsed.data], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it('reads gzipped files', async () => {
    const path = join(directory, 'labels-idx1-ubyte.gz');
    writeFileSync(path, gzipSync(idx([3], [9, 0, 4])));
    const parsed = await readIdx(path);
    assert.deepEqual(parsed.shape, [3]);
    assert.deepEqual([...parsed.data], [9, 0, 4]);
  });

  it('truncated file names both sizes', () => {
    assert.throws(() => parseIdx(idx([2, 28, 28], new Array(1000).fill(0)), 'cut-idx3-ubyte'), (error: Error) => {
      assert.ok(error instanceof UsageError);
      assert.match(error.message, /'cut-idx3-ubyte' is invalid: it is truncated: shape \[2,28,28\] needs 1568 data bytes but the file has 1000/);
      return true;
    });
  });

  it('rejects bad magic', () => {
    const bytes = idx([1], [0]);
    bytes[0] = 0x1f;
    assert.throws(() => parseIdx(bytes, 'x'), /magic starts with 0x1f00, expected 0x0000/);
  });

  it('rejects non-byte element types', () => {
    assert.throws(() => parseIdx(idx([1], [0, 0, 0, 0], 0x0d), 'x'), /element type 0x0d \(float32\) is not supported/);
  });

  it('rejects truncated header', () => {
    assert.throws(() => parseIdx(Buffer.from([0, 0, 8, 3, 0, 0]), 'x'), /fewer than its 16-byte header/);
  });

  it('rejects trailing bytes', () => {
    assert.throws(() => parseIdx(idx([2], [1, 2, 3]), 'x'), /1 bytes after the data of shape \[2\]/);
  });

  it('corrupt gzip is a usage error', async () => {
    const path = join(directory, 'broken.gz');
    writeFileSync(path, Buffer.from([0x1f, 0x8b, 8, 0, 1, 2, 3]));
    await assert.rejects(readIdx(path), /is not a valid gzip file/);
  });
});

describe('loadFashionMnist', () => {
  it('embedded subset has known labels', async () => {
    const test = await loadFashionMnist({ split: 'test' });
    assert.equal(test.count, 2000);
    // The first eight Fashion-MNIST test labels, as published with the data set.
    assert.deepEqual([...test.labels.subarray(0, 8)], [9, 2, 1, 1, 6, 1, 4, 6]);
    const train = await loadFashionMnist({ split: 'train', limit: 8 });
    assert.deepEqual([...train.labels], [9, 0, 0, 3, 0, 2, 7, 2]);
  });

  it('missing folder names the alternatives', async () => {
    await assert.rejects(loadFashionMnist({ split: 'test', root: join(directory, 'nowhere') }), /folder '.*nowhere' does not exist; pass --data-root embedded, debian/);
  });

  it('missing file names the file', async () => {
    const root = join(directory, 'empty');
    mkdirSync(root);
    await assert.rejects(loadFashionMnist({ split: 'test', root }), /t10k-images-idx3-ubyte\[\.gz\]' not found in/);
  });

  it('label count mismatch is rejected', async () => {
    const root = join(directory, 'mismatch');
    mkdirSync(root);
    writeFileSync(join(root, 't10k-images-idx3-ubyte'), idx([2, 28, 28], new Array(1568).fill(0)));
    writeFileSync(join(root, 't10k-labels-idx1-ubyte'), idx([3], [1, 2, 3]));
    await assert.rejects(loadFashionMnist({ split: 'test', root }), /have shape \[3\], expected \[2\]/);
  });
});
