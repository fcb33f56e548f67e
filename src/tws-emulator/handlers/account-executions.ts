/**
 * Executions the account made without an order (exercise, assignment,
 * expiry, final settlement, margin liquidation), as IB Gateway reports them:
 * execDetails with order id 0, permId 0 and client id 0 (no API client placed
 * them), the `liquidation` flag set for an IB-initiated liquidation, followed
 * by the commission report. They go to every connected client, live (request
 * id -1) and in answers to reqExecutions, like executions of orders placed
 * outside the API.
 */
import type { AccountExecution } from '../../core/broker/port.js';
import { toWire } from '../messages/contract.js';
import { twsDateTime } from '../messages/historical.js';
import { commissionReportMessage, execDetailsMessage } from '../messages/orders.js';
import type { ExecutionFilterWire } from '../requests.js';
import type { Session } from '../session.js';

export function sendAccountExecution(s: Session, reqId: number, e: AccountExecution): void {
  const { fill } = e;
  s.send(
    execDetailsMessage(s.serverVersion, {
      reqId,
      orderId: 0,
      contract: toWire(e.contract),
      execId: fill.execId,
      time: twsDateTime(Date.parse(fill.time)),
      account: e.accountId,
      exchange: fill.exchange ?? e.contract.exchange,
      side: fill.side === 'BUY' ? 'BOT' : 'SLD',
      shares: fill.quantity,
      price: fill.price,
      permId: 0,
      clientId: 0,
      cumQty: fill.quantity,
      avgPrice: fill.price,
      orderRef: '',
      liquidation: e.reason === 'LIQUIDATION' ? 1 : 0,
    }),
  );
  s.send(commissionReportMessage(fill.execId, fill.commission, fill.commissionCurrency, fill.realizedPnl));
}

/** Whether reqExecutions' filter lets this execution through (client id 0: a filter on another client id excludes it). */
export function matchesFilter(e: AccountExecution, f: ExecutionFilterWire): boolean {
  const wire = toWire(e.contract);
  if (f.clientId > 0) return false;
  if (f.acctCode !== '' && f.acctCode !== e.accountId) return false;
  if (f.symbol !== '' && wire.symbol !== f.symbol) return false;
  if (f.secType !== '' && wire.secType !== f.secType) return false;
  const side = e.fill.side;
  if (f.side !== '' && side !== f.side && (side === 'BUY' ? 'BOT' : 'SLD') !== f.side) return false;
  return true;
}
