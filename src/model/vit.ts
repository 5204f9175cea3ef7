/**
 * Vision Transformer (Dosovitskiy et al. 2021) in TensorFlow.js with timm's tensor names
 * and layouts, so that a timm `model.safetensors` loads without a rename table.
 *
 * Structure, top to bottom: patch embedding as a matrix product over non-overlapping
 * patches, class token, learned position embedding, pre-norm blocks
 * (`x += attn(norm1(x)); x += mlp(norm2(x))`, LayerNorm eps 1e-6, exact GELU), final
 * `norm`, linear `head` on the class token. Dropout and drop-path are absent (timm's
 * ViT-B/16 sets them to 0), so train and eval mode compute the same thing.
 *
 * Weights live in `tf.Variable`s keyed by timm names; linear weights keep PyTorch's
 * [out, in] layout and `patch_embed.proj.weight` keeps [out, in, kh, kw].
 */
import * as tf from '@tensorflow/tfjs';

import { UsageError } from '../runtime/errors.js';
import { batchMatMul, frozenMatMul, matMul2d, swapLastAxes } from './ops.js';
import type { StoredTensor } from './safetensors.js';

export interface VitConfig {
  /** Registry name, e.g. `vit_base_patch16_224`. */
  readonly name: string;
  /** Input side in pixels (square images). */
  readonly imgSize: number;
  /** Patch side in pixels; `imgSize` must be a multiple of it. */
  readonly patchSize: number;
  /** Input channels: 3 for RGB, 1 for grey. */
  readonly inChans: number;
  /** Token width D. */
  readonly embedDim: number;
  /** Number of transformer blocks. */
  readonly depth: number;
  /** Attention heads; `embedDim` must be a multiple of it. */
  readonly numHeads: number;
  /** Hidden width of each block's MLP. */
  readonly mlpHidden: number;
  /** Classifier outputs. */
  readonly numClasses: number;
  /** LayerNorm epsilon (timm ViTs use 1e-6). */
  readonly layerNormEps: number;
  /** Per-channel normalisation applied to [0, 1] pixels: x' = (x - mean) / std. */
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

/** Shape of every tensor of a ViT state dict, in timm's names and parameter order. */
export function vitParameterShapes(config: VitConfig): Array<[string, number[]]> {
  const { embedDim: D, patchSize: p, inChans: C, depth, mlpHidden, numClasses } = config;
  const tokens = (config.imgSize / p) ** 2 + 1;
  const shapes: Array<[string, number[]]> = [
    ['cls_token', [1, 1, D]],
    ['pos_embed', [1, tokens, D]],
    ['patch_embed.proj.weight', [D, C, p, p]],
    ['patch_embed.proj.bias', [D]],
  ];
  for (let i = 0; i < depth; i++) {
    const block = `blocks.${i}`;
    shapes.push(
      [`${block}.norm1.weight`, [D]],
      [`${block}.norm1.bias`, [D]],
      [`${block}.attn.qkv.weight`, [3 * D, D]],
      [`${block}.attn.qkv.bias`, [3 * D]],
      [`${block}.attn.proj.weight`, [D, D]],
      [`${block}.attn.proj.bias`, [D]],
      [`${block}.norm2.weight`, [D]],
      [`${block}.norm2.bias`, [D]],
      [`${block}.mlp.fc1.weight`, [mlpHidden, D]],
      [`${block}.mlp.fc1.bias`, [mlpHidden]],
      [`${block}.mlp.fc2.weight`, [D, mlpHidden]],
      [`${block}.mlp.fc2.bias`, [D]],
    );
  }
  shapes.push(['norm.weight', [D]], ['norm.bias', [D]], ['head.weight', [numClasses, D]], ['head.bias', [numClasses]]);
  return shapes;
}

/**
 * Names of the adaptable parameters: every LayerNorm weight and bias, in model order
 * (`blocks.0.norm1.weight, blocks.0.norm1.bias, blocks.0.norm2.weight, …, norm.bias`).
 */
export function layerNormParameterNames(config: VitConfig): string[] {
  const names: string[] = [];
  for (let i = 0; i < config.depth; i++) {
    for (const norm of ['norm1', 'norm2']) names.push(`blocks.${i}.${norm}.weight`, `blocks.${i}.${norm}.bias`);
  }
  names.push('norm.weight', 'norm.bias');
  return names;
}

/** Output of one forward pass. */
export interface VitOutput {
  /** [B, numClasses], or [B, subset size] after `setClassSubset`. */
  logits: tf.Tensor2D;
  /**
   * [B, depth * D]: for block i the class token after block i, normalised by the LayerNorm
   * that consumes it next (`blocks[i+1].norm1`, or the final `norm` after the last block).
   * The last D columns are the classifier input.
   */
  features: tf.Tensor2D;
}

export class VisionTransformer {
  readonly config: VitConfig;
  /** Every weight, keyed by timm name, in parameter order. */
  readonly weights: Map<string, tf.Variable>;
  /**
   * True (the default) when only LayerNorm parameters may change, as in every TTA method
   * here: linear weights are then transposed once and cached, and their gradients are never
   * computed. Supervised training sets it to false.
   */
  frozenBackbone = true;
  /**
   * Indices of the classes whose logits `forward` returns, in that order (the 200-class
   * subsets of ImageNet-R and -A); null returns all of them.
   */
  private classSubset: { size: number; select: tf.Tensor2D; selectT: tf.Tensor2D } | null = null;
  /** Cached [in, out] copies of frozen linear weights, with the data id they were made from. */
  private readonly transposed = new Map<string, { source: object; weight: tf.Tensor2D; weightT: tf.Tensor2D }>();

