/**
 * The account this connection follows, kept current from what TWS pushes
 * rather than asked for per call: reqAccountUpdates (account values such as
 * NetLiquidation and TotalCashValue, and the portfolio with marks and P&L per
 * position; TWS pushes a position when it changes, and account values with it
 * or on its own cycle, which IBKR documents as up to three minutes) and reqPnL (the account's daily, unrealized and realized P&L, pushed
 * about once a second). Risk checks and order acknowledgements then read memory.
 *
 * It is (re)started at every session start, since subscriptions end with the
 * socket: until the first full download of the new session has arrived
 * (accountDownloadEnd), readers wait for it, so nothing from before a
 * reconnect (fills missed while away) is served as current.
 *
 * TWS serves account updates for one account at a time per connection, so the
 * feed follows the first managed account; other accounts are read per call
 * (see account.ts), after which the feed subscribes again.
 */
import { EventName, type Contract as IbContract } from '@stoqey/ib';
import { BrokerConnectionError } from '../../core/errors.js';
import type { TwsContext } from './context.js';
import type { PendingRequest } from './requests.js';
import { num, str } from './wire.js';

export interface PortfolioRow {
  contract: IbContract;
  position: number;
  marketPrice: number | null;
  marketValue: number | null;
  avgCost: number | null;
  unrealized: number | null;
  realized: number | null;
  account: string;
}

export interface PnlTotals {
  daily: number | null;
  unrealized: number | null;
  realized: number | null;
}

export type AccountValues = Map<string, { value: string; currency: string }>;

interface Waiter {
  promise: Promise<void>;
  resolve(): void;
  done: boolean;
}

function waiter(): Waiter {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  const w: Waiter = { promise, resolve: () => ((w.done = true), resolve()), done: false };
  return w;
}

async function within(w: Waiter, ms: number, what: string): Promise<void> {
  if (w.done) return;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BrokerConnectionError(`IBKR sent no ${what} within ${ms} ms`, 'BROKER_TIMEOUT')), ms);
    timer.unref();
  });
  try {
    await Promise.race([w.promise, timedOut]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}

export class AccountFeed {
  /** The account followed in this session (null before the first session, or with no managed account). */
  account: string | null = null;
  private values: AccountValues = new Map();
  private rows = new Map<number, PortfolioRow>();
  /** A full download in progress: values and rows collect here and replace the current ones at accountDownloadEnd. */
  private incoming: { values: AccountValues; rows: Map<number, PortfolioRow> } | null = null;
  private pnl: PnlTotals | null = null;
  private snapshot = waiter();
  private pnlFirst = waiter();
  private pnlRequest: PendingRequest<void> | null = null;

  constructor(private readonly ctx: TwsContext) {
    ctx.conn.bind((ib) => {
      ib.on(EventName.updateAccountValue, (key: string, value: string, currency: string, account: string) => this.onValue(str(key), str(value), str(currency), str(account)));
      ib.on(EventName.updatePortfolio, (contract: IbContract, position: unknown, marketPrice: unknown, marketValue: unknown, avgCost: unknown, unrealized: unknown, realized: unknown, account: unknown) =>
        this.onPortfolio({ contract, position: num(position) ?? 0, marketPrice: num(marketPrice), marketValue: num(marketValue), avgCost: num(avgCost), unrealized: num(unrealized), realized: num(realized), account: str(account) }),
      );
      ib.on(EventName.accountDownloadEnd, (account: string) => this.onDownloadEnd(str(account)));
      ib.on(EventName.pnl, (reqId: number, daily: unknown, unrealized: unknown, realized: unknown) => {
        if (reqId !== this.pnlRequest?.id) return;
        this.pnl = { daily: num(daily), unrealized: num(unrealized), realized: num(realized) };
        this.pnlFirst.resolve();
      });
    });
  }

  follows(accountId: string): boolean {
    return this.account === accountId;
  }

  /** At session start: subscribe again (the previous session's subscriptions ended with its socket); readers wait for the new download. */
  async start(): Promise<void> {
    const account = this.ctx.conn.accounts[0] ?? null;
    this.account = account;
    if (!this.snapshot.done) this.snapshot.resolve(); // nobody may wait on a session that is gone; they re-check below
    this.snapshot = waiter();
    this.pnlFirst = waiter();
    this.pnl = null;
    this.pnlRequest?.resolve();
    this.pnlRequest = null;
    if (account === null) return;
    await this.subscribe();
    const { conn } = this.ctx;
    const req = conn.registry.start<void>('pnl subscription', {
      timeoutMs: 0,
      // An account without P&L data answers with an error: the summary then carries no P&L, as before.
      onError: (code, message) => {
        this.ctx.log.warn({ code, message, account }, 'pnl subscription refused');
        this.pnlFirst.resolve();
        return 'handled';
      },
    });
    this.pnlRequest = req;
    await conn.send('reqPnL', (ib) => ib.reqPnL(req.id, account, '')).catch((err: unknown) => {
      this.ctx.log.warn({ err }, 'pnl subscription not sent');
      req.resolve();
    });
  }

  /** (Re)subscribes to the followed account's updates; the full download that follows replaces what is held. */
  async subscribe(): Promise<void> {
    const account = this.account;
    if (account === null) return;
    this.incoming = { values: new Map(), rows: new Map() };
    await this.ctx.conn.send('reqAccountUpdates', (ib) => ib.reqAccountUpdates(true, account));
  }

  /** The account values and portfolio, once this session's first download arrived (waiting up to the request timeout). */
  async current(): Promise<{ values: AccountValues; rows: PortfolioRow[] }> {
    await this.whenSnapshot();
    return { values: this.values, rows: [...this.rows.values()] };
  }

  /** The account P&L totals (null values when IBKR sends none). */
  async pnlTotals(): Promise<PnlTotals> {
    await this.whenSnapshot();
    await within(this.pnlFirst, this.ctx.requestTimeoutMs, 'P&L').catch(() => undefined);
    return this.pnl ?? { daily: null, unrealized: null, realized: null };
  }

  private async whenSnapshot(): Promise<void> {
    for (;;) {
      const w = this.snapshot;
      await within(w, this.ctx.requestTimeoutMs, `account download for ${this.account ?? '(none)'}`);
      // A new session started meanwhile: wait for its download instead.
      if (w === this.snapshot) return;
    }
  }

  private mine(account: string): boolean {
    return this.account !== null && (account === '' || account === this.account);
  }

  private onValue(key: string, value: string, currency: string, account: string): void {
    // Per-currency copies of a value (currency 'BASE') are not the account's own figure.
    if (!this.mine(account) || currency === 'BASE') return;
    (this.incoming?.values ?? this.values).set(key, { value, currency });
  }

  private onPortfolio(row: PortfolioRow): void {
    const conId = num(row.contract.conId);
    if (conId === null || !this.mine(row.account)) return;
    (this.incoming?.rows ?? this.rows).set(conId, { ...row, account: this.account ?? row.account });
  }

  private onDownloadEnd(account: string): void {
    if (!this.mine(account) || !this.incoming) return;
    this.values = this.incoming.values;
    this.rows = this.incoming.rows;
    this.incoming = null;
    this.snapshot.resolve();
  }
}
