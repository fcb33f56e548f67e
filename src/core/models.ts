/**
 * The one definition of every shape in ibkr-gateway.
 *
 * Request validation (REST), the OpenAPI document, the MCP tool schemas and the
 * library's TypeScript types are all derived from these zod schemas. Change a
 * shape here and every interface follows.
 *
 * Conventions: money and prices are JSON numbers (rounded to cents at the edge,
 * computed with decimal arithmetic inside); time is a UTC ISO 8601 string;
 * NaN and Infinity are never accepted (zod 4's z.number() rejects both).
 *
 * Why one long file (past the ~400 lines the other modules keep to): the shapes
 * refer to each other (an order detail holds a spec, fills and a status), and
 * one file read top to bottom is the whole vocabulary of the API. It holds
 * declarations only, in sections, no logic beyond refinements.
 */
import { z } from 'zod';

// ---------------------------------------------------------------------------
// Scalars
// ---------------------------------------------------------------------------

export const SecurityType = z.enum(['STK', 'ETF', 'FUT', 'OPT', 'IND', 'CASH', 'CFD', 'BOND', 'FUND', 'CRYPTO']);
export type SecurityType = z.infer<typeof SecurityType>;

export const OptionRight = z.enum(['C', 'P']);
export type OptionRight = z.infer<typeof OptionRight>;

export const OrderAction = z.enum(['BUY', 'SELL']);
export type OrderAction = z.infer<typeof OrderAction>;

/**
 * Order types. LOC is limit-on-close: the closing auction at the close price when it is within the limit.
 * MIDPRICE (IBKR's Midprice) works at the midpoint of the bid and ask or better, with limitPrice as an optional cap.
 */
export const OrderType = z.enum(['MKT', 'LMT', 'STP', 'STP_LMT', 'TRAIL', 'TRAIL_LIMIT', 'MOC', 'OPG', 'LOC', 'MIDPRICE']);
export type OrderType = z.infer<typeof OrderType>;

/** Time in force. GTD (good till date) works until its goodTillDate, as IBKR's GTD. */
export const TimeInForce = z.enum(['DAY', 'GTC', 'IOC', 'FOK', 'OPG', 'GTD']);
export type TimeInForce = z.infer<typeof TimeInForce>;

/** Order statuses. Append-only: never remove or rename a value. */
export const OrderStatus = z.enum([
  'SIMULATED',
  'PENDING_SUBMIT',
  'SUBMITTED',
  'ACCEPTED',
  'PARTIALLY_FILLED',
  'FILLED',
  'CANCELLED',
  'REJECTED',
  'EXPIRED',
  'UNKNOWN',
  'PENDING_APPROVAL',
  'APPROVED',
]);
export type OrderStatus = z.infer<typeof OrderStatus>;

/** Statuses after which an order can never change again. */
export const TERMINAL_STATUSES: ReadonlySet<OrderStatus> = new Set<OrderStatus>([
  'SIMULATED',
  'FILLED',
  'CANCELLED',
  'REJECTED',
  'EXPIRED',
  'APPROVED',
]);

export const QuoteSource = z.enum(['SIMULATED', 'IBKR_REALTIME', 'IBKR_DELAYED', 'IBKR_FROZEN']);
export type QuoteSource = z.infer<typeof QuoteSource>;

export const TradingMode = z.enum(['paper', 'live']);
export type TradingMode = z.infer<typeof TradingMode>;

export const BrokerKind = z.enum(['sim', 'tws']);
export type BrokerKind = z.infer<typeof BrokerKind>;

/** A UTC ISO 8601 timestamp, e.g. 2026-11-24T15:30:00.000Z. */
export const Timestamp = z.iso.datetime({ offset: false }).describe('UTC ISO 8601 timestamp');

/** A price: finite, >= 0 is not enough for order prices, see PositivePrice. */
const Price = z.number().describe('Price in the instrument currency');
const PositivePrice = z.number().positive().max(1e9).describe('Price in the instrument currency, > 0');
const Money = z.number().describe('Amount in the account or instrument currency, rounded to cents');
const NullableNumber = z.number().nullable();

/** Symbols are trimmed and upper-cased: " aapl " and "AAPL" are the same instrument. */
export const Symbol = z
  .string()
  .trim()
  .min(1, 'symbol must not be empty')
  .max(32)
  .transform((s) => s.toUpperCase())
  .pipe(z.string().regex(/^[A-Z0-9][A-Z0-9 ./\-&]*$/, 'symbol may contain letters, digits, space, . / - &'))
  .describe('Ticker symbol, e.g. AAPL, ES, EUR.USD (case-insensitive)');

const isRealDate = (y: number, m: number, d: number): boolean => {
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
};

/** Expiry as YYYY-MM-DD, or YYYYMM for a futures contract month. */
export const Expiry = z
  .string()
  .trim()
  .refine(
    (s) => {
      const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
      if (day) return isRealDate(Number(day[1]), Number(day[2]), Number(day[3]));
      const month = /^(\d{4})(\d{2})$/.exec(s);
      if (month) return Number(month[2]) >= 1 && Number(month[2]) <= 12;
      return false;
    },
    { message: 'expiry must be YYYY-MM-DD, or YYYYMM for a futures month' },
  )
  .describe('Expiry: YYYY-MM-DD, or YYYYMM for a futures contract month');

const Exchange = z
  .string()
  .trim()
  .min(1)
  .max(16)
  .transform((s) => s.toUpperCase())
  .describe('Exchange, e.g. SMART, NASDAQ, CME, IDEALPRO');

const Currency = z
  .string()
  .trim()
  .transform((s) => s.toUpperCase())
  .pipe(z.string().regex(/^[A-Z]{3}$/, 'currency must be a 3-letter ISO code'))
  .describe('ISO 4217 currency, e.g. USD');

export const OrderId = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'orderId must be 1-64 letters, digits, _ or -')
  .describe('Gateway order id');

const ClientOrderId = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'clientOrderId must be 1-64 letters, digits or _ . : -')
  .describe('Your own id for the order; unique per account, a repeat returns the first result');

