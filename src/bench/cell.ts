/**
 * One cell of an experiment: one method adapting on one domain (a dataset, or a corruption
 * at a severity) from the source weights, with an optional time or data budget, measured
 * into a `cells.csv` row and per-batch `steps.csv` rows.
 */
import * as tf from '@tensorflow/tfjs';

import { streamBatches, type ImageSet } from '../data/index.js';
import type { Adapter } from '../methods/index.js';
import type { VisionTransformer } from '../model/index.js';
import { createProgress } from '../runtime/progress.js';
import { ClassificationMetrics } from './metrics.js';
import type { CellRow, StepRow } from './results.js';

export interface Budget {
  /** `none`: adapt on every batch; `time`: stop adapting after `value` seconds of adaptation; `data`: after `value` batches. */
  readonly kind: 'none' | 'time' | 'data';
  readonly value: number;
}

export interface CellSpec {
  readonly method: string;
  readonly dataset: string;
  /** `none` for a clean domain. */
  readonly corruption: string;
  /** 0 for a clean domain. */
  readonly severity: number;
  readonly batchSize: number;
  readonly seed: number;
  readonly limit?: number;
  readonly budget: Budget;
}

export interface CellResult {
  row: CellRow;
  steps: StepRow[];
}

export function budgetLabel(budget: Budget): string {
  if (budget.kind === 'none') return 'none';
  return budget.kind === 'time' ? `${budget.value}s` : `${budget.value}batches`;
}

/**
 * Runs `adapter` (already reset to the source weights) over the domain's stream and
 * returns its measurements. `adapt_seconds` counts only the adapter's steps; data
 * loading and corruption are in `total_seconds`. `corrupted`, when given, is the domain's
 * images already corrupted by `materializeCorruption`.
 */
export async function runCell(
  adapter: Adapter,
  model: VisionTransformer,
  set: ImageSet,
  spec: CellSpec,
  backend: string,
  corrupted?: ImageSet,
): Promise<CellResult> {
  const metrics = new ClassificationMetrics();
  const steps: StepRow[] = [];
  const total = spec.limit === undefined ? set.count : Math.min(spec.limit, set.count);
  const label = spec.corruption === 'none' ? `${spec.method} clean` : `${spec.method} ${spec.corruption}-${spec.severity}`;
  const progress = createProgress({ label, total, unit: 'images' });
  const corruption = spec.corruption === 'none' ? undefined : { name: spec.corruption, severity: spec.severity };

  let adaptSeconds = 0;
  let imagesAdapted = 0;
  let batchesAdapted = 0;
  let skippedBatches = 0;
  let peakBytes = tf.memory().numBytes;
  const started = performance.now();

  // A pre-corrupted copy of the domain (same bytes) replaces corruption on the fly.
  const stream = corrupted === undefined
    ? streamBatches(set, { batchSize: spec.batchSize, seed: spec.seed, limit: spec.limit, corruption })
    : streamBatches(corrupted, { batchSize: spec.batchSize, seed: spec.seed, limit: spec.limit });
  for await (const batch of stream) {
    const inputs = tf.tidy(() => model.normalize(tf.tensor4d(batch.pixels, [batch.size, set.height, set.width, set.channels], 'int32')));
    const stepStarted = performance.now();
    const result = await adapter.step({ inputs, labels: batch.labels });
    const stepSeconds = (performance.now() - stepStarted) / 1000;
    peakBytes = Math.max(peakBytes, tf.memory().numBytes);
    inputs.dispose();

    adaptSeconds += stepSeconds;
    if (result.adapted) {
      imagesAdapted += batch.size;
      batchesAdapted++;
    }
    if (result.skippedNonFinite) skippedBatches++;
    const { top1Hits } = metrics.add(result.logits, result.numClasses, batch.labels);

    steps.push({
      method: spec.method, dataset: spec.dataset, corruption: spec.corruption, severity: spec.severity, seed: spec.seed,
      batch: steps.length + 1, images_seen: metrics.images, batch_top1: round((100 * top1Hits) / batch.size),
      running_top1: round(metrics.top1()), loss: result.loss === null ? '' : round(result.loss, 6),
      adapted: result.adapted ? 1 : 0, step_seconds: round(stepSeconds, 4),
    });
    const elapsed = (performance.now() - started) / 1000;
    progress.update(metrics.images, { top1: `${metrics.top1().toFixed(2)}%`, 'images/s': (metrics.images / elapsed).toFixed(1) });

    const timeUp = spec.budget.kind === 'time' && adaptSeconds >= spec.budget.value;
    const dataUp = spec.budget.kind === 'data' && batchesAdapted >= spec.budget.value;
    if (timeUp || dataUp) adapter.freeze();
  }
  progress.stop();

  const totalSeconds = (performance.now() - started) / 1000;
  const row: CellRow = {
    method: spec.method, model: model.config.name, dataset: spec.dataset, corruption: spec.corruption,
    severity: spec.severity, batch_size: spec.batchSize, seed: spec.seed, budget: budgetLabel(spec.budget),
    images: metrics.images, images_adapted: imagesAdapted, top1: round(metrics.top1()), top5: round(metrics.top5()),
    ece: round(metrics.ece()), adapt_seconds: round(adaptSeconds, 3), total_seconds: round(totalSeconds, 3),
    images_per_second: round(metrics.images / totalSeconds, 2), peak_memory_mb: round(peakBytes / 2 ** 20, 2),
    skipped_batches: skippedBatches, backend, status: 'ok',
  };
  return { row, steps };
}

function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
