// Runs every test/**/*.test.ts file with Node's test runner, TypeScript loaded through tsx.
// (Node 20's --test does not expand globs itself.)
import { spawnSync } from 'node:child_process';

import fg from 'fast-glob';

const files = (await fg('test/**/*.test.ts')).sort();
const filter = process.argv.slice(2);
const selected = filter.length === 0 ? files : files.filter((file) => filter.some((part) => file.includes(part)));
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', ...selected], { stdio: 'inherit' });
process.exitCode = result.status ?? 1;
