/**
 * An experiment is a grid of cells (method x corruption x severity x seed) on one model and
 * one dataset. This module resolves the data and weights, runs every cell from the source
 * weights, and appends each result to the run's store as soon as the cell ends.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import * as tf from '@tensorflow/tfjs';

import { classList, FASHION_MNIST_CLASSES, imageFolderSet, inMemoryImageSet, loadFashionMnist, materializeCorruption, type ImageSet } from '../data/index.js';
import { getMethod, type Adapter, type MethodOptions, type SourceStatistics } from '../methods/index.js';
import type { BiasCorrection, GradientGenerator } from '../mgg/index.js';
import { DEMO_MODEL, loadModel, type VisionTransformer } from '../model/index.js';
import type { BackendInfo } from '../runtime/backend.js';
import { UsageError } from '../runtime/errors.js';
import { logger } from '../runtime/logger.js';
import { runCell, budgetLabel, type Budget, type CellResult, type CellSpec } from './cell.js';
import { runInWorkers } from './workers.js';
import { defaultGeneratorPath, obtainGenerator, obtainSourceStatistics } from './resources.js';
import { cellKey, gitCommit, newRunId, ResultStore, type CellRow } from './results.js';

export const DEMO_WEIGHTS = fileURLToPath(new URL('../../assets/demo/vit_demo_fmnist.safetensors', import.meta.url));

export interface ExperimentConfig {
  readonly model: string;
  /** Weights file; defaults to the demo weights for the demo model. */
  readonly weights?: string;
  /**
   * `fashion-mnist` (IDX files, corrupted on the fly), `image-folder` (clean `<root>/<wnid>/<image>`,
   * resized, cropped and corrupted on the fly), `imagenet-c` (the published layout
   * `<root>/<corruption>/<severity>/<wnid>/<image>`, read as it is), or `imagenet-r`,
   * `imagenet-a`, `imagenet-sketch` (`<root>/<wnid>/<image>`; R and A scored on their 200 classes).
   */
  readonly dataset: DatasetKind;
  /** Fashion-MNIST: `embedded` (the committed subset), `debian`, or a directory with the IDX files; otherwise the dataset root. */
  readonly dataRoot: string;
  readonly methods: readonly string[];
  /** Corruption names; `none` is the clean set. */
  readonly corruptions: readonly string[];
  readonly severities: readonly number[];
  readonly batchSize: number;
  readonly seeds: readonly number[];
  readonly limit?: number;
  readonly budget: Budget;
  readonly learningRate?: number;
  /** λ of the FOA/MGTTA discrepancy term; default 0.4. */
  readonly lambda?: number;
  /** Pre-trained memory-layer generator for mgtta; default: found by model and weights. */
  readonly mgg?: string;
  /** Pre-trained LSTM generator for mgtta-lstm; default: found by model and weights. */
  readonly mggLstm?: string;
  /** Source statistics file; default: found by model and weights, computed when missing. */
  readonly stats?: string;
  /** Bias correction of the MGG moment features (`code`, the default, or `standard`). */
  readonly biasCorrection?: BiasCorrection;
  /**
   * Carry each method's adapted state from one domain to the next instead of resetting it
   * (continual adaptation). The authors' code always resets, which is the default.
   */
  readonly continual: boolean;
  /** Worker threads that run cells in parallel (1: all cells in the calling thread). */
  readonly workers: number;
  /** Root folder of results; the run writes into `<out>/<runId>`. */
  readonly out: string;
  readonly runId?: string;
  /** Skip cells that the run's cells.csv already contains with status ok. */
  readonly resume: boolean;
}

export const DATASET_KINDS = ['fashion-mnist', 'image-folder', 'imagenet-c', 'imagenet-r', 'imagenet-a', 'imagenet-sketch'] as const;
export type DatasetKind = (typeof DATASET_KINDS)[number];

export interface ExperimentResult {
  store: ResultStore;
  rows: CellRow[];
}

export function resolveWeights(model: string, weights: string | undefined): string {
  if (weights !== undefined) {
    if (!existsSync(weights)) throw new UsageError(`weights file '${weights}' not found; pass --weights with a safetensors file`);
    return weights;
  }
  if (model === DEMO_MODEL) return DEMO_WEIGHTS;
  throw new UsageError(`model ${model} needs --weights <model.safetensors> (timm's weights, e.g. from the Hugging Face hub)`);
}

/** Source of each domain's images. */
interface DomainSource {
  /** The images of a cell's domain; `corrupted` is set when they need no corruption on the fly. */
  domain(spec: CellSpec, cache: DomainCache): Promise<{ set: ImageSet; corrupted?: ImageSet }>;
  /** Indices of the model's classes the dataset covers (its logit mask), when it covers a subset. */
  classSubset?: number[];
  /** λ of the FOA loss for this dataset when the user sets none (0.2 for ImageNet-R in the authors' code comment). */
  defaultLambda?: number;
}

