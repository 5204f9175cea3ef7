export * from './idx.js';
export * from './fashion-mnist.js';
export * from './stream.js';
export * from './image-folder.js';
