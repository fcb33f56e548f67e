import { describe, expect, it } from 'vitest';
import { checkBarRequest } from './bar-requests.js';

describe("IBKR's historical data rules", () => {
  it('refuses bar sizes too small for the duration', () => {
    expect(checkBarRequest('1800 S', '1 secs')).toBeNull();
    expect(checkBarRequest('3600 S', '1 secs')).toMatch(/162/);
    expect(checkBarRequest('1 D', '30 secs')).toMatch(/too small/);
    expect(checkBarRequest('1 D', '1 min')).toBeNull();
    expect(checkBarRequest('1 M', '1 min')).toMatch(/too small/);
    expect(checkBarRequest('1 Y', '1 day')).toBeNull();
    expect(checkBarRequest('1 Y', '1 hour')).toMatch(/too small/);
    expect(checkBarRequest('100000 S', '1 min')).toMatch(/86400 S/);
  });
});
