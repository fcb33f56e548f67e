/**
 * Executions and their commission reports become Fill events: an execution
 * waits (up to COMMISSION_WAIT_MS) for its commission report, then is recorded
 * and reported once per execId (the OrderStore remembers every one), so fills
 * recovered by reqExecutions after a reconnect are reported exactly once too.
 * A recorded fill also moves its order's filled quantity, since executions may
 * run ahead of orderStatus (or be all we hear, after a reconnect).
 */
import { EventName, type Contract as IbContract } from '@stoqey/ib';
import { decimalOf, sum, toCents } from '../../core/money.js';
import { avgPriceOf, commissionOf } from '../../core/orders/mapping.js';
import type { Fill } from '../../core/models.js';
import type { BrokerOrderState, ExecutionsQuery } from '../../core/broker/port.js';
import type { TwsContext } from './context.js';
import type { OrderBook } from './order-book.js';
import type { OrderStore } from './order-store.js';
import { isRecord, num, parseTwsTime, str, twsUtc } from './wire.js';

interface PendingExec {
  fill: Omit<Fill, 'commission' | 'commissionCurrency' | 'realizedPnl'>;
  account: string | null;
  timer: ReturnType<typeof setTimeout> | null;
}

interface Commission {
  commission: number;
  currency: string;
  realized: number | null;
}

/** How long an execution waits for its commission report before it is reported without one. */
const COMMISSION_WAIT_MS = 3000;

export class Executions {
  private readonly pendingExecs = new Map<string, PendingExec>();
  private readonly commissions = new Map<string, Commission>();
  private readonly collectors = new Map<number, { ids: string[]; done: () => void }>();

  constructor(
    private readonly ctx: TwsContext,
    private readonly store: OrderStore,
    private readonly book: OrderBook,
  ) {
    ctx.conn.bind((ib) => {
      ib.on(EventName.execDetails, (reqId: number, contract: IbContract, execution: unknown) => this.onExecution(reqId, execution));
      ib.on(EventName.execDetailsEnd, (reqId: number) => this.collectors.get(reqId)?.done());
      ib.on(EventName.commissionReport, (report: unknown) => this.onCommission(report));
    });
  }

  /** reqExecutions since `since`: every execution is recorded (and reported if new); returns the fills listed. */
  async list(query: ExecutionsQuery = {}): Promise<Fill[]> {
    const { conn, requestTimeoutMs } = this.ctx;
    const req = conn.registry.start<string[]>('executions', { timeoutMs: requestTimeoutMs, onSettle: () => this.collectors.delete(req.id) });
    const ids: string[] = [];
    this.collectors.set(req.id, { ids, done: () => req.resolve(ids) });
    const sinceMs = query.since ? Date.parse(query.since) : null;
    const filter: Record<string, string> = {};
    // A minute of slack: TWS filters on whole seconds in its own clock.
    if (sinceMs !== null) filter.time = twsUtc(sinceMs - 60_000);
    if (query.accountId) filter.acctCode = query.accountId;
    await conn.send('reqExecutions', (ib) => ib.reqExecutions(req.id, filter)).catch((err: Error) => req.reject(err));
    const execIds = await req.promise;
    // Commission reports follow their executions; give the last ones a moment before reading them.
    await new Promise((r) => setImmediate(r));
    const out: Fill[] = [];
    for (const id of execIds) {
      const f = this.store.fill(id) ?? this.provisional(id);
      if (!f) continue;
      if (sinceMs !== null && Date.parse(f.time) < sinceMs) continue;
      out.push(f);
    }
    return out;
  }

  lastFillTime(): string | null {
    return this.store.lastFillTime();
  }

  /** A fill still waiting for its commission report, as it stands. */
  private provisional(execId: string): Fill | null {
    const p = this.pendingExecs.get(execId);
    if (!p) return null;
    const c = this.commissions.get(execId);
    return { ...p.fill, commission: c?.commission ?? 0, commissionCurrency: c?.currency ?? 'USD', realizedPnl: c?.realized ?? null };
  }

