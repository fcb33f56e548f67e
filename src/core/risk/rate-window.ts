/**
 * Order counts for MAX_ORDERS_PER_MINUTE (a sliding 60-second window) and
 * MAX_ORDERS_PER_DAY (since the start of the risk day, DAILY_LOSS_RESET_TIME:
 * the configuration defines the daily count as resetting with the daily loss).
 * Time is always the `now` handed in, never the wall clock, so tests and the
 * simulator's manual clock drive it.
 */
import { riskDayStart } from './trading-day.js';

export const MINUTE_MS = 60_000;

/** First index in the sorted `xs[from..]` whose value is >= x (`strict`: > x). */
function bound(xs: number[], from: number, x: number, strict: boolean): number {
  let lo = from;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const v = xs[mid] ?? 0;
    if (strict ? v <= x : v < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class OrderRateWindow {
  /**
   * Placement times, ascending (the order path records them as they happen),
   * from `head` on: pruning moves `head` and compacts the array only now and
   * then, and the counts are binary searches, so an order costs O(log n)
   * rather than a copy and a scan of the day's orders.
   */
  private times: number[] = [];
  private head = 0;

  constructor(private readonly resetTime: string) {}

  record(now: number): void {
    // A clock that stepped back must not unsort the list: insert in order.
    const last = this.times[this.times.length - 1];
    if (this.times.length === this.head || (last !== undefined && last <= now)) this.times.push(now);
    else this.times.splice(bound(this.times, this.head, now, true), 0, now);
    this.prune(now);
  }

  /** Orders placed in the 60 seconds ending at `now` (an order exactly 60 s old has left the window). */
  lastMinute(now: number): number {
    return this.countIn(now - MINUTE_MS, true, now);
  }

  /** Orders placed since the start of the risk day containing `now`. */
  today(now: number): number {
    return this.countIn(riskDayStart(now, this.resetTime), false, now);
  }

  /** Times t with from < t <= to (`exclusive`) or from <= t <= to. */
  private countIn(from: number, exclusive: boolean, to: number): number {
    const lo = bound(this.times, this.head, from, exclusive);
    const hi = bound(this.times, this.head, to, true);
    return Math.max(0, hi - lo);
  }

  /** Drops times no window can count any more, so memory stays bounded by one day's orders. */
  private prune(now: number): void {
    const keepFrom = Math.min(now - MINUTE_MS, riskDayStart(now, this.resetTime));
    this.head = bound(this.times, this.head, keepFrom, false);
    if (this.head === this.times.length) {
      this.times = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
  }
}
