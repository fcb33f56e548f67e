/**
 * Errors are values with stable codes.
 *
 * Every failure the gateway reports is a GatewayError (or subclass) carrying a
 * string `code` from ERROR_CATALOGUE, the HTTP status it maps to, and optional
 * structured `details`. A code is never reused for another meaning: add a new
 * one instead. README.md's error table is generated from the same catalogue.
 */

export interface ErrorCodeInfo {
  status: number;
  description: string;
}

/** The catalogue of every error code. Append only. */
export const ERROR_CATALOGUE = {
  BAD_REQUEST: { status: 400, description: 'Malformed request: the body is not valid JSON, or a parameter cannot be read.' },
  UNAUTHORIZED: { status: 401, description: 'Missing or wrong API key.' },
  FORBIDDEN: { status: 403, description: 'The API key lacks the scope this call needs. Scopes are hierarchical: admin includes trade, trade includes read.' },
  NOT_FOUND: { status: 404, description: 'No such route or resource.' },
  VALIDATION_ERROR: { status: 422, description: 'The request does not match its schema; details lists each field and why.' },
  CONTRACT_NOT_FOUND: { status: 404, description: 'No instrument matches the spec (IBKR error 200).' },
  CONTRACT_AMBIGUOUS: { status: 422, description: 'Several instruments match; details.candidates lists them. Add exchange, currency or expiry.' },
  MARKET_DATA_UNAVAILABLE: { status: 503, description: 'No market data for the instrument right now (no subscription, market closed without a last price, or a data farm down).' },
  HISTORICAL_DATA_ERROR: { status: 422, description: 'The historical data request cannot be served (bar size and duration combination, too many bars).' },
  ORDER_VALIDATION_ERROR: { status: 422, description: 'The order is not valid for this instrument or market (tick size, session, quantity).' },
  ORDER_NOT_FOUND: { status: 404, description: 'No order with that id.' },
  ORDER_NOT_CANCELLABLE: { status: 409, description: 'The order has already finished (filled, cancelled, rejected, expired or simulated).' },
  ORDER_OTHER_BROKER: { status: 409, description: "The order belongs to another broker identity (sim account, or tws host:port:account:clientId) in this store (DATA_DIR, or the database several gateways share): only the gateway connected to that identity cancels, modifies or reconciles it (details.brokerIdentity). Nothing was sent." },
  ORDER_NOT_MODIFIABLE: { status: 409, description: 'The order cannot be modified: it has finished (filled, cancelled, rejected, expired), was only simulated, or its state is unknown.' },
  ORDER_REJECTED: { status: 422, description: 'The broker rejected the order; message says why (insufficient buying power, outside trading hours, ...).' },
  RISK_LIMIT_EXCEEDED: { status: 422, description: 'A pre-trade risk check failed; details.failedChecks names each one with its value and limit.' },
  TRADING_DISABLED: { status: 403, description: 'Order transmission is not allowed by the configuration (for example live mode without the override file).' },
  LIVE_OVERRIDE_MISSING: { status: 403, description: 'TRADING_MODE=live with orders enabled, but LIVE_TRADING_OVERRIDE_FILE is not a regular file (missing, a directory or a dangling link). Nothing was sent.' },
  ACCOUNT_MODE_MISMATCH: { status: 403, description: 'The connected account does not match TRADING_MODE (a live account in paper mode, or the reverse). Nothing was sent.' },
  KILL_SWITCH_ENGAGED: { status: 423, description: 'The kill switch is engaged: no new orders until an admin releases it.' },
  PREVIEW_NOT_FOUND: { status: 404, description: 'No preview with that previewId.' },
  PREVIEW_EXPIRED: { status: 410, description: 'The preview is too old; preview the order again.' },
  PREVIEW_MISMATCH: { status: 409, description: 'The order differs from the one that was previewed; preview it again.' },
  IDEMPOTENCY_CONFLICT: { status: 409, description: 'This Idempotency-Key or clientOrderId was used for a different request.' },
  IDEMPOTENCY_IN_PROGRESS: { status: 409, description: 'A request with this Idempotency-Key is still being processed; retry shortly.' },
  IDEMPOTENCY_KEY_FOREIGN: { status: 409, description: 'This Idempotency-Key (or clientOrderId) was used by another API key; keys are scoped to the caller. Choose another key.' },
  ACCOUNT_ERROR: { status: 502, description: 'The broker could not provide account data.' },
  ACCOUNT_NOT_FOUND: { status: 404, description: 'The account is not one of the managed accounts.' },
  RATE_LIMITED: { status: 429, description: 'Too many requests for this API key; see Retry-After.' },
  PACING_VIOLATION: { status: 429, description: 'IBKR pacing limit reached (IBKR errors 100, 162); retry later.' },
  BROKER_UNAVAILABLE: { status: 503, description: 'The broker (IB Gateway / TWS) is not connected or not reachable.' },
  BROKER_DEGRADED: { status: 503, description: 'The connection to IBKR servers is lost (1100); new orders are held until it returns.' },
  BROKER_TIMEOUT: { status: 504, description: 'The broker did not answer in time.' },
  BROKER_ERROR: { status: 502, description: 'The broker reported an error that has no more specific code.' },
  AUDIT_UNAVAILABLE: { status: 503, description: 'The audit log could not be written; nothing was transmitted.' },
  AUDIT_CORRUPT: { status: 500, description: 'The audit log hash chain does not verify.' },
  CONFIG_INVALID: { status: 500, description: 'The configuration is invalid (at start: exit code 2).' },
  POSITION_NOT_FOUND: { status: 404, description: 'The account holds no position in that symbol (nothing to close).' },
  INTERNAL_ERROR: { status: 500, description: 'Unexpected error; the correlation id finds it in the logs.' },
  API_UNREACHABLE: { status: 503, description: 'MCP: the REST API at MCP_API_URL could not be reached (is `ibkr-gateway start` running?).' },
  API_TIMEOUT: { status: 504, description: 'MCP: the REST API did not answer in time; a place_order retried with the same previewId is safe.' },
  API_BAD_RESPONSE: { status: 502, description: 'MCP: the REST API answered with something that is not a gateway response (a 5xx from a proxy, non-JSON).' },
  HISTORY_DURATION_TOO_LONG: {
    status: 422,
    description: "The historical request spans more than IBKR allows for its bar size (IBKR's valid duration and bar size table; at most 1 Y); details name the bound.",
  },
  AUTH_RATE_LIMITED: { status: 429, description: 'Too many failed API key attempts from this address: every keyed request from it is refused until Retry-After.' },
  BODY_TOO_LARGE: { status: 413, description: 'The request body is larger than the API accepts (64 KiB).' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, description: 'The request body has a content type the API does not read: send Content-Type: application/json.' },
  HEADERS_TOO_LARGE: { status: 431, description: "The request's headers are larger than the server accepts (16 KiB)." },
  HTTP_PARSE_ERROR: { status: 400, description: 'The HTTP request itself is malformed (duplicate Content-Length, bad chunked encoding, invalid header).' },
  REQUEST_TIMEOUT: { status: 408, description: 'The request was not received completely in time.' },
  PATH_FORBIDDEN: { status: 403, description: 'The file path is not allowed (a null byte, or a path outside the served directory).' },
  APPROVAL_NOT_FOUND: { status: 404, description: 'No order held for approval with that id.' },
  APPROVAL_OWN_ORDER: { status: 403, description: 'Four eyes: a key can never approve or reject an order it placed itself; another key with the approve scope must decide.' },
  APPROVAL_DECIDED: { status: 409, description: 'The approval was already decided another way (approved, rejected, expired or cancelled); details.state says how.' },
  APPROVAL_IN_PROGRESS: { status: 409, description: 'Another decision on this approval is being processed right now; retry shortly.' },
  APPROVAL_SPEC_MISMATCH: { status: 409, description: 'The order is no longer the one the approver saw (its specHash changed); review it again.' },
  APPROVAL_REASSESSMENT_FAILED: {
    status: 409,
    description: 'At approval the order was checked again and something moved beyond tolerance (price, risk limits, gates); details say what. A price move leaves it pending; a failed risk check or gate rejects it.',
  },
  APPROVAL_REQUIRED: {
    status: 409,
    description: 'The change would need a person\'s approval (APPROVAL_REQUIRED / APPROVAL_FILE) and a working order cannot wait in place: cancel it and place the changed order, which then waits for approval. Nothing was sent.',
  },
  APPROVAL_EXPIRED: { status: 410, description: 'The approval was not decided before its expiry; the order was rejected and nothing was sent.' },
  REQUEST_CANCELLED: { status: 499, description: 'The client went away before the answer was ready; the work was stopped (nothing is sent, there is nobody to send it to).' },
  STREAM_LIMIT_REACHED: { status: 429, description: 'This API key already holds API_MAX_STREAMS_PER_KEY open event streams (quotes and order events together): close one, or raise the limit.' },
} as const satisfies Record<string, ErrorCodeInfo>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, details?: unknown, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.status = ERROR_CATALOGUE[code].status;
    this.details = details;
  }

  toJSON(): { code: ErrorCode; message: string; details?: unknown } {
    return this.details === undefined ? { code: this.code, message: this.message } : { code: this.code, message: this.message, details: this.details };
  }
}

