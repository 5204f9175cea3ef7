/**
 * JPEG round trip through sharp (libvips), for `jpeg_compression` and for writing ImageNet-C
 * style files.
 *
 * NOTE: this sharp build (0.35, libvips 8.18) links mozjpeg, not libjpeg-turbo. With
 * `mozjpeg: false` (also sharp's default) and the options below, the encoder writes a
 * baseline (SOF0) file with the IJG standard tables scaled by quality, like Pillow's libjpeg.
 * Parsing the DQT segments at qualities 7, 25 and 80 confirmed this. `mozjpeg: true` switches
 * to progressive scans with trellis quantisation, which changes decoded pixels, so it is never
 * used here. Huffman optimisation (sharp's default) changes only the file size.
 */
import sharp, { type JpegOptions, type Sharp } from 'sharp';

import type { RawImage } from './image.js';

/** Encoder options of the reference JPEG step: standard tables, 4:2:0 chroma, no mozjpeg extras. */
export function referenceJpegOptions(quality: number): JpegOptions {
  return {
    quality,
    chromaSubsampling: '4:2:0',
    mozjpeg: false,
    trellisQuantisation: false,
    overshootDeringing: false,
    optimiseScans: false,
    progressive: false,
    quantisationTable: 0,
    optimiseCoding: true,
  };
}

/** Wraps raw pixels for sharp. A one-channel image is marked as greyscale so libvips writes a 1-component JPEG. */
function rawInput(image: RawImage): Sharp {
  const input = sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } });
  return image.channels === 1 ? input.toColourspace('b-w') : input;
}

/** Encodes an image as JPEG at `quality` (1..100) with the reference options. */
export async function encodeJpeg(image: RawImage, quality: number): Promise<Buffer> {
  return rawInput(image).jpeg(referenceJpegOptions(quality)).toBuffer();
}

/** Decodes an encoded image to raw pixels with the requested channel count (1 = grey, 3 = RGB). */
export async function decodeToRaw(buffer: Buffer, channels: 1 | 3): Promise<RawImage> {
  let pipeline = sharp(buffer).removeAlpha();
  pipeline = channels === 1 ? pipeline.toColourspace('b-w') : pipeline.toColourspace('srgb');
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== channels) {
    throw new Error(`decodeToRaw: decoder returned ${info.channels} channels, expected ${channels}`);
  }
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), height: info.height, width: info.width, channels };
}

/** JPEG-compresses and decodes an image at `quality`. Grey images go through a greyscale JPEG. */
export async function jpegRoundTrip(image: RawImage, quality: number): Promise<RawImage> {
  return decodeToRaw(await encodeJpeg(image, quality), image.channels);
}
