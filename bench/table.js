// Prints benchmark rows as one table: each figure beside its same-run baseline
// and its target, so a reader sees at once what was measured against what.
// A row may carry `baseline` and `target` itself; TARGETS fills the target of
// rows whose module does not name one (the figures issue 18 asks for).
const TARGETS = [
  [/^api: GET \/api\/market\/quote (req\/s|CPU) vs baseline$/, '>= 0.8'],
  [/^api: durable orders\/s$/, '>= 5,000'],
  [/^tws: order ack latency the gateway adds$/, '<= 0.5 ms'],
  [/^start: cold start to ready \/health$/, '<= 1,000 ms'],
  [/^memory: RSS after /, '<= 150 MB'],
  [/^memory: RSS growth over the second half$/, '~ 0 (flat)'],
];

const fmt = (v) => (Number.isFinite(v) ? (Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(3)) : '-');

export function targetOf(row) {
  if (row.target) return row.target;
  return TARGETS.find(([re]) => re.test(row.name))?.[1] ?? '';
}

export function printRows(rows, write = (line) => console.log(line)) {
  const width = Math.max(...rows.map((r) => r.name.length), 9);
  const baseWidth = Math.max(...rows.map((r) => String(r.baseline ?? '').length), 8);
  const targetWidth = Math.max(...rows.map((r) => targetOf(r).length), 6);
  write(`${'benchmark'.padEnd(width)}  ${'value'.padStart(14)}  ${'unit'.padEnd(9)}  ${'baseline'.padEnd(baseWidth)}  ${'target'.padEnd(targetWidth)}  note`);
  for (const r of rows) {
    write(`${r.name.padEnd(width)}  ${fmt(r.value).padStart(14)}  ${String(r.unit).padEnd(9)}  ${String(r.baseline ?? '').padEnd(baseWidth)}  ${targetOf(r).padEnd(targetWidth)}  ${r.note ?? ''}`);
  }
}
