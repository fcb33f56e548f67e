/**
 * Account requests: summary, account updates (values and portfolio),
 * positions, PnL and PnL single, managed accounts; and the updates sent to
 * subscribers when a fill changes the account.
 */
import type { Contract, Position } from '../../core/models.js';
import type { EmulatorState } from '../gateway-state.js';
import {
  accountDownloadEndMessage,
  accountSummaryEndMessage,
  accountSummaryMessage,
  accountUpdateTimeMessage,
  accountValueMessage,
  managedAccountsMessage,
  pnlMessage,
  pnlSingleMessage,
  portfolioValueMessage,
  positionEndMessage,
  positionMessage,
  summaryValues,
} from '../messages/account.js';
import { toWire } from '../messages/contract.js';
import { Req } from '../protocol.js';
import { parseAccountSummary, parseAccountUpdates, parsePnl, parsePnlSingle } from '../requests.js';
import type { Handler, Session } from '../session.js';
import { sendMultiChange } from './account-multi.js';

/** PnL subscriptions are refreshed about once a second, as IBKR streams them. */
const PNL_INTERVAL_MS = 1000;

export async function contractFor(shared: EmulatorState, p: Position): Promise<Contract | null> {
  return shared.contracts.forPosition(p);
}

const managedAccounts: Handler = (s) => {
  s.send(managedAccountsMessage(s.shared.accounts()));
};

const accountSummary: Handler = async (s, r) => {
  const { reqId, tags } = parseAccountSummary(r);
  s.summaries.add(reqId);
  const wanted = new Set(tags);
  for (const account of s.shared.accounts()) {
    const summary = await s.shared.broker.getAccountSummary(account);
    for (const v of summaryValues(summary)) {
      if (wanted.has(v.tag)) s.send(accountSummaryMessage(reqId, account, v.tag, v.value, v.currency));
    }
  }
  s.send(accountSummaryEndMessage(reqId));
};

const cancelAccountSummary: Handler = (s, r) => {
  r.skip(1);
  s.summaries.delete(r.int());
};

async function sendAccountValues(s: Session, account: string, onlyConId: number | null): Promise<void> {
  const summary = await s.shared.broker.getAccountSummary(account);
  for (const v of summaryValues(summary)) s.send(accountValueMessage(v.tag, v.value, v.currency, account));
  s.send(accountValueMessage('Currency', summary.currency, summary.currency, account));
  s.send(accountValueMessage('AccountCode', account, '', account));
  const positions = await s.shared.broker.getPositions(account);
  for (const p of positions) {
    if (onlyConId !== null && p.conId !== onlyConId) continue;
    const c = await contractFor(s.shared, p);
    if (c) s.send(portfolioValueMessage(toWire(c), p));
  }
  if (onlyConId !== null && !positions.some((p) => p.conId === onlyConId)) {
    // A position that just closed is reported once with quantity 0, as TWS does.
    const c = s.shared.contracts.byId(onlyConId);
    if (c) s.send(portfolioValueMessage(toWire(c), { accountId: account, symbol: c.symbol, conId: c.conId, securityType: c.securityType, currency: c.currency, quantity: 0, avgCost: 0, marketPrice: null, marketValue: 0, unrealizedPnl: 0, realizedPnl: 0 }));
  }
  const t = new Date(s.shared.clock.now());
  s.send(accountUpdateTimeMessage(`${String(t.getUTCHours()).padStart(2, '0')}:${String(t.getUTCMinutes()).padStart(2, '0')}`));
}

const accountUpdates: Handler = async (s, r) => {
  const { subscribe, account } = parseAccountUpdates(r);
  if (!subscribe) {
    s.accountUpdates = null;
    return;
  }
  const acct = account === '' ? s.shared.defaultAccount() : account;
  s.accountUpdates = acct;
  await sendAccountValues(s, acct, null);
  s.send(accountDownloadEndMessage(acct));
};

async function sendPosition(s: Session, account: string, p: Position): Promise<void> {
  const c = await contractFor(s.shared, p);
  if (c) s.send(positionMessage(account, toWire(c), p.quantity, p.avgCost));
}

const positions: Handler = async (s) => {
  s.positions = true;
  for (const account of s.shared.accounts()) {
    for (const p of await s.shared.broker.getPositions(account)) await sendPosition(s, account, p);
  }
  s.send(positionEndMessage());
};

const cancelPositions: Handler = (s) => {
  s.positions = false;
};

function stream(s: Session, reqId: number, send: () => Promise<void>): void {
  const prior = s.pnl.get(reqId);
  if (prior) clearInterval(prior);
  const timer = setInterval(() => void send().catch(() => undefined), PNL_INTERVAL_MS);
  timer.unref();
  s.pnl.set(reqId, timer);
}

const pnl: Handler = async (s, r) => {
  const q = parsePnl(r);
  const account = q.account === '' ? s.shared.defaultAccount() : q.account;
  const send = async (): Promise<void> => {
    const p = await s.shared.broker.getPnl(account);
    if (s.ready) s.send(pnlMessage(q.reqId, p.dailyPnl, p.unrealizedPnl, p.realizedPnl));
  };
  await send();
  stream(s, q.reqId, send);
};

const pnlSingle: Handler = async (s, r) => {
  const q = parsePnlSingle(r);
  const account = q.account === '' ? s.shared.defaultAccount() : q.account;
  const send = async (): Promise<void> => {
    const p = await s.shared.broker.getPnl(account);
    const d = p.bySymbol.find((x) => x.conId === q.conId);
    if (!s.ready) return;
    if (d) s.send(pnlSingleMessage(q.reqId, d.position, d.dailyPnl, d.unrealizedPnl, d.realizedPnl, d.marketValue));
    else s.send(pnlSingleMessage(q.reqId, 0, null, null, 0, null));
  };
  await send();
  stream(s, q.reqId, send);
};

const cancelPnl: Handler = (s, r) => {
  const reqId = r.int();
  const t = s.pnl.get(reqId);
  if (t) clearInterval(t);
  s.pnl.delete(reqId);
};

/** After a fill: account-update and position subscribers hear about the account and the position that moved. */
export async function sendAccountChange(s: Session, account: string, conId: number | null): Promise<void> {
  if (!s.ready) return;
  await sendMultiChange(s, account, conId);
  if (s.accountUpdates === account) await sendAccountValues(s, account, conId);
  if (s.positions && conId !== null) {
    const p = (await s.shared.broker.getPositions(account)).find((x) => x.conId === conId);
    if (p) await sendPosition(s, account, p);
    else {
      const c = s.shared.contracts.byId(conId);
      if (c) s.send(positionMessage(account, toWire(c), 0, 0));
    }
  }
}

export const accountHandlers: [number, Handler][] = [
  [Req.MANAGED_ACCTS, managedAccounts],
  [Req.ACCOUNT_SUMMARY, accountSummary],
  [Req.CANCEL_ACCOUNT_SUMMARY, cancelAccountSummary],
  [Req.ACCOUNT_DATA, accountUpdates],
  [Req.POSITIONS, positions],
  [Req.CANCEL_POSITIONS, cancelPositions],
  [Req.PNL, pnl],
  [Req.CANCEL_PNL, cancelPnl],
  [Req.PNL_SINGLE, pnlSingle],
  [Req.CANCEL_PNL_SINGLE, cancelPnl],
];
