/**
 * Reading and writing the safetensors format (Hugging Face): an 8-byte little-endian
 * header length N, N bytes of JSON mapping each tensor name to `{dtype, shape,
 * data_offsets: [begin, end]}` (offsets relative to the end of the header) plus an optional
 * `__metadata__` object of string values, then the raw little-endian tensor bytes.
 *
 * Tensors are returned as float32 whatever their stored type (F32, F16, BF16, F64), so a
 * timm `model.safetensors` saved in half precision loads unchanged.
 *
 * @example
 *   const file = await readSafetensors('model.safetensors');
 *   file.tensors.get('blocks.0.attn.qkv.weight')?.shape  // [2304, 768]
 */
import { open, readFile, rename, writeFile } from 'node:fs/promises';

import { UsageError } from '../runtime/errors.js';

export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16';

export interface StoredTensor {
  shape: number[];
  /** Values in row-major order, converted to float32. */
  data: Float32Array;
  /** Type the tensor had on disk. */
  dtype: SafetensorsDtype;
}

export interface SafetensorsFile {
  tensors: Map<string, StoredTensor>;
  metadata: Record<string, string>;
}

const BYTES_PER_ELEMENT: Record<SafetensorsDtype, number> = { F64: 8, F32: 4, F16: 2, BF16: 2 };

/** Largest JSON header we accept (100 MB, the limit of the reference Rust implementation). */
const MAX_HEADER_BYTES = 100_000_000;

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/** Reads a safetensors file from disk. Errors name the file and what is wrong with it. */
export async function readSafetensors(path: string): Promise<SafetensorsFile> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new UsageError(`readSafetensors: cannot read '${path}': ${(error as Error).message}`);
  }
  return parseSafetensors(bytes, path);
}

/** Parses safetensors bytes; `source` names the origin in error messages. */
export function parseSafetensors(bytes: Uint8Array, source = 'buffer'): SafetensorsFile {
  const fail = (problem: string): never => {
    throw new UsageError(`safetensors file '${source}' is invalid: ${problem}`);
  };
  if (bytes.byteLength < 8) fail(`it has ${bytes.byteLength} bytes, fewer than the 8-byte header length`);

  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerBytes = Number(view.getBigUint64(0, true));
  if (headerBytes > MAX_HEADER_BYTES || 8 + headerBytes > bytes.byteLength) {
    fail(`header length ${headerBytes} does not fit in a file of ${bytes.byteLength} bytes`);
  }

  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerBytes)));
  } catch (error) {
    return fail(`its JSON header does not parse (${(error as Error).message})`);
  }

  const dataStart = 8 + headerBytes;
  const dataBytes = bytes.byteLength - dataStart;
  const metadata: Record<string, string> = {};
  const tensors = new Map<string, StoredTensor>();

  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') {
      for (const [key, text] of Object.entries(value as Record<string, unknown>)) metadata[key] = String(text);
      continue;
    }
    const entry = value as HeaderEntry;
    if (!(entry.dtype in BYTES_PER_ELEMENT)) {
      fail(`tensor '${name}' has dtype ${entry.dtype}; supported dtypes are F64, F32, F16 and BF16`);
    }
    const dtype = entry.dtype as SafetensorsDtype;
    const count = entry.shape.reduce((product, size) => product * size, 1);
    const [begin, end] = entry.data_offsets;
    if (end - begin !== count * BYTES_PER_ELEMENT[dtype] || begin < 0 || end > dataBytes) {
      fail(`tensor '${name}' (${dtype} [${entry.shape}]) has data offsets [${begin}, ${end}] that do not match its size or the file`);
    }
    const raw = bytes.subarray(dataStart + begin, dataStart + end);
    tensors.set(name, { shape: [...entry.shape], dtype, data: decodeToFloat32(raw, dtype, count) });
  }
  return { tensors, metadata };
}

