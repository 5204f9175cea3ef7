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
import type { Adapter, Batch, StepResult } from './adapter.js';
import { allFinite, ParameterSnapshot } from './layer-norm-state.js';
import { softmaxEntropy } from './losses.js';
import { SgdMomentum } from './sgd.js';

export interface TentConfig {
  /** SGD learning rate; 1e-3 at batch 64 is the ViT-B/16 setting behind the published 59.6% on ImageNet-C. */
  readonly learningRate: number;
  /** SGD momentum (PyTorch semantics: v ← μv + g, θ ← θ − ηv; no dampening, no Nesterov). */
  readonly momentum: number;
}

export const TENT_DEFAULTS: TentConfig = { learningRate: 1e-3, momentum: 0.9 };

export class Tent implements Adapter {
  readonly name = 'tent';
  private readonly parameters: tf.Variable[];
  private readonly source: ParameterSnapshot;
  private readonly optimizer: SgdMomentum;
  private frozen = false;

  constructor(
    private readonly model: VisionTransformer,
    config: TentConfig = TENT_DEFAULTS,
  ) {
    this.parameters = model.layerNormParameters();
    this.source = new ParameterSnapshot(this.parameters);
    this.optimizer = new SgdMomentum(this.parameters, config.learningRate, config.momentum);
  }

  async step(batch: Batch): Promise<StepResult> {
    const numClasses = this.model.config.numClasses;
    if (this.frozen) {
      const logits = this.model.logits(batch.inputs);
      const values = (await logits.data()) as Float32Array;
      logits.dispose();
      return { logits: values, numClasses, loss: null, adapted: false, skippedNonFinite: false };
    }

    // Forward once: the same logits are the prediction and the input of the loss.
    let logits: tf.Tensor2D | undefined;
    const { value: loss, grads } = tf.variableGrads(() => {
      const output = this.model.forward(batch.inputs);
      logits = tf.keep(output.logits);
      return tf.mean(softmaxEntropy(output.logits)) as tf.Scalar;
    }, this.parameters);

    // Update only when the loss and every gradient are finite.
    const gradients = this.parameters.map((parameter) => grads[parameter.name]!);
    const finite = await allFinite([loss, ...gradients]);
    if (finite) this.optimizer.step(gradients);

    const values = (await logits!.data()) as Float32Array;
    const lossValue = (await loss.data())[0]!;
    tf.dispose([logits!, loss, ...gradients]);
    return { logits: values, numClasses, loss: lossValue, adapted: finite, skippedNonFinite: !finite };
  }

  freeze(): void {
    this.frozen = true;
  }

  reset(): void {
    this.source.restore();
    this.optimizer.reset();
    this.frozen = false;
  }

  dispose(): void {
    this.source.dispose();
    this.optimizer.dispose();
  }
}
