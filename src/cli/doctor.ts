/**
 * `mgtta doctor`: what this machine offers the harness. Backends and why any is missing,
 * the data roots, the embedded demo assets with their recorded accuracy, and the user cache.
 * Exits with 1 when something the embedded default needs is missing.
 */
import { existsSync, readdirSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';

import { Command } from 'commander';

import { DEMO_WEIGHTS } from '../bench/experiment.js';
import { defaultGeneratorPath } from '../bench/resources.js';
import { cacheDirectory, DEMO_STATS } from '../bench/source-stats.js';
import { DEBIAN_FASHION_MNIST, EMBEDDED_FASHION_MNIST, loadFashionMnist } from '../data/index.js';
import { DEMO_MODEL, readSafetensorsHeader } from '../model/index.js';
import { probeNativeBackends, selectBackend } from '../runtime/backend.js';

type Status = 'ok' | 'missing' | 'optional';

const MARKS: Record<Status, string> = { ok: 'ok', missing: 'MISSING', optional: 'absent' };

function report(status: Status, subject: string, detail: string): void {
  process.stdout.write(`${MARKS[status].padEnd(7)} ${subject.padEnd(28)} ${detail}\n`);
}

async function assetDetail(path: string, keys: string[]): Promise<string> {
  const header = await readSafetensorsHeader(path);
  const metadata = (header.__metadata__ ?? {}) as Record<string, string>;
  const facts = keys.filter((key) => metadata[key] !== undefined).map((key) => `${key} ${metadata[key]}`);
  return facts.length > 0 ? facts.join(', ') : path;
}

async function run(): Promise<void> {
  let missing = 0;
  process.stdout.write(`node ${process.version}, ${process.platform}-${process.arch}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GB\n\n`);

  // Backends: the native ones are optional; wasm must initialise.
  for (const probe of probeNativeBackends()) {
    report(probe.problem === undefined ? 'ok' : 'optional', probe.package, probe.problem ?? 'loads (use --backend tensorflow)');
  }
  process.env.MGTTA_QUIET = '1';
  try {
    await selectBackend('wasm');
    report('ok', '@tensorflow/tfjs-backend-wasm', 'initialised');
  } catch (error) {
    missing++;
    report('missing', '@tensorflow/tfjs-backend-wasm', (error as Error).message);
  }

  // Data roots.
  for (const [subject, root, required] of [['embedded Fashion-MNIST', EMBEDDED_FASHION_MNIST, true], ['Debian Fashion-MNIST', DEBIAN_FASHION_MNIST, false]] as const) {
    try {
      const test = await loadFashionMnist({ split: 'test', root });
      const train = await loadFashionMnist({ split: 'train', root });
      report('ok', subject, `${test.count} test and ${train.count} training images in ${root}`);
    } catch (error) {
      if (required) missing++;
      report(required ? 'missing' : 'optional', subject, (error as Error).message);
    }
  }

  // Embedded demo assets.
  const assets: Array<[string, string, string[]]> = [
    ['demo weights', DEMO_WEIGHTS, ['model', 'clean_test_top1', 'trained_with']],
    ['demo source statistics', DEMO_STATS, ['images', 'samples']],
    ['demo MGG (memory layer)', defaultGeneratorPath(DEMO_MODEL, 'gml', true), ['selected_epoch', 'selected_eval_top1']],
    ['demo MGG (LSTM)', defaultGeneratorPath(DEMO_MODEL, 'lstm', true), ['selected_epoch', 'selected_eval_top1']],
  ];
  for (const [subject, path, keys] of assets) {
    if (existsSync(path)) report('ok', subject, await assetDetail(path, keys));
    else {
      missing++;
      report('missing', subject, `${path} not found; the README of assets/demo gives the command that makes it`);
    }
  }

  // User cache of statistics and generators for other models.
  const cache = cacheDirectory();
  for (const folder of ['stats', 'mgg']) {
    const path = join(cache, folder);
    const files = existsSync(path) ? readdirSync(path).filter((file) => file.endsWith('.safetensors')) : [];
    report(files.length > 0 ? 'ok' : 'optional', `cache ${folder}/`, files.length > 0 ? `${files.length} files in ${path}: ${files.join(', ')}` : `none in ${path}`);
  }

  if (missing > 0) throw new Error(`doctor: ${missing} required item(s) missing; see the lines marked MISSING`);
}

/** Builds the command; a fresh instance per parse, since commander keeps parsed values on it. */
export function createDoctorCommand(): Command {
  return new Command('doctor')
    .description('check backends, data roots, the embedded demo assets and the user cache')
    .action(async () => run());
}