// ---------------------------------------------------------------------------
// Instruments
// ---------------------------------------------------------------------------

/** The fields that identify an instrument; shared by SymbolSpec and OrderSpec. */
export const instrumentFields = {
  symbol: Symbol,
  securityType: SecurityType.default('STK').describe('Security type; default STK'),
  exchange: Exchange.optional(),
  currency: Currency.optional(),
  expiry: Expiry.optional(),
  strike: z.number().min(0).max(1e9).optional().describe('Option strike, >= 0'),
  right: OptionRight.optional().describe('Option right: C (call) or P (put)'),
};

export const SymbolSpec = z.strictObject(instrumentFields).describe('What to look up: a symbol and, if needed, the fields that make it unique');
export type SymbolSpec = z.infer<typeof SymbolSpec>;
export type SymbolSpecInput = z.input<typeof SymbolSpec>;

export const Contract = z
  .object({
    conId: z.number().int().positive().describe('IBKR contract id'),
    symbol: z.string(),
    securityType: SecurityType,
    exchange: z.string(),
    primaryExchange: z.string().optional(),
    currency: z.string(),
    localSymbol: z.string().optional(),
    tradingClass: z.string().optional(),
    description: z.string().optional(),
    expiry: z.string().optional(),
    strike: z.number().optional(),
    right: OptionRight.optional(),
    multiplier: z.number().positive().default(1),
    minTick: z.number().positive(),
  })
  .describe('A fully resolved instrument');
export type Contract = z.infer<typeof Contract>;

// ---------------------------------------------------------------------------
// Market data
// ---------------------------------------------------------------------------

export const Quote = z
  .object({
    symbol: z.string(),
    conId: z.number().int(),
    bid: NullableNumber,
    ask: NullableNumber,
    last: NullableNumber,
    bidSize: NullableNumber,
    askSize: NullableNumber,
    lastSize: NullableNumber,
    volume: NullableNumber,
    open: NullableNumber,
    high: NullableNumber,
    low: NullableNumber,
    close: NullableNumber.describe('Previous session close'),
    timestamp: Timestamp,
    source: QuoteSource,
  })
  .describe('A market quote snapshot; null where the market does not provide a value');
export type Quote = z.infer<typeof Quote>;

export const BarSize = z.enum([
  '1 secs', '5 secs', '10 secs', '15 secs', '30 secs',
  '1 min', '2 mins', '3 mins', '5 mins', '10 mins', '15 mins', '20 mins', '30 mins',
  '1 hour', '2 hours', '3 hours', '4 hours', '8 hours',
  '1 day', '1 week', '1 month',
]);
export type BarSize = z.infer<typeof BarSize>;

/** IBKR duration strings: an integer and a unit, S (seconds), D, W, M or Y. */
export const Duration = z
  .string()
  .trim()
  .transform((s) => s.toUpperCase())
  .pipe(z.string().regex(/^[1-9]\d{0,4} [SDWMY]$/, 'duration must be like "60 S", "1 D", "2 W", "1 M", "1 Y"'))
  .describe('How far back: "60 S", "1 D", "1 W", "1 M", "1 Y"');
export type Duration = z.infer<typeof Duration>;

export const WhatToShow = z.enum(['TRADES', 'MIDPOINT', 'BID', 'ASK']);
export type WhatToShow = z.infer<typeof WhatToShow>;

export const HistoricalRequest = z.strictObject({
  ...instrumentFields,
  barSize: BarSize.default('1 day'),
  duration: Duration.default('1 M'),
  whatToShow: WhatToShow.default('TRADES'),
  useRth: z.boolean().default(true).describe('Regular trading hours only'),
  endTime: Timestamp.optional().describe('End of the window; default now'),
});
export type HistoricalRequest = z.infer<typeof HistoricalRequest>;
export type HistoricalRequestInput = z.input<typeof HistoricalRequest>;

export const Bar = z.object({
  time: Timestamp.describe('Start of the bar'),
  open: Price,
  high: Price,
  low: Price,
  close: Price,
  volume: z.number().min(0),
  wap: z.number().optional(),
  barCount: z.number().int().optional(),
});
export type Bar = z.infer<typeof Bar>;

export const OptionChainQuery = z.strictObject({
  symbol: Symbol,
  securityType: z.enum(['STK', 'ETF', 'IND', 'FUT']).default('STK'),
  exchange: Exchange.optional(),
  currency: Currency.optional(),
  expiry: Expiry.optional().describe('Only this expiry (YYYY-MM-DD); default all'),
  strikesAroundSpot: z.coerce.number().int().min(1).max(100).default(10).describe('How many strikes each side of spot to price'),
});
export type OptionChainQuery = z.infer<typeof OptionChainQuery>;

export const OptionQuote = z.object({
  conId: z.number().int(),
  expiry: z.string(),
  strike: z.number(),
  right: OptionRight,
  bid: NullableNumber,
  ask: NullableNumber,
  last: NullableNumber,
  impliedVolatility: NullableNumber,
  delta: NullableNumber,
  gamma: NullableNumber,
  theta: NullableNumber,
  vega: NullableNumber,
});
export type OptionQuote = z.infer<typeof OptionQuote>;

export const OptionChain = z.object({
  underlying: z.string(),
  underlyingConId: z.number().int(),
  underlyingPrice: NullableNumber,
  exchange: z.string(),
  multiplier: z.number(),
  expirations: z.array(z.string()),
  strikes: z.array(z.number()),
  options: z.array(OptionQuote).describe('Priced options for the requested expiry and strikes near spot'),
  timestamp: Timestamp,
});
export type OptionChain = z.infer<typeof OptionChain>;

// ---------------------------------------------------------------------------
// Account
// ---------------------------------------------------------------------------

