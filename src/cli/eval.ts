/**
 * `mgtta eval`: accuracy of a model's weights without adapting (the noadapt method), on the
 * clean stream by default or on any corruptions, with the same result files as `adapt`.
 */
import { Command } from 'commander';

import { runExperiment } from '../bench/experiment.js';
import { top1Pivot, toMarkdown, writeTables } from '../bench/tables.js';
import { parseBackendChoice, selectBackend } from '../runtime/backend.js';
import { addExperimentOptions, parseExperimentOptions, type RawExperimentOptions } from './experiment-options.js';

interface RawEvalOptions extends RawExperimentOptions {
  corruption: string;
  severity: string;
}

async function run(raw: RawEvalOptions): Promise<void> {
  const config = parseExperimentOptions(raw, { methods: ['noadapt'], corruptions: raw.corruption, severities: raw.severity });
  const backend = await selectBackend(parseBackendChoice(raw.backend));
  const { store } = await runExperiment(config, backend);
  const table = top1Pivot(store.cells());
  writeTables(store.directory, table, `mgtta eval ${process.argv.slice(3).join(' ')}`);
  process.stdout.write(toMarkdown(table));
}

/** Builds the command; a fresh instance per parse, since commander keeps parsed values on it. */
export function createEvalCommand(): Command {
  return addExperimentOptions(
    new Command('eval')
      .description('evaluate weights without adapting, on the clean stream or on corruptions')
      .option('--corruption <names>', "'none' for the clean stream, or corruptions and sets (all, noise, blur, weather, digital, extra)", 'none')
      .option('--severity <levels>', 'severity 1-5, or a comma list', '5'),
    { batchSize: '64' },
  ).action(async (raw: RawEvalOptions) => run(raw));
}
