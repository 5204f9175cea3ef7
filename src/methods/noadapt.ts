/** NoAdapt: the source model as it is; the reference every method is compared with. */
import type { VisionTransformer } from '../model/index.js';
import type { Adapter, Batch, StepResult } from './adapter.js';
import { predictOnly } from './predict.js';

export class NoAdapt implements Adapter {
  readonly name = 'noadapt';

  constructor(private readonly model: VisionTransformer) {}

  async step(batch: Batch): Promise<StepResult> {
    return predictOnly(this.model, batch);
  }

  freeze(): void {}

  unfreeze(): void {}

  reset(): void {}

  dispose(): void {}
}
