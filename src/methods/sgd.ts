/**
 * Stochastic gradient descent with momentum, PyTorch semantics (no dampening, no Nesterov,
 * no weight decay): v ← μ·v + g (v = g on the first step), θ ← θ − η·v.
 *
 * NOTE: written here rather than using `tf.train.momentum` because that optimizer's
 * dispose() in tfjs 4.22 leaves its learning-rate scalar alive, one tensor per reset.
 */
import * as tf from '@tensorflow/tfjs';

export class SgdMomentum {
  private velocities: tf.Tensor[] | null = null;

  constructor(
    private readonly parameters: readonly tf.Variable[],
    private readonly learningRate: number,
    private readonly momentum: number,
  ) {}

  /** Applies one update; `gradients[i]` belongs to `parameters[i]`. */
  step(gradients: readonly tf.Tensor[]): void {
    const previous = this.velocities;
    const velocities = tf.tidy(() =>
      gradients.map((gradient, i) => (previous === null || this.momentum === 0 ? gradient.clone() : tf.add(tf.mul(previous[i]!, this.momentum), gradient))),
    );
    tf.tidy(() => this.parameters.forEach((parameter, i) => parameter.assign(tf.sub(parameter, tf.mul(velocities[i]!, this.learningRate)))));
    if (previous !== null) tf.dispose(previous);
    this.velocities = velocities.map((velocity) => tf.keep(velocity));
  }

  /** Forgets the velocities (a new domain). */
  reset(): void {
    if (this.velocities !== null) tf.dispose(this.velocities);
    this.velocities = null;
  }

  dispose(): void {
    this.reset();
  }
}
