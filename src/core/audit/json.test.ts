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
