/**
 * `mgtta corrupt`: writes an ImageNet-C style corrupted copy of an image folder or of
 * Fashion-MNIST, or a contact sheet of one image (`--preview`).
 *
 * Folder inputs follow the ImageNet-C pipeline: decode to RGB, shorter side to
 * round(size * 256 / 224) with Pillow's bilinear filter, centre crop size x size, corrupt,
 * JPEG quality 85 with 4:2:0 chroma, written to `<output>/<corruption>/<severity>/<path>.jpg`
 * where <path> is the input's path relative to --input without its extension. Each image's
 * random stream is seeded from (seed, relative path, corruption, severity).
 * Fashion-MNIST images stay 28x28 grey and are written losslessly to
 * `<output>/<corruption>/<severity>/<label>/<index>.png`, seeded from (seed, split, index).
 * Existing outputs are skipped, so an interrupted run resumes where it stopped.
 */
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, relative, sep } from 'node:path';

import { Command } from 'commander';

import {
  applyCorruption,
  corruptionNames,
  decodeRgb,
  encodeImageNetJpeg,
  encodePng,
  prepareImageNetStyle,
  renderContactSheet,
  type RawImage,
} from '../corruptions/index.js';
import { listImageFiles, loadFashionMnist, type Split } from '../data/index.js';
import { UsageError, check } from '../runtime/errors.js';
import { logger } from '../runtime/logger.js';
import { Manifest, Progress, runPool, sha256Hex, writeFileAtomic } from './corrupt-job.js';
import { parseChoice, parseInteger, parseIntegerList } from './options.js';

/** Raw option strings as commander delivers them. */
interface RawCorruptOptions {
  input?: string;
  dataset?: string;
  split: string;
  dataRoot?: string;
  output?: string;
  corruptions: string;
  severities: string;
  seed: string;
  size: string;
  concurrency?: string;
  limit?: string;
  preview?: string;
  image?: string;
}

export type CorruptSource =
  | { kind: 'folder'; root: string }
  | { kind: 'fashion-mnist'; split: Split; root: string | undefined }
  | { kind: 'file'; path: string };

/** Validated options of one `mgtta corrupt` run. */
export interface CorruptOptions {
  source: CorruptSource;
  /** Output directory (data set mode) or PNG path (preview mode). */
  output: string;
  mode: 'dataset' | 'preview';
  corruptions: string[];
  severities: number[];
  seed: number;
  /** Crop side for folder and file inputs, pixels. */
  size: number;
  concurrency: number;
  /** Process only the first `limit` images. Undefined means all. */
  limit: number | undefined;
}

export const DATASETS = ['fashion-mnist'] as const;
const SPLITS: readonly Split[] = ['train', 'test'];
/** Crop sides accepted by --size, pixels. */
const MIN_SIZE = 8;
const MAX_SIZE = 4096;
const MAX_CONCURRENCY = 256;
/** Enlargement of 28x28 Fashion-MNIST cells in the contact sheet. */
const FASHION_PREVIEW_SCALE = 4;

function requireDirectory(flag: string, path: string): void {
  check(existsSync(path) && statSync(path).isDirectory(), () => `invalid ${flag} '${path}': directory not found`);
}

function parseSource(raw: RawCorruptOptions, isPreview: boolean): CorruptSource {
  check(raw.input === undefined || raw.dataset === undefined, () => `--input '${raw.input}' and --dataset '${raw.dataset}' exclude each other; pass one`);
  const split = parseChoice('--split', raw.split, SPLITS, 'test');

  if (raw.image !== undefined) {
    check(isPreview, () => `--image '${raw.image}' only applies with --preview FILE.png`);
    check(existsSync(raw.image) && statSync(raw.image).isFile(), () => `invalid --image '${raw.image}': file not found`);
    return { kind: 'file', path: raw.image };
  }
  if (raw.input !== undefined) {
    requireDirectory('--input', raw.input);
    return { kind: 'folder', root: raw.input };
  }
  if (raw.dataset !== undefined) {
    parseChoice('--dataset', raw.dataset, DATASETS, 'fashion-mnist');
    return { kind: 'fashion-mnist', split, root: raw.dataRoot };
  }
  check(isPreview, () => 'missing input: pass --input DIR (an image folder) or --dataset fashion-mnist');
  return { kind: 'fashion-mnist', split: 'test', root: raw.dataRoot };
}

