/** Entry of a cell worker thread: builds its own backend and cell runner, then runs the cells it is sent. */
import { parentPort, workerData } from 'node:worker_threads';

import { parseBackendChoice, selectBackend } from '../runtime/backend.js';
import { UsageError } from '../runtime/errors.js';
import { createCellRunner, type ExperimentConfig } from './experiment.js';
import type { CellSpec } from './cell.js';
import type { WorkerMessage } from './workers.js';

const { config, backend } = workerData as { config: ExperimentConfig; backend: string };
const port = parentPort!;
const send = (message: WorkerMessage) => port.postMessage(message);

// Progress and setup lines come from the main thread only.
process.env.MGTTA_QUIET = '1';

try {
  await selectBackend(parseBackendChoice(backend));
  const runner = await createCellRunner(config);
  port.on('message', async (message: { type: 'cell'; spec: CellSpec } | { type: 'stop' }) => {
    if (message.type === 'stop') {
      runner.dispose();
      port.close();
      return;
    }
    try {
      send({ type: 'result', result: await runner.run(message.spec, backend) });
    } catch (error) {
      send({ type: 'error', message: (error as Error).message, usage: error instanceof UsageError });
    }
  });
  send({ type: 'ready' });
} catch (error) {
  send({ type: 'error', message: (error as Error).message, usage: error instanceof UsageError });
}
