/** Parsers for raw commander option strings into validated values (UsageError on bad input). */
import { UsageError } from '../runtime/errors.js';

export function parseInteger(flag: string, raw: string | undefined, minimum: number, fallback?: number): number {
  if (raw === undefined) {
    if (fallback === undefined) throw new UsageError(`missing required option ${flag}`);
    return fallback;
  }
  const value = Number(raw);
  if (!Number.isInteger(value) || value < minimum) {
    throw new UsageError(`invalid ${flag} '${raw}': expected an integer >= ${minimum}`);
  }
  return value;
}

export function parsePositiveNumber(flag: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    throw new UsageError(`invalid ${flag} '${raw}': expected a number > 0`);
  }
  return value;
}

export function parseChoice<T extends string>(flag: string, raw: string | undefined, choices: readonly T[], fallback: T): T {
  if (raw === undefined) return fallback;
  if (!(choices as readonly string[]).includes(raw)) {
    throw new UsageError(`invalid ${flag} '${raw}': expected one of ${choices.join(', ')}`);
  }
  return raw as T;
}

/** Parses a comma-separated list of integers within [minimum, maximum], e.g. `1,3,5`. */
export function parseIntegerList(flag: string, raw: string | undefined, minimum: number, maximum: number, fallback: number[]): number[] {
  if (raw === undefined) return fallback;
  return raw.split(',').map((part) => {
    const value = Number(part.trim());
    if (!Number.isInteger(value) || value < minimum || value > maximum) {
      throw new UsageError(`invalid ${flag} '${raw}': '${part}' is not an integer from ${minimum} to ${maximum}`);
    }
    return value;
  });
}