/** Validates raw option strings into a typed object. Throws a UsageError naming the bad value and the fix. */
export function parseCorruptOptions(raw: RawCorruptOptions): CorruptOptions {
  const isPreview = raw.preview !== undefined;
  if (isPreview) {
    check(raw.preview!.toLowerCase().endsWith('.png'), () => `invalid --preview '${raw.preview}': the contact sheet is a PNG, give a path ending in .png`);
  } else {
    check(raw.output !== undefined, () => 'missing --output DIR: the directory to write <corruption>/<severity>/... into');
  }

  const severities = parseIntegerList('--severities', raw.severities, 1, 5, [1, 2, 3, 4, 5]);
  check(new Set(severities).size === severities.length, () => `invalid --severities '${raw.severities}': a severity is repeated`);
  const size = parseInteger('--size', raw.size, MIN_SIZE);
  check(size <= MAX_SIZE, () => `invalid --size '${raw.size}': expected an integer from ${MIN_SIZE} to ${MAX_SIZE}`);
  const concurrency = parseInteger('--concurrency', raw.concurrency, 1, availableParallelism());
  check(concurrency <= MAX_CONCURRENCY, () => `invalid --concurrency '${raw.concurrency}': expected an integer from 1 to ${MAX_CONCURRENCY}`);
  const seed = Number(raw.seed);
  check(Number.isSafeInteger(seed), () => `invalid --seed '${raw.seed}': expected an integer`);

  return {
    source: parseSource(raw, isPreview),
    output: isPreview ? raw.preview! : raw.output!,
    mode: isPreview ? 'preview' : 'dataset',
    corruptions: corruptionNames(raw.corruptions),
    severities,
    seed,
    size,
    concurrency,
    limit: raw.limit === undefined ? undefined : parseInteger('--limit', raw.limit, 1),
  };
}

/** Relative output path of a folder image: its input path with the extension replaced by `.jpg`. */
export function jpegOutputName(relativePath: string): string {
  return relativePath.replace(/\.[^./]+$/, '') + '.jpg';
}

/** Joins output path parts with `/` for the manifest, whatever the platform separator. */
function manifestPath(output: string, path: string): string {
  return relative(output, path).split(sep).join('/');
}

interface OutputJob {
  path: string;
  corruption: string;
  severity: number;
}

/**
 * Writes every missing output of one source image. `load` is called only if some output is
 * missing; `produce` corrupts and encodes one output.
 */
async function writeOutputs(
  jobs: OutputJob[], options: CorruptOptions, manifest: Manifest, progress: Progress,
  load: () => Promise<RawImage>, produce: (image: RawImage, job: OutputJob) => Promise<Buffer>,
): Promise<void> {
  let image: RawImage | undefined;
  for (const job of jobs) {
    const file = manifestPath(options.output, job.path);
    if (existsSync(job.path)) {
      if (!manifest.has(file)) {
        // Written by a run that stopped before its manifest line: record it now.
        const sha256 = sha256Hex(await readFile(job.path));
        await manifest.append({ file, corruption: job.corruption, severity: job.severity, seed: options.seed, sha256 });
      }
      progress.skipped++;
      progress.update();
      continue;
    }

    image ??= await load();
    const encoded = await produce(image, job);
    await writeFileAtomic(job.path, encoded);
    // A file deleted after an earlier run already has its line. Outputs are deterministic, so the hash is unchanged.
    if (!manifest.has(file)) {
      await manifest.append({ file, corruption: job.corruption, severity: job.severity, seed: options.seed, sha256: sha256Hex(encoded) });
    }
    progress.written++;
    progress.update();
  }
}

