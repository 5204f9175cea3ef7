import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parseBackendChoice, selectBackend } from '../../src/runtime/backend.js';
import { UsageError } from '../../src/runtime/errors.js';

describe('backend selection', () => {
  it('rejects unknown backend names', () => {
    assert.throws(() => parseBackendChoice('gpu'), /invalid backend 'gpu'; valid backends: auto, tensorflow, wasm, cpu/);
  });

  it('reads MGTTA_BACKEND when no flag', () => {
    process.env.MGTTA_BACKEND = 'cpu';
    try {
      assert.equal(parseBackendChoice(undefined), 'cpu');
    } finally {
      delete process.env.MGTTA_BACKEND;
    }
  });

  it('tensorflow without tfjs-node explains install', async (context) => {
    let installed = true;
    try {
      await import('@tensorflow/tfjs-node' as string);
    } catch {
      installed = false;
    }
    if (installed) {
      context.skip('tfjs-node is installed here');
      return;
    }
    await assert.rejects(selectBackend('tensorflow'), (error: Error) => {
      assert.ok(error instanceof UsageError);
      assert.match(error.message, /npm install @tensorflow\/tfjs-node/);
      return true;
    });
  });

  it('auto falls back to wasm', async (context) => {
    const info = await selectBackend('auto');
    if (info.name === 'tensorflow') {
      context.skip('a native backend is installed here');
      return;
    }
    assert.equal(info.name, 'wasm');
    assert.equal(info.skipped.length, 2);
    assert.match(info.skipped[0]!, /^@tensorflow\/tfjs-node-gpu: /);
  });
});
