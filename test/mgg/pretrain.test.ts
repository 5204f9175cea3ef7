import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';

import * as tf from '@tensorflow/tfjs';

import {
  GRADIENT_MEMORY_KEYS,
  GradientMemoryLayer,
  LSTM_KEYS,
  LstmGenerator,
  type MetaTrainingTarget,
  MggTrainer,
  type GradientGenerator,
} from '../../src/mgg/index.js';
import { assertClose } from '../helpers/golden.js';
import { golden, GOLDEN_RTOL, goldenLayer, goldenValues } from './fixtures.js';

/**
 * Golden C's toy model, L(θ) = Σ_i a_i (θ_i − c_i)² + b (Σ_i θ_i)², with
 * dL/dθ_i = 2 a_i (θ_i − c_i) + 2 b Σ_j θ_j. θ is kept in float64 so that the target adds
 * no rounding of its own, and the batch argument is unused.
 */
class QuadraticTarget implements MetaTrainingTarget {
  readonly parameterCount: number;
  readonly theta: Float64Array;
  lastGradient: number[] = [];

  constructor(private readonly a: number[], private readonly c: number[], private readonly b: number, theta0: number[]) {
    this.parameterCount = theta0.length;
    this.theta = Float64Array.from(theta0);
  }

  lossAndGradient(): { loss: number; gradient: tf.Tensor1D } {
    const total = this.theta.reduce((sum, value) => sum + value, 0);
    let loss = this.b * total * total;
    this.lastGradient = [];
    this.theta.forEach((value, i) => {
      loss += this.a[i]! * (value - this.c[i]!) ** 2;
      this.lastGradient.push(2 * this.a[i]! * (value - this.c[i]!) + 2 * this.b * total);
    });
    return { loss, gradient: tf.tensor1d(this.lastGradient) };
  }

  addToParameters(delta: tf.Tensor1D): void {
    delta.dataSync().forEach((value, i) => {
      this.theta[i]! += value;
    });
  }
}

/**
 * Deterministic separable quadratic L(θ) = Σ_i a_i (θ_i − c_i)² / 2 over 16 scalars, with
 * curvatures a_i = 0.5 + (i mod 4) and minima c_i = sin(1 + 3i). `restart()` puts θ back to
 * zero, so every epoch solves the same problem from the same start.
 */
class SeparableQuadraticTarget implements MetaTrainingTarget {
  readonly parameterCount = 16;
  private readonly curvature = Array.from({ length: 16 }, (_, i) => 0.5 + (i % 4));
  private readonly minimum = Array.from({ length: 16 }, (_, i) => Math.sin(1 + 3 * i));
  private readonly theta = new Float64Array(16);

  restart(): void {
    this.theta.fill(0);
  }

  lossAndGradient(): { loss: number; gradient: tf.Tensor1D } {
    let loss = 0;
    const gradient = Array.from(this.theta, (value, i) => {
      loss += (this.curvature[i]! * (value - this.minimum[i]!) ** 2) / 2;
      return this.curvature[i]! * (value - this.minimum[i]!);
    });
    return { loss, gradient: tf.tensor1d(gradient) };
  }

  addToParameters(delta: tf.Tensor1D): void {
    delta.dataSync().forEach((value, i) => {
      this.theta[i]! += value;
    });
  }
}

type NestedMap = Record<string, unknown>;

function goldenTarget(): QuadraticTarget {
  const toy = golden.golden_C;
  return new QuadraticTarget(toy.a, toy.c, toy.b, toy.theta0);
}

function assertMetaGradient(actual: ReadonlyMap<string, Float32Array | null>, expected: NestedMap, label: string): void {
  assert.deepEqual([...actual.keys()], Object.keys(expected), `${label}: parameter names`);
  for (const [name, reference] of Object.entries(expected)) {
    const values = actual.get(name);
    if (reference === null) {
      assert.equal(values, null, `${label}: ${name} should have no meta-gradient`);
      continue;
    }
    assert.ok(values, `${label}: ${name} has no meta-gradient`);
    assertClose(values, goldenValues(reference), GOLDEN_RTOL, `${label}: ${name}`);
  }
}

function assertParameters(generator: GradientGenerator, expected: NestedMap, label: string): void {
  for (const [name, reference] of Object.entries(expected)) {
    assertClose(generator.parameters.get(name)!.dataSync(), goldenValues(reference), GOLDEN_RTOL, `${label}: ${name}`);
  }
}

