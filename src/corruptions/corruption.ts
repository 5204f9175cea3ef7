/**
 * The shape shared by every corruption definition, and the per-call context handed to it.
 */
import type { RawImage } from './image.js';
import { parameter, parameterList, type TableChoice } from './params.js';
import type { Rng } from './rng.js';

export type CorruptionFamily = 'noise' | 'blur' | 'weather' | 'digital' | 'extra';

/** Everything a corruption needs besides the image. */
export interface CorruptionContext {
  /** Severity 1..5. */
  severity: number;
  /** Reference table for the image size and the scale of pixel-valued parameters. */
  choice: TableChoice;
  /** The image's own random stream. Deterministic corruptions never read it. */
  rng: Rng;
}

export interface CorruptionDefinition {
  name: string;
  family: CorruptionFamily;
  /** True when the output depends only on image, name and severity (never on the seed). */
  deterministic: boolean;
  apply(image: RawImage, context: CorruptionContext): RawImage | Promise<RawImage>;
}

/** Reads one named parameter of `name` at the context's table and severity. */
export function tableValue(name: string, context: CorruptionContext, field: string): number {
  return parameter(context.choice.table, name, context.severity, field);
}

/** Reads a list parameter (zoom factors) of `name` at the context's table and severity. */
export function tableList(name: string, context: CorruptionContext): readonly number[] {
  return parameterList(context.choice.table, name, context.severity);
}

/** Scales a pixel-valued parameter (blur sigma, radius, displacement) to the image size. */
export function spatial(value: number, context: CorruptionContext): number {
  return value * context.choice.spatialScale;
}
