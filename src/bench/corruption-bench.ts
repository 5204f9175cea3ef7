/**
 * Throughput of the 19 corruptions on one CPU thread, at 224x224 RGB (ImageNet-C tables) and
 * 28x28 grey (CIFAR tables, the Fashion-MNIST path). The input is the deterministic test
 * pattern of the corruptions module. Every repetition cycles severities 1..5, so a figure is
 * the rate over the mix of severities.
 */
import { ALL_CORRUPTION_NAMES, applyCorruption, testPattern, type RawImage } from '../corruptions/index.js';

export interface CorruptionBenchRow {
  section: string;
  name: string;
  metric: string;
  value: number;
  unit: string;
  notes: string;
}

/** One measured shape: its label, the image and how many times each severity runs per repetition. */
interface BenchShape {
  label: string;
  image: RawImage;
  imagesPerSeverity: number;
}

/** Repetitions per measurement: quick runs for CI smoke checks, full runs for records. */
const REPETITIONS = { quick: 3, full: 7 } as const;
const SEVERITIES = [1, 2, 3, 4, 5];

/** Returns the median of `values` (the mean of the two middle ones for an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Times one repetition: every severity, `imagesPerSeverity` images each. Returns images per second. */
async function timeRepetition(name: string, shape: BenchShape, repetition: number): Promise<number> {
  const started = performance.now();
  let images = 0;
  for (const severity of SEVERITIES) {
    for (let i = 0; i < shape.imagesPerSeverity; i++) {
      await applyCorruption(shape.image, name, severity, { seed: 0, index: repetition * shape.imagesPerSeverity + i, datasetId: 'bench' });
      images++;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  return images / seconds;
}

/**
 * Measures images/s for every corruption at both shapes: one untimed warm-up repetition (JIT
 * compilation, parameter file), then the median of 3 (quick) or 7 repetitions.
 */
export async function benchCorruptions(options: { quick?: boolean } = {}): Promise<CorruptionBenchRow[]> {
  const repetitions = options.quick ? REPETITIONS.quick : REPETITIONS.full;
  const shapes: BenchShape[] = [
    { label: '224x224x3', image: testPattern(224, 224, 3), imagesPerSeverity: 1 },
    { label: '28x28x1', image: testPattern(28, 28, 1), imagesPerSeverity: options.quick ? 4 : 20 },
  ];

  const rows: CorruptionBenchRow[] = [];
  for (const shape of shapes) {
    for (const name of ALL_CORRUPTION_NAMES) {
      await timeRepetition(name, shape, 0);
      const rates: number[] = [];
      for (let repetition = 1; repetition <= repetitions; repetition++) rates.push(await timeRepetition(name, shape, repetition));
      rows.push({
        section: 'corruptions',
        name: `${name} ${shape.label}`,
        metric: 'throughput',
        value: median(rates),
        unit: 'images/s',
        notes: `median of ${repetitions} repetitions x ${SEVERITIES.length * shape.imagesPerSeverity} images (severities 1-5), one thread`,
      });
    }
  }
  return rows;
}
