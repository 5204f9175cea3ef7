/**
 * Pivot tables in the shape of the MGTTA paper's tables: one row per domain (corruption at a severity), one
 * column per method, top-1 in each cell, and a mean row. Written as CSV and Markdown.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { stringify } from 'csv-stringify/sync';

import { ALL_CORRUPTION_NAMES } from '../corruptions/index.js';

export interface PivotTable {
  header: string[];
  rows: string[][];
}

/** Builds the top-1 pivot from cell rows (failed cells show their status). */
export function top1Pivot(cells: Array<Record<string, string | number>>): PivotTable {
  const methods = [...new Set(cells.map((cell) => String(cell.method)))];
  const domains = [...new Set(cells.map((cell) => domainOf(cell)))].sort((a, b) => domainRank(a) - domainRank(b));
  const value = (domain: string, method: string) => cells.find((cell) => domainOf(cell) === domain && cell.method === method);

  const rows = domains.map((domain) => [domain, ...methods.map((method) => formatTop1(value(domain, method)))]);
  const means = methods.map((method) => {
    const values = domains.map((domain) => Number(value(domain, method)?.top1)).filter((top1) => Number.isFinite(top1));
    return values.length === domains.length ? (values.reduce((a, b) => a + b, 0) / values.length).toFixed(2) : '';
  });
  if (domains.length > 1) rows.push(['mean', ...means]);
  return { header: ['domain', ...methods], rows };
}

/** Orders domains as the benchmark lists them: clean first, then corruption order, then severity. */
function domainRank(domain: string): number {
  if (domain === 'clean') return -1;
  const separator = domain.lastIndexOf('-');
  const corruption = ALL_CORRUPTION_NAMES.indexOf(domain.slice(0, separator));
  return (corruption < 0 ? ALL_CORRUPTION_NAMES.length : corruption) * 10 + Number(domain.slice(separator + 1));
}

function domainOf(cell: Record<string, string | number>): string {
  return cell.corruption === 'none' ? 'clean' : `${cell.corruption}-${cell.severity}`;
}

function formatTop1(cell: Record<string, string | number> | undefined): string {
  if (cell === undefined) return '';
  return cell.status === 'ok' ? Number(cell.top1).toFixed(2) : String(cell.status);
}

export function toMarkdown(table: PivotTable): string {
  const lines = [
    `| ${table.header.join(' | ')} |`,
    `|${table.header.map(() => '---').join('|')}|`,
    ...table.rows.map((row) => `| ${row.join(' | ')} |`),
  ];
  return `${lines.join('\n')}\n`;
}

/** Writes `table-top1.csv` and `summary.md` into the run folder. */
export function writeTables(directory: string, table: PivotTable, title: string): void {
  writeFileSync(join(directory, 'table-top1.csv'), stringify([table.header, ...table.rows]));
  writeFileSync(join(directory, 'summary.md'), `# ${title}\n\nTop-1 accuracy (%) of the predictions made before each batch's update.\n\n${toMarkdown(table)}`);
}
