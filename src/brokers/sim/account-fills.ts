/**
 * Fills the account makes without an order: exercises, assignments, expiries,
 * final settlements and margin liquidations. IBKR reports these as executions
 * that belong to no order, so each is a fill with order id "0" whose exchange
 * field says what happened; it is stored with the fills and sent on the fill
 * stream and, with its contract, as an `accountExecution` event (the core's
 * audit and order-event stream and the TWS emulator see it), and
 * the position, cash and fill commit together.
 */
import { Decimal } from 'decimal.js';
import { toCents } from '../../core/money.js';
import type { Fill } from '../../core/models.js';
import type { AccountExecution, AccountExecutionReason } from '../../core/broker/port.js';
import type { Instrument } from './catalogue.js';
import type { SimMarketData } from './market-data.js';
import type { SimState } from './state.js';
import type { AccountValuer } from './valuation.js';
import { chargeCurrency, inChargeCurrency } from './charges.js';

export type AccountFillKind = AccountExecutionReason;

export interface AccountFill {
  inst: Instrument;
  side: 'BUY' | 'SELL';
  quantity: Decimal;
  price: Decimal;
  /** In USD, as the schedules set it; charged in the instrument's charge currency (charges.ts). */
  commission?: Decimal;
  /** The part of `commission` that is third-party fees (USD). */
  fees?: Decimal;
}

/** Books `legs` at `at` in one transaction; `key` makes the exec ids unique (one event, several legs). */
export function bookAccountFills(sim: SimState, prices: SimMarketData, account: AccountValuer, kind: AccountFillKind, key: string, legs: AccountFill[], at: number): Fill[] {
  const store = sim.requireStore();
  const time = new Date(at).toISOString();
  const accountId = sim.accountId;
  const out: Fill[] = [];
  store.transaction(() => {
    legs.forEach((leg, i) => {
      const fx = new Decimal(prices.fxRate(leg.inst.contract.currency, at));
      const charge = chargeCurrency(leg.inst, prices, account.ledger.base, at);
      const commission = inChargeCurrency(leg.commission ?? new Decimal(0), charge, prices, at);
      const fees = leg.fees ? { fees: inChargeCurrency(leg.fees, charge, prices, at) } : {};
      const effect = account.applyFill({
        contract: leg.inst.contract, cls: leg.inst.cls, side: leg.side, quantity: leg.quantity, price: leg.price, fxRate: fx, time,
        commission, ...fees, commissionCurrency: charge.currency, commissionRate: charge.rate,
      });
      const fill: Fill = {
        execId: `0000${kind === 'LIQUIDATION' ? 'l' : 'e'}${key}.${Math.floor(at / 1000).toString(16)}.${String(i + 1).padStart(2, '0')}.01`,
        orderId: '0',
        time,
        side: leg.side,
        quantity: leg.quantity.toNumber(),
        price: leg.price.toNumber(),
        commission: toCents(commission),
        commissionCurrency: charge.currency,
        realizedPnl: effect.realizedPnl ? toCents(effect.realizedPnl) : null,
        // What happened (IBKR's statements code these Ex, A, Ep; liquidations are marked L).
        exchange: kind,
      };
      store.addFill(fill, leg.inst.contract.conId, accountId);
      store.savePosition(effect.position);
      account.fillCommitted(fill, leg.inst.contract.conId, accountId);
      sim.emit('fill', { ...fill });
      // The core audits it and the emulator reports it with its contract (the fill alone names none).
      sim.emit('accountExecution', { fill: { ...fill }, contract: leg.inst.contract, accountId, reason: kind });
      out.push(fill);
    });
    store.saveTotals(account.ledger.totals);
  });
  return out;
}

const REASONS: ReadonlySet<string> = new Set<AccountExecutionReason>(['EXERCISE', 'ASSIGNMENT', 'EXPIRED', 'FINAL-SETTLEMENT', 'LIQUIDATION']);

/**
 * Every order-less execution the account has booked, with its contract and reason, as it was sent on
 * `accountExecution`: the core's reconciliation records any it missed (a crash between this booking
 * and the core's recording). The contract comes from the position the execution moved (the ledger
 * keeps flat positions), the reason from the fill's exchange field.
 */
export function storedAccountExecutions(sim: SimState, account: AccountValuer): AccountExecution[] {
  const accountId = sim.accountId;
  const out: AccountExecution[] = [];
  for (const { conId, ...fill } of sim.requireStore().fills({ accountId, orderId: '0' })) {
    const contract = account.ledger.position(conId)?.contract;
    const reason = fill.exchange;
    if (!contract || typeof reason !== 'string' || !REASONS.has(reason)) continue;
    out.push({ fill, contract, accountId, reason: reason as AccountExecutionReason });
  }
  return out;
}
