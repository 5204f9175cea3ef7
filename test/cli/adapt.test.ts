import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';

import { main } from '../../src/cli/index.js';

const out = mkdtempSync(join(tmpdir(), 'mgtta-cli-'));

async function mgtta(...args: string[]): Promise<number> {
  return main(['node', 'mgtta', ...args]);
}

describe('mgtta adapt', () => {
  before(() => {
    process.env.MGTTA_QUIET = '1';
  });

  it('writes cells and steps CSV', async () => {
    const code = await mgtta('adapt', '--method', 'noadapt,tent', '--corruption', 'gaussian_noise', '--limit', '128', '--batch-size', '32', '--out', out, '--run-id', 'first', '--backend', 'wasm');
    assert.equal(code, 0);
    const cells = readFileSync(join(out, 'first', 'cells.csv'), 'utf8').trim().split('\n');
    assert.equal(cells.length, 3);
    const header = cells[0]!.split(',');
    for (const column of ['method', 'dataset', 'corruption', 'severity', 'batch_size', 'seed', 'images', 'top1', 'top5', 'adapt_seconds', 'images_per_second', 'backend']) {
      assert.ok(header.includes(column), `cells.csv lacks column ${column}`);
    }
    const tent = Object.fromEntries(header.map((column, i) => [column, cells[2]!.split(',')[i]]));
    assert.equal(tent.method, 'tent');
    assert.equal(tent.images, '128');
    assert.equal(tent.severity, '5');
    assert.equal(tent.backend, 'wasm');
    assert.equal(tent.status, 'ok');
    const steps = readFileSync(join(out, 'first', 'steps.csv'), 'utf8').trim().split('\n');
    assert.equal(steps.length, 1 + 2 * 4);
    const run = JSON.parse(readFileSync(join(out, 'first', 'run.json'), 'utf8'));
    assert.equal(run.config.batchSize, 32);
    assert.ok(run.ended_at);
  });

  it('resume skips finished cells', async () => {
    const code = await mgtta('adapt', '--method', 'noadapt,tent', '--corruption', 'gaussian_noise', '--limit', '128', '--batch-size', '32', '--out', out, '--run-id', 'first', '--resume', '--backend', 'wasm');
    assert.equal(code, 0);
    const cells = readFileSync(join(out, 'first', 'cells.csv'), 'utf8').trim().split('\n');
    assert.equal(cells.length, 3);
  });

  it('invalid input exits with 2', async () => {
    const before = readdirSync(out).length;
    assert.equal(await mgtta('adapt', '--method', 'tent', '--corruption', 'gaussian_noise', '--severity', '6', '--out', out), 2);
    assert.equal(await mgtta('adapt', '--method', 'nothing', '--corruption', 'fog', '--out', out), 2);
    assert.equal(await mgtta('adapt', '--method', 'tent', '--corruption', 'fog', '--weights', join(out, 'absent.safetensors'), '--out', out), 2);
    assert.equal(await mgtta('adapt', '--method', 'mgtta', '--corruption', 'fog', '--batch-size', '1', '--out', out), 2);
    assert.equal(await mgtta('adapt', '--corruption', 'fog', '--out', out), 2, 'missing --method');
    assert.equal(await mgtta('adapt', '--method', 'tent', '--corruption', 'fog', '--no-such-flag', '--out', out), 2, 'unknown option');
    assert.equal(readdirSync(out).length, before, 'a rejected command must not create a run folder');
    assert.ok(existsSync(join(out, 'first', 'cells.csv')), 'earlier results are kept');
  });

  it('existing run needs --resume', async () => {
    const before = readFileSync(join(out, 'first', 'cells.csv'), 'utf8');
    assert.equal(await mgtta('adapt', '--method', 'noadapt', '--corruption', 'gaussian_noise', '--limit', '64', '--out', out, '--run-id', 'first', '--backend', 'wasm'), 2);
    assert.equal(readFileSync(join(out, 'first', 'cells.csv'), 'utf8'), before);
  });

  it('backend tensorflow explains install', async (context) => {
    let installed = true;
    try {
      await import('@tensorflow/tfjs-node' as string);
    } catch {
      installed = false;
    }
    if (installed) return context.skip('tfjs-node is installed here');
    assert.equal(await mgtta('adapt', '--method', 'tent', '--corruption', 'fog', '--backend', 'tensorflow', '--out', out), 2);
  });
});
