import { describe, expect, it } from 'vitest';
import { startTestGateway } from '../testing/client-harness.js';
import { GatewayError } from './errors.js';
import { BAR_SIZE_MAX_DURATION, historyBoundProblem } from './history-limits.js';
import { BarSize } from './models.js';

describe("history bounds: IBKR's valid duration and bar size table", () => {
  it.each([
    ['1800 S', '1 secs'],
    ['3600 S', '5 secs'],
    ['14400 S', '10 secs'],
    ['28800 S', '30 secs'],
    ['1 D', '1 min'],
    ['86400 S', '1 min'],
    ['2 D', '2 mins'],
    ['1 W', '3 mins'],
    ['1 M', '30 mins'],
    ['1 Y', '1 day'],
    ['12 M', '1 day'],
    ['52 W', '1 week'],
    ['365 D', '1 month'],
  ] as const)('allows %s of %s bars (a row of the table)', (duration, barSize) => {
    expect(historyBoundProblem(duration, barSize)).toBeNull();
  });

  it.each([
    ['3600 S', '1 secs', '1800 S'],
    ['2 D', '1 min', '1 D'],
    ['2 W', '5 mins', '1 W'],
    ['2 M', '1 hour', '1 M'],
    ['2 Y', '1 day', '1 Y'],
    ['366 D', '1 week', '1 Y'],
    ['99999 Y', '1 day', '1 Y'],
  ] as const)('refuses %s of %s bars, naming the longest allowed (%s)', (duration, barSize, max) => {
    expect(historyBoundProblem(duration, barSize)).toMatchObject({ bound: 'maxDurationForBarSize', maxDuration: max, barSize, duration });
  });

  it('durations in seconds stop at one day', () => {
    expect(historyBoundProblem('86401 S', '1 day')).toMatchObject({ bound: 'maxSecondsDuration', maxDuration: '86400 S' });
  });

  it('every bar size has a bound, none longer than 1 Y', () => {
    for (const barSize of BarSize.options) {
      // The bound itself is allowed, and nothing past 1 Y is.
      expect(historyBoundProblem(BAR_SIZE_MAX_DURATION[barSize], barSize)).toBeNull();
      expect(historyBoundProblem('2 Y', barSize)).not.toBeNull();
    }
  });
});

describe('the core applies the bound for every interface, before any broker work', () => {
  it('getBars refuses 99999 Y with HISTORY_DURATION_TOO_LONG (422) naming the bound, and serves the largest allowed request', async () => {
    const gw = await startTestGateway();
    try {
      const refused = await gw.client.getBars({ symbol: 'AAPL', barSize: '1 day', duration: '99999 Y' }).catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(GatewayError);
      expect(refused).toMatchObject({ code: 'HISTORY_DURATION_TOO_LONG', status: 422, details: { bound: 'maxDurationForBarSize', maxDuration: '1 Y', barSize: '1 day' } });
      // An unknown symbol would be CONTRACT_NOT_FOUND if the contract were resolved first: the bound is checked before.
      const beforeResolving = await gw.client.getBars({ symbol: 'NOSUCHSYM', barSize: '1 min', duration: '1 W' }).catch((err: unknown) => err);
      expect(beforeResolving).toMatchObject({ code: 'HISTORY_DURATION_TOO_LONG' });

      const largest = await gw.client.getBars({ symbol: 'AAPL', barSize: '1 day', duration: '1 Y' });
      expect(largest.length).toBeGreaterThan(200);
    } finally {
      await gw.cleanup();
    }
  });
});
