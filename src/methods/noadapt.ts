/** NoAdapt: the source model as it is; the reference every method is compared with. */
import type { VisionTransformer } from '../model/index.js';
import type { Adapter, Batch, StepResult } from './adapter.js';

export class NoAdapt implements Adapter {
  readonly name = 'noadapt';

  constructor(private readonly model: VisionTransformer) {}

  async step(batch: Batch): Promise<StepResult> {
    const logits = this.model.logits(batch.inputs);
    const values = (await logits.data()) as Float32Array;
    logits.dispose();
    return { logits: values, numClasses: this.model.config.numClasses, loss: null, adapted: false, skippedNonFinite: false };
  }

  freeze(): void {}

  reset(): void {}

  dispose(): void {}
}
