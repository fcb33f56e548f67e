/**
 * Order messages as @stoqey/ib and IBKR's EDecoder read them at server
 * versions 176..178: OPEN_ORDER (no version field since ORDER_CONTAINER, so
 * every optional block must be present in order), ORDER_STATUS (no version
 * since MARKET_CAP_PRICE), EXECUTION_DATA (no version since LAST_LIQUIDITY,
 * pendingPriceRevision from 178) and COMMISSION_REPORT.
 */
import { UNSET_DOUBLE, UNSET_INT, type Field } from '../framing.js';
import { Msg } from '../protocol.js';
import type { WireContract } from './contract.js';
import type { OrderEcho } from '../requests.js';

const FA_PROFILE_DESUPPORT = 177;
const PENDING_PRICE_REVISION = 178;

export interface WhatIfState {
  initMarginBefore: number | null;
  maintMarginBefore: number | null;
  equityWithLoanBefore: number | null;
  initMarginChange: number | null;
  maintMarginChange: number | null;
  equityWithLoanChange: number | null;
  initMarginAfter: number | null;
  maintMarginAfter: number | null;
  equityWithLoanAfter: number | null;
  commission: number | null;
  minCommission: number | null;
  maxCommission: number | null;
  commissionCurrency: string;
  warningText: string;
}

/** What OPEN_ORDER says about one order. */
export interface OrderView {
  orderId: number;
  clientId: number;
  permId: number;
  parentId: number;
  contract: WireContract;
  action: string;
  totalQuantity: number;
  /** TWS order type: MKT, LMT, STP, STP LMT, TRAIL, TRAIL LIMIT, MOC. */
  orderType: string;
  lmtPrice: number | null;
  auxPrice: number | null;
  tif: string;
  ocaGroup: string;
  account: string;
  orderRef: string;
  outsideRth: boolean;
  trailStopPrice: number | null;
  trailingPercent: number | null;
  lmtPriceOffset: number | null;
  whatIf: boolean;
  /** TWS status: PendingSubmit, PreSubmitted, Submitted, Filled, Cancelled, Inactive. */
  status: string;
  whatIfState: WhatIfState | null;
  filledQuantity: number;
  /** Fields reported back as the client sent them. */
  echo: OrderEcho;
}

/** The conditions block (count, each condition's fields, then the two flags when there are any), as both directions lay it out. */
function conditionFields(e: OrderEcho): Field[] {
  if (e.conditions.length === 0) return [0];
  return [e.conditions.length, ...e.conditions.flat(), e.conditionsIgnoreRth, e.conditionsCancelOrder];
}

const d = (v: number | null | undefined): Field => (v === null || v === undefined ? '' : v);
/** Unset what-if values go out as Double.MAX_VALUE, as a real gateway writes them. */
const wi = (v: number | null | undefined): Field => (v === null || v === undefined ? UNSET_DOUBLE : v);

