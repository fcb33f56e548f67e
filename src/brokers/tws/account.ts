/**
 * Account data as the Broker port serves it: the summary, positions with
 * market values and P&L. The account the connection follows (account-feed.ts)
 * is answered from memory, kept current by TWS's pushes; any other managed
 * account is asked for per call (reqAccountSummary, a one-shot
 * reqAccountUpdates, reqPnL's first answer), after which the feed subscribes
 * to its own account again (TWS serves account updates for one account at a time).
 */
import { EventName, type Contract as IbContract } from '@stoqey/ib';
import { AccountError } from '../../core/errors.js';
import { toCents } from '../../core/money.js';
import type { AccountPnL, AccountSummary, Position } from '../../core/models.js';
import type { TwsContext } from './context.js';
import { num, str } from './wire.js';
import type { Contracts } from './contracts.js';
import { AccountFeed, type AccountValues, type PortfolioRow, type PnlTotals } from './account-feed.js';

const SUMMARY_TAGS = 'NetLiquidation,TotalCashValue,BuyingPower,AvailableFunds,ExcessLiquidity,EquityWithLoanValue,GrossPositionValue,InitMarginReq,MaintMarginReq';

export class Account {
  private readonly summaries = new Map<number, { values: Map<string, { value: string; currency: string }>; account: string; done: () => void }>();
  private readonly pnl = new Map<number, (d: number | null, u: number | null, r: number | null) => void>();
  private portfolio: { account: string; rows: Map<number, PortfolioRow>; done: (account: string) => void } | null = null;
  /** reqAccountUpdates serves one account at a time per connection: requests for positions take turns. */
  private portfolioLock: Promise<unknown> = Promise.resolve();
  readonly feed: AccountFeed;

  constructor(
    private readonly ctx: TwsContext,
    private readonly contracts: Contracts,
  ) {
    this.feed = new AccountFeed(ctx);
    ctx.conn.bind((ib) => {
      ib.on(EventName.accountSummary, (reqId: number, account: string, tag: string, value: string, currency: string) => {
        const s = this.summaries.get(reqId);
        if (s && account === s.account) s.values.set(tag, { value: str(value), currency: str(currency) });
      });
      ib.on(EventName.accountSummaryEnd, (reqId: number) => this.summaries.get(reqId)?.done());
      ib.on(EventName.pnl, (reqId: number, daily: unknown, unrealized: unknown, realized: unknown) => this.pnl.get(reqId)?.(num(daily), num(unrealized), num(realized)));
      ib.on(EventName.updatePortfolio, (contract: IbContract, position: unknown, marketPrice: unknown, marketValue: unknown, avgCost: unknown, unrealized: unknown, realized: unknown, account: unknown) => {
        const p = this.portfolio;
        const conId = num(contract.conId);
        if (!p || conId === null || (str(account) !== '' && str(account) !== p.account)) return;
        p.rows.set(conId, { contract, position: num(position) ?? 0, marketPrice: num(marketPrice), marketValue: num(marketValue), avgCost: num(avgCost), unrealized: num(unrealized), realized: num(realized), account: p.account });
      });
      ib.on(EventName.accountDownloadEnd, (account: string) => this.portfolio?.done(str(account)));
    });
  }

  private requireAccount(accountId: string): void {
    const managed = this.ctx.conn.accounts;
    if (!managed.includes(accountId)) throw new AccountError(`Account ${accountId} is not managed by this connection (managed: ${managed.join(', ')})`, 'ACCOUNT_NOT_FOUND', { accountId });
  }

  async summary(accountId: string): Promise<AccountSummary> {
    this.requireAccount(accountId);
    const followed = this.feed.follows(accountId);
    const v = followed ? (await this.feed.current()).values : await this.requestSummary(accountId);
    const money = (tag: string): number => toCents(num(v.get(tag)?.value) ?? 0);
    if (!v.has('NetLiquidation')) throw new AccountError(`IBKR sent no account summary for ${accountId}`);
    const pnl = await (followed ? this.feed.pnlTotals() : this.requestPnl(accountId)).catch(() => null);
    return {
      accountId,
      currency: v.get('NetLiquidation')?.currency || 'USD',
      netLiquidation: money('NetLiquidation'),
      totalCash: money('TotalCashValue'),
      buyingPower: money('BuyingPower'),
      availableFunds: money('AvailableFunds'),
      excessLiquidity: money('ExcessLiquidity'),
      equityWithLoanValue: money('EquityWithLoanValue'),
      grossPositionValue: money('GrossPositionValue'),
      initMarginReq: money('InitMarginReq'),
      maintMarginReq: money('MaintMarginReq'),
      unrealizedPnl: toCents(pnl?.unrealized ?? 0),
      realizedPnl: toCents(pnl?.realized ?? 0),
      timestamp: this.ctx.nowIso(),
    };
  }

