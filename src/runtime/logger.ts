/**
 * The one logger of the project. Lines go to stderr so that stdout stays free for tables
 * and machine-readable output. `MGTTA_QUIET=1` silences `info`.
 */

type Level = 'info' | 'warn' | 'error';

function write(level: Level, message: string): void {
  if (level === 'info' && process.env.MGTTA_QUIET === '1') return;
  const prefix = level === 'info' ? '' : `${level}: `;
  process.stderr.write(`${prefix}${message}\n`);
}

export const logger = {
  info: (message: string) => write('info', message),
  warn: (message: string) => write('warn', message),
  error: (message: string) => write('error', message),
};
