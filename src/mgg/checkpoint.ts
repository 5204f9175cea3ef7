/**
 * Saving and loading gradient generators as safetensors files. Tensor names are the
 * state-dict keys and the layout is PyTorch's ([out, in] for linear weights), so a file
 * converted from the authors' release loads unchanged. The string metadata records `kind`
 * (gml or lstm), `hidden_size` and `input_features` (2), plus whatever the caller adds,
 * such as the source model and the training data.
 *
 * NOTE: the authors' released checkpoint has not been converted and loaded here. The
 * names and shapes expected for it are those of `TTTMGG.named_parameters()`.
 */
import { readSafetensors, type TensorToWrite, writeSafetensors } from '../model/safetensors.js';
import { check, UsageError } from '../runtime/errors.js';
import {
  elementCount,
  GENERATOR_KINDS,
  type GeneratorKind,
  type GradientGenerator,
  MGG_INPUT_FEATURES,
  type ParameterSpec,
} from './generator.js';
import {
  DEFAULT_GRADIENT_MEMORY_CONFIG,
  GRADIENT_MEMORY_KEYS,
  GradientMemoryLayer,
  gradientMemoryParameterSpecs,
} from './gradient-memory.js';
import { DEFAULT_LSTM_CONFIG, LSTM_GATE_COUNT, LSTM_KEYS, LstmGenerator, lstmParameterSpecs } from './lstm.js';

/** Metadata keys that `saveGenerator` sets from the generator. Callers may not set them. */
export const RESERVED_METADATA_KEYS = ['kind', 'hidden_size', 'input_features'] as const;

/**
 * Prefix of the second LSTM cell that the public learning-to-learn class carries but the
 * MGTTA variant never uses. Loading skips these tensors.
 */
const UNUSED_LSTM_PREFIX = 'recurs2.';

export interface LoadGeneratorOptions {
  /** Expected kind. A file of another kind is rejected, and by default any kind loads. */
  readonly kind?: GeneratorKind;
  /** For `gml`: whether meta-training may update W1/b1 (see `GradientMemoryConfig`). Default true. */
  readonly learnInitialMemory?: boolean;
}

export interface LoadedGenerator {
  readonly generator: GradientGenerator;
  /** All metadata of the file, the reserved keys included. */
  readonly metadata: Record<string, string>;
}

/** Tensors of a file as the safetensors reader returns them. */
type StoredTensors = ReadonlyMap<string, { readonly shape: readonly number[]; readonly data: Float32Array }>;

/** Writes every learnable tensor of `generator`, in state-dict order, with its metadata. */
export async function saveGenerator(
  path: string,
  generator: GradientGenerator,
  metadata: Readonly<Record<string, string>> = {},
): Promise<void> {
  for (const key of RESERVED_METADATA_KEYS) {
    check(!(key in metadata), () => `saveGenerator: metadata key '${key}' is reserved because saveGenerator sets it from the generator. Remove it from the metadata.`);
  }

  const tensors: Array<[string, TensorToWrite]> = [];
  for (const [name, variable] of generator.parameters) {
    tensors.push([name, { shape: [...variable.shape], data: Float32Array.from(variable.dataSync()) }]);
  }
  const header = {
    kind: generator.kind,
    hidden_size: String(generator.hiddenSize),
    input_features: String(MGG_INPUT_FEATURES),
    ...metadata,
  };
  await writeSafetensors(path, tensors, header);
}

/**
 * Reads a generator from a safetensors file. Files without `kind` or `hidden_size`
 * metadata (a plain converted state dict) get them inferred from the tensor names and
 * shapes. A missing, unexpected or mis-shaped tensor raises a `UsageError`.
 */
export async function loadGenerator(path: string, options: LoadGeneratorOptions = {}): Promise<LoadedGenerator> {
  const file = await readSafetensors(path);
  const generator = generatorFromTensors(file.tensors, file.metadata, options, path);
  return { generator, metadata: file.metadata };
}

