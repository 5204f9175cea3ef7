/**
 * Writes the test fixtures that come from installed data sets:
 * `test/fixtures/fashion-mnist-first256.u8`, the first 256 Fashion-MNIST test images as raw
 * bytes (256 x 28 x 28, row-major, no header), read from Debian's `dataset-fashion-mnist`.
 *
 * Usage: node --import tsx scripts/make-fixtures.ts [IDX_GZ_FILE]
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

const DEFAULT_SOURCE = '/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz';
const OUTPUT = fileURLToPath(new URL('../test/fixtures/fashion-mnist-first256.u8', import.meta.url));
const IMAGE_COUNT = 256;
const IMAGE_BYTES = 28 * 28;
/** IDX image files start with a 16-byte header: magic 0x00000803, count, rows, columns (big-endian). */
const IDX_HEADER_BYTES = 16;
const IDX_UBYTE_3D_MAGIC = 0x00000803;

function main(source: string): void {
  const idx = gunzipSync(readFileSync(source));
  const magic = idx.readUInt32BE(0);
  const rows = idx.readUInt32BE(8);
  const columns = idx.readUInt32BE(12);
  if (magic !== IDX_UBYTE_3D_MAGIC || rows !== 28 || columns !== 28) {
    throw new Error(`'${source}' is not a 28x28 IDX image file (magic 0x${magic.toString(16)}, ${rows}x${columns})`);
  }

  const images = idx.subarray(IDX_HEADER_BYTES, IDX_HEADER_BYTES + IMAGE_COUNT * IMAGE_BYTES);
  mkdirSync(dirname(OUTPUT), { recursive: true });
  writeFileSync(OUTPUT, images);
  process.stdout.write(`wrote ${IMAGE_COUNT} images (${images.length} bytes) to ${OUTPUT}\n`);
}

main(process.argv[2] ?? DEFAULT_SOURCE);
