/**
 * Parallel grid cells: worker threads, each with its own TensorFlow.js backend and model,
 * take whole domains (every method of one corruption and severity) from a shared queue, so
 * a domain's corrupted images are made once. Results reach the caller as each cell ends.
 */
import { Worker } from 'node:worker_threads';

import type { BackendInfo } from '../runtime/backend.js';
import { UsageError } from '../runtime/errors.js';
import { logger } from '../runtime/logger.js';
import type { CellResult, CellSpec } from './cell.js';
import type { ExperimentConfig } from './experiment.js';

/** Messages from a worker. */
export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'result'; result: CellResult }
  | { type: 'error'; message: string; usage: boolean };

/**
 * Returns the worker entry next to this file: the compiled JavaScript, or a bootstrap that
 * registers tsx and loads the TypeScript when this module itself runs from source (the tests).
 */
function workerEntry(): URL {
  const fromSource = import.meta.url.endsWith('.ts');
  return new URL(fromSource ? './cell-worker-source.mjs' : './cell-worker.js', import.meta.url);
}

/** Groups cells by domain, keeping the grid's order inside each group. */
function domainGroups(specs: readonly CellSpec[]): CellSpec[][] {
  const groups = new Map<string, CellSpec[]>();
  for (const spec of specs) {
    const key = `${spec.seed}|${spec.corruption}|${spec.severity}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(spec);
  }
  return [...groups.values()];
}

/** Runs `specs` on `count` workers; `onResult` is called in the main thread as each cell ends. */
export async function runInWorkers(
  config: ExperimentConfig,
  specs: readonly CellSpec[],
  count: number,
  backend: BackendInfo,
  onResult: (result: CellResult) => void,
): Promise<void> {
  const queue = domainGroups(specs);
  const workers = Math.min(count, queue.length);
  logger.info(`workers: ${workers} threads for ${specs.length} cells in ${queue.length} domains`);
  await Promise.all(Array.from({ length: workers }, () => runWorker(config, queue, backend, onResult)));
}

function runWorker(config: ExperimentConfig, queue: CellSpec[][], backend: BackendInfo, onResult: (result: CellResult) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerEntry(), { workerData: { config, backend: backend.name } });
    let cells: CellSpec[] = [];
    let failed = false;

    const next = () => {
      if (cells.length === 0) cells = queue.shift() ?? [];
      const spec = cells.shift();
      if (spec === undefined) {
        worker.postMessage({ type: 'stop' });
        return;
      }
      worker.postMessage({ type: 'cell', spec });
    };

    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'error') {
        failed = true;
        queue.length = 0;
        reject(message.usage ? new UsageError(message.message) : new Error(message.message));
        void worker.terminate();
        return;
      }
      if (message.type === 'result') {
        onResult(message.result);
        logger.info(`${message.result.row.method} ${message.result.row.corruption}-${message.result.row.severity}: top-1 ${message.result.row.top1}%`);
      }
      next();
    });
    worker.on('error', (error) => {
      failed = true;
      reject(error);
    });
    worker.on('exit', (code) => {
      if (failed) return;
      if (code === 0) resolve();
      else reject(new Error(`cell worker exited with code ${code}`));
    });
  });
}
