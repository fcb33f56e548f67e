/**
 * Requests the simulated gateway does not serve. A real gateway answers a
 * request it cannot fulfil with an error, never with silence, so a client
 * waiting on a request id is released: the error IB Gateway gives for it on
 * a paper account where one is known (430 fundamentals, 10276 news
 * articles), otherwise 321 (request validation), always with the request id
 * where the message has one.
 */
import { Err, NO_ID } from '../protocol.js';
import type { Handler } from '../session.js';

interface Refusal {
  /** Field index of the request id after the message id; absent = the message has none. */
  at?: number;
  name: string;
  code?: number;
  text?: string;
}

const REFUSED: Record<number, Refusal> = {
  18: { name: 'FA configuration (requestFA)', text: "Error validating request.-'bB' : cause - FA data operations ignored for non FA customers." },
  19: { at: 3, name: 'FA configuration (replaceFA)', text: "Error validating request.-'bB' : cause - FA data operations ignored for non FA customers." },
  21: { at: 1, name: 'option exercise' },
  // 430's text is IBKR's message-code table's ("We are sorry, but fundamentals data for the security specified is
  // not available."); gateways append the cause without a space, as logged by clients ("...available.Not allowed").
  // Checked 2026-12. (Some current paper logons answer 10358 "Fundamentals data is not allowed" instead.)
  52: { at: 1, name: 'fundamental data', code: 430, text: 'We are sorry, but fundamentals data for the security specified is not available.Not allowed' },
  54: { at: 1, name: 'implied volatility calculation' },
  55: { at: 1, name: 'option price calculation' },
  65: { name: 'API verification' },
  66: { name: 'API verification' },
  67: { at: 1, name: 'display groups' },
  68: { at: 1, name: 'display group events' },
  69: { at: 1, name: 'display group update' },
  72: { name: 'API verification' },
  73: { name: 'API verification' },
  84: { at: 0, name: 'news article', code: Err.NEWS_FEED_NOT_ALLOWED.code, text: Err.NEWS_FEED_NOT_ALLOWED.text },
};

/** Messages that need no answer (news bulletins on/off, log level, cancels of computations never started, FA/display group unsubscribe). */
const QUIET = new Set([12, 13, 14, 53, 56, 57, 70]);

export function unsupportedRequest(msgId: number): Handler {
  return (s, r) => {
    if (QUIET.has(msgId)) return;
    const refusal = REFUSED[msgId];
    let id: number = NO_ID;
    if (refusal?.at !== undefined) {
      r.skip(refusal.at);
      id = r.int();
    }
    const what = refusal?.name ?? `request ${msgId}`;
    s.error(id, refusal?.code ?? Err.VALIDATION.code, refusal?.text ?? `${Err.VALIDATION.text}'${msgId}' : cause - ${what} is not supported by the simulated gateway`);
  };
}
