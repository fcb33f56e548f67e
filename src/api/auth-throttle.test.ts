import { describe, expect, it } from 'vitest';
import { AuthThrottle } from './auth-throttle.js';

function throttle() {
  let now = 0;
  const t = new AuthThrottle({ freeFailures: 3, baseBlockMs: 1000, maxBlockMs: 8000, forgetAfterMs: 60_000, maxAddresses: 2, now: () => now });
  return { t, advance: (ms: number) => (now += ms) };
}

describe('AuthThrottle: back-off for wrong keys per address', () => {
  it('the first free failures cost nothing; the next blocks, and each later block doubles up to the maximum', () => {
    const { t, advance } = throttle();
    for (let i = 0; i < 3; i++) expect(t.recordFailure('a')).toBe(0);
    expect(t.recordFailure('a')).toBe(1000);
    expect(t.blockedFor('a')).toBe(1000);
    advance(1000);
    expect(t.blockedFor('a')).toBe(0);
    expect(t.recordFailure('a')).toBe(2000);
    advance(2000);
    expect(t.recordFailure('a')).toBe(4000);
    advance(4000);
    expect(t.recordFailure('a')).toBe(8000);
    advance(8000);
    expect(t.recordFailure('a')).toBe(8000);
  });

  it('other addresses are not affected', () => {
    const { t } = throttle();
    for (let i = 0; i < 4; i++) t.recordFailure('a');
    expect(t.blockedFor('a')).toBeGreaterThan(0);
    expect(t.blockedFor('b')).toBe(0);
  });

  it('a right key clears the record; a quiet address is forgotten', () => {
    const { t, advance } = throttle();
    for (let i = 0; i < 4; i++) t.recordFailure('a');
    advance(1000);
    t.recordSuccess('a');
    expect(t.recordFailure('a')).toBe(0);
    for (let i = 0; i < 3; i++) t.recordFailure('b');
    advance(60_001);
    expect(t.recordFailure('b')).toBe(0);
  });

  it('remembers at most maxAddresses, dropping the stalest', () => {
    const { t } = throttle();
    t.recordFailure('a');
    t.recordFailure('b');
    t.recordFailure('c');
    expect(t.size).toBe(2);
  });
});
