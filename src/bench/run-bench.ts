/**
 * `npm run bench`: speed and memory measurements, printed and written to
 * `results/bench/bench-<timestamp>.csv`. `npm run bench -- --quick` takes fewer repetitions;
 * `--only corruptions|methods` runs one section.
 */
import { mkdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { stringify } from 'csv-stringify/sync';

import { parseBackendChoice, selectBackend } from '../runtime/backend.js';
import { benchCorruptions } from './corruption-bench.js';
import { benchMethods, type BenchRow, type MethodBenchCase } from './method-bench.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const onlyIndex = args.indexOf('--only');
const only = onlyIndex >= 0 ? args[onlyIndex + 1] : undefined;

/**
 * The demo model at the harness's default batch, and ViT-S/16 at a small batch.
 * NOTE: ViT-B/16 adaptation at batch 2 exceeds the 4 GB wasm heap, because the weights, their
 * cached transposes and XNNPACK's packed copies add up. Measure it on the tensorflow backend.
 */
const METHOD_CASES: MethodBenchCase[] = [
  { model: 'vit_demo_fmnist', batchSize: 64, steps: quick ? 5 : 20 },
  { model: 'vit_small_patch16_224', batchSize: 4, steps: quick ? 2 : 5 },
];

const backend = await selectBackend(parseBackendChoice(undefined));
const rows: BenchRow[] = [];
if (only === undefined || only === 'methods') {
  for (const benchCase of METHOD_CASES) {
    process.stderr.write(`bench: methods on ${benchCase.model}, batch ${benchCase.batchSize}\n`);
    rows.push(...(await benchMethods(benchCase)));
  }
}
if (only === undefined || only === 'corruptions') {
  process.stderr.write('bench: corruptions\n');
  rows.push(...(await benchCorruptions({ quick })));
}

const directory = join('results', 'bench');
mkdirSync(directory, { recursive: true });
const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
const path = join(directory, `bench-${stamp}.csv`);
const rounded = rows.map((row) => ({ ...row, value: Number(row.value.toPrecision(4)), backend: backend.name }));
await writeFile(path, stringify(rounded, { header: true, columns: ['section', 'name', 'metric', 'value', 'unit', 'backend', 'notes'] }));
for (const row of rounded) process.stdout.write(`${row.section.padEnd(12)} ${row.name.padEnd(20)} ${row.metric.padEnd(22)} ${String(row.value).padStart(10)} ${row.unit.padEnd(9)} ${row.notes}\n`);
process.stderr.write(`bench: wrote ${path}\n`);
