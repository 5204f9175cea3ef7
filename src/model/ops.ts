/**
 * Matrix products whose backward pass avoids transposed operands.
 *
 * NOTE: measured with @tensorflow/tfjs-backend-wasm 4.22 on this project's 2-core x86
 * machine, `matMul(a, b, false, true)` and `matMul(a, b, true, false)` run at about
 * 2 GFLOP/s while the plain product runs at 20-26 GFLOP/s (only the untransposed 2-D case
 * reaches XNNPACK). tfjs's own gradient of matMul uses the transposed forms, so here the
 * operands are transposed explicitly (a cheap copy) before a plain product, forward and
 * backward. The results are identical; only the speed differs.
 */
import * as tf from '@tensorflow/tfjs';

/** a [M, K] · b [K, N] -> [M, N], with a backward pass made of untransposed products. */
export const matMul2d = tf.customGrad(((a: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
  save([a, b]);
  return {
    value: tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [savedA, savedB] = saved as [tf.Tensor2D, tf.Tensor2D];
      const dA = tf.matMul(dy as tf.Tensor2D, tf.transpose(savedB));
      const dB = tf.matMul(tf.transpose(savedA), dy as tf.Tensor2D);
      return [dA, dB];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D;

/** Batched a [..., M, K] · b [..., K, N] -> [..., M, N] with untransposed products backward. */
export const batchMatMul = tf.customGrad(((a: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
  save([a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [savedA, savedB] = saved as [tf.Tensor, tf.Tensor];
      return [tf.matMul(dy, swapLastAxes(savedB)), tf.matMul(swapLastAxes(savedA), dy)];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;

/** Transposes the last two axes. */
export function swapLastAxes(x: tf.Tensor): tf.Tensor {
  const order = x.shape.map((_, axis) => axis);
  order[order.length - 1] = order.length - 2;
  order[order.length - 2] = order.length - 1;
  return tf.transpose(x, order);
}

/**
 * x [M, K] · weightT [K, N] for a constant weight (weightT = weightᵀ, weight [N, K]): the
 * backward pass computes only dx = dy · weight and no weight gradient, which saves a third
 * of the backward work when only LayerNorm parameters adapt.
 */
export function frozenMatMul(x: tf.Tensor2D, weightT: tf.Tensor2D, weight: tf.Tensor2D): tf.Tensor2D {
  const product = tf.customGrad(((input: tf.Tensor) => ({
    value: tf.matMul(input as tf.Tensor2D, weightT),
    gradFunc: (dy: tf.Tensor) => tf.matMul(dy as tf.Tensor2D, weight),
  })) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (input: tf.Tensor2D) => tf.Tensor2D;
  return product(x);
}