/** The broker cannot be reached or the connection is not usable. */
export class BrokerConnectionError extends GatewayError {
  constructor(message: string, code: 'BROKER_UNAVAILABLE' | 'BROKER_DEGRADED' | 'BROKER_TIMEOUT' | 'BROKER_ERROR' = 'BROKER_UNAVAILABLE', details?: unknown) {
    super(code, message, details);
  }
}

export class ContractResolutionError extends GatewayError {
  constructor(message: string, code: 'CONTRACT_NOT_FOUND' | 'CONTRACT_AMBIGUOUS' = 'CONTRACT_NOT_FOUND', details?: unknown) {
    super(code, message, details);
  }
}

export class MarketDataError extends GatewayError {
  constructor(message: string, code: 'MARKET_DATA_UNAVAILABLE' | 'HISTORICAL_DATA_ERROR' | 'PACING_VIOLATION' = 'MARKET_DATA_UNAVAILABLE', details?: unknown) {
    super(code, message, details);
  }
}

/** Base of every order failure. */
export class OrderError extends GatewayError {}

export class OrderValidationError extends OrderError {
  constructor(message: string, details?: unknown) {
    super('ORDER_VALIDATION_ERROR', message, details);
  }
}

export class OrderNotFoundError extends OrderError {
  constructor(orderId: string) {
    super('ORDER_NOT_FOUND', `No order with id ${orderId}`, { orderId });
  }
}