  constructor(config: VitConfig, weights: Map<string, tf.Variable>) {
    this.config = config;
    this.weights = weights;
  }

  /** Builds a model with timm-style random initialisation from a seed. */
  static random(config: VitConfig, seed = 0): VisionTransformer {
    validateConfig(config);
    const weights = new Map<string, tf.Variable>();
    let index = 0;
    for (const [name, shape] of vitParameterShapes(config)) {
      const value = tf.tidy(() => initialValue(name, shape, seed + 7919 * index++));
      weights.set(name, tf.variable(value, true, `${name}#${nextModelId}`));
      value.dispose();
    }
    nextModelId++;
    return new VisionTransformer(config, weights);
  }

  /**
   * Builds a model from stored tensors (a timm state dict). Every tensor the
   * configuration needs must be present with its exact shape. Extra tensors are an error
   * too, so that a checkpoint of a different architecture is never half-loaded.
   */
  static fromStateDict(config: VitConfig, tensors: Map<string, StoredTensor>, source = 'state dict'): VisionTransformer {
    validateConfig(config);
    const expected = vitParameterShapes(config);
    const expectedNames = new Set(expected.map(([name]) => name));
    const problems: string[] = [];
    for (const [name, shape] of expected) {
      const stored = tensors.get(name);
      if (stored === undefined) problems.push(`missing tensor '${name}' (expected shape [${shape}])`);
      else if (!sameShape(stored.shape, shape)) {
        problems.push(`tensor '${name}' has shape [${stored.shape}], expected [${shape}]`);
      }
    }
    for (const name of tensors.keys()) {
      if (!expectedNames.has(name)) problems.push(`unexpected tensor '${name}' (shape [${tensors.get(name)!.shape}])`);
    }
    if (problems.length > 0) {
      throw new UsageError(`${source} does not match model ${config.name}: ${problems.join('; ')}`);
    }

    const weights = new Map<string, tf.Variable>();
    for (const [name, shape] of expected) {
      const value = tf.tensor(tensors.get(name)!.data, shape);
      weights.set(name, tf.variable(value, true, `${name}#${nextModelId}`));
      value.dispose();
    }
    nextModelId++;
    return new VisionTransformer(config, weights);
  }

  /** Returns the adaptable parameters (LayerNorm weights and biases) in canonical order. */
  layerNormParameters(): tf.Variable[] {
    return layerNormParameterNames(this.config).map((name) => this.weight(name));
  }