function jobsFor(options: CorruptOptions, leaf: string): OutputJob[] {
  const jobs: OutputJob[] = [];
  for (const corruption of options.corruptions) {
    for (const severity of options.severities) {
      jobs.push({ path: join(options.output, corruption, String(severity), leaf), corruption, severity });
    }
  }
  return jobs;
}

/** An input file that could not be decoded. The run skips it, counts it and fails at the end. */
class UnreadableImageError extends Error {
  constructor(path: string, cause: unknown) {
    super(`cannot read image '${path}': ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

async function corruptFolder(options: CorruptOptions, root: string): Promise<Progress> {
  const listed = await listImageFiles(root);
  check(listed.length > 0, () => `no images found under --input '${root}' (extensions: jpg, jpeg, png, ppm, bmp, pgm, tif, tiff, webp)`);
  const files = options.limit === undefined ? listed : listed.slice(0, options.limit);

  const outputs = new Map<string, string>();
  for (const file of files) {
    const name = jpegOutputName(file);
    const other = outputs.get(name);
    check(other === undefined, () => `input images '${other}' and '${file}' would both be written as '${name}'; rename one of them`);
    outputs.set(name, file);
  }

  const manifest = await Manifest.open(join(options.output, 'manifest.csv'), options.seed);
  const progress = startProgress(options, files.length, `folder '${root}'`);
  await runPool(files, options.concurrency, async (file) => {
    const load = async (): Promise<RawImage> => {
      try {
        return prepareImageNetStyle(await decodeRgb(join(root, file)), options.size);
      } catch (error) {
        throw new UnreadableImageError(join(root, file), error);
      }
    };
    const produce = async (image: RawImage, job: OutputJob): Promise<Buffer> => {
      const corrupted = await applyCorruption(image, job.corruption, job.severity, { seed: options.seed, datasetId: file, index: 0 });
      return encodeImageNetJpeg(corrupted);
    };
    try {
      await writeOutputs(jobsFor(options, jpegOutputName(file)), options, manifest, progress, load, produce);
    } catch (error) {
      if (!(error instanceof UnreadableImageError)) throw error;
      logger.warn(`corrupt: ${error.message}`);
      progress.failed += options.corruptions.length * options.severities.length;
    }
  });
  return progress;
}

async function corruptFashionMnist(options: CorruptOptions, split: Split, root: string | undefined): Promise<Progress> {
  const set = await loadFashionMnist({ split, root, limit: options.limit });
  const pixels = set.height * set.width;
  const indices = Array.from({ length: set.count }, (_, i) => i);

  const manifest = await Manifest.open(join(options.output, 'manifest.csv'), options.seed);
  const progress = startProgress(options, set.count, `Fashion-MNIST ${split}`);
  await runPool(indices, options.concurrency, async (index) => {
    const load = async (): Promise<RawImage> => ({
      data: set.images.slice(index * pixels, (index + 1) * pixels), height: set.height, width: set.width, channels: 1,
    });
    const produce = async (image: RawImage, job: OutputJob): Promise<Buffer> => {
      const corrupted = await applyCorruption(image, job.corruption, job.severity, { seed: options.seed, datasetId: `fashion-mnist/${split}`, index });
      return encodePng(corrupted);
    };
    await writeOutputs(jobsFor(options, join(String(set.labels[index]), `${index}.png`)), options, manifest, progress, load, produce);
  });
  return progress;
}

function startProgress(options: CorruptOptions, images: number, source: string): Progress {
  const total = images * options.corruptions.length * options.severities.length;
  logger.info(
    `corrupt: ${source}, ${images} images x ${options.corruptions.length} corruptions x ${options.severities.length} severities = ` +
      `${total} outputs into '${options.output}' (seed ${options.seed}, ${options.concurrency} concurrent images)`,
  );
  return new Progress(total, 'corrupt');
}

/** Loads the preview image: a file or the first folder image (prepared like ImageNet-C), or a Fashion-MNIST test image. */
async function previewImage(options: CorruptOptions): Promise<{ image: RawImage; scale: number; datasetId: string }> {
  const { source } = options;
  if (source.kind === 'file') {
    return { image: prepareImageNetStyle(await decodeRgb(source.path), options.size), scale: 1, datasetId: source.path };
  }
  if (source.kind === 'folder') {
    const [first] = await listImageFiles(source.root);
    if (first === undefined) throw new UsageError(`no images found under --input '${source.root}'`);
    return { image: prepareImageNetStyle(await decodeRgb(join(source.root, first)), options.size), scale: 1, datasetId: first };
  }
  const set = await loadFashionMnist({ split: source.split, root: source.root, limit: 1 });
  const image: RawImage = { data: set.images.slice(0, set.height * set.width), height: set.height, width: set.width, channels: 1 };
  return { image, scale: FASHION_PREVIEW_SCALE, datasetId: `fashion-mnist/${source.split}` };
}

async function writePreview(options: CorruptOptions): Promise<void> {
  const { image, scale, datasetId } = await previewImage(options);
  const png = await renderContactSheet(image, {
    corruptions: options.corruptions, severities: options.severities, seed: options.seed, index: 0, datasetId, cellScale: scale,
  });
  await writeFileAtomic(options.output, png);
  logger.info(`corrupt: contact sheet of ${options.corruptions.length} corruptions written to '${options.output}'`);
}

async function run(raw: RawCorruptOptions): Promise<void> {
  const options = parseCorruptOptions(raw);
  if (options.mode === 'preview') {
    await writePreview(options);
    return;
  }

  const { source } = options;
  if (source.kind === 'file') throw new UsageError(`--image '${source.path}' only applies with --preview FILE.png`);
  const progress = source.kind === 'folder'
    ? await corruptFolder(options, source.root)
    : await corruptFashionMnist(options, source.split, source.root);
  progress.stop();

  const seconds = progress.elapsedSeconds();
  logger.info(
    `corrupt: wrote ${progress.written}, skipped ${progress.skipped} existing, failed ${progress.failed} outputs ` +
      `in ${seconds.toFixed(1)} s (${progress.rate().toFixed(1)} outputs/s)`,
  );
  if (progress.failed > 0) throw new Error(`${progress.failed} outputs could not be written because their input images are unreadable; see the warnings above`);
}

/** Builds a fresh `corrupt` command. Commander keeps parsed values on the instance, so tests build their own. */
export function createCorruptCommand(): Command {
  return new Command('corrupt')
    .description('write an ImageNet-C style corrupted copy of an image folder or of Fashion-MNIST, or a contact sheet (--preview)')
    .option('--input <dir>', 'image folder, <class>/<image> or flat (jpg, jpeg, png, ppm, bmp, pgm, tif, tiff, webp)')
    .option('--dataset <name>', `built-in data set instead of --input: ${DATASETS.join(', ')}`)
    .option('--split <split>', 'Fashion-MNIST split: train or test', 'test')
    .option('--data-root <dir>', "Fashion-MNIST IDX directory, 'embedded' (default) or 'debian'")
    .option('--output <dir>', 'output directory: <corruption>/<severity>/... and manifest.csv')
    .option('--corruptions <list>', 'comma list of corruption names or sets: all (the 15), noise, blur, weather, digital, extra', 'all')
    .option('--severities <list>', 'comma list of severities 1..5', '1,2,3,4,5')
    .option('--seed <n>', 'integer seed of the per-image random streams', '0')
    .option('--size <pixels>', 'crop side for folder images; the shorter side is first resized to round(size * 256 / 224)', '224')
    .option('--concurrency <n>', 'images processed at once (default: number of CPUs)')
    .option('--limit <n>', 'process only the first n images (sorted order)')
    .option('--preview <file.png>', 'write a contact sheet (rows: corruptions, columns: clean and severities) instead of a data set')
    .option('--image <file>', 'image for --preview (default: first image of --input, else the first Fashion-MNIST test image)')
    .action(async (raw: RawCorruptOptions) => run(raw));
}

