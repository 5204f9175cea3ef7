/**
 * Saving and loading ViT weights as safetensors with timm names, plus string metadata
 * (model name, training command, measured accuracy).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';

import { UsageError } from '../runtime/errors.js';
import { getModelConfig } from './registry.js';
import { readSafetensors, writeSafetensors } from './safetensors.js';
import { VisionTransformer, type VitConfig } from './vit.js';

export async function saveModel(model: VisionTransformer, path: string, metadata: Record<string, string> = {}): Promise<void> {
  const state = await model.stateDict();
  await writeSafetensors(path, state, { format: 'pt', model: model.config.name, ...metadata });
}

export interface LoadedModel {
  model: VisionTransformer;
  metadata: Record<string, string>;
  /** sha256 of the weights file, hex; identifies the weights in results and statistics. */
  sha256: string;
}

/**
 * Loads weights for `modelName` (or, when omitted, the model named in the file's metadata).
 * Every tensor must match the configuration; see `VisionTransformer.fromStateDict`.
 */
export async function loadModel(path: string, modelName?: string): Promise<LoadedModel> {
  let file;
  try {
    file = await readSafetensors(path);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    throw new UsageError(`${error.message}. The weights must be a safetensors file with timm tensor names (for example timm's model.safetensors); download it again if it was cut short`);
  }
  const config: VitConfig = getModelConfig(modelName ?? file.metadata.model ?? 'vit_base_patch16_224');
  const model = VisionTransformer.fromStateDict(config, file.tensors, `weights file '${path}'`);
  const sha256 = createHash('sha256').update(await readFile(path)).digest('hex');
  return { model, metadata: file.metadata, sha256 };
}