export const Position = z.object({
  accountId: z.string(),
  symbol: z.string(),
  conId: z.number().int(),
  securityType: SecurityType,
  currency: z.string(),
  quantity: z.number().describe('Signed: negative is short'),
  avgCost: Price.describe('Average cost per unit (per share / per contract incl. multiplier)'),
  marketPrice: NullableNumber,
  marketValue: NullableNumber,
  unrealizedPnl: NullableNumber,
  realizedPnl: Money,
});
export type Position = z.infer<typeof Position>;

export const AccountSummary = z.object({
  accountId: z.string(),
  currency: z.string(),
  netLiquidation: Money,
  /** Every cash balance translated into `currency` (IBKR's TotalCashValue). */
  totalCash: Money,
  /** Cash by currency, as IBKR's CashBalance account values report it; absent when the broker does not say. */
  cashBalances: z
    .array(z.object({ currency: z.string(), amount: Money.describe('In that currency'), amountInBase: Money.describe('Translated into the account currency at the current rate'), rate: z.number().describe('Account currency per unit of this currency') }))
    .optional(),
  buyingPower: Money,
  availableFunds: Money,
  excessLiquidity: Money,
  equityWithLoanValue: Money,
  grossPositionValue: Money,
  initMarginReq: Money,
  maintMarginReq: Money,
  unrealizedPnl: Money,
  realizedPnl: Money,
  timestamp: Timestamp,
});
export type AccountSummary = z.infer<typeof AccountSummary>;

export const PnLDetail = z.object({
  symbol: z.string(),
  conId: z.number().int(),
  position: z.number(),
  dailyPnl: NullableNumber,
  unrealizedPnl: NullableNumber,
  realizedPnl: Money,
  marketValue: NullableNumber,
});
export type PnLDetail = z.infer<typeof PnLDetail>;

export const AccountPnL = z.object({
  accountId: z.string(),
  currency: z.string(),
  dailyPnl: Money,
  unrealizedPnl: Money,
  realizedPnl: Money,
  bySymbol: z.array(PnLDetail),
  timestamp: Timestamp,
});
export type AccountPnL = z.infer<typeof AccountPnL>;

// ---------------------------------------------------------------------------
// Orders
// ---------------------------------------------------------------------------

const orderFields = {
  ...instrumentFields,
  action: OrderAction,
  quantity: z.number().positive('quantity must be > 0').max(1e9).describe('Units: shares, contracts or currency units; > 0'),
  orderType: OrderType,
  limitPrice: PositivePrice.optional().describe('Required for LMT, STP_LMT and LOC; TRAIL_LIMIT takes it or limitOffset; MIDPRICE: optional price cap'),
  stopPrice: PositivePrice.optional().describe('Required for STP and STP_LMT; optional initial trigger for TRAIL'),
  trailingAmount: PositivePrice.optional().describe('TRAIL / TRAIL_LIMIT: trail by this price amount'),
  trailingPercent: z.number().positive().max(100).optional().describe('TRAIL / TRAIL_LIMIT: trail by this percentage'),
  limitOffset: z.number().min(0).max(1e9).optional().describe('TRAIL_LIMIT: limit price offset from the trigger'),
  timeInForce: TimeInForce.default('DAY'),
  outsideRth: z.boolean().default(false).describe('Allow execution outside regular trading hours'),
  goodAfterTime: Timestamp.optional().describe('UTC ISO 8601: the order is held (SUBMITTED, IBKR PreSubmitted) until this time, then works (IBKR goodAfterTime)'),
  goodTillDate: Timestamp.optional().describe('UTC ISO 8601: with timeInForce GTD, the order expires at this time (IBKR goodTillDate)'),
  takeProfitPrice: PositivePrice.optional().describe('Bracket: limit price of the take-profit child'),
  stopLossPrice: PositivePrice.optional().describe('Bracket: stop price of the stop-loss child'),
  ocaGroup: z.string().trim().min(1).max(64).optional().describe('One-cancels-all group name'),
  clientOrderId: ClientOrderId.optional(),
  account: z.string().trim().min(1).max(32).optional().describe('Account id; default the first managed account'),
};

type OrderFields = z.infer<z.ZodObject<typeof orderFields>>;