  /** reqAccountSummary for an account the feed does not follow. */
  private async requestSummary(accountId: string): Promise<AccountValues> {
    const { conn, requestTimeoutMs } = this.ctx;
    const req = conn.registry.start<AccountValues>('account summary', {
      timeoutMs: requestTimeoutMs,
      onSettle: () => {
        this.summaries.delete(req.id);
        void conn.send('cancelAccountSummary', (ib) => ib.cancelAccountSummary(req.id)).catch(() => undefined);
      },
    });
    const values: AccountValues = new Map();
    this.summaries.set(req.id, { values, account: accountId, done: () => req.resolve(values) });
    await conn.send('reqAccountSummary', (ib) => ib.reqAccountSummary(req.id, 'All', SUMMARY_TAGS)).catch((err: Error) => req.reject(err));
    return req.promise;
  }

  private async rowsOf(accountId: string): Promise<PortfolioRow[]> {
    return this.feed.follows(accountId) ? (await this.feed.current()).rows : this.requestRows(accountId);
  }

  /** A one-shot reqAccountUpdates for an account the feed does not follow; the feed subscribes to its own again after it. */
  private async requestRows(accountId: string): Promise<PortfolioRow[]> {
    const turn = this.portfolioLock.catch(() => undefined).then(async () => {
      const { conn, requestTimeoutMs } = this.ctx;
      const rows = new Map<number, PortfolioRow>();
      const req = conn.registry.start<void>('account updates', {
        timeoutMs: requestTimeoutMs,
        onSettle: () => {
          this.portfolio = null;
          void conn.send('reqAccountUpdates off', (ib) => ib.reqAccountUpdates(false, accountId)).catch(() => undefined);
          void this.feed.subscribe().catch(() => undefined);
        },
      });
      this.portfolio = { account: accountId, rows, done: (a) => (a === '' || a === accountId ? req.resolve() : undefined) };
      await conn.send('reqAccountUpdates', (ib) => ib.reqAccountUpdates(true, accountId)).catch((err: Error) => req.reject(err));
      await req.promise;
      return [...rows.values()];
    });
    this.portfolioLock = turn;
    return turn;
  }

  async positions(accountId: string): Promise<Position[]> {
    this.requireAccount(accountId);
    const rows = await this.rowsOf(accountId);
    const out: Position[] = [];
    for (const r of rows) {
      if (r.position === 0) continue;
      const conId = num(r.contract.conId) ?? 0;
      const known = this.contracts.known(conId);
      const secType = str(r.contract.secType).toUpperCase();
      const securityType = known?.securityType ?? (secType === 'STK' || secType === 'FUT' || secType === 'OPT' || secType === 'IND' || secType === 'CASH' || secType === 'CFD' || secType === 'BOND' || secType === 'FUND' || secType === 'CRYPTO' ? secType : 'STK');
      const currency = str(r.contract.currency) || 'USD';
      out.push({
        accountId,
        symbol: known?.symbol ?? (securityType === 'CASH' ? `${str(r.contract.symbol)}.${currency}` : str(r.contract.symbol)),
        conId,
        securityType,
        currency,
        quantity: r.position,
        avgCost: r.avgCost ?? 0,
        marketPrice: r.marketPrice,
        marketValue: r.marketValue === null ? null : toCents(r.marketValue),
        unrealizedPnl: r.unrealized === null ? null : toCents(r.unrealized),
        realizedPnl: toCents(r.realized ?? 0),
      });
    }
    return out;
  }

  /** reqPnL's first answer, for an account the feed does not follow. */
  private async requestPnl(accountId: string): Promise<PnlTotals> {
    const { conn, requestTimeoutMs } = this.ctx;
    const req = conn.registry.start<PnlTotals>('pnl', {
      timeoutMs: requestTimeoutMs,
      onSettle: () => {
        this.pnl.delete(req.id);
        void conn.send('cancelPnL', (ib) => ib.cancelPnL(req.id)).catch(() => undefined);
      },
    });
    this.pnl.set(req.id, (daily, unrealized, realized) => req.resolve({ daily, unrealized, realized }));
    await conn.send('reqPnL', (ib) => ib.reqPnL(req.id, accountId, '')).catch((err: Error) => req.reject(err));
    return req.promise;
  }

  async pnlReport(accountId: string): Promise<AccountPnL> {
    this.requireAccount(accountId);
    const followed = this.feed.follows(accountId);
    const [totals, rows] = await Promise.all([followed ? this.feed.pnlTotals() : this.requestPnl(accountId), this.rowsOf(accountId)]);
    return {
      accountId,
      currency: 'USD',
      dailyPnl: toCents(totals.daily ?? 0),
      unrealizedPnl: toCents(totals.unrealized ?? 0),
      realizedPnl: toCents(totals.realized ?? 0),
      bySymbol: rows.map((r) => ({
        symbol: this.contracts.known(num(r.contract.conId) ?? 0)?.symbol ?? str(r.contract.symbol),
        conId: num(r.contract.conId) ?? 0,
        position: r.position,
        // IBKR's per-position daily P&L needs one reqPnLSingle per position; the account total above carries it.
        dailyPnl: null,
        unrealizedPnl: r.unrealized === null ? null : toCents(r.unrealized),
        realizedPnl: toCents(r.realized ?? 0),
        marketValue: r.marketValue === null ? null : toCents(r.marketValue),
      })),
      timestamp: this.ctx.nowIso(),
    };
  }
}