describe('MggTrainer', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  for (const caseName of ['adapt_lr_1e-4', 'adapt_lr_1']) {
    it(`golden C ${caseName} matches`, () => {
      const goldenCase = golden.golden_C.cases[caseName];
      const layer = goldenLayer();
      const target = goldenTarget();
      const trainer = new MggTrainer(layer, target, { trainLr: goldenCase.adapt_lr });

      goldenCase.calls.forEach((call: NestedMap & { call: number }, index: number) => {
        const label = `call ${call.call}`;
        const result = trainer.step(null);
        assertClose([result.loss], [call.loss_at_theta_before as number], GOLDEN_RTOL, `${label}: loss at theta_before`);

        // The meta-gradient computed in call n belongs to call n − 1's generator forward.
        if (index === 0) assert.equal(result.metaGradient, null, `${label}: first call has no pending link`);
        else assertMetaGradient(result.metaGradient!, goldenCase.calls[index - 1].meta_grad, `${label} meta_grad of call ${index}`);

        assertParameters(layer, call.mgg_params_used as NestedMap, `${label} mgg_params_used`);
        assertClose(trainer.lastFeatures!.dataSync(), goldenValues(call.mgg_input), GOLDEN_RTOL, `${label} mgg_input`);
        assertClose(trainer.lastOutput!.dataSync(), goldenValues(call.mgg_output), GOLDEN_RTOL, `${label} mgg_output`);

        // At adapt_lr 1e-4 float32 resolves θ_after − θ_before only to about 5e-4, so θ is checked at adapt_lr 1 only.
        if (goldenCase.adapt_lr === 1) assertClose(target.theta, goldenValues(call.theta_after), GOLDEN_RTOL, `${label} theta_after`);
      });

      // A fourth call collects the meta-gradient of call 3.
      const fourth = trainer.step(null);
      assertMetaGradient(fourth.metaGradient!, goldenCase.calls[2].meta_grad, 'meta_grad of call 3');

      // W1 and b1 had a gradient only for call 1, so Adam stepped them once and the others three times.
      assert.equal(trainer.adamStepCount(GRADIENT_MEMORY_KEYS.initialW), 1);
      assert.equal(trainer.adamStepCount(GRADIENT_MEMORY_KEYS.initialB), 1);
      assert.equal(trainer.adamStepCount(GRADIENT_MEMORY_KEYS.queryWeight), 3);

      trainer.dispose();
      layer.dispose();
    });
  }

  it('epochs reset link but keep Adam', () => {
    const layer = goldenLayer();
    const target = goldenTarget();
    const trainer = new MggTrainer(layer, target, { trainLr: 1e-2 });
    const epochs = 3;
    const stepsPerEpoch = 4;

    for (let epoch = 0; epoch < epochs; epoch++) {
      trainer.startEpoch();
      for (let step = 0; step < stepsPerEpoch; step++) {
        const { metaGradient } = trainer.step(null);
        assert.equal(metaGradient === null, step === 0, `epoch ${epoch} step ${step}: meta-gradient only after the first step`);
        if (metaGradient !== null) {
          assert.equal(metaGradient.get(GRADIENT_MEMORY_KEYS.initialW) !== null, step === 1, `epoch ${epoch} step ${step}: W1 gradient`);
        }
      }
    }

    // Per epoch: stepsPerEpoch − 1 Adam steps, one of which reaches W1/b1.
    assert.equal(trainer.adamStepCount(GRADIENT_MEMORY_KEYS.tokenOffset), epochs * (stepsPerEpoch - 1));
    assert.equal(trainer.adamStepCount(GRADIENT_MEMORY_KEYS.initialW), epochs);
    assert.equal(trainer.adamStepCount(GRADIENT_MEMORY_KEYS.initialB), epochs);
    trainer.dispose();
    layer.dispose();
  });

  it('fixed initial memory stays unchanged', () => {
    const layer = goldenLayer({ learnInitialMemory: false });
    const initialW = Array.from(layer.parameters.get(GRADIENT_MEMORY_KEYS.initialW)!.dataSync());
    const trainer = new MggTrainer(layer, goldenTarget(), { trainLr: 1 });

    for (let step = 0; step < 3; step++) {
      const { metaGradient } = trainer.step(null);
      if (metaGradient !== null) assert.equal(metaGradient.get(GRADIENT_MEMORY_KEYS.initialW), null);
    }
    assert.deepEqual(Array.from(layer.parameters.get(GRADIENT_MEMORY_KEYS.initialW)!.dataSync()), initialW);
    assert.equal(trainer.adamStepCount(GRADIENT_MEMORY_KEYS.initialW), 0);
    assert.equal(trainer.adamStepCount(GRADIENT_MEMORY_KEYS.queryWeight), 2);
    trainer.dispose();
    layer.dispose();
  });

  it('unroll reaches earlier calls', () => {
    const generator = new LstmGenerator({ seed: 3 });
    const target = goldenTarget();
    const trainer = new MggTrainer(generator, target, { trainLr: 0.5, unroll: 2 });

    // Steps 1 and 2 run calls 1 and 2. Record their inputs before φ moves.
    trainer.step(null);
    const x1 = tf.clone(trainer.lastFeatures!);
    const second = trainer.step(null);
    const x2 = tf.clone(trainer.lastFeatures!);
    assert.ok(second.metaGradient !== null);
    assert.equal(trainer.adamStepCount(LSTM_KEYS.hiddenWeight), 0, 'no Adam step after one term of a window of 2');

    // Step 3's term flows through call 2 and, via the state, through call 1:
    // ∇φ of −η Σ_i g3_i · U2_i(φ; x2, S(φ; x1, initial)), taken before step 3's Adam update moves φ.
    const { gradient: g3 } = target.lossAndGradient();
    const variables = [...generator.parameters.values()];
    const { value, grads } = tf.variableGrads(() => tf.tidy(() => {
      const call1 = generator.step(x1, null);
      const call2 = generator.step(x2, call1.state);
      return tf.mul(tf.sum(tf.mul(g3, call2.u)), -0.5) as tf.Scalar;
    }), variables);
    const result = trainer.step(null);
    for (const [name, variable] of generator.parameters) {
      assertClose(result.metaGradient!.get(name)!, grads[variable.name]!.dataSync(), 1e-5, `step 3 ${name}`);
    }
    assert.equal(trainer.adamStepCount(LSTM_KEYS.hiddenWeight), 1, 'one Adam step after a full window');

    tf.dispose([x1, x2, g3, value, ...Object.values(grads)]);
    trainer.dispose();
    generator.dispose();
  });

  it('unroll 1 detaches memory state', () => {
    // With unroll 2 the second term still reaches W1 through the carried memory, with 1 it does not.
    for (const unroll of [1, 2]) {
      const layer = goldenLayer();
      const trainer = new MggTrainer(layer, goldenTarget(), { trainLr: 1e-2, unroll });
      trainer.step(null);
      trainer.step(null);
      const { metaGradient } = trainer.step(null);
      assert.equal(metaGradient!.get(GRADIENT_MEMORY_KEYS.initialW) !== null, unroll === 2, `unroll ${unroll}`);
      trainer.dispose();
      layer.dispose();
    }
  });

  it('pre-training lowers the meta-objective', () => {
    const layer = new GradientMemoryLayer({ seed: 4 });
    const target = new SeparableQuadraticTarget();
    const trainer = new MggTrainer(layer, target, { trainLr: 0.1 });
    const stepsPerEpoch = 10;
    const epochLosses: number[] = [];

    // θ restarts at zero each epoch, so a lower mean loss comes from a better φ alone.
    for (let epoch = 0; epoch < 8; epoch++) {
      target.restart();
      trainer.startEpoch();
      let total = 0;
      for (let step = 0; step < stepsPerEpoch; step++) total += trainer.step(null).loss;
      epochLosses.push(total / stepsPerEpoch);
    }

    const summary = epochLosses.map((loss) => loss.toFixed(4)).join(', ');
    assert.ok(epochLosses.at(-1)! < 0.8 * epochLosses[0]!, `mean loss per epoch did not drop by 20%: ${summary}`);
    trainer.dispose();
    layer.dispose();
  });

  it('training leaves tensor count flat', () => {
    for (const unroll of [1, 3]) {
      const layer = goldenLayer();
      const target = new SeparableQuadraticTarget();
      const trainer = new MggTrainer(layer, target, { trainLr: 0.01, unroll });
      const runEpoch = () => {
        target.restart();
        trainer.startEpoch();
        for (let step = 0; step < 10; step++) trainer.step(null);
      };

      runEpoch();
      const count = tf.memory().numTensors;
      for (let epoch = 0; epoch < 5; epoch++) runEpoch();
      assert.equal(tf.memory().numTensors, count, `unroll ${unroll}: after 50 more steps`);

      trainer.dispose();
      layer.dispose();
    }
  });

  it('step rejects a wrong gradient size', () => {
    const layer = goldenLayer();
    const target = goldenTarget();
    const wrong: MetaTrainingTarget = {
      parameterCount: 5,
      lossAndGradient: () => target.lossAndGradient(),
      addToParameters: () => undefined,
    };
    const trainer = new MggTrainer(layer, wrong);
    assert.throws(() => trainer.step(null), /MggTrainer\.step: gradient has shape \[6\], expected \[5\]/);
    assert.throws(() => new MggTrainer(layer, target, { unroll: 0 }), /unroll is 0, expected an integer of at least 1/);
    trainer.dispose();
    layer.dispose();
  });
});
