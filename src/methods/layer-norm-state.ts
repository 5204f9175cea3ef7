/** Snapshot and restore of a model's LayerNorm parameters, shared by the methods that adapt them. */
import * as tf from '@tensorflow/tfjs';

import type { VisionTransformer, VitOutput } from '../model/index.js';

export class ParameterSnapshot {
  private readonly saved: tf.Tensor[];

  constructor(private readonly variables: readonly tf.Variable[]) {
    this.saved = variables.map((variable) => tf.keep(variable.clone()));
  }

  /** Writes the saved values back into the variables. */
  restore(): void {
    this.variables.forEach((variable, i) => variable.assign(this.saved[i]!));
  }

  dispose(): void {
    tf.dispose(this.saved);
  }
}

/** True when every value of `tensors` is finite (no NaN, no ±Infinity). */
export async function allFinite(tensors: readonly tf.Tensor[]): Promise<boolean> {
  const flags = tf.tidy(() => tf.stack(tensors.map((tensor) => tf.all(tf.isFinite(tensor)))).all());
  const ok = (await flags.data())[0] === 1;
  flags.dispose();
  return ok;
}

/** One forward and backward pass of a gradient-based method. */
export interface GradientStep {
  /** Logits of the batch before any update, [B * numClasses]: the prediction. */
  logits: Float32Array;
  loss: number;
  /** Gradient of the loss for each parameter, in the given order; the caller disposes them. */
  gradients: tf.Tensor[];
  /** Whether the loss and every gradient are finite; an update must be skipped otherwise. */
  finite: boolean;
}

/**
 * Runs the model once on `inputs`, keeps the logits as the prediction, and differentiates
 * `lossOf(output)` with respect to `parameters`.
 */
export async function forwardAndGradients(
  model: VisionTransformer,
  inputs: tf.Tensor4D,
  parameters: readonly tf.Variable[],
  lossOf: (output: VitOutput) => tf.Scalar,
): Promise<GradientStep> {
  let logits: tf.Tensor2D | undefined;
  const { value, grads } = tf.variableGrads(() => {
    const output = model.forward(inputs);
    logits = tf.keep(output.logits);
    return lossOf(output);
  }, [...parameters]);
  const gradients = parameters.map((parameter) => grads[parameter.name]!);
  const finite = await allFinite([value, ...gradients]);

  const logitValues = (await logits!.data()) as Float32Array;
  const loss = (await value.data())[0]!;
  tf.dispose([logits!, value]);
  return { logits: logitValues, loss, gradients, finite };
}