/** Cross-field rules of an order; each failure names the field it concerns. */
function checkOrderRules(o: OrderFields, ctx: z.RefinementCtx): void {
  const issue = (path: string, message: string): void => {
    ctx.addIssue({ code: 'custom', path: [path], message });
  };
  const needsLimit = o.orderType === 'LMT' || o.orderType === 'STP_LMT' || o.orderType === 'TRAIL_LIMIT' || o.orderType === 'LOC';
  const needsStop = o.orderType === 'STP' || o.orderType === 'STP_LMT';
  const isTrail = o.orderType === 'TRAIL' || o.orderType === 'TRAIL_LIMIT';
  if (needsLimit && o.limitPrice === undefined && o.orderType !== 'TRAIL_LIMIT') issue('limitPrice', `${o.orderType} requires limitPrice > 0`);
  if (!needsLimit && o.orderType !== 'MIDPRICE' && o.limitPrice !== undefined) issue('limitPrice', `${o.orderType} does not take limitPrice`);
  if (needsStop && o.stopPrice === undefined) issue('stopPrice', `${o.orderType} requires stopPrice > 0`);
  if (!needsStop && !isTrail && o.stopPrice !== undefined) issue('stopPrice', `${o.orderType} does not take stopPrice`);
  if (isTrail) {
    const given = Number(o.trailingAmount !== undefined) + Number(o.trailingPercent !== undefined);
    if (given !== 1) issue('trailingAmount', `${o.orderType} requires exactly one of trailingAmount or trailingPercent`);
    if (o.orderType === 'TRAIL_LIMIT' && o.limitOffset === undefined && o.limitPrice === undefined) {
      issue('limitOffset', 'TRAIL_LIMIT requires limitOffset (or an initial limitPrice)');
    }
  } else {
    if (o.trailingAmount !== undefined) issue('trailingAmount', `${o.orderType} does not take trailingAmount`);
    if (o.trailingPercent !== undefined) issue('trailingPercent', `${o.orderType} does not take trailingPercent`);
    if (o.limitOffset !== undefined) issue('limitOffset', `${o.orderType} does not take limitOffset`);
  }
  if ((o.orderType === 'MOC' || o.orderType === 'LOC') && o.timeInForce !== 'DAY') issue('timeInForce', `${o.orderType} orders must be DAY`);
  if (o.orderType === 'OPG' && o.timeInForce !== 'DAY' && o.timeInForce !== 'OPG') issue('timeInForce', 'OPG orders must be DAY or OPG');
  if (o.orderType === 'MIDPRICE' && o.timeInForce !== 'DAY' && o.timeInForce !== 'GTC') issue('timeInForce', 'MIDPRICE orders must be DAY or GTC');
  if (o.timeInForce === 'OPG' && o.orderType !== 'MKT' && o.orderType !== 'LMT' && o.orderType !== 'OPG') {
    issue('timeInForce', 'timeInForce OPG applies to MKT or LMT orders only');
  }
  if (o.timeInForce === 'GTD' && o.goodTillDate === undefined) issue('goodTillDate', 'timeInForce GTD requires goodTillDate');
  if (o.goodTillDate !== undefined && o.timeInForce !== 'GTD') issue('goodTillDate', 'goodTillDate applies to timeInForce GTD only');
  if (o.goodAfterTime !== undefined && (o.timeInForce === 'IOC' || o.timeInForce === 'FOK')) issue('goodAfterTime', `a ${o.timeInForce} order cannot wait for goodAfterTime`);
  if (o.goodAfterTime !== undefined && o.goodTillDate !== undefined && Date.parse(o.goodAfterTime) >= Date.parse(o.goodTillDate)) {
    issue('goodAfterTime', 'goodAfterTime must be before goodTillDate');
  }
  if (o.securityType === 'OPT' && (o.expiry === undefined || o.strike === undefined || o.right === undefined)) {
    issue('expiry', 'OPT orders require expiry, strike and right');
  }
  if (o.securityType !== 'OPT' && o.securityType !== 'FUT' && o.securityType !== 'FUND' && (o.strike !== undefined || o.right !== undefined)) {
    issue('strike', `${o.securityType} does not take strike or right`);
  }
  const isBracket = o.takeProfitPrice !== undefined || o.stopLossPrice !== undefined;
  if (isBracket) {
    if (o.orderType !== 'MKT' && o.orderType !== 'LMT') issue('orderType', 'bracket orders need a MKT or LMT parent');
    if (o.ocaGroup !== undefined) issue('ocaGroup', 'a bracket names its own OCA group; do not set ocaGroup');
    const up = o.action === 'BUY' ? 1 : -1;
    const tp = o.takeProfitPrice;
    const sl = o.stopLossPrice;
    if (tp !== undefined && sl !== undefined && (tp - sl) * up <= 0) {
      issue('takeProfitPrice', o.action === 'BUY' ? 'for a BUY bracket takeProfitPrice must be above stopLossPrice' : 'for a SELL bracket takeProfitPrice must be below stopLossPrice');
    }
    if (o.limitPrice !== undefined) {
      if (tp !== undefined && (tp - o.limitPrice) * up <= 0) issue('takeProfitPrice', `takeProfitPrice must be on the profit side of limitPrice (${o.action === 'BUY' ? 'above' : 'below'})`);
      if (sl !== undefined && (o.limitPrice - sl) * up <= 0) issue('stopLossPrice', `stopLossPrice must be on the loss side of limitPrice (${o.action === 'BUY' ? 'below' : 'above'})`);
    }
  }
}

export const OrderSpec = z.strictObject(orderFields).superRefine(checkOrderRules).describe('An order: instrument, side, quantity, type, prices and time in force');
export type OrderSpec = z.infer<typeof OrderSpec>;
export type OrderSpecInput = z.input<typeof OrderSpec>;

export const PlaceOrderRequest = z.strictObject({
  ...orderFields,
  previewId: z.string().trim().min(1).max(128).optional().describe('Id of a preview of this exact order; placing checks it still matches'),
}).superRefine(checkOrderRules);
export type PlaceOrderRequest = z.infer<typeof PlaceOrderRequest>;

/**
 * A modification of a working order (IBKR semantics: same order id, new
 * version): only prices, quantity, time in force and outsideRth can change.
 * Fields left out keep their value.
 */
const modificationFields = {
  quantity: orderFields.quantity.optional().describe('New total quantity (filled + still working); must stay above what has filled'),
  limitPrice: orderFields.limitPrice,
  stopPrice: orderFields.stopPrice,
  trailingAmount: orderFields.trailingAmount,
  trailingPercent: orderFields.trailingPercent,
  limitOffset: orderFields.limitOffset,
  timeInForce: z.enum(['DAY', 'GTC']).optional().describe('A working order can become DAY or GTC'),
  outsideRth: z.boolean().optional().describe('Allow execution outside regular trading hours'),
};
const someChange = (m: Record<string, unknown>): boolean => Object.values(m).some((v) => v !== undefined);
const NOTHING_TO_CHANGE = { message: 'Give at least one field to change: quantity, limitPrice, stopPrice, trailingAmount, trailingPercent, limitOffset, timeInForce or outsideRth' };

export const OrderModification = z.strictObject(modificationFields).refine(someChange, NOTHING_TO_CHANGE).describe('The fields of a working order to change');
export type OrderModification = z.infer<typeof OrderModification>;
export type OrderModificationInput = z.input<typeof OrderModification>;

export const ModifyOrderRequest = z
  .strictObject({
    ...modificationFields,
    previewId: z.string().trim().min(1).max(128).optional().describe('Id of a preview of this exact modification; modifying checks it still matches'),
  })
  .refine(({ previewId: _p, ...m }) => someChange(m), NOTHING_TO_CHANGE);
export type ModifyOrderRequest = z.infer<typeof ModifyOrderRequest>;
export type ModifyOrderInput = z.input<typeof ModifyOrderRequest>;

