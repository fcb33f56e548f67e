// Two builds' slices alternated in one process (sim-orders.js, sim-placements.js): each pair runs A then B,
// the next B then A, so a machine that speeds up or slows down favours neither.
const median = (xs) => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)];
const mean = (xs) => xs.reduce((x, y) => x + y, 0) / xs.length;

/**
 * Runs `slices` pairs of `a.slice()` and `b.slice()` (each returns µs of CPU per item) and prints each root's mean
 * and median slice, then B/A over all slices and per pair. `what` names the item; `detail` ends the last line.
 */
export async function alternate(a, b, slices, what, detail) {
  const us = { [a.root]: [], [b.root]: [] };
  const ratios = [];
  for (let s = 0; s < slices; s++) {
    const [first, second] = s % 2 === 0 ? [a, b] : [b, a];
    const x = await first.slice();
    const y = await second.slice();
    us[first.root].push(x);
    us[second.root].push(y);
    ratios.push(first === b ? x / y : y / x);
  }
  for (const r of [a.root, b.root]) console.log(`${r}: ${mean(us[r]).toFixed(0)} µs CPU per ${what} over all ${slices} slices (median slice ${median(us[r]).toFixed(0)})`);
  // A young-generation GC (a few ms, on the main thread) lands in whichever slice allocates past the limit, so
  // single slices swing; the ratio of the totals shares those pauses out by allocation, as a gateway would.
  console.log(`B/A: ${(mean(us[b.root]) / mean(us[a.root])).toFixed(3)} over all slices; per pair of slices median ${median(ratios).toFixed(3)}, range ${Math.min(...ratios).toFixed(3)}-${Math.max(...ratios).toFixed(3)} (${detail})`);
}
