/**
 * The bench report: one row per figure, printed as a table next to its limit measured in the same
 * run, and the run's results as JSON under bench/results/.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatTable } from '../common/text-table.js';

export interface Row {
  readonly benchmark: string;
  readonly figure: string;
  readonly limit: string;
  readonly ratio: string;
  readonly target: string;
  readonly peakRss: string;
}

export const ratio = (value: number, limit: number | null): string =>
  limit === null || limit === 0 ? '-' : `${(value / limit).toFixed(2)}×`;

/** Prints the table and writes `results` to bench/results/<file>. */
export function writeReport(rows: readonly Row[], results: Record<string, unknown>, file: string): void {
  const say = (line: string): void => void process.stdout.write(`${line}\n`);
  say('');
  say(
    formatTable(
      ['benchmark', 'figure', 'limit (same run)', 'ratio', 'target', 'peak RSS'],
      rows.map((row) => [row.benchmark, row.figure, row.limit, row.ratio, row.target, row.peakRss]),
    ),
  );
  const path = join(import.meta.dirname, 'results', file);
  writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
  say(`\nwritten to ${path}`);
}
