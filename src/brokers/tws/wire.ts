/**
 * Translation at the @stoqey/ib boundary: our Contract / SymbolSpec / OrderSpec
 * to TWS's contract and order, TWS's contract details, statuses and times back
 * to ours. Values arriving from the socket are read as unknown and narrowed
 * here, so nothing untyped travels further into the adapter.
 */
import { OptionType, OrderAction, OrderType, SecType, type Contract as IbContract, type ContractDetails, type Order as IbOrder } from '@stoqey/ib';
import { OrderSpec, type Contract, type OrderStatus, type SecurityType, type SymbolSpec } from '../../core/models.js';
import { ibTif, ibTypeToSpecFields, specInstrument, specToIbPrices, specToIbTif } from '../../ibkr/order-map.js';
import { parseTwsDateTime, toTwsUtc, twsOrderTimeToIso } from '../../ibkr/time.js';

/** IBKR marks "no value" with Double.MAX_VALUE (and Integer.MAX_VALUE); both mean null here. */
export function num(v: unknown): number | null {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (!Number.isFinite(n) || Math.abs(n) >= 1e300 || n === 2147483647) return null;
  return n;
}

export const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');

export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

const SEC_TYPE_OUT: Record<SecurityType, SecType> = {
  STK: SecType.STK, ETF: SecType.STK, FUT: SecType.FUT, OPT: SecType.OPT, IND: SecType.IND, CASH: SecType.CASH,
  CFD: SecType.CFD, BOND: SecType.BOND, FUND: SecType.FUND, CRYPTO: SecType.CRYPTO,
};

const SEC_TYPE_IN: Record<string, SecurityType> = { STK: 'STK', FUT: 'FUT', OPT: 'OPT', IND: 'IND', CASH: 'CASH', CFD: 'CFD', BOND: 'BOND', FUND: 'FUND', CRYPTO: 'CRYPTO' };

/** "2026-01-16" -> "20260116"; a futures month "202603" stays. */
export const toTwsDate = (expiry: string | undefined): string => (expiry ?? '').replaceAll('-', '');

/** "20260116" -> "2026-01-16"; "202603" stays; anything else is dropped. */
export function fromTwsDate(s: string): string | undefined {
  const day = /^(\d{4})(\d{2})(\d{2})/.exec(s);
  if (day) return `${day[1]}-${day[2]}-${day[3]}`;
  return /^\d{6}$/.test(s) ? s : undefined;
}

/** A contract we resolved before, as TWS wants it in a request: the conId pins it, the rest lets TWS check it. */
export function toIbContract(c: Contract): IbContract {
  const isFx = c.securityType === 'CASH';
  const out: IbContract = {
    conId: c.conId,
    symbol: isFx ? (c.symbol.split('.')[0] ?? c.symbol) : c.symbol,
    secType: SEC_TYPE_OUT[c.securityType],
    exchange: c.exchange,
    currency: c.currency,
  };
  if (c.primaryExchange) out.primaryExch = c.primaryExchange;
  if (c.expiry) out.lastTradeDateOrContractMonth = toTwsDate(c.expiry);
  if (c.strike !== undefined) out.strike = c.strike;
  if (c.right) out.right = c.right === 'C' ? OptionType.Call : OptionType.Put;
  if (c.securityType === 'FUT' || c.securityType === 'OPT') out.multiplier = c.multiplier;
  if (c.tradingClass) out.tradingClass = c.tradingClass;
  return out;
}

/** What to ask contract details for, from a user's spec. */
export function specToIbContract(spec: SymbolSpec): IbContract {
  const out: IbContract = { symbol: spec.symbol, secType: SEC_TYPE_OUT[spec.securityType] };
  if (spec.securityType === 'CASH') {
    const [base, quote] = spec.symbol.split('.');
    out.symbol = base ?? spec.symbol;
    out.currency = spec.currency ?? quote ?? 'USD';
    out.exchange = spec.exchange ?? 'IDEALPRO';
    return out;
  }
  const smart = spec.securityType === 'STK' || spec.securityType === 'ETF' || spec.securityType === 'OPT';
  const exchange = spec.exchange ?? (smart ? 'SMART' : undefined);
  if (exchange) out.exchange = exchange;
  if (spec.currency) out.currency = spec.currency;
  if (spec.expiry) out.lastTradeDateOrContractMonth = toTwsDate(spec.expiry);
  if (spec.strike !== undefined) out.strike = spec.strike;
  if (spec.right) out.right = spec.right === 'C' ? OptionType.Call : OptionType.Put;
  return out;
}

