/**
 * Decoders for the ImageFolder formats that this sharp build cannot read: Netpbm (PGM, PPM)
 * and uncompressed Windows BMP. Both return 8-bit RGB. Grey and palette images are expanded.
 */
import type { RawImage } from './image.js';

const latin1 = new TextDecoder('latin1');

/** True when the buffer starts with a Netpbm grey or colour signature (P2, P3, P5, P6). */
export function isNetpbm(buffer: Uint8Array): boolean {
  return buffer.length > 2 && buffer[0] === 0x50 && [0x32, 0x33, 0x35, 0x36].includes(buffer[1]!);
}

/** True when the buffer starts with the BMP signature `BM`. */
export function isBmp(buffer: Uint8Array): boolean {
  return buffer.length > 2 && buffer[0] === 0x42 && buffer[1] === 0x4d;
}

/** Reads whitespace-separated header tokens, skipping `#` comments. Returns tokens and the offset after the last one. */
function readNetpbmTokens(buffer: Uint8Array, count: number): { tokens: string[]; offset: number } {
  const tokens: string[] = [];
  let offset = 0;
  while (tokens.length < count) {
    while (offset < buffer.length && isSpace(buffer[offset]!)) offset++;
    if (buffer[offset] === 0x23) {
      while (offset < buffer.length && buffer[offset] !== 0x0a) offset++;
      continue;
    }
    const start = offset;
    while (offset < buffer.length && !isSpace(buffer[offset]!) && buffer[offset] !== 0x23) offset++;
    if (start === offset) throw new Error('Netpbm header ends early');
    tokens.push(latin1.decode(buffer.subarray(start, offset)));
  }
  return { tokens, offset };
}

function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d || byte === 0x0b || byte === 0x0c;
}

/** Decodes P2/P3 (ASCII) and P5/P6 (binary, 8 or 16 bits per sample) to 8-bit RGB. Samples scale by 255 / maxval. */
export function decodeNetpbm(buffer: Uint8Array): RawImage {
  const { tokens, offset } = readNetpbmTokens(buffer, 4);
  const [magic, widthText, heightText, maxText] = tokens as [string, string, string, string];
  const width = Number(widthText);
  const height = Number(heightText);
  const maxValue = Number(maxText);
  if (!(width > 0 && height > 0 && maxValue > 0 && maxValue < 65536)) {
    throw new Error(`invalid Netpbm header '${tokens.join(' ')}'`);
  }

  const samplesPerPixel = magic === 'P3' || magic === 'P6' ? 3 : 1;
  const sampleCount = width * height * samplesPerPixel;
  const samples = new Uint16Array(sampleCount);
  if (magic === 'P2' || magic === 'P3') {
    const values = latin1.decode(buffer.subarray(offset)).replace(/#[^\n]*/g, ' ').trim().split(/\s+/);
    if (values.length < sampleCount) throw new Error(`Netpbm data has ${values.length} samples, expected ${sampleCount}`);
    for (let i = 0; i < sampleCount; i++) samples[i] = Number(values[i]);
  } else {
    // Exactly one whitespace byte separates the header from binary data.
    const start = offset + 1;
    const bytesPerSample = maxValue > 255 ? 2 : 1;
    if (buffer.length < start + sampleCount * bytesPerSample) throw new Error('Netpbm data is truncated');
    for (let i = 0; i < sampleCount; i++) {
      samples[i] = bytesPerSample === 1 ? buffer[start + i]! : buffer[start + 2 * i]! * 256 + buffer[start + 2 * i + 1]!;
    }
  }

  const data = new Uint8Array(width * height * 3);
  for (let pixel = 0; pixel < width * height; pixel++) {
    for (let ch = 0; ch < 3; ch++) {
      const sample = samples[pixel * samplesPerPixel + (samplesPerPixel === 3 ? ch : 0)]!;
      data[pixel * 3 + ch] = Math.min(255, Math.round((sample * 255) / maxValue));
    }
  }
  return { data, height, width, channels: 3 };
}

/** BMP compression codes handled here: none, and bit fields (32-bit with masks). */
const BI_RGB = 0;
const BI_BITFIELDS = 3;

/** Decodes an uncompressed BMP (1, 4, 8-bit palette; 24-bit; 32-bit plain or bit fields) to 8-bit RGB. */
export function decodeBmp(buffer: Uint8Array): RawImage {
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const dataOffset = view.getUint32(10, true);
  const headerSize = view.getUint32(14, true);
  if (headerSize < 40) throw new Error(`unsupported BMP header of ${headerSize} bytes (OS/2 bitmaps are not supported)`);
  const width = view.getInt32(18, true);
  const signedHeight = view.getInt32(22, true);
  const bitsPerPixel = view.getUint16(28, true);
  const compression = view.getUint32(30, true);
  const height = Math.abs(signedHeight);
  const bottomUp = signedHeight > 0;
  if (width <= 0 || height === 0) throw new Error(`invalid BMP size ${width}x${signedHeight}`);
  if (compression !== BI_RGB && !(compression === BI_BITFIELDS && bitsPerPixel === 32)) {
    throw new Error(`unsupported BMP compression ${compression} at ${bitsPerPixel} bits per pixel; convert the file to PNG`);
  }

  const paletteOffset = 14 + headerSize;
  const paletteColour = (index: number): [number, number, number] => {
    const at = paletteOffset + 4 * index;
    return [buffer[at + 2]!, buffer[at + 1]!, buffer[at]!];
  };
  const masks = compression === BI_BITFIELDS
    ? [view.getUint32(54, true), view.getUint32(58, true), view.getUint32(62, true)]
    : [0x00ff0000, 0x0000ff00, 0x000000ff];

  const rowBytes = Math.ceil((width * bitsPerPixel) / 32) * 4;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const row = dataOffset + (bottomUp ? height - 1 - y : y) * rowBytes;
    for (let x = 0; x < width; x++) {
      const rgb = bmpPixel(buffer, view, row, x, bitsPerPixel, paletteColour, masks);
      data.set(rgb, (y * width + x) * 3);
    }
  }
  return { data, height, width, channels: 3 };
}

function bmpPixel(
  buffer: Uint8Array, view: DataView, row: number, x: number, bitsPerPixel: number,
  paletteColour: (index: number) => [number, number, number], masks: number[],
): [number, number, number] {
  switch (bitsPerPixel) {
    case 1: return paletteColour((buffer[row + (x >> 3)]! >> (7 - (x & 7))) & 1);
    case 4: return paletteColour((buffer[row + (x >> 1)]! >> ((1 - (x & 1)) * 4)) & 0x0f);
    case 8: return paletteColour(buffer[row + x]!);
    case 24: return [buffer[row + 3 * x + 2]!, buffer[row + 3 * x + 1]!, buffer[row + 3 * x]!];
    case 32: {
      const word = view.getUint32(row + 4 * x, true);
      return masks.map((mask) => scaleMasked(word, mask)) as [number, number, number];
    }
    default: throw new Error(`unsupported BMP depth of ${bitsPerPixel} bits per pixel; convert the file to PNG`);
  }
}

/** Extracts the bits under `mask` and scales them to 0..255. */
function scaleMasked(word: number, mask: number): number {
  if (mask === 0) return 0;
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  const maxValue = mask >>> shift;
  return Math.round((((word & mask) >>> shift) * 255) / maxValue);
}
