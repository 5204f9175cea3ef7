/** Loading and comparing against the reference values in test/fixtures/golden. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

export function readGolden<T = any>(file: string): T {
  return JSON.parse(readFileSync(`${FIXTURES}golden/${file}`, 'utf8')) as T;
}

export function flatten(value: unknown): number[] {
  return Array.isArray(value) ? value.flatMap(flatten) : [value as number];
}

/**
 * Asserts |actual − expected| ≤ rtol·|expected| + rtol·max|expected| element-wise: the
 * absolute term keeps near-zero elements from failing a purely relative test.
 */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, label: string): void {
  assert.equal(actual.length, expected.length, `${label}: length ${actual.length}, expected ${expected.length}`);
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]!));
  let worst = 0;
  let worstIndex = -1;
  for (let i = 0; i < expected.length; i++) {
    const excess = Math.abs(actual[i]! - expected[i]!) - (rtol * Math.abs(expected[i]!) + rtol * scale);
    if (excess > worst) {
      worst = excess;
      worstIndex = i;
    }
  }
  assert.ok(worstIndex < 0, `${label}: element ${worstIndex} is ${actual[worstIndex]}, expected ${expected[worstIndex]} (rtol ${rtol})`);
}