/** ImageNet-R and ImageNet-A: 200 of the 1,000 classes, scored on the masked logits. */
const SUBSET_DATASETS = { 'imagenet-r': { lambda: 0.2 }, 'imagenet-a': { lambda: undefined } } as const;

/** Opens the configured dataset for a model with input side `size`. */
async function openDataset(config: ExperimentConfig, size: number): Promise<DomainSource> {
  if (config.dataset === 'fashion-mnist') {
    const test = await loadFashionMnist({ split: 'test', root: config.dataRoot });
    logger.info(`data: ${test.count} Fashion-MNIST test images from ${test.root} (${FASHION_MNIST_CLASSES.length} classes)`);
    const set = inMemoryImageSet(`fashion-mnist-test-${test.count}`, test.images, test.labels, { count: test.count, height: 28, width: 28, channels: 1 });
    return { domain: async (spec, cache) => ({ set, corrupted: await cache.get(spec, set) }) };
  }

  const classes = classList('imagenet');
  if (config.dataset === 'imagenet-r' || config.dataset === 'imagenet-a' || config.dataset === 'imagenet-sketch') {
    const subset = config.dataset === 'imagenet-sketch' ? classes : classList(config.dataset);
    const set = await imageFolderSet(config.dataRoot, { id: config.dataset, classes: subset, preprocessing: 'resize-crop', size });
    logger.info(`data: ${set.count} ${config.dataset} images in ${subset.length} classes from ${config.dataRoot}`);
    const source: DomainSource = { domain: async (spec, cache) => ({ set, corrupted: await cache.get(spec, set) }) };
    if (config.dataset !== 'imagenet-sketch') {
      const position = new Map(classes.map((wnid, index) => [wnid, index]));
      source.classSubset = subset.map((wnid) => position.get(wnid)!);
      source.defaultLambda = SUBSET_DATASETS[config.dataset].lambda;
    }
    return source;
  }
  if (config.dataset === 'image-folder') {
    const set = await imageFolderSet(config.dataRoot, { id: `image-folder:${config.dataRoot}`, classes, preprocessing: 'resize-crop', size });
    logger.info(`data: ${set.count} images from ${config.dataRoot}, resized and centre-cropped to ${size}`);
    return { domain: async (spec, cache) => ({ set, corrupted: await cache.get(spec, set) }) };
  }

  // NOTE: ImageNet-R and ImageNet-A need the 200-class logit masks, which streams do not apply yet.
  const folders = new Map<string, ImageSet>();
  return {
    domain: async (spec) => {
      if (spec.corruption === 'none') throw new UsageError("--dataset imagenet-c has no clean domain; choose corruptions, or use --dataset image-folder for clean images");
      const key = `${spec.corruption}/${spec.severity}`;
      let set = folders.get(key);
      if (set === undefined) {
        const root = join(config.dataRoot, spec.corruption, String(spec.severity));
        if (!existsSync(root)) throw new UsageError(`ImageNet-C folder '${root}' not found; --data-root must contain <corruption>/<severity>/<wnid>/<image>`);
        set = await imageFolderSet(root, { id: `imagenet-c:${key}`, classes, preprocessing: 'crop', size });
        folders.set(key, set);
      }
      return { set, corrupted: set };
    },
  };
}

function cellSpecs(config: ExperimentConfig): CellSpec[] {
  const specs: CellSpec[] = [];
  for (const seed of config.seeds) {
    for (const corruption of config.corruptions) {
      const severities = corruption === 'none' ? [0] : config.severities;
      for (const severity of severities) {
        for (const method of config.methods) {
          specs.push({ method, dataset: config.dataset, corruption, severity, batchSize: config.batchSize, seed, limit: config.limit, budget: config.budget });
        }
      }
    }
  }
  return specs;
}

/** Runs every cell of the grid; returns the rows of this invocation (resumed cells excluded). */
/** Everything one thread needs to run cells: the model, the data source, resources and adapters. */
export interface CellRunner {
  /** The configuration after dataset defaults (λ for ImageNet-R) are applied. */
  readonly config: ExperimentConfig;
  readonly weights: { path: string; sha256: string };
  /** Files the statistics and generators came from. */
  readonly files: Record<string, string>;
  run(spec: CellSpec, backend: string): Promise<CellResult>;
  dispose(): void;
}

