/**
 * The result store of one run: `results/<run-id>/` with `cells.csv` (one row per cell),
 * `steps.csv` (one row per batch) and `run.json` (resolved configuration, versions,
 * backend, git commit, start and end). Rows are appended and flushed as soon as they
 * exist, so a killed run loses at most the cell that was running.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';

export const CELL_COLUMNS = [
  'method', 'model', 'dataset', 'corruption', 'severity', 'batch_size', 'seed', 'budget',
  'images', 'images_adapted', 'top1', 'top5', 'ece', 'adapt_seconds', 'total_seconds',
  'images_per_second', 'peak_memory_mb', 'skipped_batches', 'backend', 'status',
] as const;

export type CellRow = Record<(typeof CELL_COLUMNS)[number], string | number>;

export const STEP_COLUMNS = [
  'method', 'dataset', 'corruption', 'severity', 'seed', 'batch', 'images_seen', 'batch_top1',
  'running_top1', 'loss', 'adapted', 'step_seconds',
] as const;

export type StepRow = Record<(typeof STEP_COLUMNS)[number], string | number>;

/** Identifies a cell for `--resume`: everything that makes two cells different. */
export function cellKey(row: Pick<CellRow, 'method' | 'model' | 'dataset' | 'corruption' | 'severity' | 'batch_size' | 'seed' | 'budget'>): string {
  return [row.method, row.model, row.dataset, row.corruption, row.severity, row.batch_size, row.seed, row.budget].join('|');
}

export class ResultStore {
  readonly directory: string;
  readonly cellsPath: string;
  readonly stepsPath: string;

  constructor(directory: string) {
    this.directory = directory;
    mkdirSync(directory, { recursive: true });
    this.cellsPath = join(directory, 'cells.csv');
    this.stepsPath = join(directory, 'steps.csv');
  }

  /** Keys of the cells already finished with status `ok` (for `--resume`). */
  finishedCells(): Set<string> {
    if (!existsSync(this.cellsPath)) return new Set();
    const rows = parse(readFileSync(this.cellsPath, 'utf8'), { columns: true }) as CellRow[];
    return new Set(rows.filter((row) => row.status === 'ok').map((row) => cellKey(row)));
  }

  /** Returns every finished cell row, as strings. */
  cells(): Array<Record<string, string>> {
    if (!existsSync(this.cellsPath)) return [];
    return parse(readFileSync(this.cellsPath, 'utf8'), { columns: true }) as Array<Record<string, string>>;
  }

  appendCell(row: CellRow): void {
    appendRow(this.cellsPath, CELL_COLUMNS, row);
  }

  appendSteps(rows: StepRow[]): void {
    for (const row of rows) appendRow(this.stepsPath, STEP_COLUMNS, row);
  }

  writeRunInfo(info: Record<string, unknown>): void {
    writeFileSync(join(this.directory, 'run.json'), `${JSON.stringify(info, null, 2)}\n`);
  }
}

function appendRow(path: string, columns: readonly string[], row: Record<string, string | number>): void {
  const header = !existsSync(path);
  // appendFileSync opens, writes and closes the file: the row is on disk when it returns.
  appendFileSync(path, stringify([row], { header, columns: [...columns] }));
}

/** Returns the current git commit of the working tree, or `unknown` outside a checkout. */
export function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

/** Returns a sortable run id: UTC timestamp plus a short label. */
export function newRunId(label: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${label}`;
}
