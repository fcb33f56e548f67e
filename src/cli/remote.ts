/**
 * The CLI's view of the gateway: the same calls whether they go over REST to
 * a running gateway or to a broker this process opened itself. Errors keep
 * their stable codes either way (a REST error body becomes a GatewayError).
 */
import { ERROR_CATALOGUE, GatewayError, type ErrorCode } from '../core/errors.js';
import type { GatewayClient } from '../core/client/interface.js';
import type { KillSwitchStatus } from '../core/models.js';

/** The GatewayClient calls the CLI makes, derived from it so the two cannot drift apart. */
type CliCalls = Pick<
  GatewayClient,
  | 'resolveContract'
  | 'getQuote'
  | 'getBars'
  | 'getAccountSummary'
  | 'getPositions'
  | 'getPnl'
  | 'previewOrder'
  | 'placeOrder'
  | 'previewModification'
  | 'modifyOrder'
  | 'cancelOrder'
  | 'cancelAllOrders'
  | 'previewClosePosition'
  | 'closePosition'
  | 'listOrders'
  | 'health'
  | 'setKillSwitch'
  | 'listApprovals'
  | 'getApproval'
  | 'approveOrder'
  | 'rejectOrder'
  | 'close'
>;

export interface CliGateway extends CliCalls {
  /** Where the calls go: 'the running gateway at http://...' or 'the sim broker'. */
  readonly via: string;
  /** Asynchronous here: over REST it is a request. */
  killSwitch(options?: { account?: string }): Promise<KillSwitchStatus>;
}

/** A client this process built (it opened the broker) seen as a CliGateway. */
export function localGateway(client: GatewayClient): CliGateway {
  return {
    via: `the ${client.config.broker} broker opened by this command`,
    resolveContract: (s) => client.resolveContract(s),
    getQuote: (s) => client.getQuote(s),
    getBars: (r) => client.getBars(r),
    getAccountSummary: (a) => client.getAccountSummary(a),
    getPositions: (a) => client.getPositions(a),
    getPnl: (a) => client.getPnl(a),
    previewOrder: (s) => client.previewOrder(s),
    placeOrder: (r, o) => client.placeOrder(r, o),
    previewModification: (id, c) => client.previewModification(id, c),
    modifyOrder: (id, r, o) => client.modifyOrder(id, r, o),
    cancelOrder: (id) => client.cancelOrder(id),
    cancelAllOrders: (q) => client.cancelAllOrders(q),
    previewClosePosition: (symbol, r) => client.previewClosePosition(symbol, r),
    closePosition: (symbol, r, o) => client.closePosition(symbol, r, o),
    listOrders: (q) => client.listOrders(q),
    health: () => client.health(),
    killSwitch: async (o) => client.killSwitch(o),
    setKillSwitch: (e, r, o) => client.setKillSwitch(e, r, o),
    listApprovals: (q) => client.listApprovals(q),
    getApproval: (id) => client.getApproval(id),
    approveOrder: (id, r) => client.approveOrder(id, r),
    rejectOrder: (id, r) => client.rejectOrder(id, r),
    close: () => client.close(),
  };
}

type Query = Record<string, string | number | boolean | null | undefined>;

const toQuery = (q: object): string => {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(q as Query)) if (v !== undefined && v !== null) params.set(k, String(v));
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
};