/** The normalised order as stored and returned (defaults applied). */
export const OrderSpecOutput = z.object({
  symbol: z.string(),
  securityType: SecurityType,
  exchange: z.string().optional(),
  currency: z.string().optional(),
  expiry: z.string().optional(),
  strike: z.number().optional(),
  right: OptionRight.optional(),
  action: OrderAction,
  quantity: z.number(),
  orderType: OrderType,
  limitPrice: z.number().optional(),
  stopPrice: z.number().optional(),
  trailingAmount: z.number().optional(),
  trailingPercent: z.number().optional(),
  limitOffset: z.number().optional(),
  timeInForce: TimeInForce,
  outsideRth: z.boolean(),
  goodAfterTime: z.string().optional(),
  goodTillDate: z.string().optional(),
  takeProfitPrice: z.number().optional(),
  stopLossPrice: z.number().optional(),
  ocaGroup: z.string().optional(),
  clientOrderId: z.string().optional(),
  account: z.string().optional(),
});

export type OrderSpecOutput = z.infer<typeof OrderSpecOutput>;

export const RiskCheck = z.object({
  name: z.string().describe('Check name, e.g. maxOrderNotional'),
  passed: z.boolean(),
  value: z.union([z.number(), z.string(), z.null()]).describe('What this order would make the checked quantity'),
  limit: z.union([z.number(), z.string(), z.null()]).describe('The configured bound'),
  message: z.string(),
});
export type RiskCheck = z.infer<typeof RiskCheck>;

export const GateOutcome = z.enum(['TRANSMIT', 'SIMULATE', 'BLOCK']);
export type GateOutcome = z.infer<typeof GateOutcome>;

export const GateDecisionSummary = z.object({
  outcome: GateOutcome.describe('What placing this order would do now'),
  code: z.string().nullable().describe('Error code when BLOCK'),
  reason: z.string(),
});
export type GateDecisionSummary = z.infer<typeof GateDecisionSummary>;

export const OrderPreview = z.object({
  previewId: z.string(),
  expiresAt: Timestamp,
  spec: OrderSpecOutput,
  contract: Contract,
  referencePrice: NullableNumber.describe('Price used for the estimates (limit price, or the touch for market orders)'),
  estimatedNotional: NullableNumber,
  estimatedCommission: NullableNumber,
  commissionCurrency: z.string(),
  initMarginChange: NullableNumber,
  maintMarginChange: NullableNumber,
  equityWithLoanAfter: NullableNumber,
  buyingPowerAfter: NullableNumber,
  riskChecks: z.array(RiskCheck),
  riskPassed: z.boolean(),
  gate: GateDecisionSummary,
  warnings: z.array(z.string()),
});
export type OrderPreview = z.infer<typeof OrderPreview>;

export const ModificationPreview = OrderPreview.extend({
  orderId: z.string().describe('The working order this modification would change'),
  previous: OrderSpecOutput.describe('The order as it works now'),
  filledQuantity: z.number().describe('Already filled: the new version works the rest'),
});
export type ModificationPreview = z.infer<typeof ModificationPreview>;

export const ModifyResult = z.object({
  orderId: z.string(),
  status: OrderStatus,
  modified: z.boolean().describe('True when the broker now works the new version; false when only simulated (ORDERS_ENABLED=false)'),
  spec: OrderSpecOutput.describe('The order as it now stands'),
  previous: OrderSpecOutput.describe('The order before this modification'),
  filledQuantity: z.number(),
  remainingQuantity: z.number(),
  message: z.string().nullable(),
  correlationId: z.string(),
  idempotentReplay: z.boolean().describe('True when this is the stored result of an earlier identical request'),
});
export type ModifyResult = z.infer<typeof ModifyResult>;

export const ChildOrderRole = z.enum(['TAKE_PROFIT', 'STOP_LOSS']);
export type ChildOrderRole = z.infer<typeof ChildOrderRole>;

export const ChildOrderRef = z.object({
  orderId: z.string(),
  role: ChildOrderRole,
  status: OrderStatus,
});
export type ChildOrderRef = z.infer<typeof ChildOrderRef>;

export const OrderResult = z.object({
  orderId: z.string(),
  clientOrderId: z.string().nullable(),
  status: OrderStatus.describe('SIMULATED: recorded, not sent (ORDERS_ENABLED=false). PENDING_SUBMIT/SUBMITTED: sent, not yet acknowledged. ACCEPTED: working at the broker. FILLED/PARTIALLY_FILLED/CANCELLED/REJECTED/EXPIRED: as named. UNKNOWN: outcome unknown after a lost connection; reconciled, never resent.'),
  spec: OrderSpecOutput,
  accountId: z.string().nullable(),
  filledQuantity: z.number(),
  avgFillPrice: NullableNumber,
  commission: NullableNumber,
  children: z.array(ChildOrderRef),
  message: z.string().nullable(),
  correlationId: z.string(),
  placedAt: Timestamp,
  idempotentReplay: z.boolean().describe('True when this is the stored result of an earlier identical request'),
});
export type OrderResult = z.infer<typeof OrderResult>;

export const Fill = z.object({
  execId: z.string(),
  orderId: z.string(),
  time: Timestamp,
  side: OrderAction,
  quantity: z.number().positive(),
  price: Price,
  commission: Money,
  commissionCurrency: z.string(),
  realizedPnl: NullableNumber,
  exchange: z.string().nullable(),
});
export type Fill = z.infer<typeof Fill>;

