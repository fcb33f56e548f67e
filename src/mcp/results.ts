/**
 * Tool results. A success carries the value as structuredContent (for
 * programs) and a one-paragraph summary as text (for the model). A failure is
 * a result with isError, never a thrown protocol error: an agent can read it,
 * and the text always says what to do next, because an agent that only sees
 * "422" tends to retry the same call.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { ERROR_CATALOGUE, type ErrorCode } from '../core/errors.js';
import type { OrderStatus } from '../core/models.js';
import { ApiCallError, TRANSPORT_ERRORS, type TransportErrorCode } from './http.js';

export function ok(value: Record<string, unknown>, summary: string): CallToolResult {
  return { structuredContent: value, content: [{ type: 'text', text: summary }] };
}

/** What an agent should do after each error code. */
const NEXT_STEP: Partial<Record<ErrorCode | TransportErrorCode, string>> = {
  BAD_REQUEST: 'Fix the arguments and call again.',
  UNAUTHORIZED: 'The MCP server has no valid API key: set MCP_API_KEY (in the MCP server config "env") to a key listed in the gateway\'s API_KEYS, or, when API_KEYS is unset, the generated key in its DATA_DIR/api-key. Retrying will not help.',
  FORBIDDEN:
    'The API key lacks the scope this tool needs: reads need read; preview, place, cancel and engaging the kill switch need trade; the audit log and releasing the kill switch need admin. ' +
    'Scopes are hierarchical: admin includes trade, trade includes read. Ask the user for a key with the scope; retrying will not help.',
  NOT_FOUND: 'Check the id or symbol; the MCP server and the gateway may be different versions.',
  VALIDATION_ERROR: 'Fix the fields named in details and call again.',
  CONTRACT_NOT_FOUND: 'Check the symbol and securityType (e.g. ETF for SPY, FUT for ES, CASH for EUR.USD); use resolve_contract to try variants.',
  CONTRACT_AMBIGUOUS: 'Add exchange, currency or expiry (see details.candidates) and call again.',
  MARKET_DATA_UNAVAILABLE: 'Try again later, or use get_historical_data for the last close.',
  HISTORICAL_DATA_ERROR: 'Use a larger barSize or a shorter duration and call again.',
  HISTORY_DURATION_TOO_LONG: 'Ask for at most details.maxDuration with this barSize, or use a larger barSize, and call again.',
  AUTH_RATE_LIMITED: 'Too many wrong API keys came from this address; wait details.retryAfterSeconds, and check MCP_API_KEY before calling again.',
  ORDER_VALIDATION_ERROR: 'Fix the order (tick size, quantity, session) as the message says, then preview_order again.',
  ORDER_NOT_FOUND: 'Check the orderId; list_orders shows the orders the gateway knows.',
  ORDER_NOT_CANCELLABLE: 'The order already finished; get_order_status shows its final state. Nothing to cancel.',
  ORDER_REJECTED: 'The broker refused the order; tell the user why (message). Do not resubmit unchanged.',
  RISK_LIMIT_EXCEEDED: 'A risk limit refused the order (details.failedChecks names each). Reduce the size or price distance and preview_order again, or ask the user; do not try to work around the limit.',
  TRADING_DISABLED: 'The gateway configuration does not allow sending orders now. Tell the user; retrying will not help.',
  LIVE_OVERRIDE_MISSING: 'Live trading needs the override file on the gateway host. Tell the user; retrying will not help.',
  ACCOUNT_MODE_MISMATCH: 'The connected account does not match TRADING_MODE. Tell the user; retrying will not help.',
  KILL_SWITCH_ENGAGED: 'The kill switch blocks all new orders. Only a human admin can release it (ibkr-gateway kill-switch release); tell the user and stop placing orders.',
  PREVIEW_NOT_FOUND: 'Call preview_order with the exact order, then place_order with the previewId it returns.',
  PREVIEW_EXPIRED: 'Call preview_order again (prices may have moved), check it with the user if needed, then place_order with the new previewId.',
  PREVIEW_MISMATCH: 'place_order must repeat exactly the fields given to preview_order. Preview the order you actually want, then place it with that previewId.',
  IDEMPOTENCY_CONFLICT: 'This previewId (or clientOrderId) was already used for a different order. Preview the new order to get a new previewId.',
  IDEMPOTENCY_IN_PROGRESS: 'The same order is still being placed; wait a few seconds and call get_order_status or list_orders (status open) instead of placing again.',
  ACCOUNT_ERROR: 'The broker could not provide account data; try again shortly.',
  ACCOUNT_NOT_FOUND: 'Omit account to use the default, or use an account id from get_account_status.',
  RATE_LIMITED: 'Too many requests; wait (details.retryAfterSeconds) before calling again.',
  PACING_VIOLATION: 'IBKR pacing limit; wait (details.retryAfterSeconds) before calling again.',
  BROKER_UNAVAILABLE: 'IB Gateway / TWS is not connected; try again in a minute, and tell the user if it persists.',
  BROKER_DEGRADED: 'IBKR servers are unreachable; orders are held. Try again later.',
  BROKER_TIMEOUT: 'The broker did not answer in time; for an order, check list_orders before placing again.',
  BROKER_ERROR: 'The broker reported an error; tell the user the message.',
  AUDIT_UNAVAILABLE: 'The audit log cannot be written, so nothing was sent. Tell the user; do not retry in a loop.',
  INTERNAL_ERROR: 'Unexpected gateway error; tell the user the correlation id.',
  API_UNREACHABLE: 'Start the gateway (ibkr-gateway start) or fix MCP_API_URL, then call again.',
  API_TIMEOUT: 'Try again shortly. For place_order, retry with the SAME previewId: the idempotency key makes a retry return the first result instead of placing twice.',
  API_BAD_RESPONSE: 'Check that MCP_API_URL points at an ibkr-gateway REST API of the same version.',
};

