/** Prediction without adaptation, shared by every method (frozen by a budget, or a batch too small to adapt on). */
import type { VisionTransformer } from '../model/index.js';
import { logger } from '../runtime/logger.js';
import type { Batch, StepResult } from './adapter.js';

/**
 * Predicts a one-image batch (a stream's last partial batch) without adapting, and warns once
 * per process. The FOA loss is undefined there because one image has no unbiased std.
 */
export async function skipSingleImage(model: VisionTransformer, batch: Batch): Promise<StepResult> {
  if (!warnedSingleImage) {
    logger.warn('a batch of 1 image was predicted without adapting: the FOA loss needs at least 2 images');
    warnedSingleImage = true;
  }
  return predictOnly(model, batch);
}

let warnedSingleImage = false;

/** Logits of a batch without any update. */
export async function predictOnly(model: VisionTransformer, batch: Batch): Promise<StepResult> {
  const logits = model.logits(batch.inputs);
  const values = (await logits.data()) as Float32Array;
  logits.dispose();
  return { logits: values, numClasses: model.outputClasses, loss: null, adapted: false, skippedNonFinite: false };
}
