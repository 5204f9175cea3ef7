/**
 * Views a list of parameter tensors as one flat vector θ [P] in their canonical order, as
 * the per-scalar optimisers (MGG, LSTM) see them.
 */
import * as tf from '@tensorflow/tfjs';

export class ParameterVector {
  readonly size: number;
  private readonly sizes: number[];

  constructor(readonly parameters: readonly tf.Variable[]) {
    this.sizes = parameters.map((parameter) => parameter.size);
    this.size = this.sizes.reduce((sum, size) => sum + size, 0);
  }

  /** Concatenates per-parameter tensors (gradients) into one [P] vector. */
  flatten(tensors: readonly tf.Tensor[]): tf.Tensor1D {
    return tf.tidy(() => tf.concat(tensors.map((tensor) => tf.reshape(tensor, [-1]))) as tf.Tensor1D);
  }

  /** θ ← θ + delta for a flat delta [P]. */
  add(delta: tf.Tensor1D): void {
    tf.tidy(() => {
      const parts = tf.split(delta, this.sizes);
      this.parameters.forEach((parameter, i) => parameter.assign(tf.add(parameter, tf.reshape(parts[i]!, parameter.shape))));
    });
  }
}
