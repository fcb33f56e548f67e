/**
 * Parsers for the requests we serve, field by field as @stoqey/ib's encoder
 * (and IBKR's EClient) writes them at server versions 176..178. Each returns
 * a plain object; nothing here talks to the broker.
 */
import { FieldReader } from './framing.js';
import { readContract, type RequestContract } from './request-contract.js';

export type { RequestContract } from './request-contract.js';

export function parseContractDetails(r: FieldReader): { reqId: number; contract: RequestContract } {
  r.skip(1); // version
  const reqId = r.int();
  const contract = readContract(r);
  return { reqId, contract };
}

export function parseSecDefOptParams(r: FieldReader): { reqId: number; symbol: string; futFopExchange: string; secType: string; conId: number } {
  return { reqId: r.int(), symbol: r.str(), futFopExchange: r.str(), secType: r.str().toUpperCase(), conId: r.int() };
}

export interface MktDataRequest {
  reqId: number;
  contract: RequestContract;
  genericTicks: string;
  snapshot: boolean;
  regulatorySnapshot: boolean;
}

export function parseMktData(r: FieldReader): MktDataRequest {
  r.skip(1); // version
  const reqId = r.int();
  const contract = readContract(r);
  if (contract.secType === 'BAG') {
    const legs = r.int();
    r.skip(legs * 4);
  }
  if (r.bool()) r.skip(3); // delta-neutral contract
  const genericTicks = r.str();
  const snapshot = r.bool();
  const regulatorySnapshot = r.bool();
  return { reqId, contract, genericTicks, snapshot, regulatorySnapshot };
}

export interface HistoricalRequest {
  reqId: number;
  contract: RequestContract;
  endDateTime: string;
  barSize: string;
  duration: string;
  useRth: boolean;
  whatToShow: string;
  formatDate: number;
  keepUpToDate: boolean;
}

export function parseHistorical(r: FieldReader): HistoricalRequest {
  const reqId = r.int();
  const contract = readContract(r);
  r.skip(1); // includeExpired
  const endDateTime = r.str();
  const barSize = r.str();
  const duration = r.str();
  const useRth = r.bool();
  const whatToShow = r.str().toUpperCase();
  const formatDate = r.int();
  if (contract.secType === 'BAG') {
    const legs = r.int();
    r.skip(legs * 4);
  }
  const keepUpToDate = r.bool();
  return { reqId, contract, endDateTime, barSize, duration, useRth, whatToShow, formatDate, keepUpToDate };
}

export interface PlaceOrderRequestWire {
  orderId: number;
  contract: RequestContract;
  action: string;
  totalQuantity: number;
  orderType: string;
  lmtPrice: number | null;
  auxPrice: number | null;
  tif: string;
  ocaGroup: string;
  account: string;
  orderRef: string;
  transmit: boolean;
  parentId: number;
  outsideRth: boolean;
  trailStopPrice: number | null;
  trailingPercent: number | null;
  /** TRAIL LIMIT: the limit's offset from the stop (sent after whatIf, with the adjusted-order fields). */
  lmtPriceOffset: number | null;
  algoStrategy: string;
  whatIf: boolean;
  /** Fields the simulator does not act on but a gateway reports back in openOrder, as the client sent them. */
  echo: OrderEcho;
  /** Set when the order uses something the emulator cannot honour (combo legs, hedges, ...). */
  unsupported: string | null;
}

/**
 * Order fields echoed in openOrder and completedOrder exactly as the client
 * wrote them (so every decoder reads back its own text). Conditions are kept
 * as their raw fields, type first, which is how both directions lay them out.
 */
export interface OrderEcho {
  openClose: string;
  origin: string;
  hidden: string;
  discretionaryAmt: string;
  goodAfterTime: string;
  goodTillDate: string;
  modelCode: string;
  rule80A: string;
  percentOffset: string;
  displaySize: string;
  blockOrder: string;
  sweepToFill: string;
  allOrNone: string;
  minQty: string;
  ocaType: string;
  triggerMethod: string;
  conditions: string[][];
  conditionsIgnoreRth: string;
  conditionsCancelOrder: string;
  cashQty: string;
}

export const EMPTY_ECHO: OrderEcho = {
  openClose: '', origin: '0', hidden: '0', discretionaryAmt: '0', goodAfterTime: '', goodTillDate: '', modelCode: '', rule80A: '', percentOffset: '',
  displaySize: '', blockOrder: '0', sweepToFill: '0', allOrNone: '0', minQty: '', ocaType: '0', triggerMethod: '0', conditions: [], conditionsIgnoreRth: '0', conditionsCancelOrder: '0', cashQty: '',
};

