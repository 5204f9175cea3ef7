/**
 * The method registry: every test-time adaptation method by name. Each entry builds an
 * Adapter around a model; the names are what `--method` accepts.
 */
import type { VisionTransformer } from '../model/index.js';
import { UsageError } from '../runtime/errors.js';
import type { Adapter } from './adapter.js';
import { NoAdapt } from './noadapt.js';
import { Tent, TENT_DEFAULTS } from './tent.js';

export type { Adapter, Batch, StepResult } from './adapter.js';
export { NoAdapt } from './noadapt.js';
export { Tent, TENT_DEFAULTS, type TentConfig } from './tent.js';
export { softmaxEntropy } from './losses.js';

/** Options that apply across methods; each method reads the ones it uses. */
export interface MethodOptions {
  /** Overrides the method's default learning rate. */
  readonly learningRate?: number;
}

export interface MethodEntry {
  readonly name: string;
  readonly description: string;
  create(model: VisionTransformer, options: MethodOptions): Promise<Adapter> | Adapter;
}

const METHODS: MethodEntry[] = [
  {
    name: 'noadapt',
    description: 'the source model, no adaptation',
    create: (model) => new NoAdapt(model),
  },
  {
    name: 'tent',
    description: 'entropy minimisation on LayerNorm affine parameters, SGD momentum 0.9',
    create: (model, options) => new Tent(model, { ...TENT_DEFAULTS, learningRate: options.learningRate ?? TENT_DEFAULTS.learningRate }),
  },
];

/** Adds a method to the registry (used by method files that live outside this list). */
export function registerMethod(entry: MethodEntry): void {
  if (METHODS.some((method) => method.name === entry.name)) throw new Error(`registerMethod: '${entry.name}' is already registered`);
  METHODS.push(entry);
}

export function methodNames(): string[] {
  return METHODS.map((method) => method.name);
}

export function getMethod(name: string): MethodEntry {
  const entry = METHODS.find((method) => method.name === name);
  if (entry === undefined) throw new UsageError(`unknown method '${name}'; valid methods: ${methodNames().join(', ')}`);
  return entry;
}
