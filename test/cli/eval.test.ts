import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { main } from '../../src/cli/index.js';

describe('mgtta eval', () => {
  it('scores clean images without adapting', async () => {
    process.env.MGTTA_QUIET = '1';
    const out = mkdtempSync(join(tmpdir(), 'mgtta-eval-'));
    assert.equal(await main(['node', 'mgtta', 'eval', '--out', out, '--run-id', 'clean', '--backend', 'wasm']), 0);
    const [header, row] = readFileSync(join(out, 'clean', 'cells.csv'), 'utf8').trim().split('\n');
    const cell = Object.fromEntries(header!.split(',').map((column, i) => [column, row!.split(',')[i]]));
    assert.equal(cell.method, 'noadapt');
    assert.equal(cell.corruption, 'none');
    assert.equal(cell.images, '2000');
    assert.equal(cell.images_adapted, '0');
    // The demo weights' clean top-1 on the 2,000 embedded test images, as recorded in docs/benchmarks.md.
    assert.equal(cell.top1, '89.8');
  });
});
