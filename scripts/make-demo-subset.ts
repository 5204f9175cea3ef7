/**
 * Writes the embedded Fashion-MNIST subset (the first 2,000 test and 1,000 training images
 * of Debian's dataset-fashion-mnist) as gzipped IDX files into assets/demo/fashion-mnist.
 * Run once: node --import tsx scripts/make-demo-subset.ts
 */
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

import { EMBEDDED_FASHION_MNIST, loadFashionMnist } from '../src/data/index.js';

function idxBytes(data: Uint8Array, shape: number[]): Uint8Array {
  const header = Buffer.alloc(4 + 4 * shape.length);
  header[2] = 0x08;
  header[3] = shape.length;
  shape.forEach((size, axis) => header.writeUInt32BE(size, 4 + 4 * axis));
  return Buffer.concat([header, data]);
}

for (const [split, stem, count] of [['test', 't10k', 2000], ['train', 'train', 1000]] as const) {
  const set = await loadFashionMnist({ split, root: 'debian', limit: count });
  writeFileSync(`${EMBEDDED_FASHION_MNIST}${stem}-images-idx3-ubyte.gz`, gzipSync(idxBytes(set.images, [count, 28, 28]), { level: 9 }));
  writeFileSync(`${EMBEDDED_FASHION_MNIST}${stem}-labels-idx1-ubyte.gz`, gzipSync(idxBytes(set.labels, [count]), { level: 9 }));
  console.log(`${split}: ${count} images written`);
}