const FA_PROFILE_DESUPPORT = 177;

/** Fields after the condition type (the conjunction first), by OrderConditionType: Price 1, Time 3, Margin 4, Execution 5, Volume 6, PercentChange 7. */
const CONDITION_FIELDS: Record<number, number> = { 1: 6, 3: 3, 4: 3, 5: 4, 6: 5, 7: 5 };

/**
 * PLACE_ORDER at >= ORDER_CONTAINER (no version field). Read through the
 * conditions, the adjusted-order fields (TRAIL LIMIT's lmtPriceOffset) and
 * the cash quantity: what the simulator cannot honour is flagged, what it
 * does not act on is kept to be echoed.
 */
export function parsePlaceOrder(r: FieldReader, serverVersion: number): PlaceOrderRequestWire {
  const echo: OrderEcho = { ...EMPTY_ECHO, conditions: [] };
  const orderId = r.int();
  const contract = readContract(r);
  r.skip(2); // secIdType, secId
  const action = r.str().toUpperCase();
  const totalQuantity = r.num() ?? 0;
  const orderType = r.str().toUpperCase();
  const lmtPrice = r.num();
  const auxPrice = r.num();
  const tif = r.str().toUpperCase();
  const ocaGroup = r.str();
  const account = r.str();
  echo.openClose = r.str();
  echo.origin = r.str() || '0';
  const orderRef = r.str();
  const transmit = r.bool();
  const parentId = r.int();
  echo.blockOrder = r.str() || '0';
  echo.sweepToFill = r.str() || '0';
  echo.displaySize = r.str();
  echo.triggerMethod = r.str() || '0';
  const outsideRth = r.bool();
  echo.hidden = r.str() || '0';
  let unsupported: string | null = null;
  if (contract.secType === 'BAG') return { orderId, contract, action, totalQuantity, orderType, lmtPrice, auxPrice, tif, ocaGroup, account, orderRef, transmit, parentId, outsideRth, trailStopPrice: null, trailingPercent: null, lmtPriceOffset: null, algoStrategy: '', whatIf: false, echo, unsupported: 'combo (BAG) orders are not supported' };
  r.skip(1); // deprecated sharesAllocation
  echo.discretionaryAmt = r.str() || '0';
  echo.goodAfterTime = r.str();
  echo.goodTillDate = r.str();
  r.skip(3); // faGroup, faMethod, faPercentage
  if (serverVersion < FA_PROFILE_DESUPPORT) r.skip(1);
  echo.modelCode = r.str();
  r.skip(3); // shortSaleSlot, designatedLocation, exemptCode
  echo.ocaType = r.str() || '0';
  echo.rule80A = r.str();
  r.skip(1); // settlingFirm
  echo.allOrNone = r.str() || '0';
  echo.minQty = r.str();
  echo.percentOffset = r.str();
  r.skip(3); // eTradeOnly, firmQuoteOnly, nbboPriceCap
  r.skip(1); // auctionStrategy
  r.skip(5); // startingPrice, stockRefPrice, delta, stockRangeLower, stockRangeUpper
  r.skip(1); // overridePercentageConstraints
  const volatility = r.num();
  r.skip(1); // volatilityType
  const dnType = r.str();
  r.skip(1); // deltaNeutralAuxPrice
  if (dnType !== '') r.skip(8);
  r.skip(2); // continuousUpdate, referencePriceType
  const trailStopPrice = r.num();
  const trailingPercent = r.num();
  r.skip(2); // scaleInitLevelSize, scaleSubsLevelSize
  const scalePriceIncrement = r.str();
  if (scalePriceIncrement !== '') r.skip(7);
  r.skip(3); // scaleTable, activeStartTime, activeStopTime
  const hedgeType = r.str();
  if (hedgeType !== '') r.skip(1);
  r.skip(1); // optOutSmartRouting
  r.skip(2); // clearingAccount, clearingIntent
  r.skip(1); // notHeld
  if (r.bool()) {
    r.skip(3);
    unsupported = 'delta-neutral contracts are not supported';
  }
  const algoStrategy = r.str();
  if (algoStrategy !== '') r.skip(r.int() * 2);
  r.skip(1); // algoId
  const whatIf = r.bool();
  r.skip(4); // orderMiscOptions, solicited, randomizeSize, randomizePrice
  if (orderType === 'PEG BENCH') r.skip(5);
  const nConditions = r.int();
  for (let i = 0; i < nConditions; i++) {
    const type = r.int();
    const width = CONDITION_FIELDS[type];
    if (width === undefined) {
      unsupported = `order condition type ${type} is not known`;
      break;
    }
    const fields = [String(type)];
    for (let k = 0; k < width; k++) fields.push(r.str());
    echo.conditions.push(fields);
  }
  // The simulator cannot watch conditions: a conditional order would work at once, so it is refused (a what-if is only echoed).
  if (nConditions > 0 && !whatIf && unsupported === null) unsupported = 'conditional orders are not supported';
  if (nConditions > 0 && echo.conditions.length === nConditions) {
    echo.conditionsIgnoreRth = r.str() || '0';
    echo.conditionsCancelOrder = r.str() || '0';
  }
  let lmtPriceOffset: number | null = null;
  if (echo.conditions.length === nConditions) {
    r.skip(2); // adjustedOrderType, triggerPrice
    lmtPriceOffset = r.num();
    r.skip(4); // adjustedStopPrice, adjustedStopLimitPrice, adjustedTrailingAmount, adjustableTrailingUnit
    r.skip(3); // extOperator, softDollarTier name, value
    echo.cashQty = r.str();
  }
  if (volatility !== null) unsupported = 'volatility orders are not supported';
  if (hedgeType !== '') unsupported = 'hedge orders are not supported';
  if (scalePriceIncrement !== '') unsupported = 'scale orders are not supported';
  return { orderId, contract, action, totalQuantity, orderType, lmtPrice, auxPrice, tif, ocaGroup, account, orderRef, transmit, parentId, outsideRth, trailStopPrice, trailingPercent, lmtPriceOffset, algoStrategy, whatIf, echo, unsupported };
}

