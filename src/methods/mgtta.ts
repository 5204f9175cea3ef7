/**
 * MGTTA (Deng, Niu et al., "Learning to Generate Gradients for Test-Time Adaptation via
 * Test-Time Training Layers", AAAI 2025). Every LayerNorm scalar θ_i is updated by a frozen,
 * pre-trained Meta Gradient Generator from the gradient of the FOA loss:
 *
 *   F, z ← f(x; θ)                   prediction, before the update
 *   g    ← ∂(L_ent + L_disc)/∂θ      (FOA loss, source statistics, λ 0.4, divisor 64)
 *   x_i  ← [m̃_i, g̃_i]               Adam-style moments of g_i (β 0.9 / 0.99, exponent t+1)
 *   u, S ← MGG(x, S)                  gradient memory layer, state S carried across batches
 *   θ    ← θ − η_adapt · u            η_adapt = 1e-3
 *
 * The memory, the moments and θ go back to their source values at each domain boundary.
 * The same class runs the LSTM ablation (`mgtta-lstm`): only the generator differs.
 */
import * as tf from '@tensorflow/tfjs';

import { MggOptimizer, type GradientGenerator, type MomentConfig } from '../mgg/index.js';
import type { VisionTransformer } from '../model/index.js';
import type { Batch, StepResult } from './adapter.js';
import { LayerNormAdapter } from './layer-norm-adapter.js';
import { foaLoss, FOA_LOSS_DEFAULTS, type FoaLossConfig, type SourceStatistics } from './foa-loss.js';
import { forwardAndGradients } from './layer-norm-state.js';
import { ParameterVector } from './parameter-vector.js';
import { predictOnly, skipSingleImage } from './predict.js';

export interface MgttaConfig {
  /** Step size η_adapt on the generator output; 1e-3 in the paper and the authors' run script. */
  readonly adaptLr: number;
  readonly loss: FoaLossConfig;
  /** Moment features; `biasCorrection: 'standard'` uses exponent t instead of the code's t + 1. */
  readonly moments: Partial<MomentConfig>;
}

export const MGTTA_DEFAULTS: MgttaConfig = { adaptLr: 1e-3, loss: FOA_LOSS_DEFAULTS, moments: {} };

export class Mgtta extends LayerNormAdapter {
  private readonly vector: ParameterVector;
  private readonly optimizer: MggOptimizer;

  /** `generator` and `statistics` stay owned by the caller. */
  constructor(
    readonly name: string,
    model: VisionTransformer,
    private readonly statistics: SourceStatistics,
    generator: GradientGenerator,
    private readonly config: MgttaConfig = MGTTA_DEFAULTS,
  ) {
    super(model);
    this.vector = new ParameterVector(this.parameters);
    this.optimizer = new MggOptimizer(generator, { adaptLr: config.adaptLr, moments: config.moments });
  }

  async step(batch: Batch): Promise<StepResult> {
    const numClasses = this.model.outputClasses;
    if (this.frozen) return predictOnly(this.model, batch);
    if (batch.inputs.shape[0] < 2) return skipSingleImage(this.model, batch);

    // Forward once: the logits are the prediction and, with the features, the loss input.
    const { logits, loss, gradients, finite } = await forwardAndGradients(this.model, batch.inputs, this.vector.parameters, (output) =>
      foaLoss(output.logits, output.features, this.statistics, this.config.loss).total,
    );

    // Generate the update from the gradient history; skip it when anything is not finite.
    if (finite) {
      const gradient = this.vector.flatten(gradients);
      const update = this.optimizer.step(gradient);
      this.vector.add(update);
      tf.dispose([gradient, update]);
    }

    tf.dispose(gradients);
    return { logits, numClasses, loss, adapted: finite, skippedNonFinite: !finite };
  }

  /** Bytes held by the optimiser state (generator memory, moments). */
  stateBytes(): number {
    return this.optimizer.stateBytes();
  }

  protected resetState(): void {
    this.optimizer.reset();
  }

  protected disposeState(): void {
    this.optimizer.dispose();
  }
}