/** Builds a generator from named tensors. `source` names their origin in error messages. */
export function generatorFromTensors(
  tensors: StoredTensors,
  metadata: Readonly<Record<string, string>>,
  options: LoadGeneratorOptions = {},
  source = 'tensors',
): GradientGenerator {
  const kind = checkpointKind(tensors, metadata, source);
  check(options.kind === undefined || options.kind === kind, () =>
    `loadGenerator: '${source}' holds a ${kind} generator, expected ${options.kind}`);
  check(metadata.input_features === undefined || metadata.input_features === String(MGG_INPUT_FEATURES), () =>
    `loadGenerator: '${source}' has input_features ${metadata.input_features}, expected ${MGG_INPUT_FEATURES}`);
  const hiddenSize = checkpointHiddenSize(kind, tensors, metadata, source);

  if (kind === 'gml') {
    const config = {
      ...DEFAULT_GRADIENT_MEMORY_CONFIG,
      hiddenSize,
      learnInitialMemory: options.learnInitialMemory ?? DEFAULT_GRADIENT_MEMORY_CONFIG.learnInitialMemory,
    };
    const values = matchTensors(gradientMemoryParameterSpecs(config), tensors, source, () => false);
    return new GradientMemoryLayer(config, values);
  }
  const config = { ...DEFAULT_LSTM_CONFIG, hiddenSize };
  const values = matchTensors(lstmParameterSpecs(config), tensors, source, (name) => name.startsWith(UNUSED_LSTM_PREFIX));
  return new LstmGenerator(config, values);
}

function checkpointKind(tensors: StoredTensors, metadata: Readonly<Record<string, string>>, source: string): GeneratorKind {
  const stored = metadata.kind;
  if (stored !== undefined) {
    check((GENERATOR_KINDS as readonly string[]).includes(stored), () =>
      `loadGenerator: '${source}' has kind '${stored}', expected one of ${GENERATOR_KINDS.join(', ')}`);
    return stored as GeneratorKind;
  }
  if (tensors.has(GRADIENT_MEMORY_KEYS.queryWeight)) return 'gml';
  if (tensors.has(LSTM_KEYS.hiddenWeight)) return 'lstm';
  throw new UsageError(`loadGenerator: '${source}' has no 'kind' metadata and neither '${GRADIENT_MEMORY_KEYS.queryWeight}' nor '${LSTM_KEYS.hiddenWeight}', so its generator kind is unknown`);
}

function checkpointHiddenSize(
  kind: GeneratorKind,
  tensors: StoredTensors,
  metadata: Readonly<Record<string, string>>,
  source: string,
): number {
  const stored = metadata.hidden_size;
  if (stored !== undefined) {
    const size = Number(stored);
    check(Number.isInteger(size) && size > 0, () => `loadGenerator: '${source}' has hidden_size '${stored}', expected a positive integer`);
    return size;
  }

  // Infer d from q_proj.weight [d, 2] or recurs.weight_hh [4d, d]. If that tensor is missing or
  // has another layout, the default d is used and the tensor check names the bad shape.
  if (kind === 'gml') {
    const shape = tensors.get(GRADIENT_MEMORY_KEYS.queryWeight)?.shape;
    const fits = shape?.length === 2 && shape[1] === MGG_INPUT_FEATURES;
    return fits ? shape[0]! : DEFAULT_GRADIENT_MEMORY_CONFIG.hiddenSize;
  }
  const shape = tensors.get(LSTM_KEYS.hiddenWeight)?.shape;
  const fits = shape?.length === 2 && shape[0] === LSTM_GATE_COUNT * shape[1]!;
  return fits ? shape[1]! : DEFAULT_LSTM_CONFIG.hiddenSize;
}

/**
 * Pairs every expected tensor with a stored one of the same shape and returns their values.
 * Stored tensors that no spec expects are rejected unless `isIgnored` accepts their name.
 */
function matchTensors(
  specs: readonly ParameterSpec[],
  tensors: StoredTensors,
  source: string,
  isIgnored: (name: string) => boolean,
): Map<string, Float32Array> {
  const values = new Map<string, Float32Array>();
  for (const spec of specs) {
    const stored = tensors.get(spec.name);
    check(stored !== undefined, () => `loadGenerator: tensor '${spec.name}' is missing from '${source}', expected shape [${spec.shape}]`);
    const sameShape = stored.shape.length === spec.shape.length && stored.shape.every((size, axis) => size === spec.shape[axis]);
    check(sameShape && stored.data.length === elementCount(spec.shape), () =>
      `loadGenerator: tensor '${spec.name}' in '${source}' has shape [${stored.shape}], expected [${spec.shape}]`);
    values.set(spec.name, stored.data);
  }

  const expected = new Set(specs.map((spec) => spec.name));
  for (const [name, stored] of tensors) {
    check(expected.has(name) || isIgnored(name), () =>
      `loadGenerator: tensor '${name}' (shape [${stored.shape}]) in '${source}' is unexpected; expected only ${[...expected].join(', ')}`);
  }
  return values;
}
