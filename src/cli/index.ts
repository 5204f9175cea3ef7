/**
 * The `mgtta` program: builds the commander program from one command per file and maps
 * errors to exit codes (2 for invalid usage or input, 1 for a failed run).
 */
import { Command, CommanderError } from 'commander';

import { UsageError } from '../runtime/errors.js';
import { logger } from '../runtime/logger.js';

import { createAdaptCommand } from './adapt.js';
import { createBenchCommand } from './bench.js';
import { createCorruptCommand } from './corrupt.js';
import { createDemoCommand } from './demo.js';
import { createDoctorCommand } from './doctor.js';
import { createEvalCommand } from './eval.js';
import { createPretrainCommand } from './pretrain.js';
import { createStatsCommand } from './stats.js';
import { createTrainSourceCommand } from './train-source.js';

const commandFactories: Array<() => Command> = [
  createDemoCommand, createAdaptCommand, createEvalCommand, createBenchCommand, createCorruptCommand, createPretrainCommand, createStatsCommand, createTrainSourceCommand, createDoctorCommand,
];

export function buildProgram(): Command {
  const program = new Command('mgtta')
    .description('benchmark harness for test-time adaptation of image classifiers')
    .version('0.1.0')
    .showHelpAfterError();
  for (const createCommand of commandFactories) {
    const command = createCommand();
    // Subcommands do not inherit exitOverride: without it commander exits with 1 on a parse error.
    command.exitOverride();
    program.addCommand(command);
  }
  return program;
}

/** Runs the program on `argv` and returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  program.exitOverride();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof UsageError) {
      logger.error(error.message);
      return 2;
    }
    logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    return 1;
  }
}
