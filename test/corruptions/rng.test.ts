import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { Rng, hash128, imageRng, logFactorial } from '../../src/corruptions/rng.js';
import { mean, standardDeviation } from './helpers.js';

const SAMPLES = 100_000;

function draw(count: number, sample: () => number): number[] {
  return Array.from({ length: count }, sample);
}

describe('rng', () => {
  it('same key gives same stream', () => {
    const a = Rng.fromKey('seed 1');
    const b = Rng.fromKey('seed 1');
    assert.deepEqual(draw(50, () => a.nextUint32()), draw(50, () => b.nextUint32()));
  });

  it('nearby keys give different streams', () => {
    const a = Rng.fromKey('seed 1');
    const b = Rng.fromKey('seed 2');
    const first = draw(50, () => a.nextUint32());
    const second = draw(50, () => b.nextUint32());
    assert.equal(first.filter((value, i) => value === second[i]).length, 0);
  });

  it('hash128 returns four distinct 32-bit words', () => {
    const words = hash128('abc');
    assert.equal(words.length, 4);
    for (const word of words) assert.ok(Number.isInteger(word) && word >= 0 && word < 2 ** 32, `word ${word}`);
    assert.equal(new Set(words).size, 4);
  });

  it('image streams depend on every identity field', () => {
    const base = { seed: 0, datasetId: 'd', corruption: 'fog', severity: 3, index: 5 };
    const first = imageRng(base).nextUint32();
    const variants = [{ seed: 1 }, { datasetId: 'e' }, { corruption: 'snow' }, { severity: 4 }, { index: 6 }];
    for (const variant of variants) {
      assert.notEqual(imageRng({ ...base, ...variant }).nextUint32(), first, JSON.stringify(variant));
    }
  });

  it('uniform has mean 1/2 and variance 1/12', () => {
    const rng = new Rng([1, 2, 3, 4]);
    const values = draw(SAMPLES, () => rng.uniform());
    assert.ok(values.every((value) => value >= 0 && value < 1));
    // Standard error of the mean is sqrt(1/12 / 1e5) = 0.0009. Allow 5 of them.
    assert.ok(Math.abs(mean(values) - 0.5) < 0.0046, `mean ${mean(values)}`);
    assert.ok(Math.abs(standardDeviation(values) ** 2 - 1 / 12) < 0.002, `variance ${standardDeviation(values) ** 2}`);
  });

  it('integer draws cover [low, high) only', () => {
    const rng = new Rng([5, 6, 7, 8]);
    const counts = new Map<number, number>();
    for (let i = 0; i < 40_000; i++) {
      const value = rng.integer(-2, 2);
      counts.set(value, (counts.get(value) ?? 0) + 1);
    }
    assert.deepEqual([...counts.keys()].sort((a, b) => a - b), [-2, -1, 0, 1]);
    // Each of 4 values has expected count 10,000 with standard deviation about 87.
    for (const [value, count] of counts) assert.ok(Math.abs(count - 10_000) < 450, `value ${value} drawn ${count} times`);
  });

  it('normal has mean 0 and standard deviation 1', () => {
    const rng = new Rng([9, 10, 11, 12]);
    const values = draw(SAMPLES, () => rng.normal());
    assert.ok(Math.abs(mean(values)) < 0.016, `mean ${mean(values)}`);
    assert.ok(Math.abs(standardDeviation(values) - 1) < 0.012, `std ${standardDeviation(values)}`);
    // P(|z| > 2) = 0.0455 for a standard normal.
    const tail = values.filter((value) => Math.abs(value) > 2).length / values.length;
    assert.ok(Math.abs(tail - 0.0455) < 0.004, `tail fraction ${tail}`);
  });

  it('poisson mean and variance equal lambda', () => {
    const rng = new Rng([13, 14, 15, 16]);
    // Small means use multiplication, means >= 10 use PTRS; 500 is the largest CIFAR shot-noise mean.
    for (const lambda of [0.3, 3, 9.5, 12, 60, 500]) {
      const values = draw(50_000, () => rng.poisson(lambda));
      assert.ok(values.every((value) => Number.isInteger(value) && value >= 0));
      const relativeMeanError = Math.abs(mean(values) - lambda) / lambda;
      const relativeVarianceError = Math.abs(standardDeviation(values) ** 2 - lambda) / lambda;
      assert.ok(relativeMeanError < 0.03, `lambda ${lambda}: mean ${mean(values)}`);
      assert.ok(relativeVarianceError < 0.04, `lambda ${lambda}: variance ${standardDeviation(values) ** 2}`);
    }
  });

  it('poisson of PTRS matches probabilities at lambda 12', () => {
    const rng = new Rng([17, 18, 19, 20]);
    const lambda = 12;
    const values = draw(100_000, () => rng.poisson(lambda));
    // P(X = 12) = e^-12 12^12 / 12! = 0.11437. The standard error at 1e5 draws is 0.001.
    const atMode = values.filter((value) => value === 12).length / values.length;
    assert.ok(Math.abs(atMode - 0.11437) < 0.005, `P(X = 12) ${atMode}`);
    assert.equal(rng.poisson(0), 0);
  });

  it('logFactorial matches exact sums', () => {
    let exact = 0;
    for (let n = 1; n <= 200; n++) {
      exact += Math.log(n);
      assert.ok(Math.abs(logFactorial(n) - exact) < 1e-9 * Math.max(1, exact), `n ${n}`);
    }
  });
});
