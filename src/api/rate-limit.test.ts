import { describe, expect, it } from 'vitest';
import { newRateWindow, RateLimiter } from './rate-limit.js';

describe('RateLimiter (API_RATE_LIMIT_PER_MINUTE)', () => {
  it('lets max requests through per window, then answers the milliseconds until the window ends', () => {
    let now = 1_000;
    const limiter = new RateLimiter(3, 60_000, () => now);
    const window = newRateWindow();
    expect([limiter.take(window), limiter.take(window), limiter.take(window)]).toEqual([0, 0, 0]);
    now += 10_000;
    expect(limiter.take(window)).toBe(50_000);
    now += 50_000;
    // The window has ended: a new one starts with this request.
    expect(limiter.take(window)).toBe(0);
    expect(window).toEqual({ count: 1, resetAt: now + 60_000 });
  });

  it('counts callers without a key per address, each in its own window', () => {
    const limiter = new RateLimiter(1, 60_000, () => 0);
    expect(limiter.takeForAddress('10.0.0.1')).toBe(0);
    expect(limiter.takeForAddress('10.0.0.2')).toBe(0);
    expect(limiter.takeForAddress('10.0.0.1')).toBeGreaterThan(0);
  });

  it('remembers at most 10,000 addresses: expired windows go first, else the oldest half', () => {
    let now = 0;
    const limiter = new RateLimiter(5, 60_000, () => now);
    for (let i = 0; i < 10_000; i++) limiter.takeForAddress(`a${i}`);
    expect(limiter.addresses).toBe(10_000);
    limiter.takeForAddress('fresh');
    expect(limiter.addresses).toBe(5_001);
    now = 120_000;
    for (let i = 0; i < 4_999; i++) limiter.takeForAddress(`b${i}`);
    limiter.takeForAddress('one more');
    // Every window from before was over by now: all were swept, the current ones kept.
    expect(limiter.addresses).toBe(5_000);
  });
});
