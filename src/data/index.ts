export * from './idx.js';
export * from './fashion-mnist.js';