/** The running gateway over REST. `timeoutMs` bounds each call, so a hung gateway cannot hang the CLI. */
export function remoteGateway(baseUrl: string, apiKey: string | null, timeoutMs = 30_000): CliGateway {
  const base = baseUrl.replace(/\/+$/, '');
  async function call<T>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        method,
        headers: { ...(apiKey ? { 'x-api-key': apiKey } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      const timedOut = err instanceof Error && err.name === 'TimeoutError';
      throw new GatewayError(timedOut ? 'API_TIMEOUT' : 'API_UNREACHABLE', `The gateway at ${base} ${timedOut ? `did not answer within ${timeoutMs} ms` : `could not be reached (${err instanceof Error ? err.message : String(err)})`}`, { url: base });
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text === '' ? null : JSON.parse(text);
    } catch {
      throw new GatewayError('API_BAD_RESPONSE', `The gateway at ${base} answered ${res.status} with something that is not JSON`, { status: res.status });
    }
    // /health answers 503 with a Health body when the broker is down: that is an answer, not an error.
    const error = (json as { error?: { code?: string; message?: string; details?: unknown } } | null)?.error;
    if (!res.ok && error) {
      const code = (error.code !== undefined && error.code in ERROR_CATALOGUE ? error.code : 'INTERNAL_ERROR') as ErrorCode;
      throw new GatewayError(code, error.message ?? `HTTP ${res.status}`, error.details);
    }
    if (!res.ok && path !== '/health') throw new GatewayError('API_BAD_RESPONSE', `The gateway at ${base} answered ${res.status}`, { status: res.status });
    return json as T;
  }
  const account = (accountId?: string): string => toQuery({ account: accountId });
  return {
    via: `the running gateway at ${base}`,
    resolveContract: (spec) => call('GET', `/api/contracts/resolve${toQuery(spec)}`),
    getQuote: (spec) => call('GET', `/api/market/quote${toQuery(spec)}`),
    getBars: (request) => call('GET', `/api/market/historical${toQuery(request)}`),
    getAccountSummary: (a) => call('GET', `/api/account/summary${account(a)}`),
    getPositions: (a) => call('GET', `/api/account/positions${account(a)}`),
    getPnl: (a) => call('GET', `/api/account/pnl${account(a)}`),
    previewOrder: (spec) => call('POST', '/api/orders/preview', spec),
    placeOrder: (request, options) => call('POST', '/api/orders/place', request, options?.idempotencyKey ? { 'idempotency-key': options.idempotencyKey } : {}),
    previewModification: (orderId, changes) => call('POST', `/api/orders/${encodeURIComponent(orderId)}/modify/preview`, changes),
    modifyOrder: (orderId, request, options) => call('PATCH', `/api/orders/${encodeURIComponent(orderId)}`, request, options?.idempotencyKey ? { 'idempotency-key': options.idempotencyKey } : {}),
    cancelOrder: (orderId) => call('POST', `/api/orders/${encodeURIComponent(orderId)}/cancel`),
    cancelAllOrders: (q) => call('DELETE', `/api/orders${toQuery(q ?? {})}`),
    previewClosePosition: (symbol, r) => call('POST', `/api/positions/${encodeURIComponent(symbol)}/close/preview${toQuery(r ?? {})}`),
    closePosition: (symbol, r, options) => call('DELETE', `/api/positions/${encodeURIComponent(symbol)}${toQuery(r ?? {})}`, undefined, options?.idempotencyKey ? { 'idempotency-key': options.idempotencyKey } : {}),
    listOrders: (q) => call('GET', `/api/orders${toQuery(q ?? {})}`),
    health: () => call('GET', '/health'),
    killSwitch: (o) => call('GET', `/api/admin/kill-switch${o?.account === undefined ? '' : `?${new URLSearchParams({ account: o.account }).toString()}`}`),
    setKillSwitch: (engaged, reason, options) =>
      call('POST', '/api/admin/kill-switch', {
        engaged,
        reason,
        ...(options?.cancelWorking === undefined ? {} : { cancelWorking: options.cancelWorking }),
        ...(options?.account === undefined ? {} : { account: options.account }),
      }),
    listApprovals: (q) => call('GET', `/api/approvals${toQuery(q ?? {})}`),
    getApproval: (id) => call('GET', `/api/approvals/${encodeURIComponent(id)}`),
    approveOrder: (id, r) => call('POST', `/api/approvals/${encodeURIComponent(id)}/approve`, r ?? {}),
    rejectOrder: (id, r) => call('POST', `/api/approvals/${encodeURIComponent(id)}/reject`, r),
    close: async () => undefined,
  };
}
