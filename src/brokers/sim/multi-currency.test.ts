/**
 * The account holds cash per currency, as IBKR does: an FX trade moves both
 * of its currencies, positions quoted in another currency keep their cost
 * there, and P&L, net liquidation and cash totals are in USD at the rates the
 * simulator publishes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Decimal } from 'decimal.js';
import type { Contract } from '../../core/models.js';
import { Ledger, type LedgerPosition, type Mark } from './ledger.js';
import { flush, makeSimHarness, placeSim, type SimHarness } from '../../testing/sim-harness.js';

const ACCOUNT = 'DU1234567';
const USDJPY: Contract = { conId: 15016059, symbol: 'USD.JPY', securityType: 'CASH', exchange: 'IDEALPRO', currency: 'JPY', multiplier: 1, minTick: 0.005 };
const d = (v: Decimal.Value): Decimal => new Decimal(v);

describe('the ledger in several currencies (the issue figures)', () => {
  const buyAt = (l: Ledger, price: string) =>
    l.applyFill({ contract: USDJPY, cls: 'fx', side: 'BUY', quantity: d(1_000_000), price: d(price), fxRate: d(1).dividedBy(price), commission: d(2), time: '2026-01-05T15:00:00.000Z' });
  const markAt = (rate: string) => (_p: LedgerPosition): Mark => ({ price: Number(rate), fx: d(1).dividedBy(rate).toNumber(), margin: { initialRate: 0.03, maintenanceRate: 0.025 } });
  const rateAt = (rate: string) => (currency: string): number => (currency === 'JPY' ? d(1).dividedBy(rate).toNumber() : 1);

  it('long 1M USD.JPY from 153.875 to 161.815 gains what the rate move gives, in USD', () => {
    const l = Ledger.fresh(1_000_000);
    buyAt(l, '153.875');
    // Both currencies move: the USD bought arrives, the yen paid leaves.
    expect(l.cashIn('USD').toNumber()).toBe(1_000_000 + 1_000_000 - 2);
    expect(l.cashIn('JPY').toNumber()).toBe(-153_875_000);
    const v = l.valuation(markAt('161.815'), rateAt('161.815'));
    // 153,875,000 JPY owed is now worth 950,931.61 USD: the long dollar gained 49,068.39 USD, less the 2 USD commission.
    const gain = d(1_000_000).minus(d(153_875_000).dividedBy('161.815'));
    expect(v.unrealized.toDecimalPlaces(2).toNumber()).toBe(gain.minus(2).toDecimalPlaces(2).toNumber());
    expect(v.unrealized.toNumber()).toBeGreaterThan(49_000);
    expect(v.netLiquidation.toDecimalPlaces(6).toString()).toBe(d(1_000_000).plus(gain).minus(2).toDecimalPlaces(6).toString());
    // Cash is reported per currency and in total in USD.
    expect(v.cashBalances.map((b) => [b.currency, b.amount.toNumber()])).toEqual([['USD', 1_999_998], ['JPY', -153_875_000]]);
    expect(v.cash.toDecimalPlaces(6).toString()).toBe(v.netLiquidation.toDecimalPlaces(6).toString());
  });

  it('closing it realises the same gain in USD, and the yen it earned stay as a JPY balance', () => {
    const l = Ledger.fresh(1_000_000);
    buyAt(l, '153.875');
    const closed = l.applyFill({ contract: USDJPY, cls: 'fx', side: 'SELL', quantity: d(1_000_000), price: d('161.815'), fxRate: d(1).dividedBy('161.815'), commission: d(2), time: '2026-02-05T15:00:00.000Z' });
    const gain = d(7_940_000).dividedBy('161.815');
    expect(closed.realizedPnl?.toDecimalPlaces(6).toString()).toBe(gain.minus(4).toDecimalPlaces(6).toString());
    expect(l.cashIn('USD').toNumber()).toBe(1_000_000 - 4);
    expect(l.cashIn('JPY').toNumber()).toBe(7_940_000);
    expect(l.openPositions()).toHaveLength(0);
  });

  it('a USD-only account valued without rates still works; a foreign balance without a rate is an error, not a silent 1:1', () => {
    const l = Ledger.fresh(1000);
    expect(l.valuation(() => null).cash.toNumber()).toBe(1000);
    buyAt(l, '150');
    expect(() => l.valuation(markAt('150'))).toThrow(/JPY/);
  });
});

describe('the simulated broker in several currencies', () => {
  let h: SimHarness | null = null;
  afterEach(async () => {
    await h?.cleanup();
    h = null;
  });

  const resolve = async (symbol: string): Promise<Contract> => {
    if (!h) throw new Error('no harness');
    const [c] = await h.broker.resolveContracts({ symbol, securityType: 'CASH' });
    if (!c) throw new Error(`${symbol} missing`);
    return c;
  };

  it('EUR cash appears after buying EUR.USD, and USD cash pays for it', async () => {
    h = makeSimHarness();
    await h.broker.connect();
    const eurusd = await resolve('EUR.USD');
    const ack = await placeSim(h.broker, eurusd, { symbol: 'EUR.USD', action: 'BUY', quantity: 20_000, orderType: 'MKT' });
    expect(ack.status).toBe('FILLED');
    await flush();
    const order = await h.broker.getOrder(ack.orderId);
    const s = await h.broker.getAccountSummary(ACCOUNT);
    const usd = s.cashBalances?.find((b) => b.currency === 'USD');
    const eur = s.cashBalances?.find((b) => b.currency === 'EUR');
    expect(eur?.amount).toBe(20_000);
    expect(usd?.amount).toBe(d(1_000_000).minus(d(order?.avgFillPrice ?? 0).times(20_000)).minus(order?.commission ?? 0).toDecimalPlaces(2).toNumber());
    // TotalCashValue is every balance in USD; the EUR.USD position is not counted a second time in net liquidation.
    expect(s.totalCash).toBeCloseTo((usd?.amountInBase ?? 0) + (eur?.amountInBase ?? 0), 1);
    expect(Math.abs(s.netLiquidation - s.totalCash)).toBeLessThan(0.02);
  });

  it('a USD.JPY long marked after the rate moves shows the P&L of the move, in USD, and the rest survives a restart', async () => {
    h = makeSimHarness();
    await h.broker.connect();
    const usdjpy = await resolve('USD.JPY');
    const ack = await placeSim(h.broker, usdjpy, { symbol: 'USD.JPY', action: 'BUY', quantity: 1_000_000, orderType: 'MKT' });
    expect(ack.status).toBe('FILLED');
    await flush();
    const fillPrice = (await h.broker.getOrder(ack.orderId))?.avgFillPrice ?? 0;
    await h.advance(20 * 86_400_000);
    const [pos] = await h.broker.getPositions(ACCOUNT);
    const mark = pos?.marketPrice ?? 0;
    expect(mark).not.toBe(fillPrice);
    // The yen paid, revalued at today's rate, against the dollar bought: 1M x (mark - fill) / mark.
    const expected = d(1_000_000).times(d(mark).minus(fillPrice)).dividedBy(mark);
    expect(Math.abs((pos?.unrealizedPnl ?? 0) - expected.toNumber())).toBeLessThan(Math.max(5, expected.abs().toNumber() * 0.001));
    expect(Math.abs(expected.toNumber())).toBeGreaterThan(100);
    const before = await h.broker.getAccountSummary(ACCOUNT);
    expect(before.cashBalances?.find((b) => b.currency === 'JPY')?.amount).toBe(d(-1_000_000).times(fillPrice).toNumber());
    await h.restart(0);
    const after = await h.broker.getAccountSummary(ACCOUNT);
    expect(after.cashBalances).toEqual(before.cashBalances);
    expect(after.netLiquidation).toBe(before.netLiquidation);
  });
});
