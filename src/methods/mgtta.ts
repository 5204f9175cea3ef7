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
import { logger } from '../runtime/logger.js';
import type { Adapter, Batch, StepResult } from './adapter.js';
import { foaLoss, FOA_LOSS_DEFAULTS, type FoaLossConfig, type SourceStatistics } from './foa-loss.js';
import { allFinite, ParameterSnapshot } from './layer-norm-state.js';
import { ParameterVector } from './parameter-vector.js';

export interface MgttaConfig {
  /** Step size η_adapt on the generator output; 1e-3 in the paper and the authors' run script. */
  readonly adaptLr: number;
  readonly loss: FoaLossConfig;
  /** Moment features; `biasCorrection: 'standard'` uses exponent t instead of the code's t + 1. */
  readonly moments: Partial<MomentConfig>;
}

export const MGTTA_DEFAULTS: MgttaConfig = { adaptLr: 1e-3, loss: FOA_LOSS_DEFAULTS, moments: {} };

export class Mgtta implements Adapter {
  private readonly vector: ParameterVector;
  private readonly source: ParameterSnapshot;
  private readonly optimizer: MggOptimizer;
  private frozen = false;

  /** `generator` and `statistics` stay owned by the caller. */
  constructor(
    readonly name: string,
    private readonly model: VisionTransformer,
    private readonly statistics: SourceStatistics,
    generator: GradientGenerator,
    private readonly config: MgttaConfig = MGTTA_DEFAULTS,
  ) {
    const parameters = model.layerNormParameters();
    this.vector = new ParameterVector(parameters);
    this.source = new ParameterSnapshot(parameters);
    this.optimizer = new MggOptimizer(generator, { adaptLr: config.adaptLr, moments: config.moments });
  }

  async step(batch: Batch): Promise<StepResult> {
    const numClasses = this.model.config.numClasses;
    if (this.frozen) return predictOnly(this.model, batch);
    if (batch.inputs.shape[0] < 2) return skipSingleImage(this.model, batch);

    // Forward once: the logits are the prediction and, with the features, the loss input.
    let logits: tf.Tensor2D | undefined;
    const { value: loss, grads } = tf.variableGrads(() => {
      const output = this.model.forward(batch.inputs);
      logits = tf.keep(output.logits);
      return foaLoss(output.logits, output.features, this.statistics, this.config.loss).total;
    }, [...this.vector.parameters]);
    const gradients = this.vector.parameters.map((parameter) => grads[parameter.name]!);

    // Generate the update from the gradient history; skip it when anything is not finite.
    const finite = await allFinite([loss, ...gradients]);
    if (finite) {
      const gradient = this.vector.flatten(gradients);
      const update = this.optimizer.step(gradient);
      this.vector.add(update);
      tf.dispose([gradient, update]);
    }

    const values = (await logits!.data()) as Float32Array;
    const lossValue = (await loss.data())[0]!;
    tf.dispose([logits!, loss, ...gradients]);
    return { logits: values, numClasses, loss: lossValue, adapted: finite, skippedNonFinite: !finite };
  }

  /** Bytes held by the optimiser state (generator memory, moments). */
  stateBytes(): number {
    return this.optimizer.stateBytes();
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

/**
 * A one-image batch (a stream's last partial batch) has no unbiased std, so the FOA loss is
 * undefined: predict it without adapting and warn once per process.
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
  return { logits: values, numClasses: model.config.numClasses, loss: null, adapted: false, skippedNonFinite: false };
}