  /**
   * Restricts the logits to `indices` of the head's classes, or restores all classes with
   * null. Entropy, predictions and metrics then all see the masked logits.
   */
  setClassSubset(indices: readonly number[] | null): void {
    if (this.classSubset !== null) tf.dispose([this.classSubset.select, this.classSubset.selectT]);
    this.classSubset = null;
    if (indices === null) return;
    const outside = indices.find((index) => !Number.isInteger(index) || index < 0 || index >= this.config.numClasses);
    if (outside !== undefined) {
      throw new UsageError(`setClassSubset: class index ${outside} is outside 0..${this.config.numClasses - 1} of model ${this.config.name}`);
    }
    // A one-hot selection matrix [classes, subset]: its product keeps a gradient on the wasm
    // backend, where tf.gather's gradient kernel (UnsortedSegmentSum) is missing.
    const select = tf.tidy(() => tf.transpose(tf.oneHot(tf.tensor1d([...indices], 'int32'), this.config.numClasses).toFloat()) as tf.Tensor2D);
    this.classSubset = { size: indices.length, select: tf.keep(select), selectT: tf.keep(tf.transpose(select) as tf.Tensor2D) };
  }

  /** Width of the logits `forward` returns: the subset's size, or every class. */
  get outputClasses(): number {
    return this.classSubset?.size ?? this.config.numClasses;
  }

  /** Number of scalars in all weights. */
  parameterCount(): number {
    let total = 0;
    for (const variable of this.weights.values()) total += variable.size;
    return total;
  }

  weight(name: string): tf.Variable {
    const variable = this.weights.get(name);
    if (variable === undefined) throw new Error(`VisionTransformer.weight: no tensor named '${name}'`);
    return variable;
  }

  /**
   * Runs the model on normalised images `x` [B, H, W, C] (NHWC). Returns logits and the
   * per-layer class-token features. Call inside `tf.tidy` or dispose the outputs.
   */
  forward(x: tf.Tensor4D): VitOutput {
    const [, H, W, C] = x.shape;
    const { imgSize, inChans, depth } = this.config;
    if (H !== imgSize || W !== imgSize || C !== inChans) {
      throw new UsageError(`VisionTransformer.forward: input is ${H}x${W}x${C}, model ${this.config.name} expects ${imgSize}x${imgSize}x${inChans}`);
    }

    let tokens = this.embed(x); // [B, N+1, D]
    const features: tf.Tensor2D[] = [];
    for (let i = 0; i < depth; i++) {
      tokens = this.block(tokens, i);
      const classToken = classTokenOf(tokens); // [B, D]
      const nextNorm = i + 1 < depth ? `blocks.${i + 1}.norm1` : 'norm';
      features.push(this.layerNorm(classToken, nextNorm) as tf.Tensor2D);
    }

    const classifierInput = features[depth - 1]!;
    const allLogits = this.linear(classifierInput, 'head') as tf.Tensor2D;
    const logits = this.classSubset === null ? allLogits : frozenMatMul(allLogits, this.classSubset.select, this.classSubset.selectT);
    return { logits, features: tf.concat(features, 1) };
  }

  /** Logits only; the caller disposes the result. */
  logits(x: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => this.forward(x).logits);
  }

