/**
 * IBKR's rules for historical bar requests: the bar sizes, how long a duration
 * string ("60 S", "2 D", "1 W", "1 M", "1 Y") spans, and which bar sizes each
 * duration accepts. These are request validation, kept apart from the price
 * model (market.ts) that draws the bars.
 */
import type { BarSize } from '../../core/models.js';
import { MarketDataError } from '../../core/errors.js';

const DAY_S = 86_400;

export const BAR_SECONDS: Record<BarSize, number> = {
  '1 secs': 1, '5 secs': 5, '10 secs': 10, '15 secs': 15, '30 secs': 30,
  '1 min': 60, '2 mins': 120, '3 mins': 180, '5 mins': 300, '10 mins': 600, '15 mins': 900, '20 mins': 1200, '30 mins': 1800,
  '1 hour': 3600, '2 hours': 7200, '3 hours': 10800, '4 hours': 14400, '8 hours': 28800,
  '1 day': 86400, '1 week': 604800, '1 month': 2592000,
};

/** Seconds an IBKR duration string spans ("60 S", "2 D", "1 W", "1 M", "1 Y"). */
export function durationSeconds(duration: string): number {
  const m = /^(\d+) ([SDWMY])$/.exec(duration.trim().toUpperCase());
  if (!m) throw new MarketDataError(`Invalid duration "${duration}": use e.g. "60 S", "1 D", "1 W", "1 M", "1 Y"`, 'HISTORICAL_DATA_ERROR');
  const n = Number(m[1]);
  const unit = { S: 1, D: DAY_S, W: 7 * DAY_S, M: 31 * DAY_S, Y: 366 * DAY_S }[m[2] as 'S' | 'D' | 'W' | 'M' | 'Y'];
  return n * unit;
}

/**
 * IBKR's historical data limits: the smallest bar size each duration accepts
 * (the "valid duration and bar size" table), seconds durations only up to
 * 86400 S. Returns the reason a request is refused, or null.
 */
export function checkBarRequest(duration: string, barSize: BarSize): string | null {
  const seconds = durationSeconds(duration);
  if (duration.trim().toUpperCase().endsWith(' S') && seconds > DAY_S) return `Duration ${duration} exceeds 86400 S; use days ("1 D") instead`;
  const bar = BAR_SECONDS[barSize];
  const minimum: Array<[number, number]> = [
    [1800, 1],
    [3600, 5],
    [14_400, 10],
    [28_800, 30],
    [DAY_S, 60],
    [2 * DAY_S, 120],
    [7 * DAY_S, 180],
    [31 * DAY_S, 1800],
    [366 * DAY_S, 86_400],
  ];
  let needed = 86_400;
  for (const [maxDuration, minBar] of minimum) {
    if (seconds <= maxDuration) {
      needed = minBar;
      break;
    }
  }
  if (bar < needed) return `Historical data request pacing violation: bar size "${barSize}" is too small for duration "${duration}" (IBKR error 162); use a larger bar size or a shorter duration`;
  return null;
}
