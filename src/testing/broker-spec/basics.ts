/** The Broker specification: session, contracts, quotes, history, account and order ids. */
import { expect, it } from 'vitest';
import { AccountPnL, AccountSummary, BrokerStatus, Contract, Position, Quote } from '../../core/models.js';
import { AAPL, checkBars, compareIds, type SpecWorld } from './world.js';

export function sessionAndDataCases(w: SpecWorld): void {
  it('connects and reports a connected status with its managed accounts', () => {
    const status = BrokerStatus.parse(w.broker.status());
    expect(status.connected).toBe(true);
    expect(status.state).toBe('connected');
    expect(status.kind).toBe(w.broker.kind);
    expect(status.accounts).toEqual(w.broker.accounts());
    expect(w.broker.accounts().length).toBeGreaterThan(0);
    for (const a of w.broker.accounts()) expect(a).toMatch(/^[A-Z0-9]+$/);
  });

  it('resolves AAPL to the IBKR contract 265598 (STK, USD)', async () => {
    const matches = await w.broker.resolveContracts(AAPL);
    expect(matches.length).toBeGreaterThan(0);
    for (const c of matches) Contract.parse(c);
    const hit = matches.find((c) => c.conId === 265598);
    expect(hit).toBeDefined();
    expect(hit?.securityType).toBe('STK');
    expect(hit?.currency).toBe('USD');
    expect(hit?.symbol).toBe('AAPL');
  });

  it('resolves an unknown symbol to no contracts (IBKR error 200), not an exception', async () => {
    await expect(w.broker.resolveContracts({ symbol: 'ZZZQXNOTREAL', securityType: 'STK' })).resolves.toEqual([]);
  });

  it('quotes AAPL with bid <= ask', async (ctx) => {
    const quote = Quote.parse(await w.broker.getQuote(w.aapl));
    expect(quote.conId).toBe(265598);
    if (quote.bid === null || quote.ask === null) ctx.skip('no two-sided market right now (market closed or no subscription): bid/ask ordering cannot be checked');
    expect(quote.bid).toBeLessThanOrEqual(quote.ask as number);
    if (quote.bidSize !== null) expect(quote.bidSize).toBeGreaterThanOrEqual(0);
    if (quote.askSize !== null) expect(quote.askSize).toBeGreaterThanOrEqual(0);
  });

  it('returns daily bars in time order, at most one per day of the duration', async () => {
    const bars = await w.broker.getHistoricalBars(w.aapl, { barSize: '1 day', duration: '1 M', whatToShow: 'TRADES', useRth: true });
    expect(bars.length).toBeGreaterThan(0);
    // At most one bar per calendar day of the month (24-hour markets and always-open sessions trade weekends too).
    expect(bars.length).toBeLessThanOrEqual(32);
    checkBars(bars);
  });

  it('returns intraday bars in time order, within the requested window', async () => {
    const end = new Date(Date.parse(w.broker.status().serverTime ?? new Date().toISOString())).toISOString();
    const bars = await w.broker.getHistoricalBars(w.aapl, { barSize: '1 hour', duration: '2 D', whatToShow: 'MIDPOINT', useRth: false, endTime: end });
    expect(bars.length).toBeGreaterThan(0);
    expect(bars.length).toBeLessThanOrEqual(2 * 24 + 1);
    checkBars(bars);
    const last = bars[bars.length - 1];
    expect(last && Date.parse(last.time)).toBeLessThanOrEqual(Date.parse(end));
  });

  it('reports account summary, positions and P&L in the shared shapes', async () => {
    const summary = AccountSummary.parse(await w.broker.getAccountSummary(w.account));
    expect(summary.accountId).toBe(w.account);
    expect(summary.netLiquidation).toBeGreaterThan(0);
    const positions = await w.broker.getPositions(w.account);
    for (const p of positions) {
      Position.parse(p);
      expect(p.accountId).toBe(w.account);
      expect(p.quantity).not.toBe(0);
    }
    const pnl = AccountPnL.parse(await w.broker.getPnl(w.account));
    expect(pnl.accountId).toBe(w.account);
  });

  it('allocates order ids that are unique and increasing', async () => {
    const first = await w.broker.allocateOrderIds(3);
    const second = await w.broker.allocateOrderIds(2);
    expect(first).toHaveLength(3);
    expect(second).toHaveLength(2);
    const all = [...first, ...second];
    expect(new Set(all).size).toBe(all.length);
    for (let i = 1; i < all.length; i++) expect(compareIds(all[i - 1] ?? '', all[i] ?? '')).toBeLessThan(0);
  });

  it('reports an unknown order id as null', async () => {
    await expect(w.broker.getOrder('999999999')).resolves.toBeNull();
  });
}