/**
 * An order id that another broker identity's order already has in this store:
 * two brokers share one DATA_DIR (a sim and a tws pointed at a sim-gateway on
 * it). The other broker's order is never touched.
 */
export class OrderIdInUseError extends OrderError {
  constructor(orderId: string, owner: string | null, action = 'record a new order with it') {
    super(
      'ORDER_OTHER_BROKER',
      `Order id ${orderId} already belongs to ${owner ?? 'an order written before orders carried a broker identity'} in this DATA_DIR, so this gateway will not ${action}; nothing was sent. Two brokers with overlapping order ids share one data directory: give each its own DATA_DIR.`,
      { orderId, brokerIdentity: owner },
    );
  }
}

/**
 * Cancel or modify of an order another gateway owns: any gateway on a shared
 * store can read it (GET /api/orders?owner=any), only its owner changes it,
 * since only the owner's connection can reach it at the broker.
 */
export class OrderOwnedElsewhereError extends OrderError {
  constructor(orderId: string, owner: string | null, action: 'cancel' | 'modify') {
    super(
      'ORDER_OTHER_BROKER',
      `Order ${orderId} belongs to ${owner ?? 'an order written before orders carried a broker identity'}, not to this gateway's broker connection, so this gateway will not ${action} it; nothing was sent. ${action === 'cancel' ? 'Cancel' : 'Modify'} it through the gateway connected to ${owner ?? 'its account'}.`,
      { orderId, brokerIdentity: owner },
    );
  }
}

export class OrderRejectedError extends OrderError {
  constructor(message: string, details?: unknown) {
    super('ORDER_REJECTED', message, details);
  }
}

/** A safety gate refused to transmit. */
export class TradingDisabledError extends OrderError {
  constructor(
    message: string,
    code: 'TRADING_DISABLED' | 'LIVE_OVERRIDE_MISSING' | 'ACCOUNT_MODE_MISMATCH' | 'KILL_SWITCH_ENGAGED' | 'BROKER_DEGRADED' = 'TRADING_DISABLED',
    details?: unknown,
  ) {
    super(code, message, details);
  }
}

