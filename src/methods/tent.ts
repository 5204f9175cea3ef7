/**
 * TENT (Wang et al., "Tent: Fully Test-Time Adaptation by Entropy Minimization", ICLR 2021),
 * for a ViT: the affine parameters of every LayerNorm are updated by SGD with momentum to
 * minimise the mean prediction entropy of each test batch.
 *
 *   z ← f(x; θ)                      prediction, before the update
 *   L ← (1/B) Σ_i H(softmax(z_i))
 *   θ ← SGD-momentum step on ∂L/∂θ   θ = every LayerNorm weight and bias
 */
import * as tf from '@tensorflow/tfjs';

import type { VisionTransformer } from '../model/index.js';
import type { Batch, StepResult } from './adapter.js';
import { LayerNormAdapter } from './layer-norm-adapter.js';
import { forwardAndGradients } from './layer-norm-state.js';
import { softmaxEntropy } from './losses.js';
import { predictOnly } from './predict.js';
import { SgdMomentum } from './sgd.js';

export interface TentConfig {
  /** SGD learning rate; 1e-3 at batch 64 is the ViT-B/16 setting behind the published 59.6% on ImageNet-C. */
  readonly learningRate: number;
  /** SGD momentum (PyTorch semantics: v ← μv + g, θ ← θ − ηv; no dampening, no Nesterov). */
  readonly momentum: number;
}

export const TENT_DEFAULTS: TentConfig = { learningRate: 1e-3, momentum: 0.9 };

export class Tent extends LayerNormAdapter {
  readonly name = 'tent';
  private readonly optimizer: SgdMomentum;

  constructor(model: VisionTransformer, config: TentConfig = TENT_DEFAULTS) {
    super(model);
    this.optimizer = new SgdMomentum(this.parameters, config.learningRate, config.momentum);
  }

  async step(batch: Batch): Promise<StepResult> {
    const numClasses = this.model.outputClasses;
    if (this.frozen) return predictOnly(this.model, batch);

    // Forward once: the same logits are the prediction and the input of the loss.
    const { logits, loss, gradients, finite } = await forwardAndGradients(this.model, batch.inputs, this.parameters, (output) =>
      tf.mean(softmaxEntropy(output.logits)) as tf.Scalar,
    );

    // Update only when the loss and every gradient are finite.
    if (finite) this.optimizer.step(gradients);
    tf.dispose(gradients);
    return { logits, numClasses, loss, adapted: finite, skippedNonFinite: !finite };
  }

  protected resetState(): void {
    this.optimizer.reset();
  }

  protected disposeState(): void {
    this.optimizer.dispose();
  }
}
