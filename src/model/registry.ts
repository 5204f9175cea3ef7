/**
 * Named ViT configurations. Each entry maps a name to its numbers; `vit_base_patch16_224`
 * matches timm's so that its `model.safetensors` loads unchanged.
 */
import { UsageError } from '../runtime/errors.js';
import type { VitConfig } from './vit.js';

/** timm's ViT normalisation for the augreg checkpoints: mean = std = 0.5 per channel. */
const HALF = [0.5, 0.5, 0.5] as const;

const MODELS: readonly VitConfig[] = [
  {
    name: 'vit_base_patch16_224',
    imgSize: 224, patchSize: 16, inChans: 3, embedDim: 768, depth: 12, numHeads: 12,
    mlpHidden: 3072, numClasses: 1000, layerNormEps: 1e-6, mean: HALF, std: HALF,
  },
  {
    name: 'vit_small_patch16_224',
    imgSize: 224, patchSize: 16, inChans: 3, embedDim: 384, depth: 12, numHeads: 6,
    mlpHidden: 1536, numClasses: 1000, layerNormEps: 1e-6, mean: HALF, std: HALF,
  },
  {
    name: 'vit_tiny_patch16_224',
    imgSize: 224, patchSize: 16, inChans: 3, embedDim: 192, depth: 12, numHeads: 3,
    mlpHidden: 768, numClasses: 1000, layerNormEps: 1e-6, mean: HALF, std: HALF,
  },
  {
    // The embedded default: 28x28 grey Fashion-MNIST, 16 patches of 7x7 pixels. Sized so
    // that training and a full demo run take minutes on one CPU core with the wasm backend.
    name: 'vit_demo_fmnist',
    imgSize: 28, patchSize: 7, inChans: 1, embedDim: 64, depth: 4, numHeads: 4,
    mlpHidden: 128, numClasses: 10, layerNormEps: 1e-6, mean: [0.5], std: [0.5],
  },
  {
    // The reference model whose PyTorch outputs the tests compare against.
    name: 'vit_golden_tiny',
    imgSize: 32, patchSize: 8, inChans: 3, embedDim: 64, depth: 2, numHeads: 4,
    mlpHidden: 256, numClasses: 10, layerNormEps: 1e-6, mean: HALF, std: HALF,
  },
];

export const DEMO_MODEL = 'vit_demo_fmnist';

export function modelNames(): string[] {
  return MODELS.map((config) => config.name);
}

/** Looks a configuration up by name; an unknown name is a UsageError listing the valid ones. */
export function getModelConfig(name: string): VitConfig {
  const config = MODELS.find((candidate) => candidate.name === name);
  if (config === undefined) {
    throw new UsageError(`unknown model '${name}'; valid models: ${modelNames().join(', ')}`);
  }
  return config;
}