export class RiskLimitError extends OrderError {
  constructor(message: string, details?: unknown) {
    super('RISK_LIMIT_EXCEEDED', message, details);
  }
}

export class PreviewError extends OrderError {
  constructor(code: 'PREVIEW_NOT_FOUND' | 'PREVIEW_EXPIRED' | 'PREVIEW_MISMATCH', message: string, details?: unknown) {
    super(code, message, details);
  }
}

/** A decision on an order held for approval could not be taken. */
export class ApprovalError extends OrderError {
  constructor(
    code: 'APPROVAL_NOT_FOUND' | 'APPROVAL_REQUIRED' | 'APPROVAL_OWN_ORDER' | 'APPROVAL_DECIDED' | 'APPROVAL_IN_PROGRESS' | 'APPROVAL_SPEC_MISMATCH' | 'APPROVAL_REASSESSMENT_FAILED' | 'APPROVAL_EXPIRED',
    message: string,
    details?: unknown,
  ) {
    super(code, message, details);
  }
}

export class IdempotencyConflictError extends GatewayError {
  constructor(message: string, code: 'IDEMPOTENCY_CONFLICT' | 'IDEMPOTENCY_IN_PROGRESS' | 'IDEMPOTENCY_KEY_FOREIGN' = 'IDEMPOTENCY_CONFLICT', details?: unknown) {
    super(code, message, details);
  }
}

export class AccountError extends GatewayError {
  constructor(message: string, code: 'ACCOUNT_ERROR' | 'ACCOUNT_NOT_FOUND' = 'ACCOUNT_ERROR', details?: unknown) {
    super(code, message, details);
  }
}

export class RateLimitedError extends GatewayError {
  readonly retryAfterSeconds: number;
  constructor(message: string, retryAfterSeconds: number, code: 'RATE_LIMITED' | 'PACING_VIOLATION' | 'AUTH_RATE_LIMITED' = 'RATE_LIMITED') {
    super(code, message, { retryAfterSeconds });
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export class AuditError extends GatewayError {
  constructor(message: string, code: 'AUDIT_UNAVAILABLE' | 'AUDIT_CORRUPT' = 'AUDIT_UNAVAILABLE', details?: unknown, options?: { cause?: unknown }) {
    super(code, message, details, options);
  }
}

export interface FieldIssue {
  path: string;
  message: string;
}

export class ValidationError extends GatewayError {
  readonly issues: readonly FieldIssue[];
  constructor(message: string, issues: readonly FieldIssue[]) {
    super('VALIDATION_ERROR', message, { issues });
    this.issues = issues;
  }
}

export class ConfigError extends GatewayError {
  /** The variable that failed, for the one-line start-up message. */
  readonly variable: string;
  constructor(variable: string, message: string) {
    super('CONFIG_INVALID', message, { variable });
    this.variable = variable;
  }
}

/** Wraps anything thrown into a GatewayError without exposing internals. */
export function toGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  return new GatewayError('INTERNAL_ERROR', 'Unexpected error', undefined, { cause: err });
}

/** Converts a zod error into our ValidationError with one entry per field. */
export function fromZodIssues(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string; code?: string; keys?: readonly string[] }>, what = 'Request'): ValidationError {
  // An unknown field is reported at its own name, so a caller sees which one to remove.
  const list = issues.flatMap((i): FieldIssue[] => {
    const base = i.path.map(String).join('.');
    if (i.keys && i.keys.length > 0) return i.keys.map((k) => ({ path: base ? `${base}.${k}` : k, message: `unknown field ${k}` }));
    // zod words an absent field as a type error ("expected string, received undefined"); say what the caller must do.
    if (base && i.code === 'invalid_type' && i.message.endsWith('received undefined')) return [{ path: base, message: `${base} is required` }];
    return [{ path: base || '(root)', message: i.message }];
  });
  const first = list[0];
  const summary = first ? `${first.path}: ${first.message}` : 'invalid';
  return new ValidationError(`${what} is invalid: ${summary}${list.length > 1 ? ` (+${list.length - 1} more)` : ''}`, list);
}
