/**
 * Stored timestamps are UTC ISO 8601 with milliseconds, so they compare as
 * text. normaliseTimestamp remembers its last answer (a batch's rows all
 * carry one `now`); these hold whatever order the inputs come in.
 */
import { describe, expect, it } from 'vitest';
import { normaliseTimestamp } from './json.js';

describe('normaliseTimestamp', () => {
  it('writes any parseable time as UTC with milliseconds, the same answer when asked again', () => {
    const cases: Array<[string, string]> = [
      ['2026-01-05T16:00:00Z', '2026-01-05T16:00:00.000Z'],
      ['2026-01-05T11:00:00-05:00', '2026-01-05T16:00:00.000Z'],
      ['2026-01-05T16:00:00.123Z', '2026-01-05T16:00:00.123Z'],
    ];
    for (let round = 0; round < 2; round++) {
      for (const [input, output] of cases) {
        expect(normaliseTimestamp(input)).toBe(output);
        expect(normaliseTimestamp(input)).toBe(output);
      }
    }
  });

  it('refuses what is not a time, also right after a time it normalised', () => {
    expect(normaliseTimestamp('2026-01-05T16:00:00Z')).toBe('2026-01-05T16:00:00.000Z');
    expect(() => normaliseTimestamp('yesterday-ish')).toThrow(RangeError);
    expect(() => normaliseTimestamp('yesterday-ish')).toThrow(RangeError);
    expect(normaliseTimestamp('2026-01-05T16:00:00Z')).toBe('2026-01-05T16:00:00.000Z');
  });
});

describe('normaliseTimestamp on texts already in its form', () => {
  /** The answer before texts in the stored form were returned as they are. */
  const parsed = (value: string): string => {
    const ms = Date.parse(value);
    if (Number.isNaN(ms)) throw new RangeError(`not a timestamp: ${value}`);
    return new Date(ms).toISOString();
  };
  const pad = (n: number, width: number): string => String(n).padStart(width, '0');

  it('gives what parsing and printing gives, for every month end, leap day, hour and digit mix-up', () => {
    const texts: string[] = [];
    for (const year of [0, 1, 1900, 1999, 2000, 2024, 2026, 2100, 9999]) {
      for (let month = 0; month <= 13; month++) {
        for (const day of [0, 1, 28, 29, 30, 31, 32]) texts.push(`${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T12:34:56.789Z`);
      }
    }
    for (const time of ['00:00:00.000', '23:59:59.999', '24:00:00.000', '23:60:00.000', '23:59:60.000', '2a:00:00.000', '12:00:00.00x', '12:00:00,000']) {
      texts.push(`2026-03-01T${time}Z`);
    }
    texts.push('2026-03-01 12:00:00.000Z', '2026-03-01T12:00:00.000z', '+2026-03-01T12:00:00.00Z', '2026-3-01T12:00:00.000Z', '2026-03-01T12:00:00.000+00:00');
    for (const text of texts) {
      let expected: string | RangeError;
      try {
        expected = parsed(text);
      } catch (err) {
        expected = err as RangeError;
      }
      if (typeof expected === 'string') expect(normaliseTimestamp(text), text).toBe(expected);
      else expect(() => normaliseTimestamp(text), text).toThrow(RangeError);
    }
  });

  it('gives what parsing and printing gives for random instants and random edits of them', () => {
    let seed = 7;
    const next = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let i = 0; i < 5000; i++) {
      let text = new Date(next(2 ** 31) * 100_000 + next(100_000)).toISOString();
      if (i % 2 === 1) {
        const at = next(24);
        text = `${text.slice(0, at)}${'0123456789-:.TZ'[next(15)]}${text.slice(at + 1)}`;
      }
      let expected: string | null;
      try {
        expected = parsed(text);
      } catch {
        expected = null;
      }
      if (expected === null) expect(() => normaliseTimestamp(text), text).toThrow(RangeError);
      else expect(normaliseTimestamp(text), text).toBe(expected);
    }
  });
});
