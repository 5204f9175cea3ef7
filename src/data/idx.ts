/**
 * Reader for the IDX format (LeCun's MNIST files, also used by Fashion-MNIST), gzipped or
 * not. Layout: a 4-byte magic (two zero bytes, an element-type code, the number of
 * dimensions), one 32-bit big-endian size per dimension, then the elements in row-major
 * order.
 */
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';

import { UsageError } from '../runtime/errors.js';

export interface IdxArray {
  /** Sizes of every dimension, e.g. [10000, 28, 28] for an image file. */
  shape: number[];
  /** Elements as unsigned bytes (the only element type Fashion-MNIST uses). */
  data: Uint8Array;
}

const UNSIGNED_BYTE = 0x08;
const TYPE_NAMES: Record<number, string> = {
  0x08: 'unsigned byte', 0x09: 'signed byte', 0x0b: 'int16', 0x0c: 'int32', 0x0d: 'float32', 0x0e: 'float64',
};

/** Reads an IDX file of unsigned bytes; a `.gz` file (or gzip magic) is decompressed first. */
export async function readIdx(path: string): Promise<IdxArray> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new UsageError(`readIdx: cannot read '${path}': ${(error as Error).message}`);
  }
  const isGzip = bytes[0] === 0x1f && bytes[1] === 0x8b;
  if (isGzip) {
    try {
      bytes = gunzipSync(bytes);
    } catch (error) {
      throw new UsageError(`readIdx: '${path}' is not a valid gzip file (${(error as Error).message}); download it again`);
    }
  }
  return parseIdx(bytes, path);
}

/** Parses IDX bytes; `source` names the origin in error messages. */
export function parseIdx(bytes: Uint8Array, source = 'buffer'): IdxArray {
  const fail = (problem: string): never => {
    throw new UsageError(`IDX file '${source}' is invalid: ${problem}`);
  };
  if (bytes.byteLength < 4) fail(`it has ${bytes.byteLength} bytes, fewer than the 4-byte magic`);
  if (bytes[0] !== 0 || bytes[1] !== 0) fail(`its magic starts with 0x${hex(bytes[0]!)}${hex(bytes[1]!)}, expected 0x0000`);

  const typeCode = bytes[2]!;
  const rank = bytes[3]!;
  if (typeCode !== UNSIGNED_BYTE) {
    fail(`element type 0x${hex(typeCode)} (${TYPE_NAMES[typeCode] ?? 'unknown'}) is not supported; only 0x08 (unsigned byte) is`);
  }
  if (rank === 0) fail('it declares 0 dimensions');

  const headerBytes = 4 + 4 * rank;
  if (bytes.byteLength < headerBytes) fail(`it has ${bytes.byteLength} bytes, fewer than its ${headerBytes}-byte header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  for (let axis = 0; axis < rank; axis++) shape.push(view.getUint32(4 + 4 * axis, false));

  const expected = shape.reduce((product, size) => product * size, 1);
  const actual = bytes.byteLength - headerBytes;
  if (actual < expected) {
    fail(`it is truncated: shape [${shape}] needs ${expected} data bytes but the file has ${actual}`);
  }
  if (actual > expected) fail(`it has ${actual - expected} bytes after the data of shape [${shape}]`);
  return { shape, data: bytes.subarray(headerBytes, headerBytes + expected) };
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, '0');
}