function decodeToFloat32(raw: Uint8Array, dtype: SafetensorsDtype, count: number): Float32Array {
  // Copy into an aligned buffer: tensor offsets inside the file need not be 4-byte aligned.
  const aligned = new Uint8Array(raw.byteLength);
  aligned.set(raw);
  switch (dtype) {
    case 'F32':
      return new Float32Array(aligned.buffer, 0, count);
    case 'F64':
      return Float32Array.from(new Float64Array(aligned.buffer, 0, count));
    case 'F16':
      return halfToFloat32(new Uint16Array(aligned.buffer, 0, count));
    case 'BF16':
      return bfloat16ToFloat32(new Uint16Array(aligned.buffer, 0, count));
  }
}

/** bfloat16 is the upper half of a float32, so widening is a 16-bit shift. */
function bfloat16ToFloat32(halves: Uint16Array): Float32Array {
  const words = new Uint32Array(halves.length);
  for (let i = 0; i < halves.length; i++) words[i] = halves[i]! << 16;
  return new Float32Array(words.buffer);
}

/** IEEE 754 binary16 to binary32, including subnormals, infinities and NaN. */
function halfToFloat32(halves: Uint16Array): Float32Array {
  const out = new Float32Array(halves.length);
  for (let i = 0; i < halves.length; i++) {
    const h = halves[i]!;
    const sign = h & 0x8000 ? -1 : 1;
    const exponent = (h >> 10) & 0x1f;
    const fraction = h & 0x3ff;
    if (exponent === 0) out[i] = sign * fraction * 2 ** -24;
    else if (exponent === 31) out[i] = fraction ? NaN : sign * Infinity;
    else out[i] = sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
  }
  return out;
}

export interface TensorToWrite {
  shape: number[];
  data: Float32Array;
}

/**
 * Serialises float32 tensors, in the given order, with string metadata. The header is padded
 * with spaces to a multiple of 8 bytes so that every tensor starts aligned, as the reference
 * writer does.
 */
export function serializeSafetensors(
  tensors: Map<string, TensorToWrite> | Array<[string, TensorToWrite]>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const entries = tensors instanceof Map ? [...tensors.entries()] : tensors;
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;

  let offset = 0;
  for (const [name, tensor] of entries) {
    const count = tensor.shape.reduce((product, size) => product * size, 1);
    if (count !== tensor.data.length) {
      throw new Error(`serializeSafetensors: tensor '${name}' has shape [${tensor.shape}] (${count} values) but ${tensor.data.length} values`);
    }
    header[name] = { dtype: 'F32', shape: tensor.shape, data_offsets: [offset, offset + count * 4] };
    offset += count * 4;
  }

  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const jsonBytes = new TextEncoder().encode(json);

  const out = new Uint8Array(8 + jsonBytes.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(jsonBytes.byteLength), true);
  out.set(jsonBytes, 8);
  let position = 8 + jsonBytes.byteLength;
  for (const [, tensor] of entries) {
    out.set(new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength), position);
    position += tensor.data.byteLength;
  }
  return out;
}

/** Writes a safetensors file atomically (temporary file, then rename). */
export async function writeSafetensors(
  path: string,
  tensors: Map<string, TensorToWrite> | Array<[string, TensorToWrite]>,
  metadata: Record<string, string> = {},
): Promise<void> {
  const temporary = `${path}.tmp-${process.pid}`;
  await writeFile(temporary, serializeSafetensors(tensors, metadata));
  await rename(temporary, path);
}

/** Reads only the JSON header (names, shapes, dtypes, metadata) without loading the tensors. */
export async function readSafetensorsHeader(path: string): Promise<Record<string, unknown>> {
  const handle = await open(path, 'r');
  try {
    const lengthBytes = Buffer.alloc(8);
    await handle.read(lengthBytes, 0, 8, 0);
    const headerBytes = Number(lengthBytes.readBigUInt64LE(0));
    if (headerBytes > MAX_HEADER_BYTES) throw new UsageError(`safetensors file '${path}' is invalid: header length ${headerBytes}`);
    const json = Buffer.alloc(headerBytes);
    await handle.read(json, 0, headerBytes, 8);
    return JSON.parse(json.toString('utf8'));
  } finally {
    await handle.close();
  }
}
