/**
 * Progress reporting: a cli-progress bar when stderr is a terminal, and plain periodic
 * lines otherwise (CI logs, pipes), so that logs stay readable.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  /** Sets the absolute position and the values shown next to the bar. */
  update(done: number, values?: Record<string, string | number>): void;
  stop(): void;
}

export interface ProgressOptions {
  /** Label before the bar, e.g. `tent gaussian_noise`. */
  label: string;
  total: number;
  /** Unit of `total`, e.g. `images`. */
  unit: string;
  /** Minimum seconds between two plain lines. */
  intervalSeconds?: number;
}

/** Creates a progress reporter; with MGTTA_QUIET=1 it reports nothing. */
export function createProgress(options: ProgressOptions): Progress {
  if (process.env.MGTTA_QUIET === '1') return { update: () => {}, stop: () => {} };
  if (process.stderr.isTTY && process.env.MGTTA_PLAIN_PROGRESS !== '1') return terminalProgress(options);
  return plainProgress(options);
}

function formatValues(values: Record<string, string | number>): string {
  return Object.entries(values)
    .map(([key, value]) => `${key} ${value}`)
    .join(', ');
}

function terminalProgress(options: ProgressOptions): Progress {
  const bar = new cliProgress.SingleBar(
    {
      format: `${options.label} [{bar}] {value}/{total} ${options.unit} | {details}`,
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(options.total, 0, { details: '' });
  return {
    update: (done, values = {}) => bar.update(done, { details: formatValues(values) }),
    stop: () => bar.stop(),
  };
}

function plainProgress(options: ProgressOptions): Progress {
  const intervalMs = (options.intervalSeconds ?? 10) * 1000;
  let lastPrinted = 0;
  let lastLine = '';
  const line = (done: number, values: Record<string, string | number>) => {
    const details = formatValues(values);
    return `${options.label}: ${done}/${options.total} ${options.unit}${details ? `, ${details}` : ''}`;
  };
  return {
    update(done, values = {}) {
      lastLine = line(done, values);
      const now = Date.now();
      if (now - lastPrinted >= intervalMs || done >= options.total) {
        process.stderr.write(`${lastLine}\n`);
        lastPrinted = now;
        lastLine = '';
      }
    },
    stop() {
      if (lastLine) process.stderr.write(`${lastLine}\n`);
    },
  };
}
