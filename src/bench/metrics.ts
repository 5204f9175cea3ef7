/**
 * Streaming classification metrics over a domain: top-1, top-5 and expected calibration
 * error (15 equal-width bins over the max-softmax confidence, bins (lower, upper], weighted
 * |confidence − accuracy|, as in the MGTTA and FOA code).
 */

export const ECE_BINS = 15;

export class ClassificationMetrics {
  images = 0;
  private top1Hits = 0;
  private top5Hits = 0;
  private readonly binCount = new Float64Array(ECE_BINS);
  private readonly binConfidence = new Float64Array(ECE_BINS);
  private readonly binCorrect = new Float64Array(ECE_BINS);

  /** Adds a batch of logits ([B * numClasses], row-major) and its labels. */
  add(logits: Float32Array, numClasses: number, labels: Int32Array): { top1Hits: number } {
    let batchHits = 0;
    for (let b = 0; b < labels.length; b++) {
      const row = logits.subarray(b * numClasses, (b + 1) * numClasses);
      const label = labels[b]!;
      const { argmax, confidence, rankOfLabel } = summarizeRow(row, label);
      const correct = argmax === label;

      if (correct) batchHits++;
      if (rankOfLabel < 5) this.top5Hits++;
      const bin = Math.min(ECE_BINS - 1, Math.max(0, Math.ceil(confidence * ECE_BINS) - 1));
      this.binCount[bin]! += 1;
      this.binConfidence[bin]! += confidence;
      this.binCorrect[bin]! += correct ? 1 : 0;
    }
    this.top1Hits += batchHits;
    this.images += labels.length;
    return { top1Hits: batchHits };
  }

  /** Top-1 accuracy in %. */
  top1(): number {
    return this.images === 0 ? 0 : (100 * this.top1Hits) / this.images;
  }

  /** Top-5 accuracy in %. */
  top5(): number {
    return this.images === 0 ? 0 : (100 * this.top5Hits) / this.images;
  }

  /** Expected calibration error in %. */
  ece(): number {
    let total = 0;
    for (let bin = 0; bin < ECE_BINS; bin++) {
      const count = this.binCount[bin]!;
      if (count === 0) continue;
      total += (count / this.images) * Math.abs(this.binConfidence[bin]! / count - this.binCorrect[bin]! / count);
    }
    return 100 * total;
  }
}

/** Argmax, softmax confidence of the argmax, and how many classes score above the label. */
function summarizeRow(row: Float32Array, label: number): { argmax: number; confidence: number; rankOfLabel: number } {
  let argmax = 0;
  for (let c = 1; c < row.length; c++) if (row[c]! > row[argmax]!) argmax = c;
  let denominator = 0;
  for (let c = 0; c < row.length; c++) denominator += Math.exp(row[c]! - row[argmax]!);
  // A label outside the model's classes is never predicted: it ranks below every class.
  let rankOfLabel = label < row.length ? 0 : row.length;
  if (label < row.length) for (let c = 0; c < row.length; c++) if (row[c]! > row[label]!) rankOfLabel++;
  return { argmax, confidence: 1 / denominator, rankOfLabel };
}