/** Loads the model, opens the dataset and loads what the grid's methods need. */
export async function createCellRunner(requested: ExperimentConfig): Promise<CellRunner> {
  let config = requested;
  for (const method of config.methods) getMethod(method);
  const weightsPath = resolveWeights(config.model, config.weights);
  const { model, sha256 } = await loadModel(weightsPath, config.model);
  const source = await openDataset(config, model.config.imgSize);
  if (source.classSubset !== undefined) {
    if (model.config.numClasses !== 1000) throw new UsageError(`--dataset ${config.dataset} needs a 1000-class ImageNet model; ${model.config.name} has ${model.config.numClasses} classes`);
    model.setClassSubset(source.classSubset);
    logger.info(`data: logits restricted to the ${source.classSubset.length} classes of ${config.dataset}`);
  }
  if (config.lambda === undefined && source.defaultLambda !== undefined) {
    config = { ...config, lambda: source.defaultLambda };
    logger.info(`data: λ = ${source.defaultLambda} for ${config.dataset} (pass --lambda to change it)`);
  }
  const resources = await loadResources(config, model, sha256, weightsPath === DEMO_WEIGHTS);
  const domains = new DomainCache(config.methods.length > 1);
  const adapters = new AdapterPool(model, { ...resources, ...methodOptions(config) }, config.continual);

  return {
    config,
    weights: { path: weightsPath, sha256 },
    files: resources.files,
    async run(spec, backend) {
      const { set, corrupted } = await source.domain(spec, domains);
      return runOneCell(model, set, spec, corrupted, adapters, backend);
    },
    dispose() {
      adapters.dispose();
      disposeResources(resources);
      model.dispose();
    },
  };
}

/**
 * Runs every cell of the grid; returns the rows of this invocation (resumed cells excluded).
 * With `workers` > 1, cells run in worker threads, each with its own backend and model, and
 * all methods of a domain go to the same worker.
 */
export async function runExperiment(requested: ExperimentConfig, backend: BackendInfo): Promise<ExperimentResult> {
  const runner = await createCellRunner(requested);
  const config = runner.config;
  const workers = config.workers;
  const methodSettings = Object.fromEntries(config.methods.map((name) => [name, getMethod(name).settings(methodOptions(config))]));

  const runId = config.runId ?? newRunId(config.methods.length === 1 ? config.methods[0]! : 'grid');
  const directory = join(config.out, runId);
  if (!config.resume && existsSync(join(directory, 'cells.csv'))) {
    runner.dispose();
    throw new UsageError(`run folder '${directory}' already has results; pass --resume to continue it, or choose another --run-id`);
  }
  const store = new ResultStore(directory);
  const finished = config.resume ? store.finishedCells() : new Set<string>();
  const runInfo = {
    run_id: runId, command: process.argv.slice(2).join(' '), config, weights: runner.weights,
    resources: runner.files, methods: methodSettings, workers,
    backend, versions: { mgtta: '0.1.0', node: process.version, tfjs: tf.version.tfjs }, git_commit: gitCommit(),
    started_at: new Date().toISOString(), ended_at: null as string | null,
  };
  store.writeRunInfo(runInfo);
  logger.info(`results: ${store.directory}`);

  const pending = cellSpecs(config).filter((spec) => {
    const key = cellKey({ ...spec, model: config.model, batch_size: spec.batchSize, budget: budgetLabel(spec.budget) });
    if (finished.has(key)) logger.info(`resume: skipping finished cell ${key}`);
    return !finished.has(key);
  });
  const rows: CellRow[] = [];
  const record = (result: CellResult) => {
    store.appendCell(result.row);
    store.appendSteps(result.steps);
    rows.push(result.row);
  };

  try {
    if (workers <= 1) {
      for (const spec of pending) record(await runner.run(spec, backend.name));
    } else {
      runner.dispose();
      await runInWorkers(config, pending, workers, backend, record);
    }
  } finally {
    if (workers <= 1) runner.dispose();
    runInfo.ended_at = new Date().toISOString();
    store.writeRunInfo(runInfo);
  }
  return { store, rows };
}

interface Resources {
  statistics?: SourceStatistics;
  generators: Partial<Record<'gml' | 'lstm', GradientGenerator>>;
  /** Files the resources came from, for run.json. */
  files: Record<string, string>;
}

function methodOptions(config: ExperimentConfig): MethodOptions {
  return { learningRate: config.learningRate, lambda: config.lambda, biasCorrection: config.biasCorrection };
}

