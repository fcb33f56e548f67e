// One clock for stamps compared across processes (the load generator's send against the gateway's
// arrival and transmit). Each process's `performance.timeOrigin + performance.now()` is the wall
// clock read once, at that process's start, plus its own monotonic time since: two processes that
// started on either side of a wall-clock correction disagree by that correction for their whole
// lives (the client-side column of bench/transmit.js read 10-167 ms at p50 in two runs of
// 2026-12-05 and 0.5-1.1 ms a few minutes later). CLOCK_MONOTONIC (process.hrtime) has one origin
// for every process on the machine, and no corrections step it.
import { performance } from 'node:perf_hooks';

/** Milliseconds on the machine-wide monotonic clock. */
export const monoMs = () => Number(process.hrtime.bigint()) / 1e6;

/** Milliseconds on this process's performance clock as wall time (what a GC entry's startTime is relative to). */
export const wallMs = () => performance.timeOrigin + performance.now();

/**
 * This process's wall stamps minus its monotonic ones: constant for the life of the process (both
 * run on the same monotonic source), so a stamp taken with wallMs() here is `stamp - offset` on the
 * monotonic clock, whichever build took it.
 */
export function clockOffset() {
  const mono = monoMs();
  return wallMs() - mono;
}

/** A monotonic stamp (from any process) as this machine's wall time, for printing. */
export const monoToDate = (ms) => new Date(ms + clockOffset());

/** Stamps by id taken with wallMs() in a process whose clockOffset() was `offset`, on the monotonic clock. */
export const stampsOnMonotonic = (stamps, offset) => Object.fromEntries(Object.entries(stamps).map(([id, at]) => [id, at - offset]));