export function parseCancelOrder(r: FieldReader): { orderId: number } {
  r.skip(1); // version (sent below CME_TAGGING_FIELDS, i.e. at every version we serve)
  return { orderId: r.int() };
}

export interface ExecutionFilterWire {
  reqId: number;
  clientId: number;
  acctCode: string;
  time: string;
  symbol: string;
  secType: string;
  exchange: string;
  side: string;
}

export function parseExecutions(r: FieldReader): ExecutionFilterWire {
  r.skip(1); // version
  return { reqId: r.int(), clientId: r.int(), acctCode: r.str(), time: r.str(), symbol: r.str().toUpperCase(), secType: r.str().toUpperCase(), exchange: r.str().toUpperCase(), side: r.str().toUpperCase() };
}

export function parseAccountSummary(r: FieldReader): { reqId: number; group: string; tags: string[] } {
  r.skip(1);
  const reqId = r.int();
  const group = r.str();
  const tags = r.str().split(',').map((t) => t.trim()).filter((t) => t !== '');
  return { reqId, group, tags };
}

export function parseAccountUpdates(r: FieldReader): { subscribe: boolean; account: string } {
  r.skip(1);
  return { subscribe: r.bool(), account: r.str() };
}

export function parsePnl(r: FieldReader): { reqId: number; account: string; modelCode: string } {
  return { reqId: r.int(), account: r.str(), modelCode: r.str() };
}

export function parsePnlSingle(r: FieldReader): { reqId: number; account: string; modelCode: string; conId: number } {
  return { reqId: r.int(), account: r.str(), modelCode: r.str(), conId: r.int() };
}

/** TWS date-times in requests (end of a history window, executions since). */
export { parseTwsDateTime as parseTwsTime } from '../ibkr/time.js';

/** REQ_POSITIONS_MULTI (version 1): reqId, account, modelCode. */
export function parsePositionsMulti(r: FieldReader): { reqId: number; account: string; modelCode: string } {
  r.skip(1);
  return { reqId: r.int(), account: r.str(), modelCode: r.str() };
}

/** REQ_ACCOUNT_UPDATES_MULTI (version 1): reqId, account, modelCode, ledgerAndNLV. */
export function parseAccountUpdatesMulti(r: FieldReader): { reqId: number; account: string; modelCode: string; ledgerAndNlv: boolean } {
  r.skip(1);
  return { reqId: r.int(), account: r.str(), modelCode: r.str(), ledgerAndNlv: r.bool() };
}

/** Cancels that carry a version and then the request id (CANCEL_POSITIONS_MULTI, CANCEL_ACCOUNT_UPDATES_MULTI, CANCEL_MKT_DEPTH, CANCEL_REAL_TIME_BARS, CANCEL_SCANNER_SUBSCRIPTION). */
export function parseVersionedCancel(r: FieldReader): number {
  r.skip(1);
  return r.int();
}
