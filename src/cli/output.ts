// Output of list and show commands, as Coder's CLI: `-o table` (default; `-c/--column` picks the
// columns) or `-o json` (the API objects as the server sent them).
import { Command, Option } from 'commander';
import Table from 'cli-table3';
import { CliError } from './context.js';

export interface Column<T> {
  /** Lower-case words, as typed in `--column` (e.g. `created at`). */
  name: string;
  get(row: T): unknown;
}

export interface OutputSpec<T> {
  columns: Column<T>[];
  /** Names of the columns shown without `--column`. */
  defaults: string[];
}

export interface OutputOptions {
  output?: string;
  column?: string[];
}

/** Adds `-o/--output` and `-c/--column` to a command. */
export function withOutput<T>(cmd: Command, spec: OutputSpec<T>): Command {
  return cmd
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'))
    .addOption(
      new Option(
        '-c, --column <columns...>',
        `columns to show in table output (comma-separated); available: ${spec.columns.map((c) => c.name).join(', ')}`,
      ).default(spec.defaults, spec.defaults.join(',')),
    );
}

const normalize = (name: string) => name.trim().toLowerCase().replace(/[_-]+/g, ' ').replace(/\s+/g, ' ');

export function cell(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.map(cell).join(', ');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Dates as Coder's tables show them: RFC 3339 to the second; the zero time as empty. */
export function time(value: string | undefined | null): string {
  if (!value || value.startsWith('0001-01-01')) return '';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? value : d.toISOString().replace(/\.\d+Z$/, 'Z');
}

export function renderTable<T>(rows: T[], spec: OutputSpec<T>, wanted: string[]): string {
  const byName = new Map(spec.columns.map((c) => [normalize(c.name), c]));
  const chosen = wanted
    .flatMap((w) => w.split(','))
    .map(normalize)
    .filter(Boolean)
    .map((name) => {
      const col = byName.get(name);
      if (!col) {
        throw new CliError(`unknown column "${name}"`, `available columns: ${spec.columns.map((c) => c.name).join(', ')}`);
      }
      return col;
    });
  const table = new Table({
    head: chosen.map((c) => c.name.toUpperCase()),
    chars: {
      top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '',
      'bottom-right': '', left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '  ',
    },
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0, compact: true },
  });
  for (const row of rows) table.push(chosen.map((c) => cell(c.get(row))));
  return table.toString().split('\n').map((l) => l.trimEnd()).join('\n');
}

/** Prints rows (or one object) in the chosen format on stdout. */
export function printOutput<T>(value: T[] | T, spec: OutputSpec<T>, opts: OutputOptions): void {
  if (opts.output === 'json') {
    process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    return;
  }
  const rows = Array.isArray(value) ? value : [value];
  process.stdout.write(`${renderTable(rows, spec, opts.column ?? spec.defaults)}\n`);
}
