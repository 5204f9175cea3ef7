/**
 * Contact sheet of one image under several corruptions: one row per corruption, one column for
 * the clean image and one per severity, with the names drawn as SVG text by sharp (librsvg).
 */
import sharp, { type OverlayOptions } from 'sharp';

import type { RawImage } from './image.js';
import { applyCorruption, type ApplyOptions } from './registry.js';

export interface ContactSheetOptions extends ApplyOptions {
  corruptions: readonly string[];
  severities: readonly number[];
  /** Integer factor for nearest-neighbour enlargement of every cell (4 makes 28 px cells 112 px). */
  cellScale?: number;
}

/** Width of the label column and height of the header row, pixels. */
const LABEL_WIDTH = 170;
const HEADER_HEIGHT = 28;
const GAP = 4;
const FONT_SIZE = 15;

/** Enlarges an image by an integer factor with nearest-neighbour sampling. */
export function enlargeNearest(image: RawImage, factor: number): RawImage {
  if (factor === 1) return image;
  const { height, width, channels } = image;
  const outWidth = width * factor;
  const data = new Uint8Array(height * factor * outWidth * channels);
  for (let y = 0; y < height * factor; y++) {
    for (let x = 0; x < outWidth; x++) {
      const from = (Math.floor(y / factor) * width + Math.floor(x / factor)) * channels;
      data.set(image.data.subarray(from, from + channels), (y * outWidth + x) * channels);
    }
  }
  return { data, height: height * factor, width: outWidth, channels };
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function labelSvg(width: number, height: number, text: string, anchor: 'start' | 'middle'): Buffer {
  const x = anchor === 'start' ? 6 : width / 2;
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
      `<text x="${x}" y="${height / 2 + FONT_SIZE / 3}" font-family="DejaVu Sans, sans-serif" font-size="${FONT_SIZE}" ` +
      `text-anchor="${anchor}" fill="#000">${escapeXml(text)}</text></svg>`,
  );
}

function rawOverlay(image: RawImage, left: number, top: number): OverlayOptions {
  return {
    input: Buffer.from(image.data.buffer, image.data.byteOffset, image.data.length),
    raw: { width: image.width, height: image.height, channels: image.channels },
    left,
    top,
  };
}

/** Renders the sheet as a PNG buffer on a white background. */
export async function renderContactSheet(image: RawImage, options: ContactSheetOptions): Promise<Buffer> {
  const scale = options.cellScale ?? 1;
  const cellHeight = image.height * scale;
  const cellWidth = image.width * scale;
  const columns = ['clean', ...options.severities.map(String)];
  const sheetWidth = LABEL_WIDTH + columns.length * (cellWidth + GAP);
  const sheetHeight = HEADER_HEIGHT + options.corruptions.length * (cellHeight + GAP);

  const overlays: OverlayOptions[] = [];
  columns.forEach((title, column) => {
    overlays.push({ input: labelSvg(cellWidth, HEADER_HEIGHT, title, 'middle'), left: LABEL_WIDTH + column * (cellWidth + GAP), top: 0 });
  });

  for (const [row, name] of options.corruptions.entries()) {
    const top = HEADER_HEIGHT + row * (cellHeight + GAP);
    overlays.push({ input: labelSvg(LABEL_WIDTH, cellHeight, name, 'start'), left: 0, top });
    overlays.push(rawOverlay(enlargeNearest(image, scale), LABEL_WIDTH, top));
    for (const [column, severity] of options.severities.entries()) {
      const corrupted = await applyCorruption(image, name, severity, options);
      overlays.push(rawOverlay(enlargeNearest(corrupted, scale), LABEL_WIDTH + (column + 1) * (cellWidth + GAP), top));
    }
  }

  return sharp({ create: { width: sheetWidth, height: sheetHeight, channels: 3, background: '#ffffff' } })
    .composite(overlays)
    .png()
    .toBuffer();
}
