/**
 * Requests the simulated gateway does not serve. A real gateway answers a
 * request it cannot fulfil with an error, never with silence, so a client
 * waiting on a request id is released: error 321 (request validation) with
 * the request id where the message has one.
 */
import { Err, NO_ID } from '../protocol.js';
import type { Handler } from '../session.js';

/** Where the request id sits (field index after the message id), by message id; absent = no request id. */
const REQ_ID_AT: Record<number, { at: number; name: string }> = {
  10: { at: 1, name: 'market depth' },
  21: { at: 1, name: 'option exercise' },
  22: { at: 0, name: 'scanner subscription' },
  50: { at: 1, name: 'real-time bars' },
  52: { at: 1, name: 'fundamental data' },
  54: { at: 1, name: 'implied volatility calculation' },
  55: { at: 1, name: 'option price calculation' },
  67: { at: 1, name: 'display groups' },
  68: { at: 1, name: 'display group events' },
  74: { at: 1, name: 'positions multi' },
  76: { at: 1, name: 'account updates multi' },
  79: { at: 0, name: 'soft dollar tiers' },
  81: { at: 0, name: 'matching symbols' },
  83: { at: 0, name: 'smart components' },
  84: { at: 0, name: 'news article' },
  86: { at: 0, name: 'historical news' },
  87: { at: 0, name: 'head timestamp' },
  88: { at: 0, name: 'histogram data' },
  96: { at: 0, name: 'historical ticks' },
  97: { at: 0, name: 'tick-by-tick data' },
  100: { at: 0, name: 'WSH meta data' },
  102: { at: 0, name: 'WSH event data' },
  104: { at: 0, name: 'user info' },
};

/** Messages that need no answer (cancels of things never started, log level, bulletins off). */
const QUIET = new Set([11, 13, 14, 23, 51, 53, 56, 57, 70, 75, 77, 89, 90, 98, 101, 103]);

export function unsupportedRequest(msgId: number): Handler {
  return (s, r) => {
    if (QUIET.has(msgId)) return;
    const where = REQ_ID_AT[msgId];
    let id: number = NO_ID;
    if (where) {
      r.skip(where.at);
      id = r.int();
    }
    const what = where?.name ?? `request ${msgId}`;
    s.error(id, Err.VALIDATION.code, `${Err.VALIDATION.text}'${msgId}' : cause - ${what} is not supported by the simulated gateway`);
  };
}