/** Our Contract from TWS contract details; null when TWS sent something we cannot represent. */
export function fromContractDetails(d: ContractDetails): Contract | null {
  const c: unknown = d.contract;
  if (!isRecord(c)) return null;
  const conId = num(c.conId);
  const secType = SEC_TYPE_IN[str(c.secType).toUpperCase()];
  if (conId === null || conId <= 0 || !secType) return null;
  const symbol = str(c.symbol);
  const currency = str(c.currency);
  const stockType = str((d as unknown as Record<string, unknown>).stockType).toUpperCase();
  const securityType: SecurityType = secType === 'STK' && stockType === 'ETF' ? 'ETF' : secType;
  const minTick = num(d.minTick);
  const multiplier = num(c.multiplier);
  const out: Contract = {
    conId,
    symbol: secType === 'CASH' ? `${symbol}.${currency}` : symbol,
    securityType,
    exchange: str(c.exchange) || 'SMART',
    currency,
    multiplier: multiplier !== null && multiplier > 0 ? multiplier : 1,
    minTick: minTick !== null && minTick > 0 ? minTick : 0.01,
  };
  const primary = str(c.primaryExch);
  if (primary) out.primaryExchange = primary;
  const local = str(c.localSymbol);
  if (local) out.localSymbol = local;
  const tradingClass = str(c.tradingClass);
  if (tradingClass) out.tradingClass = tradingClass;
  const longName = str(d.longName);
  if (longName) out.description = longName;
  const expiry = fromTwsDate(str(c.lastTradeDateOrContractMonth));
  if (expiry && (secType === 'FUT' || secType === 'OPT')) out.expiry = expiry;
  const strike = num(c.strike);
  if (secType === 'OPT' && strike !== null && strike > 0) out.strike = strike;
  const right = str(c.right).toUpperCase();
  if (secType === 'OPT' && (right.startsWith('C') || right.startsWith('P'))) out.right = right.startsWith('C') ? 'C' : 'P';
  return out;
}

/** The TWS order for a spec (without ids). OPG orders are market orders with time in force OPG, as IBKR spells them. */
export function specToIbOrder(spec: OrderSpec, extra: { account: string; orderRef: string; whatIf?: boolean }): IbOrder {
  const isTrail = spec.orderType === 'TRAIL' || spec.orderType === 'TRAIL_LIMIT';
  const tif = specToIbTif(spec);
  const p = specToIbPrices(spec);
  const order: IbOrder = {
    action: spec.action === 'BUY' ? OrderAction.BUY : OrderAction.SELL,
    totalQuantity: spec.quantity,
    // IB_ORDER_TYPE holds @stoqey/ib's OrderType values, spelled as strings so the emulator shares them without the client library.
    orderType: p.orderType as OrderType,
    tif,
    outsideRth: spec.outsideRth,
    account: extra.account,
    orderRef: extra.orderRef,
    transmit: true,
  };
  if (p.lmtPrice !== null) order.lmtPrice = p.lmtPrice;
  if (p.auxPrice !== null) order.auxPrice = p.auxPrice;
  if (p.trailingPercent !== null) order.trailingPercent = p.trailingPercent;
  if (p.trailStopPrice !== null) order.trailStopPrice = p.trailStopPrice;
  if (isTrail && spec.limitOffset !== undefined) order.lmtPriceOffset = spec.limitOffset;
  if (spec.ocaGroup) {
    order.ocaGroup = spec.ocaGroup;
    order.ocaType = 1; // cancel the rest with block: IBKR's default for one-cancels-all
  }
  // IBKR's UTC form (YYYYMMDD-HH:MM:SS), so no time zone setting of the gateway can shift them.
  if (spec.goodAfterTime !== undefined) order.goodAfterTime = toTwsUtc(spec.goodAfterTime);
  if (spec.goodTillDate !== undefined) order.goodTillDate = toTwsUtc(spec.goodTillDate);
  if (extra.whatIf) order.whatIf = true;
  return order;
}

