/**
 * Building blocks of `mgtta corrupt`: a bounded pool of async tasks,
 * progress reporting (a bar on a terminal, periodic lines otherwise), atomic file writes and
 * the appended `manifest.csv`.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { appendFile, mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

import cliProgress from 'cli-progress';
import { stringify } from 'csv-stringify/sync';

import { UsageError } from '../runtime/errors.js';
import { logger } from '../runtime/logger.js';

/** Runs `worker` on every item with at most `concurrency` calls in flight. Rejects on the first error. */
export async function runPool<T>(items: readonly T[], concurrency: number, worker: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      await worker(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
}

/** Writes a file through a temporary name and a rename, so an interrupted run never leaves a partial output. */
export async function writeFileAtomic(path: string, data: Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.partial-${process.pid}`;
  await writeFile(temporary, data);
  await rename(temporary, path);
}

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export const MANIFEST_COLUMNS = ['file', 'corruption', 'severity', 'seed', 'sha256'] as const;

export interface ManifestRow {
  /** Output path relative to the output directory, `/`-separated. */
  file: string;
  corruption: string;
  severity: number;
  seed: number;
  sha256: string;
}

/** Splits one CSV line as csv-stringify writes it (fields quoted when they contain a comma or quote). */
function splitCsvLine(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const char = line[i]!;
    if (quoted && char === '"' && line[i + 1] === '"') {
      field += '"';
      i++;
    } else if (char === '"') {
      quoted = !quoted;
    } else if (char === ',' && !quoted) {
      fields.push(field);
      field = '';
    } else {
      field += char;
    }
  }
  fields.push(field);
  return fields;
}

/**
 * `manifest.csv` of an output directory: one row per written file, appended as files are
 * written, so a resumed run continues the same manifest. Existing rows are read at open to
 * skip known files and to reject a resume with a different seed.
 */
export class Manifest {
  private readonly known = new Set<string>();
  private queue: Promise<void> = Promise.resolve();

  private constructor(readonly path: string) {}

  static async open(path: string, seed: number): Promise<Manifest> {
    const manifest = new Manifest(path);
    const text = existsSync(path) ? readFileSync(path, 'utf8') : '';
    const lines = text.split('\n').filter((line) => line.trim() !== '');

    if (lines.length === 0) {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, stringify([[...MANIFEST_COLUMNS]]));
      return manifest;
    }

    const header = splitCsvLine(lines[0]!);
    if (header.join(',') !== MANIFEST_COLUMNS.join(',')) {
      throw new UsageError(`invalid manifest '${path}': header '${lines[0]}', expected '${MANIFEST_COLUMNS.join(',')}'; use a new --output directory`);
    }
    for (const line of lines.slice(1)) {
      const [file, , , seedText] = splitCsvLine(line);
      if (Number(seedText) !== seed) {
        throw new UsageError(`output directory was written with --seed ${seedText} ('${path}'), not ${seed}; pass --seed ${seedText} to resume it or choose a new --output`);
      }
      manifest.known.add(file!);
    }
    return manifest;
  }

  has(file: string): boolean {
    return this.known.has(file);
  }

  /** Appends one row. Appends are serialised so concurrent tasks never interleave lines. */
  append(row: ManifestRow): Promise<void> {
    this.known.add(row.file);
    const line = stringify([[row.file, row.corruption, row.severity, row.seed, row.sha256]]);
    this.queue = this.queue.then(() => appendFile(this.path, line));
    return this.queue;
  }
}

/** Seconds between progress lines when stderr is not a terminal. */
const PLAIN_PROGRESS_INTERVAL_S = 10;

/** Counts outputs and reports progress: a cli-progress bar on a terminal, a log line every 10 s otherwise. */
export class Progress {
  written = 0;
  skipped = 0;
  failed = 0;
  private readonly started = Date.now();
  private lastLine = Date.now();
  private readonly bar: cliProgress.SingleBar | undefined;

  constructor(private readonly total: number, private readonly label: string) {
    if (process.stderr.isTTY) {
      this.bar = new cliProgress.SingleBar({
        stream: process.stderr,
        format: `${label} |{bar}| {value}/{total} outputs | {rate} outputs/s | {skipped} skipped | ETA {eta_formatted}`,
        hideCursor: true,
      }, cliProgress.Presets.shades_classic);
      this.bar.start(total, 0, { rate: '0.0', skipped: 0 });
    }
  }

  get done(): number {
    return this.written + this.skipped + this.failed;
  }

  /** Outputs written per second since the start. */
  rate(): number {
    const seconds = (Date.now() - this.started) / 1000;
    return seconds > 0 ? this.written / seconds : 0;
  }

  update(): void {
    if (this.bar !== undefined) {
      this.bar.update(this.done, { rate: this.rate().toFixed(1), skipped: this.skipped });
      return;
    }
    if (Date.now() - this.lastLine >= PLAIN_PROGRESS_INTERVAL_S * 1000) {
      this.lastLine = Date.now();
      this.logLine();
    }
  }

  private logLine(): void {
    const percent = this.total > 0 ? ((100 * this.done) / this.total).toFixed(1) : '100.0';
    logger.info(`${this.label}: ${this.done}/${this.total} outputs (${percent}%), ${this.rate().toFixed(1)} outputs/s, ${this.skipped} skipped`);
  }

  stop(): void {
    this.bar?.stop();
    if (this.bar === undefined) this.logLine();
  }

  elapsedSeconds(): number {
    return (Date.now() - this.started) / 1000;
  }
}