export const OrderDetail = z.object({
  orderId: z.string(),
  clientOrderId: z.string().nullable(),
  parentOrderId: z.string().nullable(),
  role: z.enum(['ENTRY', 'TAKE_PROFIT', 'STOP_LOSS']),
  accountId: z.string().nullable(),
  status: OrderStatus,
  spec: OrderSpecOutput,
  conId: z.number().int().nullable(),
  filledQuantity: z.number(),
  remainingQuantity: z.number(),
  avgFillPrice: NullableNumber,
  commission: NullableNumber,
  fills: z.array(Fill),
  statusMessage: z.string().nullable(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  version: z.number().int().describe('Version in order_history; the latest is the current state'),
  brokerIdentity: z
    .string()
    .nullable()
    .describe("The broker the order was sent to: 'sim:<account>' or 'tws:<host>:<port>:<account>:<clientId>' (null: recorded before orders carried one)"),
});
export type OrderDetail = z.infer<typeof OrderDetail>;

export const CancelResult = z.object({
  orderId: z.string(),
  status: OrderStatus,
  cancelled: z.boolean().describe('True when the order is now CANCELLED; false when it had already finished'),
  message: z.string(),
  correlationId: z.string(),
});
export type CancelResult = z.infer<typeof CancelResult>;

export const OrderListQuery = z.strictObject({
  status: z.enum(['open', 'closed', 'all']).default('all').describe('open: still working; closed: finished'),
  symbol: Symbol.optional(),
  since: Timestamp.optional(),
  // 'this' by default: every listed order is then one this gateway can cancel or modify, so a
  // list-then-act caller (an agent after a timed-out place) never meets another gateway's order.
  owner: z
    .enum(['this', 'any'])
    .default('this')
    .describe("this: the orders of this gateway's broker connection (the ones it can cancel or modify); any: every order in the store, whichever gateway owns it (see each order's brokerIdentity)"),
  account: z.string().trim().min(1).max(32).optional().describe('Only orders of this account id'),
  brokerIdentity: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .optional()
    .describe("Only orders owned by this broker identity ('sim:<account>' or 'tws:<host>:<port>:<account>:<clientId>'); use with owner=any for another gateway's"),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
export type OrderListQuery = z.infer<typeof OrderListQuery>;

// ---------------------------------------------------------------------------
// Health
// ---------------------------------------------------------------------------

export const ConnectionState = z.enum(['disconnected', 'connecting', 'reconciling', 'connected', 'degraded']);
export type ConnectionState = z.infer<typeof ConnectionState>;

export const MarketDataType = z.enum(['REALTIME', 'FROZEN', 'DELAYED', 'DELAYED_FROZEN', 'SIMULATED']);
export type MarketDataType = z.infer<typeof MarketDataType>;

export const BrokerStatus = z.object({
  kind: BrokerKind,
  state: ConnectionState,
  connected: z.boolean(),
  serverTime: Timestamp.nullable(),
  accounts: z.array(z.string()),
  marketDataType: MarketDataType,
  lastError: z.string().nullable(),
  detail: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).default({}),
});
export type BrokerStatus = z.infer<typeof BrokerStatus>;

export const KillSwitchState = z.object({
  engaged: z.boolean(),
  reason: z.string().nullable(),
  since: Timestamp.nullable(),
  by: z.string().nullable(),
  account: z.string().optional().describe("The account this switch stops; absent for the desk-wide switch, which stops every account and every gateway on the store"),
  cancelWorking: z.boolean().optional().describe('Engaged: whether every gateway cancels its working orders (of the account, for an account switch)'),
});
export type KillSwitchState = z.infer<typeof KillSwitchState>;

/** An account whose own kill switch is asked for or changed. */
export const KillSwitchAccount = z.string().trim().min(1).max(64).describe("One account's switch instead of the desk-wide one");

/** GET kill switch: the desk-wide switch, and the engaged switches of this gateway's accounts (or the one asked for). */
export const KillSwitchStatus = KillSwitchState.extend({
  accounts: z.array(KillSwitchState).describe("Engaged per-account switches among this gateway's accounts (or the account asked for)"),
});
export type KillSwitchStatus = z.infer<typeof KillSwitchStatus>;

/** The answer to engaging or releasing the kill switch: the new state and what engaging cancelled. */
export const KillSwitchChange = KillSwitchState.extend({
  cancelled: z.array(z.string()).describe('Working orders of this broker connection cancelled on engage (one cancel each, each recorded)'),
  cancelFailed: z
    .array(z.object({ orderId: z.string(), code: z.string() }))
    .describe('Working orders whose cancel failed (the code says why); the kill switch is engaged regardless'),
  cancelSkipped: z.string().nullable().describe('Why no cancels were sent (cancelWorking false, releasing, broker down), or null'),
  approvalsRejected: z.array(z.string()).optional().describe('Orders held for approval that engaging rejected (none of them had been sent)'),
  globalCancelSent: z
    .boolean()
    .optional()
    .describe("tws: IBKR's reqGlobalCancel was sent after the per-order cancels, so orders placed by TWS or other API clients on the account stop too"),
});
export type KillSwitchChange = z.infer<typeof KillSwitchChange>;

export const Health = z.object({
  status: z.enum(['ok', 'degraded', 'down']),
  version: z.string(),
  timestamp: Timestamp,
  uptimeSeconds: z.number(),
  broker: BrokerStatus,
  tradingMode: TradingMode,
  ordersEnabled: z.boolean(),
  liveOverridePresent: z.boolean(),
  effectiveOrderMode: GateOutcome.describe('What an order placed now would do: TRANSMIT, SIMULATE or BLOCK'),
  killSwitch: KillSwitchState,
  workingOrders: z.number().int().describe('Working orders of this broker connection in the order history: the length of GET /api/orders?status=open'),
  store: z
    .object({
      kind: z.string().describe("The audit store in use: 'sqlite' (DATA_DIR/audit.db) or 'postgres' (DATABASE_URL, shared by several gateways)"),
      latencyMs: z.number().describe('How long one read of the store took for this answer, in milliseconds'),
    })
    .describe('Where orders and the audit log are recorded'),
});
export type Health = z.infer<typeof Health>;

/** /health without an API key: the status alone, no account ids or configuration. */
export const HealthStatus = Health.pick({ status: true }).strict();
export type HealthStatus = z.infer<typeof HealthStatus>;

/** GET /api/me: the key making the request. Scopes are hierarchical: admin includes trade, trade includes read. */
export const ApiKeyInfo = z.object({
  name: z.string().describe('Display name of the key (never the key itself)'),
  scopes: z
    .array(z.enum(['read', 'trade', 'admin', 'approve']))
    .describe('What the key may do, lowest first; admin includes trade, trade includes read; approve (decide pending approvals of other keys) includes read'),
});
export type ApiKeyInfo = z.infer<typeof ApiKeyInfo>;

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

export const ErrorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.unknown().optional(),
  }),
  correlationId: z.string(),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

