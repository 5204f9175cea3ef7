/**
 * The file pipeline around the corruptions that produced ImageNet-C: decode, resize the shorter
 * side to 256 with Pillow's antialiased bilinear filter, centre-crop 224, corrupt, save as JPEG
 * quality 85 with 4:2:0 chroma. Other crop sizes S scale the resize to round(S * 256 / 224).
 */
import { readFile } from 'node:fs/promises';

import sharp from 'sharp';

import { decodeBmp, decodeNetpbm, isBmp, isNetpbm } from './decoders.js';
import type { RawImage } from './image.js';
import { referenceJpegOptions } from './jpeg.js';
import { resizePil, roundHalfEven } from './resample.js';

/** JPEG quality of the published ImageNet-C files. */
export const IMAGENET_C_JPEG_QUALITY = 85;

/** Side ImageNet-C crops to and the shorter side it resizes to first, pixels. */
export const IMAGENET_CROP = 224;
export const IMAGENET_RESIZE = 256;

/**
 * Decodes an image file or buffer to 8-bit RGB: no EXIF auto-rotation, alpha dropped, grey
 * and palette images expanded to three channels, 16-bit samples reduced to 8 bits. PGM, PPM
 * and BMP, which this sharp build cannot read, go through decoders.ts.
 */
export async function decodeRgb(input: string | Buffer): Promise<RawImage> {
  const buffer = typeof input === 'string' ? await readFile(input) : input;
  if (isNetpbm(buffer)) return decodeNetpbm(buffer);
  if (isBmp(buffer)) return decodeBmp(buffer);

  const { data, info } = await sharp(buffer, { autoOrient: false })
    .removeAlpha()
    .toColourspace('srgb')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`decodeRgb: decoder returned ${info.channels} channels for an RGB request`);
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), height: info.height, width: info.width, channels: 3 };
}

/** Shorter side to resize to before a centre crop of `cropSize`: round(cropSize * 256 / 224). */
export function resizeSideFor(cropSize: number): number {
  return Math.round((cropSize * IMAGENET_RESIZE) / IMAGENET_CROP);
}

/**
 * Resizes so the shorter side is `side` (longer side floor(side * long / short), as
 * torchvision's Resize computes it) with Pillow's bilinear filter.
 */
export function resizeShorterSide(image: RawImage, side: number): RawImage {
  const { height, width } = image;
  if (Math.min(height, width) === side) return image;
  const outputHeight = height <= width ? side : Math.floor((side * height) / width);
  const outputWidth = height <= width ? Math.floor((side * width) / height) : side;
  return resizePil(image, outputHeight, outputWidth, 'bilinear');
}

/** Crops the centred size x size square. Offsets are round((dim - size) / 2) with halves to even. */
export function centreCrop(image: RawImage, size: number): RawImage {
  const { height, width, channels } = image;
  if (height < size || width < size) throw new Error(`centreCrop: image ${height}x${width} is smaller than the crop ${size}x${size}`);
  const top = roundHalfEven((height - size) / 2);
  const left = roundHalfEven((width - size) / 2);

  const data = new Uint8Array(size * size * channels);
  for (let y = 0; y < size; y++) {
    const from = ((top + y) * width + left) * channels;
    data.set(image.data.subarray(from, from + size * channels), y * size * channels);
  }
  return { data, height: size, width: size, channels };
}

/** ImageNet-C preprocessing for crop size S: shorter side to round(S * 256 / 224), centre crop S x S. */
export function prepareImageNetStyle(image: RawImage, cropSize: number): RawImage {
  return centreCrop(resizeShorterSide(image, resizeSideFor(cropSize)), cropSize);
}

/** Encodes as ImageNet-C stores its files: JPEG quality 85, 4:2:0 chroma, Huffman-optimised. */
export async function encodeImageNetJpeg(image: RawImage): Promise<Buffer> {
  const input = sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } });
  const typed = image.channels === 1 ? input.toColourspace('b-w') : input;
  return typed.jpeg(referenceJpegOptions(IMAGENET_C_JPEG_QUALITY)).toBuffer();
}

/** Encodes losslessly as PNG (grey images as 1-channel PNG). */
export async function encodePng(image: RawImage): Promise<Buffer> {
  const input = sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } });
  const typed = image.channels === 1 ? input.toColourspace('b-w') : input;
  return typed.png().toBuffer();
}
