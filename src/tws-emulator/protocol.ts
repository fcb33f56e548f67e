/**
 * Message ids, tick types and error codes of the TWS API, named from the
 * gateway's side: `Req` is what a client sends us, `Msg` what we send back.
 * Values are those of IBKR's EClient/EDecoder (and @stoqey/ib's OUT_MSG_ID /
 * IN_MSG_ID, which mirror them).
 */

export const DEFAULT_SERVER_VERSION = 178;
/** Oldest client we serve: v100+ framing, and every field layout written here assumes at least this. */
export const MIN_CLIENT_VERSION = 100;

export const Req = {
  MKT_DATA: 1,
  CANCEL_MKT_DATA: 2,
  PLACE_ORDER: 3,
  CANCEL_ORDER: 4,
  OPEN_ORDERS: 5,
  ACCOUNT_DATA: 6,
  EXECUTIONS: 7,
  IDS: 8,
  CONTRACT_DATA: 9,
  MKT_DEPTH: 10,
  CANCEL_MKT_DEPTH: 11,
  NEWS_BULLETINS: 12,
  CANCEL_NEWS_BULLETINS: 13,
  SET_SERVER_LOGLEVEL: 14,
  AUTO_OPEN_ORDERS: 15,
  ALL_OPEN_ORDERS: 16,
  MANAGED_ACCTS: 17,
  HISTORICAL_DATA: 20,
  CANCEL_HISTORICAL_DATA: 25,
  CURRENT_TIME: 49,
  GLOBAL_CANCEL: 58,
  MARKET_DATA_TYPE: 59,
  POSITIONS: 61,
  ACCOUNT_SUMMARY: 62,
  CANCEL_ACCOUNT_SUMMARY: 63,
  CANCEL_POSITIONS: 64,
  START_API: 71,
  SEC_DEF_OPT_PARAMS: 78,
  PNL: 92,
  CANCEL_PNL: 93,
  PNL_SINGLE: 94,
  CANCEL_PNL_SINGLE: 95,
  COMPLETED_ORDERS: 99,
} as const;

export const Msg = {
  TICK_PRICE: 1,
  TICK_SIZE: 2,
  ORDER_STATUS: 3,
  ERR_MSG: 4,
  OPEN_ORDER: 5,
  ACCT_VALUE: 6,
  PORTFOLIO_VALUE: 7,
  ACCT_UPDATE_TIME: 8,
  NEXT_VALID_ID: 9,
  CONTRACT_DATA: 10,
  EXECUTION_DATA: 11,
  MANAGED_ACCTS: 15,
  HISTORICAL_DATA: 17,
  TICK_OPTION_COMPUTATION: 21,
  TICK_GENERIC: 45,
  TICK_STRING: 46,
  CURRENT_TIME: 49,
  CONTRACT_DATA_END: 52,
  OPEN_ORDER_END: 53,
  ACCT_DOWNLOAD_END: 54,
  EXECUTION_DATA_END: 55,
  TICK_SNAPSHOT_END: 57,
  MARKET_DATA_TYPE: 58,
  COMMISSION_REPORT: 59,
  POSITION: 61,
  POSITION_END: 62,
  ACCOUNT_SUMMARY: 63,
  ACCOUNT_SUMMARY_END: 64,
  SECURITY_DEFINITION_OPTION_PARAMETER: 75,
  SECURITY_DEFINITION_OPTION_PARAMETER_END: 76,
  PNL: 94,
  PNL_SINGLE: 95,
  COMPLETED_ORDER: 101,
  COMPLETED_ORDERS_END: 102,
} as const;

/** Tick types (IBKR TickType); the DELAYED_* ones are what a delayed subscription carries. */
export const Tick = {
  BID_SIZE: 0,
  BID: 1,
  ASK: 2,
  ASK_SIZE: 3,
  LAST: 4,
  LAST_SIZE: 5,
  HIGH: 6,
  LOW: 7,
  VOLUME: 8,
  CLOSE: 9,
  MODEL_OPTION: 13,
  OPEN: 14,
  LAST_TIMESTAMP: 45,
  DELAYED_BID: 66,
  DELAYED_ASK: 67,
  DELAYED_LAST: 68,
  DELAYED_BID_SIZE: 69,
  DELAYED_ASK_SIZE: 70,
  DELAYED_LAST_SIZE: 71,
  DELAYED_HIGH: 72,
  DELAYED_LOW: 73,
  DELAYED_VOLUME: 74,
  DELAYED_CLOSE: 75,
  DELAYED_OPEN: 76,
  DELAYED_MODEL_OPTION: 83,
} as const;

/** Market data types as reqMarketDataType / marketDataType carry them. */
export const MarketDataKind = { REALTIME: 1, FROZEN: 2, DELAYED: 3, DELAYED_FROZEN: 4 } as const;

/** The request id TWS uses for messages that belong to no request. */
export const NO_ID = -1;

/** Error and info codes with the texts a real gateway sends (so clients matching on text also work). */
export const Err = {
  MAX_RATE: { code: 100, text: 'Max rate of messages per second has been exceeded:max=50 rec=' },
  MAX_TICKERS: { code: 101, text: 'Max number of tickers has been reached' },
  DUPLICATE_TICKER: { code: 102, text: 'Duplicate ticker ID' },
  DUPLICATE_ORDER_ID: { code: 103, text: 'Duplicate order id' },
  HISTORICAL_SERVICE: { code: 162, text: 'Historical Market Data Service error message:' },
  NO_SECURITY: { code: 200, text: 'No security definition has been found for the request' },
  ORDER_REJECTED: { code: 201, text: 'Order rejected - reason:' },
  ORDER_CANCELLED: { code: 202, text: 'Order Canceled - reason:' },
  CANT_FIND_TICKER: { code: 300, text: "Can't find EId with tickerId:" },
  VALIDATION: { code: 321, text: 'Error validating request.-' },
  CLIENT_ID_IN_USE: { code: 326, text: 'Unable to connect as the client id is already in use. Retry with a unique client id.' },
  MARKET_DATA_NOT_SUBSCRIBED: { code: 354, text: 'Requested market data is not subscribed.Delayed market data is available.' },
  DELAYED_DATA: { code: 10167, text: 'Requested market data is not subscribed. Displaying delayed market data.' },
  CANCEL_NOT_FOUND: { code: 10147, text: 'OrderId {id} that needs to be cancelled is not found.' },
  CANCEL_NOT_ALLOWED: { code: 10148, text: 'OrderId {id} that needs to be cancelled cannot be cancelled, state: {state}.' },
  CONNECTIVITY_LOST: { code: 1100, text: 'Connectivity between IBKR and Trader Workstation has been lost.' },
  RESTORED_DATA_LOST: { code: 1101, text: 'Connectivity between IBKR and Trader Workstation has been restored - data lost.' },
  RESTORED_DATA_KEPT: { code: 1102, text: 'Connectivity between IBKR and Trader Workstation has been restored - data maintained.' },
  MARKET_FARM_OK: { code: 2104, text: 'Market data farm connection is OK:usfarm' },
  HMDS_FARM_OK: { code: 2106, text: 'HMDS data farm connection is OK:ushmds' },
  SECDEF_FARM_OK: { code: 2158, text: 'Sec-def data farm connection is OK:secdefnj' },
} as const;