/** Loads what the grid's methods need: source statistics and pre-trained generators. */
async function loadResources(config: ExperimentConfig, model: VisionTransformer, sha256: string, isDemoWeights: boolean): Promise<Resources> {
  const entries = config.methods.map((name) => getMethod(name));
  const resources: Resources = { generators: {}, files: {} };
  if (entries.some((entry) => entry.requires.statistics)) {
    const { mean, std, path } = await obtainSourceStatistics({ model, weightsSha256: sha256, isDemoWeights, path: config.stats, cleanDataRoot: 'embedded' });
    resources.statistics = { mean, std };
    resources.files.statistics = path;
  } else if (config.stats !== undefined) {
    logger.warn(`--stats is ignored: none of ${config.methods.join(', ')} uses source statistics`);
  }
  for (const kind of ['gml', 'lstm'] as const) {
    const explicit = kind === 'gml' ? config.mgg : config.mggLstm;
    if (!entries.some((entry) => entry.requires.generator === kind)) {
      if (explicit !== undefined) logger.warn(`${kind === 'gml' ? '--mgg' : '--mgg-lstm'} is ignored: none of ${config.methods.join(', ')} uses that generator`);
      continue;
    }
    const path = explicit ?? defaultGeneratorPath(config.model, kind, isDemoWeights);
    resources.generators[kind] = await obtainGenerator(kind, path, explicit !== undefined);
    resources.files[`generator_${kind}`] = path;
  }
  return resources;
}

function disposeResources(resources: Resources): void {
  if (resources.statistics) tf.dispose([resources.statistics.mean, resources.statistics.std]);
  for (const generator of Object.values(resources.generators)) generator?.dispose();
}

/**
 * Keeps the current domain's corrupted images in memory, so that every method of the grid
 * reuses them instead of corrupting again. Sets larger than `maxBytes` are not cached.
 */
class DomainCache {
  private key = '';
  private value: ImageSet | undefined;

  /** `enabled` is false when one method runs, since nothing would reuse the copy. */
  constructor(private readonly enabled: boolean, private readonly maxBytes = 256 * 2 ** 20) {}

  async get(spec: CellSpec, set: ImageSet): Promise<ImageSet | undefined> {
    if (!this.enabled || spec.corruption === 'none' || (spec.limit !== undefined && spec.limit < set.count)) return undefined;
    if (set.count * set.height * set.width * set.channels > this.maxBytes) return undefined;
    const key = `${set.id}|${spec.corruption}|${spec.severity}|${spec.seed}`;
    if (key !== this.key) {
      this.value = await materializeCorruption(set, { name: spec.corruption, severity: spec.severity }, spec.seed);
      this.key = key;
    }
    return this.value;
  }
}

/**
 * Creates each cell's adapter. By default every cell gets a fresh adapter, reset and freed
 * after the cell. In continual mode one adapter per method lives through all its domains.
 */
class AdapterPool {
  private readonly kept = new Map<string, Adapter>();

  constructor(
    private readonly model: VisionTransformer,
    private readonly options: MethodOptions & Resources,
    private readonly continual: boolean,
  ) {}

  async acquire(method: string): Promise<Adapter> {
    const existing = this.kept.get(method);
    if (existing !== undefined) return existing;
    const entry = getMethod(method);
    const generator = entry.requires.generator === undefined ? undefined : this.options.generators[entry.requires.generator];
    const adapter = await entry.create(this.model, { ...this.options, generator });
    if (this.continual) this.kept.set(method, adapter);
    return adapter;
  }

  release(adapter: Adapter): void {
    if (this.continual) {
      adapter.unfreeze();
      return;
    }
    adapter.reset();
    adapter.dispose();
  }

  /** Restores the source weights and frees every adapter kept in continual mode. */
  dispose(): void {
    for (const adapter of this.kept.values()) {
      adapter.reset();
      adapter.dispose();
    }
    this.kept.clear();
  }
}

async function runOneCell(
  model: VisionTransformer,
  set: ImageSet,
  spec: CellSpec,
  corrupted: ImageSet | undefined,
  adapters: AdapterPool,
  backend: string,
) {
  const adapter = await adapters.acquire(spec.method);
  try {
    return await runCell(adapter, model, set, spec, backend, corrupted);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const reason = (error as Error).message.split('\n')[0];
    logger.error(`cell ${spec.method} ${spec.corruption}-${spec.severity} failed: ${reason}`);
    return {
      row: {
        method: spec.method, model: model.config.name, dataset: spec.dataset, corruption: spec.corruption, severity: spec.severity,
        batch_size: spec.batchSize, seed: spec.seed, budget: budgetLabel(spec.budget), images: 0, images_adapted: 0, top1: '',
        top5: '', ece: '', adapt_seconds: '', total_seconds: '', images_per_second: '', peak_memory_mb: '', skipped_batches: '',
        backend, status: `failed: ${reason}`,
      } as CellRow,
      steps: [],
    };
  } finally {
    adapters.release(adapter);
  }
}
