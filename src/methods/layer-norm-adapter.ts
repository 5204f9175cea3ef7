/**
 * The lifecycle shared by the methods that adapt a model's LayerNorm parameters: a snapshot
 * of the source values, freezing for budgets, reset at a domain boundary, disposal. A
 * subclass supplies `step` and the reset and disposal of its optimiser state.
 */
import type * as tf from '@tensorflow/tfjs';

import type { VisionTransformer } from '../model/index.js';
import type { Adapter, Batch, StepResult } from './adapter.js';
import { ParameterSnapshot } from './layer-norm-state.js';

export abstract class LayerNormAdapter implements Adapter {
  abstract readonly name: string;
  /** Every LayerNorm weight and bias of the model, in canonical order. */
  protected readonly parameters: tf.Variable[];
  protected frozen = false;
  private readonly source: ParameterSnapshot;

  protected constructor(protected readonly model: VisionTransformer) {
    this.parameters = model.layerNormParameters();
    this.source = new ParameterSnapshot(this.parameters);
  }

  abstract step(batch: Batch): Promise<StepResult>;

  /** Clears the optimiser state (momentum, moments, generator memory). */
  protected abstract resetState(): void;

  /** Frees the optimiser state's tensors. */
  protected abstract disposeState(): void;

  freeze(): void {
    this.frozen = true;
  }

  unfreeze(): void {
    this.frozen = false;
  }

  reset(): void {
    this.source.restore();
    this.resetState();
    this.frozen = false;
  }

  dispose(): void {
    this.source.dispose();
    this.disposeState();
  }
}