  /** Turns [0, 255] pixels [B, H, W, C] into the model's normalised input. */
  normalize(pixels: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const scaled = tf.div(pixels.toFloat(), 255);
      const mean = tf.tensor1d(this.config.mean as number[]);
      const std = tf.tensor1d(this.config.std as number[]);
      return tf.div(tf.sub(scaled, mean), std) as tf.Tensor4D;
    });
  }

  /** Copies every weight out as plain arrays, in timm names and layouts. */
  async stateDict(): Promise<Map<string, { shape: number[]; data: Float32Array }>> {
    const out = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const [name, variable] of this.weights) {
      out.set(name, { shape: [...variable.shape], data: (await variable.data()) as Float32Array });
    }
    return out;
  }

  /** Frees the cached transposed weights (they are rebuilt on the next forward pass). */
  clearCache(): void {
    for (const [key, cached] of this.transposed) this.disposeCached(cached, this.weights.get(key.split(':')[0]!));
    this.transposed.clear();
  }

  private disposeCached(cached: { weight: tf.Tensor; weightT: tf.Tensor }, source: tf.Variable | undefined): void {
    if (cached.weight !== (source as unknown)) cached.weight.dispose();
    cached.weightT.dispose();
  }

  dispose(): void {
    this.setClassSubset(null);
    this.clearCache();
    for (const variable of this.weights.values()) variable.dispose();
  }

  private embed(x: tf.Tensor4D): tf.Tensor3D {
    const [B, H, W, C] = x.shape;
    const p = this.config.patchSize;
    const D = this.config.embedDim;
    const rows = H / p;
    const cols = W / p;

    // Cut into patches, each flattened in the [in, kh, kw] order of the conv weight.
    const grid = tf.reshape(x, [B, rows, p, cols, p, C]);
    const patches = tf.reshape(tf.transpose(grid, [0, 1, 3, 5, 2, 4]), [B * rows * cols, C * p * p]);

    // A stride-p convolution with a p x p kernel is one matrix product per patch.
    const kernel = () => tf.reshape(this.weight('patch_embed.proj.weight'), [D, C * p * p]) as tf.Tensor2D;
    const projected = this.project(patches as tf.Tensor2D, 'patch_embed.proj.weight', 'patch_embed.proj.weight', kernel, this.weight('patch_embed.proj.bias'));
    const patchTokens = tf.reshape(projected, [B, rows * cols, D]);

    const classTokens = tf.tile(this.weight('cls_token'), [B, 1, 1]); // [B, 1, D]
    const tokens = tf.concat([classTokens, patchTokens], 1); // [B, N+1, D]
    return tf.add(tokens, this.weight('pos_embed'));
  }

  private block(x: tf.Tensor3D, index: number): tf.Tensor3D {
    const prefix = `blocks.${index}`;
    const attended = tf.add(x, this.attention(this.layerNorm(x, `${prefix}.norm1`) as tf.Tensor3D, prefix));
    return tf.add(attended, this.mlp(this.layerNorm(attended, `${prefix}.norm2`) as tf.Tensor3D, prefix));
  }

  private attention(x: tf.Tensor3D, prefix: string): tf.Tensor3D {
    const [B, N, D] = x.shape;
    const heads = this.config.numHeads;
    const headDim = D / heads;

    // Project to queries, keys and values; qkv rows are ordered q, k, v, head by head.
    // The weight is split rather than the activation: slicing [3D, D] is cheaper than [B, N, 3D].
    const flat = tf.reshape(x, [B * N, D]) as tf.Tensor2D;
    const qkvWeight = this.weight(`${prefix}.attn.qkv.weight`);
    const qkvBias = this.weight(`${prefix}.attn.qkv.bias`);
    const [q, k, v] = [0, 1, 2].map((part) => {
      const weight = () => tf.slice(qkvWeight, [part * D, 0], [D, D]) as tf.Tensor2D;
      const bias = tf.slice(qkvBias, [part * D], [D]);
      const projected = this.project(flat, `${prefix}.attn.qkv.weight:${part}`, `${prefix}.attn.qkv.weight`, weight, bias); // [B*N, D]
      return tf.transpose(tf.reshape(projected, [B, N, heads, headDim]), [0, 2, 1, 3]); // [B, heads, N, headDim]
    }) as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];

    // Scaled dot-product attention.
    const scores = tf.mul(batchMatMul(q, swapLastAxes(k)), 1 / Math.sqrt(headDim)); // [B, heads, N, N]
    const attended = batchMatMul(tf.softmax(scores), v); // [B, heads, N, headDim]

    // Reassemble the heads and project out.
    const merged = tf.reshape(tf.transpose(attended, [0, 2, 1, 3]), [B, N, D]);
    return this.linear(merged, `${prefix}.attn.proj`) as tf.Tensor3D;
  }

  private mlp(x: tf.Tensor3D, prefix: string): tf.Tensor3D {
    const hidden = gelu(this.linear(x, `${prefix}.mlp.fc1`));
    return this.linear(hidden, `${prefix}.mlp.fc2`) as tf.Tensor3D;
  }

  /** y = x Wᵀ + b with W in PyTorch's [out, in] layout; x of rank 2 or 3. */
  private linear(x: tf.Tensor, prefix: string): tf.Tensor {
    const name = `${prefix}.weight`;
    const weight = this.weight(name);
    const inFeatures = x.shape[x.shape.length - 1]!;
    const flat = tf.reshape(x, [-1, inFeatures]) as tf.Tensor2D;
    const out = this.project(flat, name, name, () => weight as unknown as tf.Tensor2D, this.weight(`${prefix}.bias`));
    return tf.reshape(out, [...x.shape.slice(0, -1), weight.shape[0]!]);
  }

  /**
   * x [M, in] · weight()ᵀ + bias, where `weight()` builds the [out, in] matrix from the
   * variable `sourceName`. With a frozen backbone the matrix and its transpose are cached
   * under `key` until the variable is reassigned.
   */
  private project(x: tf.Tensor2D, key: string, sourceName: string, weight: () => tf.Tensor2D, bias: tf.Tensor): tf.Tensor2D {
    if (!this.frozenBackbone) return tf.add(matMul2d(x, tf.transpose(weight())), bias) as tf.Tensor2D;

    const source = this.weight(sourceName);
    let cached = this.transposed.get(key);
    if (cached === undefined || cached.source !== source.dataId) {
      if (cached !== undefined) this.disposeCached(cached, source);
      // A slice or reshape of the variable becomes its own tensor; a plain weight is the variable itself.
      const built = tf.tidy(() => {
        const matrix = weight();
        return { weight: matrix === (source as unknown) ? matrix : matrix.clone(), weightT: tf.transpose(matrix) };
      });
      cached = { source: source.dataId, weight: tf.keep(built.weight), weightT: tf.keep(built.weightT) };
      this.transposed.set(key, cached);
    }
    return tf.add(frozenMatMul(x, cached.weightT, cached.weight), bias) as tf.Tensor2D;
  }

  private layerNorm(x: tf.Tensor, prefix: string): tf.Tensor {
    return layerNorm(x, this.weight(`${prefix}.weight`), this.weight(`${prefix}.bias`), this.config.layerNormEps);
  }
}