// ---------------------------------------------------------------------------
// Audit
// ---------------------------------------------------------------------------

/** Audit event types. Append-only: never remove or rename a value. */
export const AuditEventType = z.enum([
  'ORDER_PREVIEWED',
  'ORDER_SIMULATED',
  'ORDER_SUBMITTED',
  'ORDER_ACCEPTED',
  'ORDER_PARTIALLY_FILLED',
  'ORDER_FILLED',
  'ORDER_CANCEL_REQUESTED',
  'ORDER_CANCELLED',
  'ORDER_REJECTED',
  'ORDER_EXPIRED',
  'ORDER_UNKNOWN',
  'ORDER_RECONCILED',
  'RISK_BLOCKED',
  'GATE_BLOCKED',
  'KILL_SWITCH',
  'CONNECTION_LOST',
  'CONNECTION_RESTORED',
  'CONFIG_LOADED',
  'ORDER_MODIFY_REQUESTED',
  'ORDER_MODIFIED',
  'ORDER_MODIFY_REJECTED',
  'ORDER_MODIFY_SIMULATED',
  /** An execution the broker made without an order (exercise, assignment, expiry, final settlement, liquidation). */
  'BROKER_INITIATED_FILL',
  'APPROVAL_PENDING',
  'APPROVAL_REASSESSED',
  'APPROVAL_APPROVED',
  'APPROVAL_REJECTED',
  'APPROVAL_EXPIRED',
  /** A gateway cancelled its own working orders for a kill switch engaged elsewhere (another gateway, the CLI) or while it was down. */
  'KILL_SWITCH_ENFORCED',
]);
export type AuditEventType = z.infer<typeof AuditEventType>;

export const Interface = z.enum(['rest', 'mcp', 'cli', 'library', 'dashboard', 'system']);
export type Interface = z.infer<typeof Interface>;

/** Who asked: the interface and the API key's name (never the key itself). */
export const UserContext = z.object({
  interface: Interface,
  apiKeyName: z.string().nullable(),
});
export type UserContext = z.infer<typeof UserContext>;

export const AuditEntry = z.object({
  id: z.number().int(),
  correlationId: z.string(),
  timestamp: Timestamp,
  eventType: AuditEventType,
  orderId: z.string().nullable(),
  accountId: z.string().nullable(),
  eventData: z.record(z.string(), z.unknown()),
  userContext: UserContext,
  configSnapshot: z.record(z.string(), z.unknown()).nullable(),
  prevHash: z.string(),
  hash: z.string(),
});
export type AuditEntry = z.infer<typeof AuditEntry>;

