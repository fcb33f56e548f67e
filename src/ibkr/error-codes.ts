/**
 * The one table from IBKR's error and notice codes to ours. Everything in the
 * adapter that reacts to a TWS code asks this table, so a code means the same
 * thing whether it arrives for a quote, an order or the connection.
 *
 * `severity`: info (farm status and the like: logged, nothing fails),
 * warning (the request goes on, perhaps changed: delayed data instead of live),
 * fatal (the request it names has failed).
 * `action` says what the adapter does beyond failing the request.
 */
import { GatewayError, type ErrorCode } from '../core/errors.js';

export type Severity = 'info' | 'warning' | 'fatal';
export type CodeAction =
  | 'none'
  | 'delayedFallback'
  | 'connectionLost'
  | 'connectionRestoredDataLost'
  | 'connectionRestoredDataKept'
  | 'socketDown'
  | 'orderRejected'
  | 'orderCancelled'
  | 'pacing';

export interface CodeInfo {
  code: ErrorCode;
  severity: Severity;
  action: CodeAction;
}

const row = (code: ErrorCode, severity: Severity, action: CodeAction = 'none'): CodeInfo => ({ code, severity, action });

export const IBKR_CODES: ReadonlyMap<number, CodeInfo> = new Map<number, CodeInfo>([
  // Pacing: the message rate (100) and the historical data service (162, which also carries other HMDS failures; see classify).
  [100, row('PACING_VIOLATION', 'fatal', 'pacing')],
  [101, row('MARKET_DATA_UNAVAILABLE', 'fatal')], // max number of tickers: the market data line budget
  [102, row('BROKER_ERROR', 'fatal')], // duplicate ticker id: our registry's bug if ever seen
  [103, row('ORDER_REJECTED', 'fatal', 'orderRejected')], // duplicate order id
  [104, row('ORDER_REJECTED', 'fatal', 'orderRejected')], // cannot modify a filled order
  [105, row('ORDER_REJECTED', 'fatal', 'orderRejected')], // order being modified does not match the original
  [110, row('ORDER_VALIDATION_ERROR', 'fatal', 'orderRejected')], // price does not conform to the minimum price variation
  [162, row('HISTORICAL_DATA_ERROR', 'fatal')],
  [165, row('HISTORICAL_DATA_ERROR', 'info')], // HMDS query returned no data yet: informational
  [166, row('HISTORICAL_DATA_ERROR', 'fatal')],
  [200, row('CONTRACT_NOT_FOUND', 'fatal')],
  [201, row('ORDER_REJECTED', 'fatal', 'orderRejected')],
  [202, row('ORDER_NOT_CANCELLABLE', 'info', 'orderCancelled')], // "Order Canceled - reason:": the confirmation of a cancel
  [203, row('ORDER_REJECTED', 'fatal', 'orderRejected')], // security not available or allowed for this account
  [300, row('BROKER_ERROR', 'info')], // can't find EId: a cancel of something already gone
  [309, row('MARKET_DATA_UNAVAILABLE', 'fatal')], // max number of depth requests
  [317, row('MARKET_DATA_UNAVAILABLE', 'warning')], // market depth data reset
  [321, row('BROKER_ERROR', 'fatal')], // error validating request (also: a request the gateway does not serve)
  [322, row('BROKER_ERROR', 'fatal')], // error processing request
  [326, row('BROKER_UNAVAILABLE', 'fatal', 'socketDown')], // client id in use
  [354, row('MARKET_DATA_UNAVAILABLE', 'warning', 'delayedFallback')], // not subscribed; delayed data is available
  [366, row('HISTORICAL_DATA_ERROR', 'info')], // no historical data query found for ticker id (cancel of a finished request)
  [399, row('ORDER_REJECTED', 'warning')], // order message: a warning, the order goes on (e.g. held until the open)
  [404, row('ORDER_REJECTED', 'warning')], // shares for a short sale being located: the order waits
  [434, row('ORDER_VALIDATION_ERROR', 'fatal', 'orderRejected')], // order size cannot be zero
  [460, row('ORDER_REJECTED', 'fatal', 'orderRejected')], // no trading permissions
  [502, row('BROKER_UNAVAILABLE', 'fatal', 'socketDown')], // couldn't connect to TWS
  [503, row('BROKER_UNAVAILABLE', 'fatal', 'socketDown')], // TWS is out of date
  [504, row('BROKER_UNAVAILABLE', 'fatal', 'socketDown')], // not connected
  [1100, row('BROKER_DEGRADED', 'warning', 'connectionLost')],
  [1101, row('BROKER_DEGRADED', 'info', 'connectionRestoredDataLost')],
  [1102, row('BROKER_DEGRADED', 'info', 'connectionRestoredDataKept')],
  [1300, row('BROKER_UNAVAILABLE', 'warning', 'socketDown')], // socket port reset during an active connection
  [2103, row('MARKET_DATA_UNAVAILABLE', 'warning')], // market data farm connection broken
  [2104, row('BROKER_ERROR', 'info')], // market data farm OK
  [2105, row('HISTORICAL_DATA_ERROR', 'warning')], // HMDS farm broken
  [2106, row('BROKER_ERROR', 'info')], // HMDS farm OK
  [2107, row('BROKER_ERROR', 'info')], // HMDS farm inactive but available on demand
  [2108, row('BROKER_ERROR', 'info')], // market data farm inactive but available on demand
  [2109, row('ORDER_REJECTED', 'warning')], // outside-RTH attribute ignored
  [2110, row('BROKER_DEGRADED', 'warning')], // connectivity between TWS and server is broken
  [2119, row('BROKER_ERROR', 'info')], // market data farm is connecting
  [2157, row('BROKER_ERROR', 'warning')], // sec-def farm broken
  [2158, row('BROKER_ERROR', 'info')], // sec-def farm OK
  [10089, row('MARKET_DATA_UNAVAILABLE', 'warning', 'delayedFallback')], // requires additional subscription; delayed available
  [10090, row('MARKET_DATA_UNAVAILABLE', 'warning', 'delayedFallback')], // part of requested data not subscribed
  [10147, row('ORDER_NOT_FOUND', 'fatal')], // order to cancel not found
  [10148, row('ORDER_NOT_CANCELLABLE', 'fatal')], // order cannot be cancelled in its state
  [10167, row('MARKET_DATA_UNAVAILABLE', 'info')], // displaying delayed market data: the fallback already happened
  [10168, row('MARKET_DATA_UNAVAILABLE', 'fatal')], // delayed market data not enabled
  [10197, row('MARKET_DATA_UNAVAILABLE', 'fatal')], // no market data during a competing live session
]);

/** Our reading of one IBKR code; unknown codes in IBKR's 2100-2999 warning band are warnings, others errors. */
export function classify(code: number, message = ''): CodeInfo {
  if (code === 162 && /pacing violation/i.test(message)) return row('PACING_VIOLATION', 'fatal', 'pacing');
  if (code === 162 && /query returned no data|no data/i.test(message)) return row('HISTORICAL_DATA_ERROR', 'fatal');
  const known = IBKR_CODES.get(code);
  if (known) return known;
  if (code >= 2100 && code < 3000) return row('BROKER_ERROR', 'warning');
  return row('BROKER_ERROR', 'fatal');
}

/** The GatewayError for an IBKR error, with the IBKR code kept in details for the logs and the API body. */
export function ibkrError(code: number, message: string, details: Record<string, unknown> = {}): GatewayError {
  const info = classify(code, message);
  const text = message.trim() === '' ? `IBKR error ${code}` : `${message.trim()} (IBKR ${code})`;
  return new GatewayError(info.code, text, { ibkrCode: code, ...details });
}
