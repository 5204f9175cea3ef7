/**
 * Noise family: gaussian_noise, shot_noise, impulse_noise. Each value of every pixel and
 * channel gets its own draw, in HWC order, so noise is coloured on RGB images and grey images
 * get one draw per pixel.
 */
import { tableValue, type CorruptionContext, type CorruptionDefinition } from './corruption.js';
import { clip, type RawImage } from './image.js';

/** Applies `transform` to every value in [0, 1] and quantises the result by clip and truncation. */
export function mapUnitValues(image: RawImage, transform: (value: number) => number): RawImage {
  const data = new Uint8Array(image.data.length);
  for (let i = 0; i < data.length; i++) {
    data[i] = Math.floor(clip(transform(image.data[i]! / 255), 0, 1) * 255);
  }
  return { ...image, data };
}

/** v' = clip(v + n), n ~ Normal(0, sigma^2). */
function gaussianNoise(image: RawImage, context: CorruptionContext): RawImage {
  const sigma = tableValue('gaussian_noise', context, 'sigma');
  return mapUnitValues(image, (value) => value + sigma * context.rng.normal());
}

/** v' = clip(Poisson(c v) / c): photon noise with c photons per unit intensity (larger c, weaker noise). */
function shotNoise(image: RawImage, context: CorruptionContext): RawImage {
  const photons = tableValue('shot_noise', context, 'c');
  return mapUnitValues(image, (value) => context.rng.poisson(value * photons) / photons);
}

/**
 * Salt and pepper: with probability `amount` a value becomes 0 or 1 with equal odds. One
 * uniform u decides both: u < amount/2 gives pepper (0), amount/2 <= u < amount salt (1).
 */
function impulseNoise(image: RawImage, context: CorruptionContext): RawImage {
  const amount = tableValue('impulse_noise', context, 'amount');
  return mapUnitValues(image, (value) => {
    const u = context.rng.uniform();
    if (u >= amount) return value;
    return u < amount / 2 ? 0 : 1;
  });
}

export const NOISE_CORRUPTIONS: readonly CorruptionDefinition[] = [
  { name: 'gaussian_noise', family: 'noise', deterministic: false, apply: gaussianNoise },
  { name: 'shot_noise', family: 'noise', deterministic: false, apply: shotNoise },
  { name: 'impulse_noise', family: 'noise', deterministic: false, apply: impulseNoise },
];
