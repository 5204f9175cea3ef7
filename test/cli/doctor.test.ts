import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { main } from '../../src/cli/index.js';

describe('mgtta doctor', () => {
  it('reports the embedded assets', async () => {
    const lines: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => {
      lines.push(...String(chunk).split('\n'));
      return true;
    }) as typeof process.stdout.write;
    let code: number;
    try {
      code = await main(['node', 'mgtta', 'doctor']);
    } finally {
      process.stdout.write = write;
    }
    assert.equal(code, 0);
    for (const subject of ['@tensorflow/tfjs-backend-wasm', 'embedded Fashion-MNIST', 'demo weights', 'demo source statistics', 'demo MGG (memory layer)', 'demo MGG (LSTM)']) {
      const line = lines.find((text) => text.includes(subject));
      assert.ok(line?.startsWith('ok'), `${subject}: ${line}`);
    }
    assert.ok(lines.some((text) => /demo weights .*clean_test_top1 88\.31/.test(text)));
  });
});
