/** Snapshot and restore of a model's LayerNorm parameters, shared by the methods that adapt them. */
import * as tf from '@tensorflow/tfjs';

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
