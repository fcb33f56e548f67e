// `npm run bench`: runs every benchmark against the built code (dist/) and
// prints one table. Each figure comes with a baseline measured in the same
// run, because these machines are shared and absolute numbers drift, and with
// its target (bench/table.js). `node bench/run.js api start` runs only the
// suites whose file names contain one of the words.
import { existsSync } from 'node:fs';
import { printRows } from './table.js';

const suites = [
  ['./sim.js', 'benchSimMatching'],
  ['./audit.js', 'benchAudit'],
  ['./postgres.js', 'benchPostgres'],
  ['./api.js', 'benchApi'],
  ['./start.js', 'benchColdStart'],
  ['./memory.js', 'benchMemory'],
  ['./memory.js', 'benchOrderMemory'],
  ['./orders.js', 'benchOrders'],
  ['./warm-path.js', 'benchWarmPath'],
  ['./tws.js', 'benchTwsOverhead'],
];

const only = process.argv.slice(2);
const rows = [];
for (const [file, fn] of suites) {
  if (only.length > 0 && !only.some((o) => file.includes(o))) continue;
  if (!existsSync(new URL(file, import.meta.url))) {
    rows.push({ name: file, value: NaN, unit: '', note: 'not present' });
    continue;
  }
  process.stderr.write(`running ${fn} ...\n`);
  const mod = await import(file);
  const results = await mod[fn]();
  rows.push(...results);
}

printRows(rows);
