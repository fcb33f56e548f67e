/**
 * An abandoned historical data request, over a real socket to the TWS
 * emulator: the caller's AbortSignal answers REQUEST_CANCELLED at once, and
 * a request already at IBKR is cancelled there (cancelHistoricalData), which
 * the emulator sees as its own computation being aborted. A request abandoned
 * before it was sent never reaches IBKR at all.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayError } from '../../core/errors.js';
import type { Bar, Contract } from '../../core/models.js';
import type { BarsQuery } from '../../core/broker/port.js';
import { makeTwsHarness, type TwsHarness } from '../../testing/tws-harness.js';

let h: TwsHarness | null = null;
afterEach(async () => {
  await h?.cleanup();
  h = null;
});

/**
 * The emulator's market behind IBKR's servers, made slow: each history request it serves is
 * recorded with the signal the emulator gave it, and answers only when that signal aborts
 * (or after 20 s, far beyond the test).
 */
function slowHistory(x: TwsHarness): BarsQuery[] {
  const asked: BarsQuery[] = [];
  x.sim.getHistoricalBars = (_contract: Contract, query: BarsQuery): Promise<Bar[]> => {
    asked.push(query);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => resolve([]), 20_000);
      query.signal?.addEventListener('abort', () => {
        clearTimeout(timer);
        reject(query.signal?.reason instanceof Error ? query.signal.reason : new Error('aborted'));
      });
    });
  };
  return asked;
}

async function setup(): Promise<{ x: TwsHarness; aapl: Contract }> {
  const x = await makeTwsHarness();
  h = x;
  await x.broker.connect();
  const [aapl] = await x.broker.resolveContracts({ symbol: 'AAPL', securityType: 'STK' });
  if (!aapl) throw new Error('AAPL did not resolve');
  return { x, aapl };
}

const DAILY = { barSize: '1 day', duration: '1 M', whatToShow: 'TRADES', useRth: true } as const;

describe('tws adapter: a historical request the caller abandons', () => {
  it('is answered REQUEST_CANCELLED at once and cancelled at IBKR, whose computation stops', async () => {
    const { x, aapl } = await setup();
    const asked = slowHistory(x);
    const caller = new AbortController();
    const bars = x.broker.getHistoricalBars(aapl, { ...DAILY, signal: caller.signal });
    await x.until('the emulator is computing the bars', () => asked.length === 1);
    const atIbkr = asked[0]?.signal;
    expect(atIbkr?.aborted).toBe(false);

    const startedAt = Date.now();
    caller.abort();
    await expect(bars).rejects.toMatchObject({ code: 'REQUEST_CANCELLED' });
    expect(Date.now() - startedAt).toBeLessThan(1000);
    // cancelHistoricalData reached the emulator, which aborted its own work on the request.
    await x.until('the emulator sees the cancel', () => atIbkr?.aborted === true);
    expect(String(atIbkr?.reason)).toMatch(/cancelled by the client/);
  }, 20_000);

  it("keeps the REST API's reason, and a request abandoned before it was sent never reaches IBKR", async () => {
    const { x, aapl } = await setup();
    const asked = slowHistory(x);
    const before = x.broker.historicalStats().fetches;
    const reason = new GatewayError('REQUEST_CANCELLED', 'The client disconnected before the bars were ready');
    await expect(x.broker.getHistoricalBars(aapl, { ...DAILY, signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    // A moment for anything that was sent to arrive: nothing was.
    await new Promise((r) => setTimeout(r, 200));
    expect(asked).toEqual([]);
    expect(x.broker.historicalStats().fetches).toBe(before);
  }, 20_000);

  it('a request nobody abandons is served as before', async () => {
    const { x, aapl } = await setup();
    const caller = new AbortController();
    const bars = await x.broker.getHistoricalBars(aapl, { ...DAILY, endTime: '2026-01-05T15:00:00.000Z', signal: caller.signal });
    expect(bars.length).toBeGreaterThan(15);
    // Aborting after the answer changes nothing.
    caller.abort();
  }, 20_000);
});
