import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import sharp from 'sharp';

import { decodeBmp, decodeNetpbm } from '../../src/corruptions/decoders.js';
import {
  centreCrop, decodeRgb, encodeImageNetJpeg, encodePng, prepareImageNetStyle, resizeShorterSide, resizeSideFor, testPattern,
} from '../../src/corruptions/index.js';
import { randomImage } from './helpers.js';

/** Builds a BMP file: 14-byte file header, 40-byte info header, optional palette, rows padded to 4 bytes. */
function bmpFile(width: number, height: number, bitsPerPixel: number, rows: number[][], palette: number[][] = [], topDown = false): Uint8Array {
  const rowBytes = Math.ceil((width * bitsPerPixel) / 32) * 4;
  const dataOffset = 54 + 4 * palette.length;
  const buffer = new Uint8Array(dataOffset + rowBytes * height);
  const view = new DataView(buffer.buffer);
  buffer.set([0x42, 0x4d]);
  view.setUint32(2, buffer.length, true);
  view.setUint32(10, dataOffset, true);
  view.setUint32(14, 40, true);
  view.setInt32(18, width, true);
  view.setInt32(22, topDown ? -height : height, true);
  view.setUint16(26, 1, true);
  view.setUint16(28, bitsPerPixel, true);
  palette.forEach(([r, g, b], i) => buffer.set([b!, g!, r!, 0], 54 + 4 * i));
  rows.forEach((row, y) => buffer.set(row, dataOffset + (topDown ? y : height - 1 - y) * rowBytes));
  return buffer;
}

describe('pipeline', () => {
  it('resize side follows the crop', () => {
    assert.equal(resizeSideFor(224), 256);
    assert.equal(resizeSideFor(32), 37);
    assert.equal(resizeSideFor(384), 439);
  });

  it('shorter side resized, longer side floored', () => {
    // 300x200 (width x height): height 200 -> 256, width floor(256 * 300 / 200) = 384.
    const resized = resizeShorterSide(randomImage(200, 300, 3, 1), 256);
    assert.deepEqual([resized.height, resized.width], [256, 384]);
    const tall = resizeShorterSide(randomImage(301, 200, 3, 1), 256);
    assert.deepEqual([tall.height, tall.width], [385, 256]);
  });

  it('centre crop offsets round half to even', () => {
    // Height 7 to 4: (7 - 4) / 2 = 1.5 -> 2. Width 6 to 4: offset 1.
    const image = { data: Uint8Array.from({ length: 42 }, (_, i) => i), height: 7, width: 6, channels: 1 as const };
    const crop = centreCrop(image, 4);
    assert.deepEqual([...crop.data.subarray(0, 4)], [13, 14, 15, 16]);
  });

  it('ImageNet-style preparation gives S x S', () => {
    const prepared = prepareImageNetStyle(randomImage(90, 120, 3, 2), 64);
    assert.deepEqual([prepared.height, prepared.width, prepared.channels], [64, 64, 3]);
  });

  it('bilinear resize keeps a constant', () => {
    const image = { data: new Uint8Array(50 * 70 * 3).fill(93), height: 50, width: 70, channels: 3 as const };
    assert.ok(resizeShorterSide(image, 37).data.every((byte) => byte === 93));
  });

  it('decodeRgb drops alpha and expands grey', async () => {
    const rgba = await sharp({ create: { width: 5, height: 4, channels: 4, background: { r: 10, g: 20, b: 30, alpha: 0.5 } } }).png().toBuffer();
    const decoded = await decodeRgb(rgba);
    assert.deepEqual([decoded.height, decoded.width, decoded.channels], [4, 5, 3]);
    assert.deepEqual([...decoded.data.subarray(0, 3)], [10, 20, 30]);

    const grey = await encodePng({ data: Uint8Array.from({ length: 6 }, (_, i) => i * 40), height: 2, width: 3, channels: 1 });
    const expanded = await decodeRgb(grey);
    assert.deepEqual([...expanded.data.subarray(3, 6)], [40, 40, 40]);
  });

  it('decodeRgb reads Netpbm files', async () => {
    const header = new TextEncoder().encode('P6\n# comment\n2 1\n255\n');
    const ppm = new Uint8Array([...header, 255, 0, 0, 0, 128, 255]);
    const decoded = await decodeRgb(Buffer.from(ppm));
    assert.deepEqual([...decoded.data], [255, 0, 0, 0, 128, 255]);

    // 16-bit PGM: 65535 -> 255, 32896 (0x8080) -> round(32896 * 255 / 65535) = 128.
    const pgm16 = new Uint8Array([...new TextEncoder().encode('P5 2 1 65535\n'), 0xff, 0xff, 0x80, 0x80]);
    assert.deepEqual([...decodeNetpbm(pgm16).data], [255, 255, 255, 128, 128, 128]);
    const ascii = new TextEncoder().encode('P2\n2 1\n15\n15 0\n');
    assert.deepEqual([...decodeNetpbm(ascii).data], [255, 255, 255, 0, 0, 0]);
  });

  it('decodeRgb reads BMP files', async () => {
    // 2x2 24-bit: rows stored bottom-up in BGR order, padded to 8 bytes.
    const bmp24 = bmpFile(2, 2, 24, [[0, 0, 255, 0, 255, 0, 0, 0], [255, 0, 0, 255, 255, 255, 0, 0]]);
    const decoded = await decodeRgb(Buffer.from(bmp24));
    assert.deepEqual([...decoded.data], [255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255]);

    // 8-bit palette, top-down.
    const bmp8 = bmpFile(3, 1, 8, [[1, 0, 1, 0]], [[0, 0, 0], [200, 100, 50]], true);
    assert.deepEqual([...decodeBmp(bmp8).data], [200, 100, 50, 0, 0, 0, 200, 100, 50]);
  });

  it('ImageNet JPEG is quality 85 4:2:0', async () => {
    const buffer = await encodeImageNetJpeg(testPattern(32, 32, 3));
    const metadata = await sharp(buffer).metadata();
    assert.equal(metadata.format, 'jpeg');
    assert.equal(metadata.chromaSubsampling, '4:2:0');
    assert.equal(metadata.isProgressive, false);
  });
});