  private onExecution(reqId: number, execution: unknown): void {
    if (!isRecord(execution)) return;
    const execId = str(execution.execId);
    if (!execId) return;
    const permId = num(execution.permId);
    const orderId = this.book.idFor(num(execution.orderId) ?? 0, permId);
    this.collectors.get(reqId)?.ids.push(execId);
    if (this.store.hasFill(execId) || this.pendingExecs.has(execId)) return;
    const ms = parseTwsTime(str(execution.time));
    const side = str(execution.side).toUpperCase();
    const quantity = num(execution.shares) ?? 0;
    const price = num(execution.price) ?? 0;
    if (quantity <= 0) return;
    const pending: PendingExec = {
      fill: {
        execId,
        orderId,
        time: new Date(ms ?? this.ctx.clock.now()).toISOString(),
        side: side === 'BOT' || side === 'BUY' ? 'BUY' : 'SELL',
        quantity,
        price,
        exchange: str(execution.exchange) || null,
      },
      account: str(execution.acctNumber) || null,
      timer: null,
    };
    this.pendingExecs.set(execId, pending);
    if (this.commissions.has(execId)) this.finish(execId);
    else {
      // Commission reports can lag (or never come for some venues): report the fill without one rather than never.
      pending.timer = setTimeout(() => this.finish(execId), COMMISSION_WAIT_MS);
      pending.timer.unref();
    }
  }

  private onCommission(report: unknown): void {
    if (!isRecord(report)) return;
    const execId = str(report.execId);
    if (!execId) return;
    this.commissions.set(execId, { commission: num(report.commission) ?? 0, currency: str(report.currency) || 'USD', realized: num(report.realizedPNL) });
    if (this.pendingExecs.has(execId)) this.finish(execId);
  }

  private finish(execId: string): void {
    const p = this.pendingExecs.get(execId);
    if (!p) return;
    if (p.timer) clearTimeout(p.timer);
    this.pendingExecs.delete(execId);
    const c = this.commissions.get(execId);
    this.commissions.delete(execId);
    const fill: Fill = { ...p.fill, commission: toCents(c?.commission ?? 0), commissionCurrency: c?.currency ?? 'USD', realizedPnl: c?.realized === null || c?.realized === undefined ? null : toCents(c.realized) };
    // Recorded and reported once per execution id (the store refuses one it has).
    if (!this.store.addFill(fill, p.account)) return;
    const t = this.book.find(fill.orderId);
    if (t) {
      const totals = fillTotals(this.store.fillsOf(fill.orderId), t.state.spec.quantity);
      const patch: Partial<BrokerOrderState> = { commission: totals.commission };
      // Executions may run ahead of orderStatus (or be all we hear, after a reconnect): never let the state lag them.
      if (totals.filledQuantity > t.state.filledQuantity) {
        patch.filledQuantity = totals.filledQuantity;
        patch.remainingQuantity = totals.remainingQuantity;
        patch.avgFillPrice = totals.avgFillPrice;
        patch.status = totals.filledQuantity >= t.state.spec.quantity ? 'FILLED' : 'PARTIALLY_FILLED';
      }
      this.book.update(fill.orderId, patch);
    }
    this.ctx.emit('fill', { ...fill });
  }
}

/**
 * An order's running totals from its fills, summed exactly (decimal.js): fractional quantities drift in
 * binary floats (three fills of 0.1 make 0.30000000000000004), and money is never summed in floats. The
 * average price and the commission are the core's (mapping.ts), as for every other fill version.
 */
export function fillTotals(
  fills: ReadonlyArray<Pick<Fill, 'quantity' | 'price' | 'commission'>>,
  orderQuantity: number,
): { filledQuantity: number; remainingQuantity: number; avgFillPrice: number | null; commission: number } {
  const filled = sum(fills.map((f) => decimalOf(f.quantity)));
  const remaining = decimalOf(orderQuantity).minus(filled);
  return {
    filledQuantity: filled.toNumber(),
    remainingQuantity: remaining.isNegative() ? 0 : remaining.toNumber(),
    avgFillPrice: avgPriceOf(fills),
    commission: commissionOf(fills) ?? 0,
  };
}