export function openOrderMessage(serverVersion: number, o: OrderView): Field[] {
  const c = o.contract;
  const s = o.whatIfState;
  const e = o.echo;
  const f: Field[] = [
    Msg.OPEN_ORDER,
    o.orderId,
    c.conId, c.symbol, c.secType, c.lastTradeDateOrContractMonth, c.strike, c.right, c.multiplier, c.exchange, c.currency, c.localSymbol, c.tradingClass,
    o.action, o.totalQuantity, o.orderType, d(o.lmtPrice), d(o.auxPrice), o.tif, o.ocaGroup, o.account,
    e.openClose, e.origin,
    o.orderRef, o.clientId, o.permId, o.outsideRth, e.hidden, e.discretionaryAmt, e.goodAfterTime,
    '', // deprecated sharesAllocation
    '', '', '', // faGroup, faMethod, faPercentage
  ];
  if (serverVersion < FA_PROFILE_DESUPPORT) f.push(''); // faProfile
  f.push(
    e.modelCode,
    e.goodTillDate,
    e.rule80A,
    e.percentOffset,
    '', // settlingFirm
    0, '', -1, // shortSaleSlot, designatedLocation, exemptCode
    0, // auctionStrategy
    '', '', '', // startingPrice, stockRefPrice, delta
    '', '', // stockRangeLower, stockRangeUpper
    e.displaySize,
    e.blockOrder, e.sweepToFill, e.allOrNone,
    e.minQty,
    e.ocaType,
    0, 0, // eTradeOnly, firmQuoteOnly
    '', // nbboPriceCap
    o.parentId,
    e.triggerMethod,
    '', 0, // volatility, volatilityType
    '', '', // deltaNeutralOrderType (empty: no further delta-neutral fields), deltaNeutralAuxPrice
    0, 0, // continuousUpdate, referencePriceType
    d(o.trailStopPrice), d(o.trailingPercent),
    '', '', // basisPoints, basisPointsType
    '', 0, 0, // comboLegsDescription, comboLegs count, orderComboLegs count
    0, // smartComboRoutingParams count
    '', '', '', // scaleInitLevelSize, scaleSubsLevelSize, scalePriceIncrement (unset: no further scale fields)
    '', // hedgeType (empty: no hedgeParam)
    0, // optOutSmartRouting
    '', '', // clearingAccount, clearingIntent
    0, // notHeld
    0, // deltaNeutral contract present
    '', // algoStrategy (empty: no params)
    0, // solicited
    o.whatIf, o.status,
    wi(s?.initMarginBefore), wi(s?.maintMarginBefore), wi(s?.equityWithLoanBefore),
    wi(s?.initMarginChange), wi(s?.maintMarginChange), wi(s?.equityWithLoanChange),
    wi(s?.initMarginAfter), wi(s?.maintMarginAfter), wi(s?.equityWithLoanAfter),
    wi(s?.commission), wi(s?.minCommission), wi(s?.maxCommission),
    s?.commissionCurrency ?? '', s?.warningText ?? '',
    0, 0, // randomizeSize, randomizePrice
    // (no pegged-to-benchmark block: never a PEG BENCH order)
    ...conditionFields(e),
    '', '', d(o.trailStopPrice), d(o.lmtPriceOffset), '', '', '', 0, // adjusted order params
    '', '', '', // softDollarTier name, value, displayName
    e.cashQty,
    0, // dontUseAutoPriceForHedge
    0, // isOmsContainer
    0, // discretionaryUpToLimitPrice
    0, // usePriceMgmtAlgo
    UNSET_INT, // duration
    UNSET_INT, // postToAts
    0, // autoCancelParent
    UNSET_INT, UNSET_INT, '', '', '', // minTradeQty, minCompeteSize, competeAgainstBestOffset, midOffsetAtWhole, midOffsetAtHalf
  );
  return f;
}

export const openOrderEndMessage = (): Field[] => [Msg.OPEN_ORDER_END, 1];

export interface StatusView {
  orderId: number;
  status: string;
  filled: number;
  remaining: number;
  avgFillPrice: number;
  permId: number;
  parentId: number;
  lastFillPrice: number;
  clientId: number;
}

export const orderStatusMessage = (v: StatusView): Field[] => [
  Msg.ORDER_STATUS, v.orderId, v.status, v.filled, v.remaining, v.avgFillPrice, v.permId, v.parentId, v.lastFillPrice, v.clientId, '', 0,
];

export interface ExecutionView {
  reqId: number;
  orderId: number;
  contract: WireContract;
  execId: string;
  /** "YYYYMMDD HH:MM:SS UTC" */
  time: string;
  account: string;
  exchange: string;
  /** BOT or SLD */
  side: string;
  shares: number;
  price: number;
  permId: number;
  clientId: number;
  cumQty: number;
  avgPrice: number;
  orderRef: string;
  /** 1 for an IB-initiated liquidation. */
  liquidation?: number;
}

export function execDetailsMessage(serverVersion: number, e: ExecutionView): Field[] {
  const c = e.contract;
  const f: Field[] = [
    Msg.EXECUTION_DATA, e.reqId, e.orderId,
    c.conId, c.symbol, c.secType, c.lastTradeDateOrContractMonth, c.strike, c.right, c.multiplier, c.exchange, c.currency, c.localSymbol, c.tradingClass,
    e.execId, e.time, e.account, e.exchange, e.side, e.shares, e.price, e.permId, e.clientId,
    e.liquidation ?? 0,
    e.cumQty, e.avgPrice, e.orderRef,
    '', '', // evRule, evMultiplier
    '', // modelCode
    1, // lastLiquidity: added liquidity
  ];
  if (serverVersion >= PENDING_PRICE_REVISION) f.push(0);
  return f;
}