let nextModelId = 0;

/** LayerNorm over the last axis with biased variance, as in PyTorch. */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number): tf.Tensor {
  const axis = x.rank - 1;
  const mean = tf.mean(x, axis, true);
  const centered = tf.sub(x, mean);
  const variance = tf.mean(tf.square(centered), axis, true);
  return tf.add(tf.mul(tf.mul(centered, tf.rsqrt(tf.add(variance, eps))), gamma), beta);
}

/** Exact GELU: x · Φ(x) = 0.5 · x · (1 + erf(x / √2)). */
export function gelu(x: tf.Tensor): tf.Tensor {
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
}

function classTokenOf(tokens: tf.Tensor3D): tf.Tensor2D {
  const [B, , D] = tokens.shape;
  return tf.reshape(tf.slice(tokens, [0, 0, 0], [B, 1, D]), [B, D]);
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((size, i) => size === b[i]);
}

function validateConfig(config: VitConfig): void {
  if (config.imgSize % config.patchSize !== 0) {
    throw new UsageError(`model ${config.name}: imgSize ${config.imgSize} is not a multiple of patchSize ${config.patchSize}`);
  }
  if (config.embedDim % config.numHeads !== 0) {
    throw new UsageError(`model ${config.name}: embedDim ${config.embedDim} is not a multiple of numHeads ${config.numHeads}`);
  }
}

/**
 * timm-style initial values: truncated normal (std 0.02) for linear and patch weights,
 * position embedding and class token (timm uses 1e-6 for the class token; 0.02 trains
 * faster from scratch), zeros for biases, ones for LayerNorm weights.
 */
function initialValue(name: string, shape: number[], seed: number): tf.Tensor {
  if (/norm\d?\.weight$/.test(name)) return tf.ones(shape);
  if (name.endsWith('.bias')) return tf.zeros(shape);
  return tf.truncatedNormal(shape, 0, 0.02, 'float32', seed);
}
