/**
 * The bound on one historical-bars request: IBKR's own "valid duration and bar
 * size" table (TWS API, Historical Data Limitations, "Step Sizes"), applied by
 * the core before any broker work, so REST, MCP and the library all refuse the
 * same requests the same way.
 *
 * IBKR's table, duration -> the smallest bar size it allows:
 *
 *   1800 S -> 1 secs     3600 S -> 5 secs     14400 S -> 10 secs   28800 S -> 30 secs
 *   1 D    -> 1 min      2 D    -> 2 mins     1 W     -> 3 mins    1 M     -> 30 mins
 *   1 Y    -> 1 day (up to 1 month)
 *
 * The table ends at 1 Y (IBKR: "requests can go back one full calendar year";
 * "only a few thousand bars at a time"), so 1 Y is the longest duration for
 * any bar size. Read the other way round, each bar size has a longest duration
 * (BAR_SIZE_MAX_DURATION). A request past it would make thousands of bars per
 * call: IBKR answers error 162 and the simulator would compute for minutes
 * (issue 17: "99999 Y" of daily bars froze the gateway for 15 minutes).
 *
 * Units are counted conservatively (a month is 30 days, a year 365) so that
 * "12 M", "52 W" and "365 D" all fit in 1 Y, and "366 D" or "2 Y" do not.
 */
import { GatewayError } from './errors.js';
import type { BarSize } from './models.js';

const DAY = 86_400;
const UNIT_SECONDS = { S: 1, D: DAY, W: 7 * DAY, M: 30 * DAY, Y: 365 * DAY } as const;

/** The longest duration each bar size may be asked for, as an IBKR duration string. */
export const BAR_SIZE_MAX_DURATION: Readonly<Record<BarSize, string>> = {
  '1 secs': '1800 S',
  '5 secs': '3600 S',
  '10 secs': '14400 S',
  '15 secs': '14400 S',
  '30 secs': '28800 S',
  '1 min': '1 D',
  '2 mins': '2 D',
  '3 mins': '1 W',
  '5 mins': '1 W',
  '10 mins': '1 W',
  '15 mins': '1 W',
  '20 mins': '1 W',
  '30 mins': '1 M',
  '1 hour': '1 M',
  '2 hours': '1 M',
  '3 hours': '1 M',
  '4 hours': '1 M',
  '8 hours': '1 M',
  '1 day': '1 Y',
  '1 week': '1 Y',
  '1 month': '1 Y',
};

/** Seconds durations are IBKR's for less than a day; longer ones must be said in days. */
export const MAX_SECONDS_DURATION = DAY;

/** The longest duration of all: the end of IBKR's table. */
export const MAX_HISTORY_DURATION = '1 Y';

/** Seconds a duration string spans ("60 S", "2 D", "1 W", "1 M", "1 Y"), or null if it is not one. */
export function durationSeconds(duration: string): number | null {
  const m = /^(\d{1,9}) ([SDWMY])$/.exec(duration.trim().toUpperCase());
  if (!m) return null;
  return Number(m[1]) * UNIT_SECONDS[m[2] as keyof typeof UNIT_SECONDS];
}

export interface HistoryBoundProblem {
  /** Which bound: the bar size's longest duration, or seconds durations' one-day limit. */
  bound: 'maxDurationForBarSize' | 'maxSecondsDuration';
  barSize: BarSize;
  duration: string;
  maxDuration: string;
  message: string;
}

/** Why IBKR's table refuses this duration for this bar size, or null when it allows it. */
export function historyBoundProblem(duration: string, barSize: BarSize): HistoryBoundProblem | null {
  const seconds = durationSeconds(duration);
  const max = BAR_SIZE_MAX_DURATION[barSize];
  // A duration that does not parse is the schema's to refuse, not a bound.
  if (seconds === null) return null;
  if (duration.trim().toUpperCase().endsWith(' S') && seconds > MAX_SECONDS_DURATION) {
    return {
      bound: 'maxSecondsDuration',
      barSize,
      duration,
      maxDuration: `${MAX_SECONDS_DURATION} S`,
      message: `Duration "${duration}" exceeds ${MAX_SECONDS_DURATION} S, the longest duration in seconds; say it in days ("1 D")`,
    };
  }
  const maxSeconds = durationSeconds(max) ?? 0;
  if (seconds > maxSeconds) {
    return {
      bound: 'maxDurationForBarSize',
      barSize,
      duration,
      maxDuration: max,
      message:
        `Duration "${duration}" is longer than IBKR allows for ${barSize} bars: at most ${max} ` +
        `(IBKR's valid duration and bar size table; ${MAX_HISTORY_DURATION} for any bar size). Use a larger bar size or a shorter duration`,
    };
  }
  return null;
}

/** Throws HISTORY_DURATION_TOO_LONG (422) naming the bound when the request exceeds it. */
export function assertHistoryWithinBounds(duration: string, barSize: BarSize): void {
  const problem = historyBoundProblem(duration, barSize);
  if (problem === null) return;
  const { message, ...details } = problem;
  throw new GatewayError('HISTORY_DURATION_TOO_LONG', message, details);
}