export const execDetailsEndMessage = (reqId: number): Field[] => [Msg.EXECUTION_DATA_END, 1, reqId];

export const commissionReportMessage = (execId: string, commission: number, currency: string, realizedPnl: number | null): Field[] => [
  Msg.COMMISSION_REPORT, 1, execId, commission, currency, realizedPnl ?? UNSET_DOUBLE, UNSET_DOUBLE, 0,
];

/** What COMPLETED_ORDER adds to an order's view: when and how it ended, and its parent's permId. */
export interface CompletedView {
  parentPermId: number;
  /** "YYYYMMDD HH:MM:SS UTC" */
  completedTime: string;
  completedStatus: string;
}

/**
 * COMPLETED_ORDER as @stoqey/ib's decoder reads it (EOrderDecoder with
 * version MAX: no order id and no client id, no faProfile; the peg-best/mid
 * block from PEGBEST_PEGMID_OFFSETS, which every served version has).
 */
export function completedOrderMessage(o: OrderView, done: CompletedView): Field[] {
  const c = o.contract;
  const e = o.echo;
  return [
    Msg.COMPLETED_ORDER,
    c.conId, c.symbol, c.secType, c.lastTradeDateOrContractMonth, c.strike, c.right, c.multiplier, c.exchange, c.currency, c.localSymbol, c.tradingClass,
    o.action, o.totalQuantity, o.orderType, d(o.lmtPrice), d(o.auxPrice), o.tif, o.ocaGroup, o.account,
    e.openClose, e.origin,
    o.orderRef, o.permId, o.outsideRth, e.hidden, e.discretionaryAmt, e.goodAfterTime,
    '', '', '', // faGroup, faMethod, faPercentage
    e.modelCode,
    e.goodTillDate,
    e.rule80A,
    e.percentOffset,
    '', // settlingFirm
    0, '', -1, // shortSaleSlot, designatedLocation, exemptCode
    '', '', '', // startingPrice, stockRefPrice, delta
    '', '', // stockRangeLower, stockRangeUpper
    e.displaySize,
    e.sweepToFill, e.allOrNone,
    e.minQty,
    e.ocaType,
    e.triggerMethod,
    '', 0, // volatility, volatilityType
    '', '', // deltaNeutralOrderType (empty: no further delta-neutral fields), deltaNeutralAuxPrice
    0, 0, // continuousUpdate, referencePriceType
    d(o.trailStopPrice), d(o.trailingPercent),
    '', 0, 0, // comboLegsDescription, comboLegs count, orderComboLegs count
    0, // smartComboRoutingParams count
    '', '', '', // scaleInitLevelSize, scaleSubsLevelSize, scalePriceIncrement (unset: no further scale fields)
    '', // hedgeType (empty: no hedgeParam)
    '', '', // clearingAccount, clearingIntent
    0, // notHeld
    0, // deltaNeutral contract present
    '', // algoStrategy (empty: no params)
    0, // solicited
    o.status,
    0, 0, // randomizeSize, randomizePrice
    // (no pegged-to-benchmark block: never a PEG BENCH order)
    ...conditionFields(e),
    d(o.trailStopPrice), d(o.lmtPriceOffset),
    e.cashQty,
    0, // dontUseAutoPriceForHedge
    0, // isOmsContainer
    '', // autoCancelDate
    o.filledQuantity,
    0, // refFuturesConId
    0, // autoCancelParent
    '', // shareholder
    0, // imbalanceOnly
    0, // routeMarketableToBbo
    done.parentPermId,
    done.completedTime,
    done.completedStatus,
    UNSET_INT, UNSET_INT, '', '', '', // minTradeQty, minCompeteSize, competeAgainstBestOffset, midOffsetAtWhole, midOffsetAtHalf
  ];
}

export const completedOrdersEndMessage = (): Field[] => [Msg.COMPLETED_ORDERS_END];
