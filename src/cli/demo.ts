/**
 * `mgtta demo`: the main job on the embedded default. The demo ViT adapts on the 2,000
 * committed Fashion-MNIST test images under each benchmark corruption at severity 5, with
 * every demo method, then a top-1 table is printed and written to CSV.
 */
import { availableParallelism } from 'node:os';

import { Command } from 'commander';

import { runExperiment } from '../bench/experiment.js';
import { top1Pivot, toMarkdown, writeTables } from '../bench/tables.js';
import { parseBackendChoice, selectBackend } from '../runtime/backend.js';
import { logger } from '../runtime/logger.js';
import { addExperimentOptions, parseExperimentOptions, type RawExperimentOptions } from './experiment-options.js';

/** Methods the demo compares, in table order. */
export const DEMO_METHODS = ['noadapt', 'tent', 'mgtta-nomgg', 'mgtta', 'mgtta-lstm'];

interface RawDemoOptions extends RawExperimentOptions {
  method: string;
  corruption: string;
  severity: string;
}

async function run(raw: RawDemoOptions): Promise<void> {
  const config = parseExperimentOptions(raw, {
    methods: raw.method.split(',').map((name) => name.trim()),
    corruptions: raw.corruption,
    severities: raw.severity,
  });
  const backend = await selectBackend(parseBackendChoice(raw.backend));
  logger.info(`demo: ${config.methods.join(', ')} on ${config.corruptions.length} corruptions at severity ${config.severities.join(', ')}`);
  const { store } = await runExperiment({ ...config, runId: config.runId ?? undefined }, backend);

  const table = top1Pivot(store.cells());
  writeTables(store.directory, table, 'mgtta demo');
  process.stdout.write(`\n${toMarkdown(table)}\n`);
  logger.info(`demo: table written to ${store.directory}/table-top1.csv and summary.md`);
}

/** Builds the command; a fresh instance per parse, since commander keeps parsed values on it. */
export function createDemoCommand(): Command {
  return addExperimentOptions(
    new Command('demo')
      .description('run the main job on the embedded default: demo methods on all benchmark corruptions, severity 5')
      .option('--method <names>', 'comma list of methods', DEMO_METHODS.join(','))
      .option('--corruption <names>', 'corruptions or sets (all, noise, blur, weather, digital, extra)', 'all')
      .option('--severity <levels>', 'severity 1-5, or a comma list', '5'),
    // The demo model is small, so one worker per core (up to 4) is safe and faster.
    { batchSize: '64', workers: String(Math.min(4, availableParallelism())) },
  ).action(async (raw: RawDemoOptions) => run(raw));
}
