/**
 * Terminal output: tables and colour on a TTY, JSON on request (--json) or
 * when piped, and a spinner for anything slow. Colour is never written to a
 * pipe or when NO_COLOR is set.
 */
import { styleText } from 'node:util';

export interface Io {
  stdout: NodeJS.WriteStream | NodeJS.WritableStream;
  stderr: NodeJS.WriteStream | NodeJS.WritableStream;
  isTTY: boolean;
}

export const processIo = (): Io => ({ stdout: process.stdout, stderr: process.stderr, isTTY: Boolean(process.stdout.isTTY) });

type Style = Parameters<typeof styleText>[0];

export function paint(io: Io, style: Style, text: string): string {
  return io.isTTY && !process.env.NO_COLOR ? styleText(style, text) : text;
}

export const printJson = (io: Io, value: unknown): void => {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
};

export type Cell = string | number | boolean | null | undefined;

const show = (v: Cell): string => (v === null || v === undefined ? '-' : typeof v === 'number' ? formatNumber(v) : String(v));

export const formatNumber = (n: number): string => (Number.isInteger(n) ? n.toLocaleString('en-US') : n.toLocaleString('en-US', { maximumFractionDigits: 6 }));

/** A plain aligned table; numbers right-aligned. */
export function printTable(io: Io, headers: string[], rows: Cell[][]): void {
  const cells = rows.map((r) => r.map(show));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number' || r[i] === null || r[i] === undefined));
  const line = (values: string[]): string => values.map((v, i) => (numeric[i] ? v.padStart(widths[i] ?? 0) : v.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  io.stdout.write(`${paint(io, 'bold', line(headers))}\n`);
  for (const r of cells) io.stdout.write(`${line(r)}\n`);
  if (rows.length === 0) io.stdout.write(`${paint(io, 'dim', '(none)')}\n`);
}

/** Key/value listing for one object. */
export function printFields(io: Io, fields: [string, Cell][]): void {
  const width = Math.max(...fields.map(([k]) => k.length));
  for (const [k, v] of fields) io.stdout.write(`${paint(io, 'dim', k.padEnd(width))}  ${show(v)}\n`);
}

/** A spinner on stderr while `work` runs (TTY only); nothing at all when piped. */
export async function withSpinner<T>(io: Io, label: string, work: () => Promise<T>): Promise<T> {
  if (!io.isTTY || !('isTTY' in io.stderr) || !io.stderr.isTTY) return work();
  const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
  let i = 0;
  const timer = setInterval(() => io.stderr.write(`\r${frames[i++ % frames.length] ?? ''} ${label}`), 80);
  try {
    return await work();
  } finally {
    clearInterval(timer);
    io.stderr.write('\r\x1b[K');
  }
}

/** A small line chart of closes for a terminal (one character per column). */
export function sparkChart(values: number[], width = 60, height = 8): string[] {
  if (values.length === 0) return [];
  const step = Math.max(1, Math.ceil(values.length / width));
  const points: number[] = [];
  for (let i = 0; i < values.length; i += step) points.push(values[Math.min(values.length - 1, i + step - 1)] ?? 0);
  const min = Math.min(...points);
  const max = Math.max(...points);
  const span = max - min || 1;
  const rows: string[] = [];
  for (let r = height - 1; r >= 0; r--) {
    const lo = min + (span * r) / height;
    const label = r === height - 1 ? formatNumber(Number(max.toFixed(2))) : r === 0 ? formatNumber(Number(min.toFixed(2))) : '';
    rows.push(`${label.padStart(10)} │${points.map((p) => (p >= lo ? '█' : ' ')).join('')}`);
  }
  return rows;
}
