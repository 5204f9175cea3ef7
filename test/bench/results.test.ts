import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { CELL_COLUMNS, ResultStore, type CellRow } from '../../src/bench/results.js';

function row(method: string, status = 'ok'): CellRow {
  return {
    method, model: 'vit_demo_fmnist', dataset: 'fashion-mnist', corruption: 'gaussian_noise', severity: 5, batch_size: 64,
    seed: 2020, budget: 'none', images: 2000, images_adapted: 2000, top1: 71.25, top5: 98.5, ece: 3.1, adapt_seconds: 8.5,
    total_seconds: 9, images_per_second: 222.2, peak_memory_mb: 1.3, skipped_batches: 0, backend: 'wasm', status,
  };
}

describe('ResultStore', () => {
  it('cells.csv has the documented columns', () => {
    const store = new ResultStore(mkdtempSync(join(tmpdir(), 'mgtta-results-')));
    store.appendCell(row('tent'));
    const [header, first] = readFileSync(store.cellsPath, 'utf8').trim().split('\n');
    assert.equal(header, CELL_COLUMNS.join(','));
    for (const column of ['method', 'dataset', 'corruption', 'severity', 'batch_size', 'seed', 'images', 'top1', 'top5', 'adapt_seconds', 'images_per_second', 'backend']) {
      assert.ok(CELL_COLUMNS.includes(column as (typeof CELL_COLUMNS)[number]), `missing column ${column}`);
    }
    assert.equal(first, 'tent,vit_demo_fmnist,fashion-mnist,gaussian_noise,5,64,2020,none,2000,2000,71.25,98.5,3.1,8.5,9,222.2,1.3,0,wasm,ok');
  });

  it('appends rows under one header', () => {
    const store = new ResultStore(mkdtempSync(join(tmpdir(), 'mgtta-results-')));
    store.appendCell(row('noadapt'));
    store.appendCell(row('tent'));
    const lines = readFileSync(store.cellsPath, 'utf8').trim().split('\n');
    assert.equal(lines.length, 3);
    assert.equal(store.cells()[1]!.method, 'tent');
  });

  it('resume skips only finished cells', () => {
    const store = new ResultStore(mkdtempSync(join(tmpdir(), 'mgtta-results-')));
    store.appendCell(row('noadapt'));
    store.appendCell(row('tent', 'failed: out of memory'));
    const finished = store.finishedCells();
    assert.equal(finished.size, 1);
    assert.ok([...finished][0]!.startsWith('noadapt|'));
  });

  it('quotes fields with commas', () => {
    const store = new ResultStore(mkdtempSync(join(tmpdir(), 'mgtta-results-')));
    store.appendCell(row('tent', 'failed: shape [1, 2], expected [3]'));
    assert.equal(store.cells()[0]!.status, 'failed: shape [1, 2], expected [3]');
  });
});
