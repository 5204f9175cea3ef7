/** Meta gradient generator (MGG) of MGTTA: generators, features, test-time optimiser, pre-training and checkpoints. */
export { Adam, type AdamConfig, DEFAULT_ADAM_CONFIG } from './adam.js';
export {
  generatorFromTensors,
  loadGenerator,
  type LoadedGenerator,
  type LoadGeneratorOptions,
  RESERVED_METADATA_KEYS,
  saveGenerator,
} from './checkpoint.js';
export {
  checkFeatures,
  createParameterVariables,
  disposeState,
  elementCount,
  GENERATOR_KINDS,
  type GeneratorKind,
  type GeneratorState,
  type GeneratorStep,
  type GradientGenerator,
  MGG_INPUT_FEATURES,
  type ParameterInit,
  type ParameterSpec,
  parameterCount,
  stateByteLength,
} from './generator.js';
export {
  DEFAULT_GRADIENT_MEMORY_CONFIG,
  GRADIENT_MEMORY_KEYS,
  type GradientMemoryConfig,
  gradientMemoryForward,
  GradientMemoryLayer,
  type GradientMemoryOutput,
  gradientMemoryParameterSpecs,
  type GradientMemoryRole,
  type GradientMemoryTensors,
  layerNorm,
  layerNormL2Gradient,
  type MemoryState,
} from './gradient-memory.js';
export { DEFAULT_LSTM_CONFIG, LSTM_GATE_COUNT, LSTM_KEYS, LstmGenerator, type LstmGeneratorConfig, lstmParameterSpecs, type LstmState } from './lstm.js';
export { type BiasCorrection, DEFAULT_MOMENT_CONFIG, type MomentConfig, MomentFeatures } from './moments.js';
export { DEFAULT_MGG_OPTIMIZER_CONFIG, MggOptimizer, type MggOptimizerConfig } from './optimizer.js';
export {
  DEFAULT_MGG_TRAINER_CONFIG,
  type MetaTrainingTarget,
  MggTrainer,
  type MggTrainerConfig,
  type MggTrainingStep,
} from './pretrain.js';
