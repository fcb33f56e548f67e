/**
 * The "multi" account requests (reqPositionsMulti, reqAccountUpdatesMulti):
 * IBKR's per-account, per-model variants that ib_insync-family clients send
 * during connect. Each answers the current state, then its End, then keeps
 * streaming what a fill changes until cancelled, as a gateway does.
 */
import type { Position } from '../../core/models.js';
import { accountUpdateMultiEndMessage, accountUpdateMultiMessage, positionMultiEndMessage, positionMultiMessage, summaryValues } from '../messages/account.js';
import { toWire } from '../messages/contract.js';
import { Req } from '../protocol.js';
import { parseAccountUpdatesMulti, parsePositionsMulti, parseVersionedCancel } from '../requests.js';
import type { Handler, Session } from '../session.js';

export interface MultiSubscription {
  /** The accounts the request covers: one, or every managed account for "" and "All". */
  accounts: string[];
  modelCode: string;
  /** reqAccountUpdatesMulti only: just the ledger (cash) and net liquidation values. */
  ledgerAndNlv: boolean;
}

/** The keys a ledgerAndNLV request gets: cash balances and net liquidation, as IBKR's flag narrows it. */
const LEDGER_AND_NLV = new Set(['NetLiquidation', 'TotalCashValue', 'SettledCash', 'AccruedCash', 'CashBalance', 'ExchangeRate']);

function accountsOf(s: Session, account: string): string[] {
  if (account === '' || account.toUpperCase() === 'ALL') return s.shared.accounts();
  return s.shared.accounts().filter((a) => a === account);
}

async function sendPositionMulti(s: Session, reqId: number, account: string, p: Position, modelCode: string): Promise<void> {
  const c = await s.shared.contracts.forPosition(p);
  if (c) s.send(positionMultiMessage(reqId, account, toWire(c), p.quantity, p.avgCost, modelCode));
}

async function sendAccountValuesMulti(s: Session, reqId: number, account: string, sub: MultiSubscription): Promise<void> {
  const summary = await s.shared.broker.getAccountSummary(account);
  for (const v of summaryValues(summary)) {
    if (sub.ledgerAndNlv && !LEDGER_AND_NLV.has(v.tag)) continue;
    s.send(accountUpdateMultiMessage(reqId, account, sub.modelCode, v.tag, v.value, v.currency));
  }
  s.send(accountUpdateMultiMessage(reqId, account, sub.modelCode, 'Currency', summary.currency, summary.currency));
}

const positionsMulti: Handler = async (s, r) => {
  const q = parsePositionsMulti(r);
  const sub: MultiSubscription = { accounts: accountsOf(s, q.account), modelCode: q.modelCode, ledgerAndNlv: false };
  s.positionsMulti.set(q.reqId, sub);
  for (const account of sub.accounts) {
    for (const p of await s.shared.broker.getPositions(account)) await sendPositionMulti(s, q.reqId, account, p, q.modelCode);
  }
  s.send(positionMultiEndMessage(q.reqId));
};

const accountUpdatesMulti: Handler = async (s, r) => {
  const q = parseAccountUpdatesMulti(r);
  const sub: MultiSubscription = { accounts: accountsOf(s, q.account), modelCode: q.modelCode, ledgerAndNlv: q.ledgerAndNlv };
  s.accountMulti.set(q.reqId, sub);
  for (const account of sub.accounts) await sendAccountValuesMulti(s, q.reqId, account, sub);
  s.send(accountUpdateMultiEndMessage(q.reqId));
};

const cancelPositionsMulti: Handler = (s, r) => {
  s.positionsMulti.delete(parseVersionedCancel(r));
};

const cancelAccountUpdatesMulti: Handler = (s, r) => {
  s.accountMulti.delete(parseVersionedCancel(r));
};

/** After a fill: multi subscribers covering the account hear its values and the position that moved (quantity 0 once closed). */
export async function sendMultiChange(s: Session, account: string, conId: number | null): Promise<void> {
  for (const [reqId, sub] of s.accountMulti) {
    if (sub.accounts.includes(account)) await sendAccountValuesMulti(s, reqId, account, sub);
  }
  if (conId === null) return;
  for (const [reqId, sub] of s.positionsMulti) {
    if (!sub.accounts.includes(account)) continue;
    const p = (await s.shared.broker.getPositions(account)).find((x) => x.conId === conId);
    if (p) await sendPositionMulti(s, reqId, account, p, sub.modelCode);
    else {
      const c = s.shared.contracts.byId(conId);
      if (c) s.send(positionMultiMessage(reqId, account, toWire(c), 0, 0, sub.modelCode));
    }
  }
}

export const accountMultiHandlers: [number, Handler][] = [
  [Req.POSITIONS_MULTI, positionsMulti],
  [Req.CANCEL_POSITIONS_MULTI, cancelPositionsMulti],
  [Req.ACCOUNT_UPDATES_MULTI, accountUpdatesMulti],
  [Req.CANCEL_ACCOUNT_UPDATES_MULTI, cancelAccountUpdatesMulti],
];
