import { describe, expect, it } from 'vitest';
import { isoTime } from './iso-time.js';

describe('isoTime: what toISOString writes, without its cost per millisecond', () => {
  it('matches toISOString millisecond by millisecond across second, day and year ends', () => {
    for (const start of ['2026-12-31T23:59:58.990Z', '2026-01-05T15:00:00.000Z', '1970-01-01T00:00:00.000Z', '2024-02-29T12:34:56.789Z']) {
      const from = Date.parse(start);
      for (let t = from; t < from + 2_100; t++) expect(isoTime(t)).toBe(new Date(t).toISOString());
    }
  });

  it('matches it for instants in any order, far apart', () => {
    let seed = 11;
    const next = (): number => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31), seed);
    for (let k = 0; k < 5_000; k++) {
      const t = (next() * 4_096 + (next() % 4_096)) % 253_402_300_800_000;
      expect(isoTime(t)).toBe(new Date(t).toISOString());
    }
  });

  it("leaves what it does not cover to toISOString: years past 9999, before 1970, fractions, and what throws", () => {
    for (const t of [253_402_300_800_000, 8.64e15, -1, -62_198_755_200_000, 1_700_000_000_000.5]) expect(isoTime(t)).toBe(new Date(t).toISOString());
    expect(() => isoTime(Number.NaN)).toThrow(RangeError);
  });
});
