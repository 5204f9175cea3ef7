/**
 * The image type of the corruption module and conversions between interleaved 8-bit pixels
 * and per-channel float planes, which is what the filters work on.
 */

/** 8-bit image, HWC interleaved, row-major, values 0..255. Channels are RGB or one grey channel. */
export interface RawImage {
  data: Uint8Array;
  height: number;
  width: number;
  channels: 1 | 3;
}

/** One float channel of an image, row-major, `height * width` values. */
export type Plane = Float64Array;

/** Clamps a value to [low, high]. */
export function clip(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

/** Returns the number of bytes an image of this shape holds. */
export function pixelCount(image: Pick<RawImage, 'height' | 'width' | 'channels'>): number {
  return image.height * image.width * image.channels;
}

/** Splits an image into one plane per channel, scaled by `scale` (1/255 gives [0, 1] values). */
export function toPlanes(image: RawImage, scale: number): Plane[] {
  const { data, height, width, channels } = image;
  const planes: Plane[] = [];
  for (let ch = 0; ch < channels; ch++) {
    const plane = new Float64Array(height * width);
    for (let i = 0; i < plane.length; i++) plane[i] = data[i * channels + ch]! * scale;
    planes.push(plane);
  }
  return planes;
}

/** Splits an image into planes of values in [0, 1] (u / 255). */
export function toUnitPlanes(image: RawImage): Plane[] {
  return toPlanes(image, 1 / 255);
}

/** Splits an image into planes of values 0..255 as floats. */
export function toBytePlanes(image: RawImage): Plane[] {
  return toPlanes(image, 1);
}

/**
 * Joins [0, 1] planes into an 8-bit image: clip to [0, 1], multiply by 255 and truncate toward
 * zero. Truncation is what the reference scripts did (a NumPy cast), so it biases every float
 * corruption by about -0.5 grey levels, as in the published data sets.
 */
export function fromUnitPlanes(planes: readonly Plane[], height: number, width: number): RawImage {
  const channels = planes.length as 1 | 3;
  const data = new Uint8Array(height * width * channels);
  for (let ch = 0; ch < channels; ch++) {
    const plane = planes[ch]!;
    for (let i = 0; i < plane.length; i++) {
      data[i * channels + ch] = Math.floor(clip(plane[i]!, 0, 1) * 255);
    }
  }
  return { data, height, width, channels };
}

/** Joins 0..255 float planes into an 8-bit image, clipping and then rounding half up (8-bit tool output). */
export function fromBytePlanesRounded(planes: readonly Plane[], height: number, width: number): RawImage {
  const channels = planes.length as 1 | 3;
  const data = new Uint8Array(height * width * channels);
  for (let ch = 0; ch < channels; ch++) {
    const plane = planes[ch]!;
    for (let i = 0; i < plane.length; i++) {
      data[i * channels + ch] = Math.floor(clip(plane[i]!, 0, 255) + 0.5);
    }
  }
  return { data, height, width, channels };
}

/** Joins 0..255 float planes into an 8-bit image, clipping and truncating toward zero. */
export function fromBytePlanesTruncated(planes: readonly Plane[], height: number, width: number): RawImage {
  const channels = planes.length as 1 | 3;
  const data = new Uint8Array(height * width * channels);
  for (let ch = 0; ch < channels; ch++) {
    const plane = planes[ch]!;
    for (let i = 0; i < plane.length; i++) {
      data[i * channels + ch] = Math.floor(clip(plane[i]!, 0, 255));
    }
  }
  return { data, height, width, channels };
}

/** Returns a deep copy of an image. */
export function cloneImage(image: RawImage): RawImage {
  return { ...image, data: new Uint8Array(image.data) };
}

/** Returns one channel of an 8-bit image as its own array. */
export function channelBytes(image: RawImage, channel: number): Uint8Array {
  const out = new Uint8Array(image.height * image.width);
  for (let i = 0; i < out.length; i++) out[i] = image.data[i * image.channels + channel]!;
  return out;
}

/** Luma 0.299 R + 0.587 G + 0.114 B per pixel (ITU-R BT.601). A grey image returns its only plane. */
export function lumaPlane(planes: readonly Plane[]): Plane {
  if (planes.length === 1) return planes[0]!;
  const [red, green, blue] = planes as [Plane, Plane, Plane];
  const luma = new Float64Array(red.length);
  for (let i = 0; i < luma.length; i++) luma[i] = 0.299 * red[i]! + 0.587 * green[i]! + 0.114 * blue[i]!;
  return luma;
}
