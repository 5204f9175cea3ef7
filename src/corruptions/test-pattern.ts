/**
 * A deterministic, photo-like test pattern for benchmarks, previews and tests. It shows a sky
 * gradient over textured ground, a sun disc, a house with a roof and windows, and a striped
 * band. Smooth edges and fine texture give every corruption something to act on.
 */
import type { RawImage } from './image.js';
import { Rng } from './rng.js';

type Rgb = readonly [number, number, number];

const SKY_TOP: Rgb = [70, 130, 210];
const SKY_HORIZON: Rgb = [200, 220, 240];
const GROUND: Rgb = [70, 120, 50];
const SUN: Rgb = [250, 220, 90];
const WALL: Rgb = [190, 90, 60];
const ROOF: Rgb = [90, 40, 40];
const WINDOW: Rgb = [240, 240, 200];
const STRIPE: Rgb = [30, 30, 40];

/** Amplitude of the ground texture, grey levels. */
const TEXTURE_AMPLITUDE = 18;

function mix(a: Rgb, b: Rgb, t: number): Rgb {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}

/** Coverage 0..1 of a shape edge at signed distance `distance` (negative inside), 1-pixel soft edge. */
function coverage(distance: number): number {
  return Math.min(1, Math.max(0, 0.5 - distance));
}

/** Colour of the scene at (x, y) in [0, 1] coordinates; `pixel` is the pixel size in those units. */
function sceneColour(x: number, y: number, pixel: number, texture: number): Rgb {
  const horizon = 0.62;
  const ground: Rgb = [GROUND[0] + texture, GROUND[1] + texture, GROUND[2] + texture];
  let colour: Rgb = y < horizon ? mix(SKY_TOP, SKY_HORIZON, y / horizon) : ground;

  const sunDistance = (Math.hypot(x - 0.78, y - 0.2) - 0.1) / pixel;
  colour = mix(colour, SUN, coverage(sunDistance));

  const wallDistance = Math.max(Math.abs(x - 0.35) - 0.17, Math.abs(y - 0.62) - 0.16) / pixel;
  colour = mix(colour, WALL, coverage(wallDistance));

  const roofDistance = Math.max(y - 0.46, Math.abs(x - 0.35) * 0.8 - (y - 0.28)) / pixel;
  colour = mix(colour, ROOF, coverage(Math.max(roofDistance, (0.28 - y) / pixel)));

  for (const windowX of [0.27, 0.43]) {
    const windowDistance = Math.max(Math.abs(x - windowX) - 0.045, Math.abs(y - 0.58) - 0.05) / pixel;
    colour = mix(colour, WINDOW, coverage(windowDistance));
  }

  const inBand = y > 0.86 && y < 0.95;
  const stripeValue = 0.5 + 0.5 * Math.sin((x * 40 + y * 10) * Math.PI);
  if (inBand) colour = mix(colour, STRIPE, stripeValue);
  return colour;
}

/** Renders the pattern at any size, RGB or grey (luma). The same size always gives the same bytes. */
export function testPattern(height: number, width: number, channels: 1 | 3 = 3): RawImage {
  const rng = new Rng([0x5eed, height, width, channels]);
  const data = new Uint8Array(height * width * channels);
  const pixel = 1 / Math.min(height, width);

  for (let row = 0; row < height; row++) {
    for (let column = 0; column < width; column++) {
      const texture = TEXTURE_AMPLITUDE * (rng.uniform() - 0.5);
      const [red, green, blue] = sceneColour((column + 0.5) / width, (row + 0.5) / height, pixel, texture);
      const offset = (row * width + column) * channels;
      if (channels === 3) {
        data[offset] = clampByte(red);
        data[offset + 1] = clampByte(green);
        data[offset + 2] = clampByte(blue);
      } else {
        data[offset] = clampByte(0.299 * red + 0.587 * green + 0.114 * blue);
      }
    }
  }
  return { data, height, width, channels };
}

function clampByte(value: number): number {
  return Math.min(255, Math.max(0, Math.round(value)));
}
