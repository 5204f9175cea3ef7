/**
 * Hexcone HSV conversion on [0, 1] values, matching scikit-image's `rgb2hsv` and `hsv2rgb`
 * (hue in [0, 1), saturation 0 and hue 0 for grey pixels).
 */

/** Converts one RGB pixel to HSV. Writes [h, s, v] into `out` and returns it. */
export function rgbToHsv(red: number, green: number, blue: number, out: Float64Array): Float64Array {
  const value = Math.max(red, green, blue);
  const delta = value - Math.min(red, green, blue);
  const saturation = delta === 0 ? 0 : delta / value;

  let hue = 0;
  if (delta !== 0) {
    if (value === blue) hue = 4 + (red - green) / delta;
    else if (value === green) hue = 2 + (blue - red) / delta;
    else hue = (green - blue) / delta;
    hue = ((hue / 6) % 1 + 1) % 1;
  }

  out[0] = hue;
  out[1] = saturation;
  out[2] = value;
  return out;
}

/** Converts one HSV pixel back to RGB. Writes [r, g, b] into `out` and returns it. */
export function hsvToRgb(hue: number, saturation: number, value: number, out: Float64Array): Float64Array {
  const sector = Math.floor(hue * 6);
  const fraction = hue * 6 - sector;
  const p = value * (1 - saturation);
  const q = value * (1 - fraction * saturation);
  const t = value * (1 - (1 - fraction) * saturation);

  switch (((sector % 6) + 6) % 6) {
    case 0: out.set([value, t, p]); break;
    case 1: out.set([q, value, p]); break;
    case 2: out.set([p, value, t]); break;
    case 3: out.set([p, q, value]); break;
    case 4: out.set([t, p, value]); break;
    default: out.set([value, p, q]); break;
  }
  return out;
}