export const AuditQuery = z.strictObject({
  orderId: OrderId.optional(),
  correlationId: z.string().trim().min(1).max(128).optional(),
  accountId: z.string().trim().min(1).max(32).optional(),
  eventType: AuditEventType.optional(),
  symbol: Symbol.optional(),
  from: Timestamp.optional().describe('Inclusive lower bound on timestamp'),
  to: Timestamp.optional().describe('Exclusive upper bound on timestamp'),
  afterId: z.coerce.number().int().min(0).optional().describe('Paging cursor: return entries with id > afterId'),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
export type AuditQuery = z.infer<typeof AuditQuery>;
export type AuditQueryInput = z.input<typeof AuditQuery>;

export const AuditPage = z.object({
  entries: z.array(AuditEntry),
  nextAfterId: z.number().int().nullable().describe('Pass as afterId for the next page; null at the end'),
});
export type AuditPage = z.infer<typeof AuditPage>;

export const AuditVerifyResult = z.object({
  ok: z.boolean(),
  checkedRows: z.number().int(),
  firstBadId: z.number().int().nullable(),
  reason: z.string().nullable(),
  /** The signed checkpoints (DATA_DIR/audit.checkpoints) the chains were checked against. */
  checkpoints: z.object({ count: z.number().int(), lastAt: z.string().nullable() }).optional(),
});
export type AuditVerifyResult = z.infer<typeof AuditVerifyResult>;

// ---------------------------------------------------------------------------
// Order events, cancel-all, close-position
// ---------------------------------------------------------------------------

export const OrderEventKind = z.enum(['NEW', 'STATUS', 'FILL']);
export type OrderEventKind = z.infer<typeof OrderEventKind>;

/**
 * One change of an order: a version in order_history. `sequence` is that row's
 * id: it only ever grows, so "every event after N" is exact, and it is the
 * SSE `id:` a client resumes from with Last-Event-ID.
 */
export const OrderEvent = z
  .object({
    sequence: z.number().int().positive().describe('Monotonically increasing; resume after it with Last-Event-ID or afterSequence'),
    kind: OrderEventKind.describe('NEW: the order was recorded; FILL: an execution was added; STATUS: any other change'),
    orderId: z.string(),
    status: OrderStatus,
    previousStatus: OrderStatus.nullable().describe('Null for NEW'),
    fill: Fill.nullable().describe('The execution this event added (FILL only)'),
    auditEventType: AuditEventType,
    correlationId: z.string().describe('The request (or system event) that caused this change'),
    timestamp: Timestamp,
    order: OrderDetail.describe('The order as it stood after this event'),
  })
  .describe('A change of an order, with its sequence number');
export type OrderEvent = z.infer<typeof OrderEvent>;

export const OrderEventsQuery = z.strictObject({
  afterSequence: z.coerce.number().int().min(0).optional().describe('Only events with sequence > afterSequence; default: the latest `limit` events'),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
export type OrderEventsQuery = z.infer<typeof OrderEventsQuery>;
export type OrderEventsQueryInput = z.input<typeof OrderEventsQuery>;

export const OrderStreamQuery = z.strictObject({
  afterSequence: z.coerce
    .number()
    .int()
    .min(0)
    .optional()
    .describe('Replay every event after this sequence first (0: from the beginning); default: only new events. Last-Event-ID takes precedence.'),
  // 'any' by default, as before: a desk screen follows every gateway's orders on a shared store.
  owner: z
    .enum(['this', 'any'])
    .default('any')
    .describe("any: every order's events on the store, whichever gateway owns the order; this: only this gateway's orders (as GET /api/orders lists them by default)"),
});

export const CancelAllQuery = z.strictObject({
  symbol: Symbol.optional().describe('Only orders for this symbol'),
  account: z.string().trim().min(1).max(32).optional().describe('Account id; default the first managed account'),
});
export type CancelAllQuery = z.infer<typeof CancelAllQuery>;
export type CancelAllQueryInput = z.input<typeof CancelAllQuery>;

export const CancelAllResult = z.object({
  cancelled: z.array(CancelResult).describe('Every working order a cancel was sent for, with its state after'),
  failed: z.array(z.object({ orderId: z.string(), code: z.string(), message: z.string() })).describe('Orders that could not be cancelled, with why'),
  correlationId: z.string(),
});
export type CancelAllResult = z.infer<typeof CancelAllResult>;

/** How much of a position to close: all of it (default), a quantity, or a percentage. */
export const ClosePositionRequest = z
  .strictObject({
    securityType: SecurityType.optional().describe('Which position when several share the symbol'),
    quantity: z.coerce.number().positive().max(1e9).optional().describe('Close this many units (at most the position)'),
    percentage: z.coerce.number().positive().max(100).optional().describe('Close this percentage of the position (rounded down to whole units)'),
    account: z.string().trim().min(1).max(32).optional().describe('Account id; default the first managed account'),
    previewId: z.string().trim().min(1).max(128).optional().describe('Id of a preview of this close; placing checks it still matches'),
  })
  .refine((r) => r.quantity === undefined || r.percentage === undefined, { message: 'give quantity or percentage, not both', path: ['percentage'] });
export type ClosePositionRequest = z.infer<typeof ClosePositionRequest>;
export type ClosePositionRequestInput = z.input<typeof ClosePositionRequest>;

// ---------------------------------------------------------------------------
// Approvals: orders that wait for a person before they are sent
// ---------------------------------------------------------------------------

/** Where an approval stands. PENDING is the order's PENDING_APPROVAL; the rest are final. */
export const ApprovalState = z.enum(['PENDING', 'APPROVED', 'REJECTED', 'EXPIRED', 'CANCELLED']);
export type ApprovalState = z.infer<typeof ApprovalState>;

export const Approval = z
  .object({
    approvalId: z.string().describe("The held order's id (APR-...): get_order_status and GET /api/orders/{id} show it too"),
    state: ApprovalState,
    spec: OrderSpecOutput,
    specHash: z.string().describe('Hash of the exact order (spec and account); an approval naming another hash is refused, so a modified order needs a new approval'),
    accountId: z.string().nullable(),
    requestedBy: z.string().describe('The API key name (or interface) that placed the order; it can never approve it'),
    requestedVia: Interface,
    requestedAt: Timestamp,
    expiresAt: Timestamp.describe('Not decided by then: rejected with APPROVAL_EXPIRED'),
    reasons: z.array(z.string()).describe('Why the order waits (the policy or APPROVAL_FILE rules that matched)'),
    referencePrice: NullableNumber.describe('Price the order was assessed at when requested; approval fails while the market has moved beyond the tolerance'),
    riskChecks: z.array(RiskCheck).describe('The risk checks at request time (all passed)'),
    decidedBy: z.string().nullable(),
    decidedAt: Timestamp.nullable(),
    decisionReason: z.string().nullable(),
    orderId: z.string().nullable().describe('The broker order the approval was sent as (APPROVED only)'),
  })
  .describe('An order held for approval');
export type Approval = z.infer<typeof Approval>;

export const ApprovalListQuery = z.strictObject({
  state: z.enum(['pending', 'decided', 'all']).default('pending'),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
export type ApprovalListQuery = z.infer<typeof ApprovalListQuery>;
export type ApprovalListQueryInput = z.input<typeof ApprovalListQuery>;

export const ApproveRequest = z.strictObject({
  specHash: z.string().trim().min(8).max(128).optional().describe('The specHash the approver saw; refused (APPROVAL_SPEC_MISMATCH) if the order is no longer that order'),
  reason: z.string().trim().min(1).max(500).optional(),
});
export type ApproveRequest = z.infer<typeof ApproveRequest>;
export type ApproveRequestInput = z.input<typeof ApproveRequest>;

export const RejectRequest = z.strictObject({
  reason: z.string().trim().min(1).max(500).describe('Why: recorded in the audit log and sent with the notification'),
});
export type RejectRequest = z.infer<typeof RejectRequest>;
export type RejectRequestInput = z.input<typeof RejectRequest>;

export const ApprovalDecision = z.object({
  approval: Approval,
  order: OrderResult.nullable().describe('The order as sent (approve), or null (reject)'),
  idempotentReplay: z.boolean().describe('True when this approval or rejection had already been decided this way: nothing was sent again'),
  correlationId: z.string(),
});
export type ApprovalDecision = z.infer<typeof ApprovalDecision>;

const HourMinute = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM, 24-hour');

/** APPROVAL_FILE: finer rules on top of APPROVAL_REQUIRED. Any rule that matches holds the order. */
export const ApprovalRules = z.strictObject({
  notionalAbove: z.number().positive().optional().describe('Orders above this notional (account currency) wait'),
  symbols: z.array(Symbol).optional().describe('Orders on these symbols wait'),
  window: z
    .strictObject({ from: HourMinute, to: HourMinute, timeZone: z.string().default('America/New_York') })
    .optional()
    .describe('Orders placed outside this daily window wait'),
  keys: z.record(z.string(), z.enum(['always', 'never'])).optional().describe("Per API key name: always wait, or never wait (overrides every other rule)"),
});
export type ApprovalRules = z.infer<typeof ApprovalRules>;
