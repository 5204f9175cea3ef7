import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';

describe('mgtta doctor', () => {
  it('reports the embedded assets', () => {
    // A child process, so that the report does not mix with the test runner's own output.
    const script = "const { main } = await import('./src/cli/index.ts'); process.exitCode = await main(['node', 'mgtta', 'doctor']);";
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    const lines = result.stdout.split('\n');
    for (const subject of ['@tensorflow/tfjs-backend-wasm', 'embedded Fashion-MNIST', 'demo weights', 'demo source statistics', 'demo MGG (memory layer)', 'demo MGG (LSTM)']) {
      const line = lines.find((text) => text.includes(subject));
      assert.ok(line?.startsWith('ok'), `${subject}: ${line}`);
    }
    assert.ok(lines.some((text) => /demo weights .*clean_test_top1 88\.31/.test(text)), result.stdout);
  });
});
