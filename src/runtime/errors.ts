/**
 * Error types shared by every command. The CLI entry point maps them to exit codes:
 * `UsageError` (bad flags, unreadable or malformed input files) exits with 2, anything
 * else with 1. No other module calls `process.exit`.
 */

/** Invalid usage or input: a flag value, a missing file, a malformed data file. Exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Throws a `UsageError` with `message()` unless `condition` holds; the message is built lazily. */
export function check(condition: unknown, message: () => string): asserts condition {
  if (!condition) throw new UsageError(message());
}
