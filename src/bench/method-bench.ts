/**
 * Per-batch cost of the adaptation methods on one model, batch and backend, measured in one
 * process with the methods interleaved step by step, so that machine-speed drift hits all
 * of them alike. Reports the median seconds per batch, each method's ratio to TENT, and the
 * memory of the MGTTA generator state.
 */
import * as tf from '@tensorflow/tfjs';

import { Mgtta, MGTTA_DEFAULTS, NoAdapt, Tent, type Adapter } from '../methods/index.js';
import { GradientMemoryLayer, LstmGenerator } from '../mgg/index.js';
import { getModelConfig, VisionTransformer } from '../model/index.js';
import { median, type CorruptionBenchRow } from './corruption-bench.js';

/** One measurement, in the row format shared with the corruption benchmark. */
export type BenchRow = CorruptionBenchRow;

export interface MethodBenchCase {
  /** Registry name of the model; weights are random (timing does not depend on their values). */
  readonly model: string;
  readonly batchSize: number;
  /** Timed steps per method, after one untimed warm-up step each. */
  readonly steps: number;
}

async function timeStep(adapter: Adapter, inputs: tf.Tensor4D, labels: Int32Array): Promise<number> {
  const started = performance.now();
  await adapter.step({ inputs, labels });
  return (performance.now() - started) / 1000;
}

/** Measures noadapt, tent, mgtta and mgtta-lstm on one model and batch size. */
export async function benchMethods(benchCase: MethodBenchCase): Promise<BenchRow[]> {
  const config = getModelConfig(benchCase.model);
  const model = VisionTransformer.random(config, 1);
  const width = config.depth * config.embedDim;
  const statistics = { mean: tf.zeros([width]) as tf.Tensor1D, std: tf.ones([width]) as tf.Tensor1D };
  const memoryLayer = new GradientMemoryLayer();
  const lstm = new LstmGenerator();
  const adapters: Adapter[] = [
    new NoAdapt(model),
    new Tent(model),
    new Mgtta('mgtta', model, statistics, memoryLayer, MGTTA_DEFAULTS),
    new Mgtta('mgtta-lstm', model, statistics, lstm, MGTTA_DEFAULTS),
  ];
  const inputs = tf.randomUniform([benchCase.batchSize, config.imgSize, config.imgSize, config.inChans], -1, 1) as tf.Tensor4D;
  const labels = new Int32Array(benchCase.batchSize);

  // Warm-up: kernels compiled, buffers and generator states allocated.
  for (const adapter of adapters) await timeStep(adapter, inputs, labels);
  const times = adapters.map(() => [] as number[]);
  for (let step = 0; step < benchCase.steps; step++) {
    for (const [i, adapter] of adapters.entries()) times[i]!.push(await timeStep(adapter, inputs, labels));
  }

  const setting = `${config.name}, batch ${benchCase.batchSize}, ${tf.getBackend()}, ${benchCase.steps} steps`;
  const medians = times.map(median);
  const tent = medians[1]!;
  const rows: BenchRow[] = [];
  for (const [i, adapter] of adapters.entries()) {
    rows.push({ section: 'methods', name: adapter.name, metric: 'seconds_per_batch', value: medians[i]!, unit: 's', notes: setting });
    rows.push({ section: 'methods', name: adapter.name, metric: 'ratio_to_tent', value: medians[i]! / tent, unit: 'x', notes: setting });
  }
  const mgtta = adapters[2] as Mgtta;
  const mgttaLstm = adapters[3] as Mgtta;
  const scalars = model.layerNormParameters().reduce((sum, parameter) => sum + parameter.size, 0);
  rows.push({ section: 'memory', name: 'mgtta', metric: 'generator_state_mb', value: mgtta.stateBytes() / 2 ** 20, unit: 'MB', notes: `${config.name}: ${scalars} adapted scalars; W, b, m, v` });
  rows.push({ section: 'memory', name: 'mgtta-lstm', metric: 'generator_state_mb', value: mgttaLstm.stateBytes() / 2 ** 20, unit: 'MB', notes: `${config.name}: ${scalars} adapted scalars; h, c, m, v` });

  for (const adapter of adapters) {
    adapter.reset();
    adapter.dispose();
  }
  tf.dispose([inputs, statistics.mean, statistics.std]);
  memoryLayer.dispose();
  lstm.dispose();
  model.dispose();
  return rows;
}
