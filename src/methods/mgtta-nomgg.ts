/**
 * MGTTA without the Meta Gradient Generator (the "remove MGG" ablation): the same FOA loss
 * and the same LayerNorm parameters as MGTTA, updated by plain SGD without momentum. The
 * authors' code uses the run's adapt_lr, 0.005 by default.
 */
import * as tf from '@tensorflow/tfjs';

import type { VisionTransformer } from '../model/index.js';
import type { Batch, StepResult } from './adapter.js';
import { foaLoss, FOA_LOSS_DEFAULTS, type FoaLossConfig, type SourceStatistics } from './foa-loss.js';
import { LayerNormAdapter } from './layer-norm-adapter.js';
import { forwardAndGradients } from './layer-norm-state.js';
import { predictOnly, skipSingleImage } from './predict.js';
import { SgdMomentum } from './sgd.js';

export interface MgttaNoMggConfig {
  /** SGD learning rate (the authors' `adapt_lr` default, 0.005). */
  readonly learningRate: number;
  readonly loss: FoaLossConfig;
}

export const MGTTA_NOMGG_DEFAULTS: MgttaNoMggConfig = { learningRate: 0.005, loss: FOA_LOSS_DEFAULTS };

export class MgttaNoMgg extends LayerNormAdapter {
  readonly name = 'mgtta-nomgg';
  private readonly optimizer: SgdMomentum;

  /** `statistics` stays owned by the caller. */
  constructor(
    model: VisionTransformer,
    private readonly statistics: SourceStatistics,
    private readonly config: MgttaNoMggConfig = MGTTA_NOMGG_DEFAULTS,
  ) {
    super(model);
    this.optimizer = new SgdMomentum(this.parameters, config.learningRate, 0);
  }

  async step(batch: Batch): Promise<StepResult> {
    if (this.frozen) return predictOnly(this.model, batch);
    if (batch.inputs.shape[0] < 2) return skipSingleImage(this.model, batch);

    const { logits, loss, gradients, finite } = await forwardAndGradients(this.model, batch.inputs, this.parameters, (output) =>
      foaLoss(output.logits, output.features, this.statistics, this.config.loss).total,
    );
    if (finite) this.optimizer.step(gradients);
    tf.dispose(gradients);
    return { logits, numClasses: this.model.outputClasses, loss, adapted: finite, skippedNonFinite: !finite };
  }

  protected resetState(): void {
    this.optimizer.reset();
  }

  protected disposeState(): void {
    this.optimizer.dispose();
  }
}
