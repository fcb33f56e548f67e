/**
 * The margin model the simulator enforces: the buying power it reports is
 * what an order check then accepts (Reg T, 50% initial margin on stock), and
 * an account whose excess liquidity goes negative is liquidated at once,
 * largest maintenance contributor first, until the deficit is cured.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Contract, Fill } from '../../core/models.js';
import { flush, makeSimHarness, placeSim, type SimHarness } from '../../testing/sim-harness.js';

const ACCOUNT = 'DU1234567';
let harnesses: SimHarness[] = [];
afterEach(async () => {
  for (const h of harnesses) await h.cleanup();
  harnesses = [];
});

async function start(): Promise<SimHarness> {
  const h = makeSimHarness();
  harnesses.push(h);
  await h.broker.connect();
  return h;
}

describe('buying power agrees with what the simulator accepts', () => {
  for (const [share, accepted] of [[0.97, true], [1.03, false]] as const) {
    it(`a SPY buy of ${share * 100}% of the reported buying power is ${accepted ? 'accepted' : 'refused'}`, async () => {
      const h = await start();
      const [spy] = await h.broker.resolveContracts({ symbol: 'SPY', securityType: 'STK' });
      const { buyingPower } = await h.broker.getAccountSummary(ACCOUNT);
      const quote = await h.broker.getQuote(spy as Contract);
      const quantity = Math.floor((buyingPower * share) / (quote.ask as number));
      const whatIf = await h.broker.whatIf(spy as Contract, { symbol: 'SPY', action: 'BUY', quantity, orderType: 'LMT', limitPrice: quote.ask as number, timeInForce: 'DAY', outsideRth: false } as never, ACCOUNT);
      expect(whatIf.warnings.some((w) => w.startsWith('Insufficient buying power'))).toBe(!accepted);
      const ack = await placeSim(h.broker, spy as Contract, { symbol: 'SPY', action: 'BUY', quantity, orderType: 'LMT', limitPrice: quote.ask as number });
      expect(ack.status === 'REJECTED').toBe(!accepted);
    });
  }
});

describe('liquidation when excess liquidity goes negative', () => {
  it('44 ES on a 1M account: the side the market goes against is liquidated the same day, only as much as cures it', async () => {
    const sides: Array<{ h: SimHarness; action: 'BUY' | 'SELL'; fills: Fill[] }> = [];
    for (const action of ['BUY', 'SELL'] as const) {
      const h = await start();
      const fills: Fill[] = [];
      h.broker.on('fill', (f) => fills.push(f));
      const [es] = await h.broker.resolveContracts({ symbol: 'ES', securityType: 'FUT' });
      const ack = await placeSim(h.broker, es as Contract, { symbol: 'ES', securityType: 'FUT', action, quantity: 44, orderType: 'MKT' });
      expect(ack.status).toBe('FILLED');
      sides.push({ h, action, fills });
    }
    let liquidated: (typeof sides)[number] | undefined;
    for (let hour = 1; hour <= 24 * 30 && !liquidated; hour++) {
      for (const side of sides) {
        await side.h.advance(3_600_000);
        if (side.fills.some((f) => f.exchange === 'LIQUIDATION')) liquidated = side;
      }
    }
    expect(liquidated).toBeDefined();
    const { h, fills } = liquidated as (typeof sides)[number];
    const summary = await h.broker.getAccountSummary(ACCOUNT);
    expect(summary.excessLiquidity).toBeGreaterThanOrEqual(0);
    const liquidation = fills.filter((f) => f.exchange === 'LIQUIDATION');
    expect(liquidation.every((f) => f.orderId === '0' && f.side === (liquidated?.action === 'BUY' ? 'SELL' : 'BUY'))).toBe(true);
    const [pos] = await h.broker.getPositions(ACCOUNT);
    const left = Math.abs(pos?.quantity ?? 0);
    // Only what cures the deficit: a few contracts, not the whole position.
    expect(left).toBeGreaterThan(30);
    expect(left).toBeLessThan(44);
    expect((await h.broker.getExecutions({})).filter((e) => e.exchange === 'LIQUIDATION').length).toBe(liquidation.length);
    await flush();
  });
});

describe('option margin in the account (option-margin.ts)', () => {
  it('writing a call against 100 shares adds no maintenance margin when out of the money; a second, naked one does', async () => {
    const h = await start();
    const [aapl] = await h.broker.resolveContracts({ symbol: 'AAPL', securityType: 'STK' });
    const [call] = await h.broker.resolveContracts({ symbol: 'AAPL', securityType: 'OPT', expiry: '2026-01-16', strike: 300, right: 'C' });
    expect((await placeSim(h.broker, aapl as Contract, { symbol: 'AAPL', action: 'BUY', quantity: 100, orderType: 'MKT' })).status).toBe('FILLED');
    const stockOnly = (await h.broker.getAccountSummary(ACCOUNT)).maintMarginReq;
    const sell = { symbol: 'AAPL', securityType: 'OPT' as const, expiry: '2026-01-16', strike: 300, right: 'C' as const, action: 'SELL' as const, quantity: 1, orderType: 'MKT' as const };
    expect((await placeSim(h.broker, call as Contract, sell)).status).toBe('FILLED');
    expect((await h.broker.getAccountSummary(ACCOUNT)).maintMarginReq).toBe(stockOnly);
    expect((await placeSim(h.broker, call as Contract, sell)).status).toBe('FILLED');
    // Naked: at least 10% of the underlying's value (23,000 x 10%) more.
    expect((await h.broker.getAccountSummary(ACCOUNT)).maintMarginReq - stockOnly).toBeGreaterThan(2000);
  });
});
