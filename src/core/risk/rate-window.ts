/**
 * Order counts for MAX_ORDERS_PER_MINUTE (a sliding 60-second window) and
 * MAX_ORDERS_PER_DAY (since the start of the risk day, DAILY_LOSS_RESET_TIME:
 * the configuration defines the daily count as resetting with the daily loss).
 * Time is always the `now` handed in, never the wall clock, so tests and the
 * simulator's manual clock drive it.
 */
import { riskDayStart } from './trading-day.js';

export const MINUTE_MS = 60_000;

export class OrderRateWindow {
  /** Placement times, ascending (the order path records them as they happen). */
  private times: number[] = [];

  constructor(private readonly resetTime: string) {}

  record(now: number): void {
    // A clock that stepped back must not unsort the list: insert in order.
    let i = this.times.length;
    while (i > 0 && (this.times[i - 1] ?? 0) > now) i -= 1;
    this.times.splice(i, 0, now);
    this.prune(now);
  }

  /** Orders placed in the 60 seconds ending at `now` (an order exactly 60 s old has left the window). */
  lastMinute(now: number): number {
    return this.times.filter((t) => t > now - MINUTE_MS && t <= now).length;
  }

  /** Orders placed since the start of the risk day containing `now`. */
  today(now: number): number {
    const start = riskDayStart(now, this.resetTime);
    return this.times.filter((t) => t >= start && t <= now).length;
  }

  /** Drops times no window can count any more, so memory stays bounded by one day's orders. */
  private prune(now: number): void {
    const keepFrom = Math.min(now - MINUTE_MS, riskDayStart(now, this.resetTime));
    const firstKept = this.times.findIndex((t) => t >= keepFrom);
    this.times = firstKept < 0 ? [] : this.times.slice(firstKept);
  }
}
