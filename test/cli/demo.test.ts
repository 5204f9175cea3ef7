import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';

import { DEMO_METHODS } from '../../src/cli/demo.js';
import { main } from '../../src/cli/index.js';

const out = mkdtempSync(join(tmpdir(), 'mgtta-demo-'));

function cells(runId: string): Array<Record<string, string>> {
  const [header, ...rows] = readFileSync(join(out, runId, 'cells.csv'), 'utf8').trim().split('\n');
  const columns = header!.split(',');
  return rows.map((row) => Object.fromEntries(row.split(',').map((value, i) => [columns[i], value])));
}

describe('mgtta demo', () => {
  before(() => {
    process.env.MGTTA_QUIET = '1';
  });

  it('runs every demo method on committed assets', async () => {
    const code = await main(['node', 'mgtta', 'demo', '--corruption', 'fog', '--limit', '128', '--out', out, '--run-id', 'demo', '--backend', 'wasm']);
    assert.equal(code, 0);
    const rows = cells('demo');
    assert.deepEqual(rows.map((row) => row.method), DEMO_METHODS);
    for (const row of rows) {
      assert.equal(row.status, 'ok', `${row.method}: ${row.status}`);
      assert.equal(row.images, '128');
    }
    const table = readFileSync(join(out, 'demo', 'table-top1.csv'), 'utf8');
    assert.match(table, /^domain,noadapt,tent,mgtta-nomgg,mgtta,mgtta-lstm/);
    const run = JSON.parse(readFileSync(join(out, 'demo', 'run.json'), 'utf8'));
    assert.match(run.resources.generator_gml, /mgg-gml_vit_demo_fmnist\.safetensors$/);
    assert.match(run.resources.statistics, /vit_demo_fmnist\.stats\.safetensors$/);
    assert.equal(run.methods.mgtta.adaptLr, 0.001);
  });

  it('bench merges preset and flags', async () => {
    const preset = join(out, 'preset.json');
    writeFileSync(preset, JSON.stringify({ description: 'test grid', method: 'noadapt,tent', corruption: 'fog,snow', limit: 64, dataBudget: 1 }));
    const code = await main(['node', 'mgtta', 'bench', '--config', preset, '--corruption', 'fog', '--out', out, '--run-id', 'bench', '--backend', 'wasm']);
    assert.equal(code, 0);
    const rows = cells('bench');
    assert.deepEqual(rows.map((row) => `${row.method} ${row.corruption} ${row.budget} ${row.images}`), ['noadapt fog 1batches 64', 'tent fog 1batches 64']);
    assert.equal(rows[1]!.images_adapted, '64', 'one batch of 64 images adapted, then frozen');

    writeFileSync(preset, JSON.stringify({ methods: 'tent' }));
    assert.equal(await main(['node', 'mgtta', 'bench', '--config', preset, '--out', out]), 2, 'unknown preset key');
  });

  it('workers give the same cells', async () => {
    const args = ['--method', 'noadapt,mgtta', '--corruption', 'fog,contrast', '--limit', '128', '--batch-size', '32', '--out', out, '--backend', 'wasm'];
    assert.equal(await main(['node', 'mgtta', 'adapt', ...args, '--run-id', 'one-thread']), 0);
    assert.equal(await main(['node', 'mgtta', 'adapt', ...args, '--run-id', 'two-threads', '--workers', '2']), 0);
    const key = (row: Record<string, string>) => `${row.method} ${row.corruption} ${row.top1} ${row.ece}`;
    assert.deepEqual(cells('two-threads').map(key).sort(), cells('one-thread').map(key).sort());
    assert.equal(await main(['node', 'mgtta', 'adapt', ...args, '--workers', '2', '--continual']), 2, 'continual needs one thread');
  });

  it('continual mode carries state across domains', async () => {
    const args = ['--method', 'tent', '--corruption', 'fog,contrast', '--limit', '128', '--batch-size', '16', '--lr', '0.05', '--out', out, '--backend', 'wasm'];
    assert.equal(await main(['node', 'mgtta', 'adapt', ...args, '--run-id', 'episodic']), 0);
    assert.equal(await main(['node', 'mgtta', 'adapt', ...args, '--run-id', 'continual', '--continual']), 0);
    const episodic = cells('episodic');
    const continual = cells('continual');
    // The first domain starts from the source weights either way; the second starts from the
    // weights adapted on fog only in continual mode.
    assert.equal(continual[0]!.top1, episodic[0]!.top1);
    const second = { continual: continual[1]!, episodic: episodic[1]! };
    assert.ok(
      second.continual.top1 !== second.episodic.top1 || second.continual.ece !== second.episodic.ece,
      `contrast after fog: continual top-1 ${second.continual.top1}, ECE ${second.continual.ece}; episodic ${second.episodic.top1}, ${second.episodic.ece}`,
    );
  });
});