/** The spec an order seen at TWS means (orders placed elsewhere, found at reconciliation); null when unreadable. */
export function ibOrderToSpec(contract: Contract, order: unknown): OrderSpec | null {
  if (!isRecord(order)) return null;
  const type = str(order.orderType).toUpperCase();
  const tif = ibTif(str(order.tif).toUpperCase() || 'DAY') ?? 'DAY';
  const fields = ibTypeToSpecFields(type, {
    lmtPrice: num(order.lmtPrice) ?? undefined,
    auxPrice: num(order.auxPrice) ?? undefined,
    trailingPercent: num(order.trailingPercent) ?? undefined,
    trailStopPrice: num(order.trailStopPrice) ?? undefined,
    lmtPriceOffset: num(order.lmtPriceOffset) ?? undefined,
  }, tif);
  if (!fields) return null;
  const base: Record<string, unknown> = {
    ...specInstrument(contract),
    action: str(order.action).toUpperCase() === 'BUY' ? 'BUY' : 'SELL',
    quantity: num(order.totalQuantity) ?? 0,
    timeInForce: tif,
    outsideRth: order.outsideRth === true,
    ...fields,
  };
  const ocaGroup = str(order.ocaGroup);
  if (ocaGroup) base.ocaGroup = ocaGroup;
  const after = twsOrderTimeToIso(str(order.goodAfterTime), 'goodAfterTime');
  if (after) base.goodAfterTime = after;
  const till = tif === 'GTD' ? twsOrderTimeToIso(str(order.goodTillDate), 'goodTillDate') : undefined;
  if (till) base.goodTillDate = till;
  const account = str(order.account);
  if (account) base.account = account;
  const parsed = OrderSpec.safeParse(base);
  return parsed.success ? parsed.data : null;
}

/**
 * TWS order status -> ours. Cancelled after a rejection error stays REJECTED
 * (the caller keeps that); Inactive is IBKR's "not working and will not work
 * without intervention", which for an API order means rejected.
 */
export function mapStatus(tws: string, filled: number, _remaining: number): OrderStatus | null {
  switch (tws) {
    case 'ApiPending':
    case 'PendingSubmit':
      return 'PENDING_SUBMIT';
    case 'PreSubmitted':
      return 'SUBMITTED';
    case 'Submitted':
      return filled > 0 ? 'PARTIALLY_FILLED' : 'ACCEPTED';
    case 'Filled':
      return 'FILLED';
    case 'Cancelled':
    case 'ApiCancelled':
      return 'CANCELLED';
    case 'Inactive':
      return 'REJECTED';
    default:
      // PendingCancel and Unknown say nothing new about the order's fate.
      return null;
  }
}

/**
 * A completed order's final status (reqCompletedOrders): its TWS status, with
 * completedStatus telling an expiry or a rejection from a cancel; null when
 * it says nothing final.
 */
export function mapCompleted(tws: string, completedStatus: string): OrderStatus | null {
  switch (tws) {
    case 'Filled':
      return 'FILLED';
    case 'Cancelled':
    case 'ApiCancelled':
      if (/expir/i.test(completedStatus)) return 'EXPIRED';
      if (/reject/i.test(completedStatus)) return 'REJECTED';
      return 'CANCELLED';
    case 'Inactive':
      return 'REJECTED';
    default:
      return null;
  }
}

/** A TWS date-time, or epoch seconds (execution times may come either way) -> epoch ms; null when unreadable. */
export function parseTwsTime(s: string): number | null {
  const t = s.trim();
  if (/^\d{9,10}$/.test(t)) return Number(t) * 1000;
  return parseTwsDateTime(t);
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** Epoch ms -> "YYYYMMDD-HH:MM:SS" (UTC), the form TWS reads unambiguously in requests. */
export function twsUtc(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}-${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}
