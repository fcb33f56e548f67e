/**
 * Intraday history computed in slices, with the event loop free between them.
 *
 * The simulator computes bars synchronously; the largest request IBKR's table
 * allows (1 W of 3-minute bars, 3,360 bars) took 0.2-1.5 s on one call, and
 * every other request, /health and the kill switch included, waited for it.
 * Here the request's window is cut at multiples of a slice length (a whole
 * number of bars, so no bar straddles a cut, and at most 12 hours, so each
 * slice is a valid seconds duration), each slice is computed by the unchanged
 * Market.bars, and the event loop runs between slices. The result is
 * identical to one call (sliced-bars.test.ts checks it bar for bar).
 * Daily and longer bars are computed in one call: a year is 367 bars.
 */
import { MarketDataError } from '../../core/errors.js';
import type { Bar, BarSize, WhatToShow } from '../../core/models.js';
import { BAR_SECONDS, checkBarRequest, durationSeconds } from './bar-requests.js';

export interface TimedBarsQuery {
  barSize: BarSize;
  duration: string;
  whatToShow: WhatToShow;
  useRth: boolean;
  endMs: number;
}

/** Bars per slice: a few milliseconds of work each (about 5-10 ms on an idle core). */
const BARS_PER_SLICE = 50;
/** Longest slice; every intraday bar size divides it except 8 hours (which gets one bar per slice). */
const MAX_SLICE_S = 43_200;
const DAY_S = 86_400;

const nextTick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * `signal` stops the work between slices (the caller went away); the promise then rejects with its reason.
 * `startMs` is where the request's window begins when it is not `duration` before the end ("N D" counts
 * sessions, see Market.requestStart).
 */
export async function barsInSlices(
  compute: (query: TimedBarsQuery, nowMs: number) => Bar[],
  query: TimedBarsQuery,
  nowMs: number,
  pause: () => Promise<void> = nextTick,
  signal?: AbortSignal,
  startMs?: number,
): Promise<Bar[]> {
  signal?.throwIfAborted();
  const barS = BAR_SECONDS[query.barSize];
  if (barS >= DAY_S) return compute(query, nowMs);
  // The whole request's limits, which no single slice would trip.
  const refused = checkBarRequest(query.duration, query.barSize);
  if (refused) throw new MarketDataError(refused, 'HISTORICAL_DATA_ERROR', { barSize: query.barSize, duration: query.duration });

  const sliceS = barS * Math.max(1, Math.min(BARS_PER_SLICE, Math.floor(MAX_SLICE_S / barS)));
  const sliceMs = sliceS * 1000;
  const end = Math.min(query.endMs, nowMs);
  const start = startMs ?? end - durationSeconds(query.duration) * 1000;
  if (end - start <= 2 * sliceMs) return compute(query, nowMs);
  // The first bar sits on the bar grid, so it may begin before `start` (Market.bars does the same).
  const firstBarStart = Math.floor(start / (barS * 1000)) * barS * 1000;

  const cuts: number[] = [];
  for (let cut = Math.floor(start / sliceMs) * sliceMs + sliceMs; cut < end; cut += sliceMs) cuts.push(cut);
  const first = cuts[0] as number;
  const last = cuts[cuts.length - 1] as number;
  const slice = (endMs: number, seconds: number, from: number, to: number): Bar[] =>
    compute({ ...query, duration: `${seconds} S`, endMs }, nowMs).filter((bar) => {
      const t = Date.parse(bar.time);
      return t >= from && t < to;
    });

  const out: Bar[] = [];
  const add = (bars: Bar[]): void => {
    for (const bar of bars) {
      const previous = out[out.length - 1];
      // Market.bars' own rule across a cut: a bar no later than the one before it was already emitted.
      if (previous === undefined || Date.parse(previous.time) < Date.parse(bar.time)) out.push(bar);
    }
  };
  // Durations are whole seconds, so the first slice ends just past its cut to begin exactly at `start`.
  const overshoot = (((start - first) % 1000) + 1000) % 1000;
  add(slice(first + overshoot, (first + overshoot - start) / 1000, firstBarStart, first));
  for (let i = 0; i + 1 < cuts.length; i++) {
    await pause();
    signal?.throwIfAborted();
    add(slice(cuts[i + 1] as number, sliceS, cuts[i] as number, cuts[i + 1] as number));
  }
  await pause();
  signal?.throwIfAborted();
  // The last slice begins up to a second before its cut; what falls before the cut is dropped.
  add(slice(end, Math.ceil((end - last) / 1000), last, Number.POSITIVE_INFINITY));
  return out;
}
