/** Losses shared by the entropy-based methods. */
import * as tf from '@tensorflow/tfjs';

/** Shannon entropy (natural log) of softmax(logits) per row: −Σ_c p_c log p_c, [B]. */
export function softmaxEntropy(logits: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    const logProbabilities = tf.logSoftmax(logits);
    return tf.neg(tf.sum(tf.mul(tf.exp(logProbabilities), logProbabilities), 1)) as tf.Tensor1D;
  });
}
