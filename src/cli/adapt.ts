/** `mgtta adapt`: one or more methods on one or more corrupted domains. */
import { Command } from 'commander';

import { runExperiment } from '../bench/experiment.js';
import { methodNames } from '../methods/index.js';
import { top1Pivot, toMarkdown, writeTables } from '../bench/tables.js';
import { parseBackendChoice, selectBackend } from '../runtime/backend.js';
import { logger } from '../runtime/logger.js';
import { addExperimentOptions, parseExperimentOptions, type RawExperimentOptions } from './experiment-options.js';

interface RawAdaptOptions extends RawExperimentOptions {
  method: string;
  corruption: string;
  severity?: string;
}

async function run(raw: RawAdaptOptions): Promise<void> {
  const config = parseExperimentOptions(raw, {
    methods: raw.method.split(',').map((name) => name.trim()),
    corruptions: raw.corruption,
    severities: raw.severity,
  });
  const backend = await selectBackend(parseBackendChoice(raw.backend));
  const { store, rows } = await runExperiment(config, backend);

  const table = top1Pivot(store.cells());
  writeTables(store.directory, table, `mgtta adapt ${process.argv.slice(3).join(' ')}`);
  process.stdout.write(toMarkdown(table));
  logger.info(`adapt: ${rows.length} ${rows.length === 1 ? 'cell' : 'cells'} written to ${store.cellsPath}`);
}

/** Builds the command; a fresh instance per parse, since commander keeps parsed values on it. */
export function createAdaptCommand(): Command {
  return addExperimentOptions(
    new Command('adapt')
      .description('adapt a model online on corrupted test streams and write accuracy and runtime to CSV')
      .requiredOption('--method <names>', `method, or a comma list: ${methodNames().join(', ')}`)
      .requiredOption('--corruption <names>', "corruption, a comma list, a set (all, noise, blur, weather, digital, extra) or 'none' for clean")
      .option('--severity <levels>', 'severity 1-5, or a comma list', '5'),
    { batchSize: '64' },
  ).action(async (raw: RawAdaptOptions) => run(raw));
}
