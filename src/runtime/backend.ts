/**
 * Backend selection. `auto` tries `@tensorflow/tfjs-node-gpu`, then `@tensorflow/tfjs-node`
 * (both optional dependencies whose install step downloads libtensorflow), then the
 * WebAssembly backend. The pure-JS `cpu` backend is only used when asked for: it is about
 * 25 times slower than wasm on matrix products.
 */
import { createRequire } from 'node:module';

import * as tf from '@tensorflow/tfjs';

import { UsageError } from './errors.js';
import { logger } from './logger.js';

export const BACKEND_CHOICES = ['auto', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

export interface BackendInfo {
  /** The tfjs backend name in use: `tensorflow`, `wasm` or `cpu`. */
  name: string;
  /** The npm package that provides it. */
  package: string;
  /** One line per earlier choice that was skipped, with the reason. */
  skipped: string[];
}

const require = createRequire(import.meta.url);

/** Parses a `--backend` value or `MGTTA_BACKEND`; an invalid value is a UsageError. */
export function parseBackendChoice(value: string | undefined): BackendChoice {
  const choice = value ?? process.env.MGTTA_BACKEND ?? 'auto';
  if (!(BACKEND_CHOICES as readonly string[]).includes(choice)) {
    throw new UsageError(`invalid backend '${choice}'; valid backends: ${BACKEND_CHOICES.join(', ')}`);
  }
  return choice as BackendChoice;
}

/**
 * Loads a native TensorFlow binding. tfjs-node registers the `tensorflow` backend when it is
 * required; a failed libtensorflow download leaves a package whose require throws.
 */
function loadNative(packageName: string): string | undefined {
  try {
    require(packageName);
    return undefined;
  } catch (error) {
    const message = (error as Error).message.split('\n')[0] ?? '';
    return message.includes('Cannot find module') && message.includes(packageName)
      ? 'not installed'
      : `failed to load (${message})`;
  }
}

/** Reports, for each native TensorFlow package, whether it loads here (undefined) or why not. */
export function probeNativeBackends(): Array<{ package: string; problem: string | undefined }> {
  return ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'].map((packageName) => ({ package: packageName, problem: loadNative(packageName) }));
}

async function activate(name: string): Promise<void> {
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`tf.setBackend('${name}') returned false`);
  await tf.ready();
}

async function activateWasm(): Promise<void> {
  await import('@tensorflow/tfjs-backend-wasm');
  await activate('wasm');
}

const INSTALL_HINT =
  'install it with `npm install @tensorflow/tfjs-node` (CPU) or `npm install @tensorflow/tfjs-node-gpu` (CUDA); ' +
  'its install step downloads libtensorflow, so it needs internet access';

/** Selects and initialises the backend; logs the choice and why earlier ones were skipped. */
export async function selectBackend(choice: BackendChoice): Promise<BackendInfo> {
  // Production mode skips tfjs debug checks and silences the cpu backend's note that
  // recommends tfjs-node on first use; this function logs its own choice instead.
  tf.enableProdMode();
  const skipped: string[] = [];
  let info: BackendInfo | undefined;

  if (choice === 'auto' || choice === 'tensorflow') {
    for (const packageName of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
      const problem = loadNative(packageName);
      if (problem === undefined) {
        await activate('tensorflow');
        info = { name: 'tensorflow', package: packageName, skipped };
        break;
      }
      skipped.push(`${packageName}: ${problem}`);
    }
    if (info === undefined && choice === 'tensorflow') {
      throw new UsageError(`backend 'tensorflow' is not available (${skipped.join('; ')}); ${INSTALL_HINT}`);
    }
  }

  if (info === undefined && (choice === 'auto' || choice === 'wasm')) {
    await activateWasm();
    info = { name: 'wasm', package: '@tensorflow/tfjs-backend-wasm', skipped };
  }
  if (info === undefined) {
    await activate('cpu');
    info = { name: 'cpu', package: '@tensorflow/tfjs-backend-cpu', skipped };
  }

  for (const line of skipped) logger.info(`backend: skipped ${line}`);
  logger.info(`backend: ${info.name} (${info.package})`);
  return info;
}
