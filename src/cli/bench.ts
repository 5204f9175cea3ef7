/**
 * `mgtta bench`: a grid of cells from a JSON preset in `configs/` (or any file), with
 * command-line flags overriding the preset. Budgets (`--time-budget`, `--data-budget`) give
 * the MGTTA paper's Table 2 protocols: adapt until the budget is spent, then predict only.
 */
import { readFileSync } from 'node:fs';

import { Command } from 'commander';

import { runExperiment } from '../bench/experiment.js';
import { top1Pivot, toMarkdown, writeTables } from '../bench/tables.js';
import { parseBackendChoice, selectBackend } from '../runtime/backend.js';
import { UsageError } from '../runtime/errors.js';
import { logger } from '../runtime/logger.js';
import { DEMO_METHODS } from './demo.js';
import { addExperimentOptions, parseExperimentOptions, type RawExperimentOptions } from './experiment-options.js';

interface RawBenchOptions extends RawExperimentOptions {
  config?: string;
  method: string;
  corruption: string;
  severity: string;
}

/** Reads a preset: a JSON object whose keys are option names in camelCase (e.g. `batchSize`) with string or number values. */
function readPreset(path: string): Record<string, string | boolean> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new UsageError(`cannot read preset '${path}': ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UsageError(`preset '${path}' must be a JSON object of option names and values`);
  }
  const preset: Record<string, string | boolean> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (key === 'description') continue;
    preset[key] = typeof value === 'boolean' ? value : String(value);
  }
  return preset;
}

/** Merges the preset under the flags the user typed; flags left at their defaults yield to the preset. */
function mergePreset(raw: RawBenchOptions, command: Command): RawBenchOptions {
  if (raw.config === undefined) return raw;
  const preset = readPreset(raw.config);
  const known = new Set(command.options.map((option) => option.attributeName()));
  const merged: Record<string, unknown> = { ...raw };
  for (const [key, value] of Object.entries(preset)) {
    if (!known.has(key)) throw new UsageError(`preset '${raw.config}' has unknown option '${key}'; valid names: ${[...known].sort().join(', ')}`);
    if (command.getOptionValueSource(key) !== 'cli') merged[key] = value;
  }
  return merged as unknown as RawBenchOptions;
}

async function run(raw: RawBenchOptions): Promise<void> {
  const config = parseExperimentOptions(raw, {
    methods: raw.method.split(',').map((name) => name.trim()),
    corruptions: raw.corruption,
    severities: raw.severity,
  });
  const backend = await selectBackend(parseBackendChoice(raw.backend));
  const budget = config.budget.kind === 'none' ? 'no budget' : `${config.budget.kind} budget ${config.budget.value}`;
  logger.info(`bench: ${config.methods.join(', ')} on ${config.corruptions.length} domains, ${budget}`);
  const { store } = await runExperiment(config, backend);

  const table = top1Pivot(store.cells());
  writeTables(store.directory, table, `mgtta bench ${process.argv.slice(3).join(' ')}`);
  process.stdout.write(`\n${toMarkdown(table)}\n`);
  logger.info(`bench: table written to ${store.directory}/table-top1.csv and summary.md`);
}

/** Builds the command; a fresh instance per parse, since commander keeps parsed values on it. */
export function createBenchCommand(): Command {
  const command = addExperimentOptions(
    new Command('bench')
      .description('run a grid of cells from a preset (configs/*.json) with optional time or data budgets')
      .option('--config <file>', 'JSON preset of option values (keys in camelCase, e.g. batchSize); flags given here override it')
      .option('--method <names>', 'comma list of methods', DEMO_METHODS.join(','))
      .option('--corruption <names>', 'corruptions or sets (all, noise, blur, weather, digital, extra)', 'all')
      .option('--severity <levels>', 'severity 1-5, or a comma list', '5'),
    { batchSize: '64' },
  );
  return command.action(async (raw: RawBenchOptions) => run(mergePreset(raw, command)));
}
