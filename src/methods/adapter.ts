/**
 * The contract every test-time adaptation method implements. A method owns a model whose
 * weights it may change, predicts each batch, then adapts on that batch (predictions are
 * always made before the update from the same batch, as in the papers).
 */
import type * as tf from '@tensorflow/tfjs';

export interface Batch {
  /** Normalised model input [B, H, W, C]; owned by the caller. */
  inputs: tf.Tensor4D;
  /** Ground-truth labels, used for metrics only (never by a method). */
  labels: Int32Array;
}

export interface StepResult {
  /** Logits of the batch before this batch's update, [B * numClasses] row-major. */
  logits: Float32Array;
  numClasses: number;
  /** The adaptation loss of this batch, or null when the method did not adapt on it. */
  loss: number | null;
  /** Whether the weights (or method state) were updated from this batch. */
  adapted: boolean;
  /** True when the update was skipped because the loss or a gradient was not finite. */
  skippedNonFinite: boolean;
}

export interface Adapter {
  readonly name: string;
  /** Predicts `batch`, then adapts on it unless frozen. */
  step(batch: Batch): Promise<StepResult>;
  /** Stops adapting: later steps only predict (time and data budgets). */
  freeze(): void;
  /** Adapts again after `freeze()`, keeping the adapted state (a new domain in continual mode). */
  unfreeze(): void;
  /** Back to the source weights and an empty method state (a new domain). */
  reset(): void;
  /** Frees every tensor the method owns (not the model it was given). */
  dispose(): void;
}
