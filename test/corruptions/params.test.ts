import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

import { arangeValues } from '../../src/corruptions/blur.js';
import { pixelateSide } from '../../src/corruptions/digital.js';
import { diskTapCount, motionKernel } from '../../src/corruptions/filters.js';
import { PARAMS_PATH, chooseTable, parameter, parameterList, parseParameterFile, type ReferenceTable } from '../../src/corruptions/params.js';

const SEVERITIES = [1, 2, 3, 4, 5];

function column(table: ReferenceTable, corruption: string, field: string): number[] {
  return SEVERITIES.map((severity) => parameter(table, corruption, severity, field));
}

describe('params', () => {
  it('file has every table, corruption and severity', () => {
    const rows = parseParameterFile(readFileSync(PARAMS_PATH, 'utf8'), PARAMS_PATH);
    // 3 tables x 19 corruptions x 5 severities.
    assert.equal(rows.size, 3 * 19 * 5);
  });

  it('JPEG qualities', () => {
    assert.deepEqual(column('imagenet224', 'jpeg_compression', 'quality'), [25, 18, 15, 10, 7]);
    assert.deepEqual(column('cifar32', 'jpeg_compression', 'quality'), [80, 65, 58, 50, 40]);
  });

  it('pixelate sides at 224, 32 and 28 px', () => {
    const sides = (table: ReferenceTable, side: number): number[] =>
      column(table, 'pixelate', 'ratio').map((ratio) => pixelateSide(side, ratio));
    assert.deepEqual(sides('imagenet224', 224), [134, 112, 89, 67, 56]);
    assert.deepEqual(sides('cifar32', 32), [30, 28, 27, 24, 20]);
    assert.deepEqual(sides('cifar32', 28), [26, 25, 23, 21, 18]);
  });

  it('zoom factor counts', () => {
    const counts = (table: ReferenceTable): number[] => SEVERITIES.map((s) => parameterList(table, 'zoom_blur', s).length);
    assert.deepEqual(counts('imagenet224'), [12, 16, 11, 13, 11]);
    assert.deepEqual(counts('cifar32'), [7, 12, 16, 21, 26]);
    assert.equal(parameterList('imagenet224', 'zoom_blur', 5).at(-1), 1.3);
  });

  it('zoom factors rebuilt like NumPy arange', () => {
    const factors = arangeValues(parameterList('cifar32', 'zoom_blur', 3));
    // 1 + 14 * (1.01 - 1) is 1.1400000000000001 in doubles, as NumPy's arange produced it.
    assert.equal(factors[14], 1.1400000000000001);
    assert.equal(factors.length, 16);
    assert.deepEqual(arangeValues([1, 1.5, 4]), [1, 1.5, 4]);
  });

  it('motion kernel widths', () => {
    const widths = (table: ReferenceTable): number[] =>
      SEVERITIES.map((s) => motionKernel(parameter(table, 'motion_blur', s, 'radius'), parameter(table, 'motion_blur', s, 'sigma'), 0).weights.length);
    assert.deepEqual(widths('imagenet224'), [21, 31, 31, 31, 41]);
    assert.deepEqual(widths('cifar32'), [13, 13, 13, 17, 19]);
  });

  it('disk tap counts', () => {
    const radii = column('imagenet224', 'defocus_blur', 'radius');
    assert.deepEqual(radii.map(diskTapCount), [29, 49, 113, 197, 317]);
    assert.deepEqual([0.3, 0.4, 0.5, 1, 1.5].map(diskTapCount), [1, 1, 1, 5, 9]);
  });

  it('snow and spatter rows', () => {
    assert.deepEqual(
      ['mu', 'sd', 'zoom', 'threshold', 'mb_radius', 'mb_sigma', 'blend'].map((f) => parameter('cifar32', 'snow', 5, f)),
      [0.3, 0.3, 1.25, 0.65, 14, 12, 0.8],
    );
    assert.deepEqual(column('imagenet224', 'spatter', 'mode'), [0, 0, 0, 1, 1]);
  });

  it('chooseTable by shorter side', () => {
    assert.deepEqual(chooseTable(28, 28), { table: 'cifar32', referenceSide: 32, spatialScale: 1 });
    assert.deepEqual(chooseTable(224, 224), { table: 'imagenet224', referenceSide: 224, spatialScale: 1 });
    assert.deepEqual(chooseTable(64, 80), { table: 'tiny64', referenceSide: 64, spatialScale: 1 });
    assert.equal(chooseTable(20, 300).table, 'cifar32');
    // 448 / 224 = 2 is outside [0.8, 1.25], so pixel parameters double; 24 / 32 = 0.75 shrinks them.
    assert.equal(chooseTable(448, 500).spatialScale, 2);
    assert.equal(chooseTable(24, 24).spatialScale, 0.75);
  });

  it('missing field throws naming fields', () => {
    assert.throws(() => parameter('cifar32', 'fog', 1, 'sigma'), /fields: amplitude, decay/);
  });

  it('malformed file is rejected', () => {
    const header = 'table\tcorruption\tseverity\tfields\tvalues\n';
    assert.throws(() => parseParameterFile(`${header}cifar32\tfog\t1\tamplitude decay\t0.2\n`, 'x'), /2 field names but 1 values/);
    assert.throws(() => parseParameterFile(`${header}cifar32\tfog\t9\tamplitude\t0.2\n`, 'x'), /invalid severity/);
    assert.throws(() => parseParameterFile('wrong\n', 'x'), /invalid header/);
  });
});
