/**
 * Severity tables of the 19 corruptions, read at run time from `assets/corruptions/params.tsv`.
 * That file lists the literal constants of the scripts that produced ImageNet-C (table
 * `imagenet224`), CIFAR-10-C (`cifar32`) and Tiny-ImageNet-C (`tiny64`), one line per table,
 * corruption and severity. This module also picks the table for an image size.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export type ReferenceTable = 'imagenet224' | 'cifar32' | 'tiny64';

/** Image side each table was tuned for, in pixels. */
export const REFERENCE_SIDES: Readonly<Record<ReferenceTable, number>> = {
  cifar32: 32,
  tiny64: 64,
  imagenet224: 224,
};

/** Largest shorter side (pixels) that still uses the CIFAR table. Above it Tiny-ImageNet. */
const CIFAR_MAX_SIDE = 45;
/** Largest shorter side (pixels) that still uses the Tiny-ImageNet table. Above it ImageNet. */
const TINY_MAX_SIDE = 120;
/** Ratios of image side to table side inside this band use the table's pixel values unscaled. */
const UNSCALED_RATIO_MIN = 0.8;
const UNSCALED_RATIO_MAX = 1.25;

/** Suffix of a field name whose values run to the end of the line (zoom factors). */
const LIST_FIELD_SUFFIX = '...';

export const PARAMS_PATH = fileURLToPath(new URL('../../assets/corruptions/params.tsv', import.meta.url));

/** One line of the parameter file. */
export interface ParameterRow {
  table: ReferenceTable;
  corruption: string;
  severity: number;
  /** Field names in file order. A single name ending in `...` marks a list. */
  fields: readonly string[];
  values: readonly number[];
  /** Field name -> value. Empty for a list line. */
  named: Readonly<Record<string, number>>;
}

/** The table chosen for an image and the factor for its pixel-valued parameters. */
export interface TableChoice {
  table: ReferenceTable;
  /** Side the table was tuned for, pixels. */
  referenceSide: number;
  /** Multiplier for pixel-valued parameters (blur sigmas, radii, offsets); 1 inside the unscaled band. */
  spatialScale: number;
}

/**
 * Picks the reference table by the shorter image side: CIFAR for up to 45 px, Tiny-ImageNet
 * up to 120 px, ImageNet above. Pixel-valued parameters scale by side / table side unless
 * that ratio is within [0.8, 1.25], because small rescalings can collapse integer lattices
 * (CIFAR defocus radius 1 scaled by 0.875 loses its 5-tap disk). So 28x28 uses the CIFAR
 * values unscaled.
 */
export function chooseTable(height: number, width: number): TableChoice {
  const side = Math.min(height, width);
  let table: ReferenceTable = 'imagenet224';
  if (side <= CIFAR_MAX_SIDE) table = 'cifar32';
  else if (side <= TINY_MAX_SIDE) table = 'tiny64';

  const referenceSide = REFERENCE_SIDES[table];
  const ratio = side / referenceSide;
  const unscaled = ratio >= UNSCALED_RATIO_MIN && ratio <= UNSCALED_RATIO_MAX;
  return { table, referenceSide, spatialScale: unscaled ? 1 : ratio };
}

let cachedRows: Map<string, ParameterRow> | undefined;

function rowKey(table: string, corruption: string, severity: number): string {
  return `${table}/${corruption}/${severity}`;
}

/** Parses the text of a parameter file. Throws on any malformed line, naming it. */
export function parseParameterFile(text: string, source: string): Map<string, ParameterRow> {
  const rows = new Map<string, ParameterRow>();
  const lines = text.split('\n').map((line) => line.replace(/\r$/, ''));
  const header = lines[0]?.split('\t') ?? [];
  if (header.join(',') !== 'table,corruption,severity,fields,values') {
    throw new Error(`parameter file '${source}': invalid header '${lines[0]}', expected table, corruption, severity, fields, values`);
  }

  for (let lineNumber = 2; lineNumber <= lines.length; lineNumber++) {
    const line = lines[lineNumber - 1]!;
    if (line.trim() === '') continue;
    const row = parseRow(line, `${source}:${lineNumber}`);
    rows.set(rowKey(row.table, row.corruption, row.severity), row);
  }
  return rows;
}

function parseRow(line: string, where: string): ParameterRow {
  const columns = line.split('\t');
  if (columns.length !== 5) throw new Error(`parameter file ${where}: expected 5 tab-separated columns, found ${columns.length}`);

  const [table, corruption, severityText, fieldText, valueText] = columns as [string, string, string, string, string];
  if (!(table in REFERENCE_SIDES)) throw new Error(`parameter file ${where}: unknown table '${table}'`);
  const severity = Number(severityText);
  if (!Number.isInteger(severity) || severity < 1 || severity > 5) {
    throw new Error(`parameter file ${where}: invalid severity '${severityText}', expected 1..5`);
  }

  const fields = fieldText.split(' ');
  const values = valueText.split(' ').map(Number);
  if (values.some((value) => !Number.isFinite(value))) throw new Error(`parameter file ${where}: non-numeric value in '${valueText}'`);
  const isList = fields.length === 1 && fields[0]!.endsWith(LIST_FIELD_SUFFIX);
  if (!isList && fields.length !== values.length) {
    throw new Error(`parameter file ${where}: ${fields.length} field names but ${values.length} values`);
  }
  const named: Record<string, number> = {};
  if (!isList) fields.forEach((field, i) => (named[field] = values[i]!));
  return { table: table as ReferenceTable, corruption, severity, fields, values, named };
}

function loadRows(): Map<string, ParameterRow> {
  if (cachedRows === undefined) cachedRows = parseParameterFile(readFileSync(PARAMS_PATH, 'utf8'), PARAMS_PATH);
  return cachedRows;
}

/** Returns the parameter line of one table, corruption and severity (1..5). Throws if absent. */
export function parameterRow(table: ReferenceTable, corruption: string, severity: number): ParameterRow {
  const row = loadRows().get(rowKey(table, corruption, severity));
  if (row === undefined) throw new Error(`parameter file '${PARAMS_PATH}' has no line for ${table} ${corruption} severity ${severity}`);
  return row;
}

/** Returns the parameters of one line as a name -> value record (not for list lines). */
export function namedParameters(table: ReferenceTable, corruption: string, severity: number): Readonly<Record<string, number>> {
  return parameterRow(table, corruption, severity).named;
}

/** Returns one named parameter. Throws naming the fields present if it is missing. */
export function parameter(table: ReferenceTable, corruption: string, severity: number, field: string): number {
  const value = namedParameters(table, corruption, severity)[field];
  if (value === undefined) {
    const fields = parameterRow(table, corruption, severity).fields.join(', ');
    throw new Error(`parameter file has no field '${field}' for ${table} ${corruption} (fields: ${fields})`);
  }
  return value;
}

/** Returns the values of a list line (the zoom factors). */
export function parameterList(table: ReferenceTable, corruption: string, severity: number): readonly number[] {
  return parameterRow(table, corruption, severity).values;
}
