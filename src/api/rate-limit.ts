/**
 * The per-caller request limit (API_RATE_LIMIT_PER_MINUTE): a fixed window per
 * API key, or per client address for requests without a key.
 *
 * It runs on every request, so it costs O(1) and allocates nothing for a known
 * caller: each configured key owns its window object (no lookup at all), and
 * addresses share one Map whose expired windows are swept only when it grows
 * past MAX_ADDRESSES. A window starts at a caller's first request and counts
 * `max` requests until it ends, as @fastify/rate-limit's local store did
 * (which this replaces: its per-request key string, store lookup and three
 * headers cost more than the quote route's own work).
 */

/** One caller's current window; reused from window to window. */
export interface RateWindow {
  count: number;
  resetAt: number;
}

export const newRateWindow = (): RateWindow => ({ count: 0, resetAt: 0 });

/** Addresses remembered before expired windows are swept (a flood of addresses cannot exhaust memory). */
const MAX_ADDRESSES = 10_000;

export class RateLimiter {
  private readonly byAddress = new Map<string, RateWindow>();

  constructor(
    readonly max: number,
    readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one request in `window`; returns 0 when it may pass, else the milliseconds until the window ends. */
  take(window: RateWindow): number {
    const now = this.now();
    if (now >= window.resetAt) {
      window.count = 0;
      window.resetAt = now + this.windowMs;
    }
    window.count += 1;
    return window.count <= this.max ? 0 : window.resetAt - now;
  }

  /** take() for a caller known only by its address. */
  takeForAddress(address: string): number {
    let window = this.byAddress.get(address);
    if (window === undefined) {
      if (this.byAddress.size >= MAX_ADDRESSES) this.sweep();
      window = newRateWindow();
      this.byAddress.set(address, window);
    }
    return this.take(window);
  }

  /** Forgets addresses whose window has ended; if all are current, the oldest half. */
  private sweep(): void {
    const now = this.now();
    for (const [address, window] of this.byAddress) if (now >= window.resetAt) this.byAddress.delete(address);
    if (this.byAddress.size < MAX_ADDRESSES) return;
    let drop = this.byAddress.size / 2;
    for (const address of this.byAddress.keys()) {
      if (drop-- <= 0) break;
      this.byAddress.delete(address);
    }
  }

  /** Addresses remembered (tests). */
  get addresses(): number {
    return this.byAddress.size;
  }
}
