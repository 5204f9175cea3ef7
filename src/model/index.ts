export * from './vit.js';
export * from './registry.js';
export * from './safetensors.js';
export * from './checkpoint.js';
export * from './train.js';
