// Worker entry used when the harness runs from its TypeScript sources (the tests): worker
// threads do not inherit tsx's loader, so this file registers it before loading the worker.
import { register } from 'tsx/esm/api';

register();
await import('./cell-worker.ts');