function describe(code: string): string | null {
  if (code in TRANSPORT_ERRORS) return TRANSPORT_ERRORS[code as TransportErrorCode];
  if (code in ERROR_CATALOGUE) return ERROR_CATALOGUE[code as ErrorCode].description;
  return null;
}

function nextStep(code: string): string {
  return NEXT_STEP[code as ErrorCode | TransportErrorCode] ?? 'Tell the user the error code and message.';
}

/** Field-level problems and failed risk checks, one per line, so the agent can fix them without guessing. */
function detailLines(details: unknown): string[] {
  if (typeof details !== 'object' || details === null) return [];
  const lines: string[] = [];
  const d = details as { issues?: unknown; failedChecks?: unknown; candidates?: unknown };
  if (Array.isArray(d.issues)) {
    for (const i of d.issues as Array<{ path?: unknown; message?: unknown }>) lines.push(`- ${String(i.path)}: ${String(i.message)}`);
  }
  if (Array.isArray(d.failedChecks)) {
    for (const c of d.failedChecks as Array<{ name?: unknown; message?: unknown }>) lines.push(`- ${String(c.name)}: ${String(c.message)}`);
  }
  if (Array.isArray(d.candidates)) lines.push(`- candidates: ${JSON.stringify(d.candidates).slice(0, 500)}`);
  return lines;
}

export function errorResult(err: unknown, extra: { next?: string; note?: string } = {}): CallToolResult {
  const e = err instanceof ApiCallError ? err : new ApiCallError('INTERNAL_ERROR', err instanceof Error ? err.message : String(err), null);
  const about = describe(e.code);
  const lines = [
    `${e.code}: ${e.message}`,
    ...detailLines(e.details),
    ...(about !== null && about !== e.message ? [`(${about})`] : []),
    `Next: ${extra.next ?? nextStep(e.code)}`,
    ...(extra.note ? [extra.note] : []),
    ...(e.correlationId ? [`correlationId: ${e.correlationId}`] : []),
  ];
  return { isError: true, content: [{ type: 'text', text: lines.join('\n') }] };
}

/** Arguments that fail the tool's input schema, in the gateway's VALIDATION_ERROR shape. */
export function invalidArguments(tool: string, issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string; code?: string; keys?: readonly string[] }>): CallToolResult {
  const list = issues.flatMap((i) => {
    const at = i.path.map(String).join('.');
    // An unrecognised key is reported under its own name so the agent sees which one to drop.
    if (i.keys && i.keys.length > 0) return i.keys.map((k) => ({ path: at ? `${at}.${k}` : k, message: `unknown field ${k}; remove it (names are camelCase, see the tool's input schema)` }));
    return [{ path: at || '(root)', message: at === 'previewId' && tool === 'place_order' ? 'previewId is required: call preview_order first with exactly these fields' : i.message }];
  });
  const next =
    tool === 'place_order' && list.some((i) => i.path === 'previewId')
      ? 'place_order only places an order that was previewed: call preview_order with the order, then place_order with the same fields and its previewId.'
      : undefined;
  return errorResult(new ApiCallError('VALIDATION_ERROR', `Invalid arguments for ${tool}:`, null, { issues: list }), { next });
}

/** Runs a tool body; any failure becomes an isError result instead of a protocol error. */
export async function guard(body: () => Promise<CallToolResult>, onError?: (err: unknown) => string | undefined): Promise<CallToolResult> {
  try {
    return await body();
  } catch (err) {
    return errorResult(err, { note: onError?.(err) });
  }
}

/** What each order status means for the agent, used in summaries and descriptions. */
export const STATUS_MEANING: Record<OrderStatus, string> = {
  SIMULATED: 'recorded and risk-checked but NOT sent (the gateway runs with ORDERS_ENABLED=false); final',
  PENDING_SUBMIT: 'being sent to the broker',
  SUBMITTED: 'sent to the broker, not yet acknowledged',
  ACCEPTED: 'working at the broker, waiting to fill',
  PARTIALLY_FILLED: 'partly filled, the rest is still working',
  FILLED: 'completely filled; final',
  CANCELLED: 'cancelled; final',
  REJECTED: 'refused by the broker; final',
  EXPIRED: 'time in force ran out; final',
  UNKNOWN: 'outcome unknown after a lost connection; the gateway reconciles it and never resends it. Check again later; do not place it again',
  PENDING_APPROVAL: 'held by the gateway until a person with the approve scope approves or rejects it (or it expires); nothing has been sent. Poll get_order_status; do not place it again',
  APPROVED: 'approved by a person and sent as a new broker order (its id is in the status message); final',
};

export const STATUS_GUIDE = Object.entries(STATUS_MEANING)
  .map(([s, m]) => `${s} = ${m}`)
  .join('; ');

/** Compact number for summaries: money to cents, no trailing noise. */
export function num(value: number | null | undefined, digits = 2): string {
  if (value === null || value === undefined) return 'n/a';
  return Number.isInteger(value) ? value.toLocaleString('en-US') : value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: Math.min(2, digits) });
}

export function signed(value: number | null | undefined): string {
  if (value === null || value === undefined) return 'n/a';
  return `${value > 0 ? '+' : ''}${num(value)}`;
}
