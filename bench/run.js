// `npm run bench`: runs every benchmark against the built code (dist/) and
// prints one table. Each figure comes with a baseline measured in the same
// run, because these machines are shared and absolute numbers drift.
import { existsSync } from 'node:fs';

const suites = [
  ['./sim.js', 'benchSimMatching'],
  ['./audit.js', 'benchAudit'],
  ['./api.js', 'benchApi'],
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

const fmt = (v) => (Number.isFinite(v) ? (Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(3)) : '-');
const width = Math.max(...rows.map((r) => r.name.length), 4);
console.log(`${'benchmark'.padEnd(width)}  ${'value'.padStart(14)}  unit        note`);
for (const r of rows) console.log(`${r.name.padEnd(width)}  ${fmt(r.value).padStart(14)}  ${String(r.unit).padEnd(10)}  ${r.note ?? ''}`);
