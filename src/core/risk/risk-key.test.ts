import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { duplicateKey } from './duplicate-guard.js';
import { riskKeyOf } from './history.js';
import { ACCOUNT, spec } from '../../testing/risk-fixtures.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('riskKeyOf: the duplicate guard key stored on a placement', () => {
  it('is the sha256 of the canonical text, asked once or again', () => {
    const s = spec({ quantity: 7 });
    const expected = sha256(duplicateKey(s, ACCOUNT));
    expect(riskKeyOf(s, ACCOUNT)).toBe(expected);
    expect(riskKeyOf(s, ACCOUNT)).toBe(expected);
  });

  it('follows the spec, not the object: a field changed in place gives the new order its own key', () => {
    const s = spec({ quantity: 7 });
    const before = riskKeyOf(s, ACCOUNT);
    s.quantity = 8;
    expect(riskKeyOf(s, ACCOUNT)).toBe(sha256(duplicateKey(s, ACCOUNT)));
    expect(riskKeyOf(s, ACCOUNT)).not.toBe(before);
    expect(riskKeyOf(s, 'DU0000001')).not.toBe(riskKeyOf(s, ACCOUNT));
  });

  it('stays exact past its memory: hundreds of distinct specs each keep their own hash', () => {
    for (let q = 1; q <= 600; q += 1) expect(riskKeyOf(spec({ quantity: q }), ACCOUNT)).toBe(sha256(duplicateKey(spec({ quantity: q }), ACCOUNT)));
  });
});
